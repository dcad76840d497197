// SPDX-License-Identifier: GPL-2.0-or-later
// Unit tests of the runner's pieces that need no peer: argument splitting,
// scenario loading and lint, the exit-code rule and the outputs. The
// scenario compiler and writer have theirs in scenario_test.cpp.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "iut.hpp"
#include "model.hpp"
#include "output.hpp"
#include "scenario.hpp"
#include "temp_file.hpp"

namespace vsm::conform {
namespace {

namespace fs = std::filesystem;

TEST(SplitArgs, QuotesAndSpaces) {
  EXPECT_EQ(split_args("a  b\t'c d' \"e f\"g"), (std::vector<std::string>{"a", "b", "c d", "e fg"}));
  EXPECT_EQ(split_args("--step 'wait: {registered: 1}'"),
            (std::vector<std::string>{"--step", "wait: {registered: 1}"}));
  EXPECT_TRUE(split_args("   ").empty());
  EXPECT_EQ(split_args("''"), (std::vector<std::string>{""}));
}

constexpr const char* kGood = R"(role: agent
fragments:
  hello:
    - accept: {}
tests:
  - id: T-1
    title: one
    requirements: [VSM-5-ACK]
    body:
      - call: hello
      - send: {type: keep_alive, seq: 0xFFFFFF, options: [{node_id: 3}, {function_info.name: x}, {raw: {type: 99, hex: "01"}}]}
      - expect: {type: ack, seq: $sent_seq, option: {node_id: "3"}, capture: {s: seq}}
      - expect_none: {type: ack, within: 0.1}
)";

std::vector<Diagnostic> lint(const std::string& path) {
  std::vector<Diagnostic> d;
  compile_suite({path}, d);
  return d;
}

TEST(Scenario, LoadsAndLintsClean) {
  TempFile f(kGood);
  const Suite s = load_suites({f.path()});
  ASSERT_EQ(s.tests.size(), 1u);
  EXPECT_EQ(s.tests[0].id, "T-1");
  EXPECT_EQ(s.tests[0].role, IutRole::Agent);
  EXPECT_TRUE(lint(f.path()).empty());
  ASSERT_EQ(s.texts.size(), 1u);
  EXPECT_EQ(s.texts[0], kGood);  // the bytes compiled are the bytes the report hashes
}

TEST(Scenario, LintNamesUnknownKeywords) {
  for (const char* bad :
       {"      - send: {type: keep_alive_x}\n", "      - send: {type: operation, op: teleport}\n",
        "      - send: {type: ack, code: so_so}\n", "      - send: {type: ack, options: [{node_info.nope: 1}]}\n",
        "      - expect: {type: ack, colour: red}\n", "      - dance: {}\n", "      - call: no_such_fragment\n"}) {
    TempFile f(
        std::string("role: agent\ntests:\n  - id: T-2\n    title: t\n    requirements: [VSM-5-ACK]\n    body:\n") +
        bad);
    EXPECT_EQ(lint(f.path()).size(), 1u) << bad;
  }
}

TEST(Scenario, RejectsBadFiles) {
  TempFile unknown_req("tests:\n  - id: X\n    title: t\n    requirements: [VSM-0-NOPE]\n    body: [{wait: 0}]\n");
  EXPECT_THROW(load_suites({unknown_req.path()}), ScenarioError);
  TempFile no_req("tests:\n  - id: X\n    title: t\n    body: [{wait: 0}]\n");
  EXPECT_THROW(load_suites({no_req.path()}), ScenarioError);
  TempFile dup(
      "tests:\n  - {id: X, title: t, requirements: [VSM-5-ACK], body: [{wait: 0}]}\n"
      "  - {id: X, title: u, requirements: [VSM-5-ACK], body: [{wait: 0}]}\n");
  EXPECT_THROW(load_suites({dup.path()}), ScenarioError);
  TempFile key("tests:\n  - {id: X, title: t, requirements: [VSM-5-ACK], body: [], colour: red}\n");
  EXPECT_THROW(load_suites({key.path()}), ScenarioError);
  EXPECT_THROW(load_suites({"/no/such/suite.yaml"}), ScenarioError);
}

TEST(Scenario, BuiltInSuitesLint) {
  const Suite s = load_suites({VSM_CONFORM_SUITES});
  EXPECT_GT(s.tests.size(), 50u);
  EXPECT_TRUE(lint(VSM_CONFORM_SUITES).empty());
}

TEST(Profile, Loads) {
  TempFile f(
      "name: x\ncapabilities: [add]\ntimers: {ack: 1.5}\nsecond_instance: true\n"
      "triggers: {t: {cmd: 'echo {node}'}}\n");
  const Profile p = load_profile(f.path());
  EXPECT_EQ(p.name, "x");
  EXPECT_DOUBLE_EQ(p.ack_timer, 1.5);
  EXPECT_TRUE(p.capabilities.count("add"));
  EXPECT_TRUE(p.capabilities.count("second_instance"));
  EXPECT_EQ(p.triggers.at("t").cmd, "echo {node}");
  TempFile bad("name: x\ntimers: {ack: 1, coffee: 2}\n");
  EXPECT_THROW(load_profile(bad.path()), ScenarioError);
}

Result result(const TestCase& t, Verdict v, std::set<std::string> reqs = {}) {
  Result r;
  r.test = &t;
  r.verdict = v;
  r.failed_reqs = std::move(reqs);
  return r;
}

TEST(RequirementVerdicts, OnlyTheFailedRequirementFails) {
  TestCase t;
  t.requirements = {"VSM-5-ACK", "VSM-6.2.6-ACK-SEQ"};
  Result r = result(t, Verdict::Fail, {"VSM-6.3.2-ACK-OPTIONS"});
  auto v = requirement_verdicts(r);
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(v[0].outcome, ReqOutcome::NotReached);  // the test stopped early
  EXPECT_EQ(v[2].id, "VSM-6.3.2-ACK-OPTIONS");
  EXPECT_EQ(v[2].outcome, ReqOutcome::Fail);
  r.completed = true;  // the body ran to its end: what it verified passed
  v = requirement_verdicts(r);
  EXPECT_EQ(v[0].outcome, ReqOutcome::Pass);
  EXPECT_EQ(v[1].outcome, ReqOutcome::Pass);
  EXPECT_EQ(v[2].outcome, ReqOutcome::Fail);
  r.verdict = Verdict::Inconclusive;
  r.failed_reqs.clear();
  r.completed = false;
  EXPECT_EQ(requirement_verdicts(r)[0].outcome, ReqOutcome::NotReached);
}

TEST(ExitCode, Rules) {
  TestCase t;
  t.id = "T";
  t.requirements = {"VSM-5-ACK"};
  EXPECT_EQ(exit_code({result(t, Verdict::Pass)}, false), 0);
  EXPECT_EQ(exit_code({result(t, Verdict::Pass), result(t, Verdict::NA)}, false), 0);
  EXPECT_EQ(exit_code({result(t, Verdict::NA)}, false), 3);  // nothing applicable is not a pass
  EXPECT_EQ(exit_code({result(t, Verdict::Pass), result(t, Verdict::Inconclusive)}, false), 3);
  EXPECT_EQ(exit_code({result(t, Verdict::Error), result(t, Verdict::Fail, {"VSM-5-ACK"})}, false), 1);
  // A SHOULD failure fails the run only under --strict.
  EXPECT_EQ(exit_code({result(t, Verdict::Pass), result(t, Verdict::Fail, {"VSM-5-KEEPALIVE"})}, false), 0);
  EXPECT_EQ(exit_code({result(t, Verdict::Pass), result(t, Verdict::Fail, {"VSM-5-KEEPALIVE"})}, true), 1);
  // A failure naming no requirement (an expectation of the body) counts.
  EXPECT_EQ(exit_code({result(t, Verdict::Fail)}, false), 1);
}

TEST(Outputs, JunitMapsVerdicts) {
  TestCase t;
  t.id = "T-9";
  t.title = "a <title>";
  t.requirements = {"VSM-5-ACK"};
  std::vector<Result> rs{result(t, Verdict::Fail, {"VSM-5-ACK"}), result(t, Verdict::Inconclusive),
                         result(t, Verdict::NA)};
  rs[0].reason = "expected x & y";
  RunMeta meta;
  meta.role = "agent";
  meta.implementation = "impl";
  const std::string xml = junit_xml(rs, meta);
  EXPECT_NE(xml.find("<failure type=\"fail\" message=\"expected x &amp; y\""), std::string::npos);
  EXPECT_NE(xml.find("<error type=\"inconclusive\""), std::string::npos);
  EXPECT_NE(xml.find("<skipped"), std::string::npos);
  EXPECT_NE(xml.find("a &lt;title&gt;"), std::string::npos);
  EXPECT_NE(xml.find("<property name=\"requirement\" value=\"VSM-5-ACK\"/>"), std::string::npos);
  // Blame where it belongs: the failed requirement FAIL, the inconclusive test's "not reached".
  EXPECT_NE(xml.find("<property name=\"requirement-outcome\" value=\"VSM-5-ACK FAIL\"/>"), std::string::npos);
  EXPECT_NE(xml.find("<property name=\"requirement-outcome\" value=\"VSM-5-ACK not reached\"/>"), std::string::npos);
}

// What a test did not record (--record-limit, --record-messages) is said by JSON, JUnit, TAP and HTML alike.
TEST(Outputs, EveryOutputSaysWhatWasNotRecorded) {
  TestCase t;
  t.id = "T-2";
  t.title = "a flood";
  std::vector<Result> rs{result(t, Verdict::Fail), result(t, Verdict::Pass)};
  rs[0].not_recorded.messages = 763;
  rs[0].not_recorded.bytes = 48'000'000;
  const std::string text = rs[0].not_recorded.text();
  EXPECT_EQ(text, "… 48 MB more not recorded (763 messages, 48000000 bytes)");
  RunMeta meta;
  meta.role = "agent";
  const auto js = nlohmann::json::parse(json_text(rs, meta, 1));
  EXPECT_EQ(js["tests"][0]["not_recorded"]["bytes"], 48'000'000);
  EXPECT_EQ(js["tests"][0]["not_recorded"]["text"], text);
  EXPECT_EQ(js["tests"][1]["not_recorded"]["messages"], 0);  // always there: zeros when nothing was left out
  EXPECT_NE(junit_xml(rs, meta).find("<property name=\"not-recorded\" value=\"" + text), std::string::npos);
  EXPECT_NE(tap_text(rs).find("  not_recorded: {messages: 763, bytes: 48000000"), std::string::npos);
  Suite suite;
  EXPECT_NE(report_html(rs, meta, Profile{}, suite, 1).find(text), std::string::npos);
}

// A decode text is cut at kSummaryCut octets, never inside a UTF-8 character.
TEST(Outputs, DecodeTextIsCutAtTheDocumentedLength) {
  EXPECT_EQ(cut_text("short"), "short");
  const std::string cut = cut_text(std::string(kSummaryCut - 1, 'x') + "\u2192\u2192");
  EXPECT_EQ(cut, std::string(kSummaryCut - 1, 'x') + "…");
  EXPECT_EQ(cut_text(std::string(100000, 'y')).size(), kSummaryCut + std::string("…").size());
}

// A stopped test fails only the requirement its check named; the console table, the HTML and the JSON agree.
TEST(Outputs, BlameOnlyTheFailedRequirement) {
  TestCase t;
  t.id = "T-1";
  t.title = "two requirements";
  t.requirements = {"VSM-5-ACK", "VSM-6.1-LENGTH"};
  std::vector<Result> rs{result(t, Verdict::Fail, {"VSM-5-ACK"})};
  RunMeta meta;
  meta.role = "agent";
  const auto js = nlohmann::json::parse(json_text(rs, meta, 1));
  const auto& outcomes = js["tests"][0]["requirement_outcomes"];
  ASSERT_EQ(outcomes.size(), 2u);
  EXPECT_EQ(outcomes[0]["outcome"], "FAIL");
  EXPECT_EQ(outcomes[1]["outcome"], "not reached");
  Suite suite;
  const std::string page = report_html(rs, meta, Profile{}, suite, 1);
  const auto row = [&](const std::string& id) {
    const auto at = page.find("<tr><td>" + id + "</td>");
    return at == std::string::npos ? std::string() : page.substr(at, page.find("</tr>", at) - at);
  };
  EXPECT_NE(row("VSM-5-ACK").find(">FAIL</span>"), std::string::npos) << row("VSM-5-ACK");
  EXPECT_EQ(row("VSM-6.1-LENGTH").find("FAIL"), std::string::npos) << row("VSM-6.1-LENGTH");
  EXPECT_NE(row("VSM-6.1-LENGTH").find("not reached"), std::string::npos);
  char buf[4096] = {};
  std::FILE* f = fmemopen(buf, sizeof buf - 1, "w");
  print_summary(f, rs, false);
  std::fclose(f);
  const std::string table(buf);
  const auto line = [&](const std::string& id) {
    const auto at = table.find(id + " ");
    return at == std::string::npos ? std::string() : table.substr(at, table.find('\n', at) - at);
  };
  EXPECT_NE(line("VSM-5-ACK").find("FAIL"), std::string::npos) << table;
  EXPECT_EQ(line("VSM-6.1-LENGTH").find("FAIL"), std::string::npos) << table;
  EXPECT_NE(line("VSM-6.1-LENGTH").find("not reached"), std::string::npos) << table;
}

// Outputs are written atomically and checked before the run.
TEST(Outputs, AtomicWriteAndChecks) {
  std::string error;
  EXPECT_FALSE(check_output_file("/nonexistent/dir/x.html", error));
  EXPECT_NE(error.find("No such file or directory"), std::string::npos) << error;
  EXPECT_FALSE(check_output_file(fs::temp_directory_path().string(), error));
  const std::string path = (fs::temp_directory_path() / ("vsm-conform-unit-" + std::to_string(::getpid()))).string();
  EXPECT_TRUE(check_output_file(path, error)) << error;
  EXPECT_FALSE(fs::exists(path));  // the check leaves nothing behind
  Outputs out;
  ASSERT_TRUE(out.write_text(path, "json", "abc", error)) << error;
  ASSERT_EQ(out.written().size(), 1u);
  // SHA-256("abc"), FIPS 180-2 appendix B.1.
  EXPECT_EQ(out.written()[0].sha256, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(out.written()[0].size, 3u);
  EXPECT_FALSE(out.write(
      path, "json", [](const std::string&, std::string& e) { return e = "refused", false; }, error));
  EXPECT_NE(error.find("refused"), std::string::npos);
  std::ifstream in(path);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}), "abc");  // a failed write leaves the old file
  std::size_t left = 0;
  for (const auto& e : fs::directory_iterator(fs::temp_directory_path())) {
    left += e.path().filename().string().rfind(".vsm-conform-unit-" + std::to_string(::getpid()), 0) == 0;
  }
  EXPECT_EQ(left, 0u);  // no temporary file left behind
  fs::remove(path);
}

}  // namespace
}  // namespace vsm::conform
