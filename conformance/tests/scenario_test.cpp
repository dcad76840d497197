// SPDX-License-Identifier: GPL-2.0-or-later
// The scenario module: the compiler (every mistake at once, with line,
// column and a near-miss suggestion), the checks that need the whole suite
// or the profile, the writer (round trips of every bundled suite and of
// every step kind) and the value text of recorded options.
#include "scenario.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <sstream>

#include "scenario_text.hpp"
#include "temp_file.hpp"

namespace vsm::conform {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> texts(const std::vector<Diagnostic>& d) {
  std::vector<std::string> out;
  for (const auto& x : d) out.push_back(x.text());
  return out;
}

std::vector<Diagnostic> compile(const TempFile& f) {
  std::vector<Diagnostic> d;
  compile_suite({f.path()}, d);
  return d;
}

std::string test_with(const std::string& body) {
  return "role: agent\ntests:\n  - id: T\n    title: t\n    requirements: [VSM-5-ACK]\n    body:\n" + body;
}

TEST(Scenario, ReportsEveryErrorWithLineAndColumn) {
  TempFile f(
      "role: agent\n"
      "fragments:\n"
      "  register: [{accept: {}}]\n"
      "tests:\n"
      "  - id: SIX-1\n"
      "    title: six mistakes\n"
      "    requirements: [VSM-5-AKC]\n"
      "    body:\n"
      "      - call: regster\n"
      "      - send: {type: keepalive, options: [{node_info.mem_totl: \"\"}]}\n"
      "      - expect: {type: ack, timout: 2}\n"
      "      - expcet: {type: ack}\n");
  const auto d = texts(compile(f));
  const std::string p = f.path();
  EXPECT_EQ(d, (std::vector<std::string>{
                   p + ":7:20: unknown requirement 'VSM-5-AKC' (did you mean VSM-5-ACK?)",
                   p + ":9:15: unknown fragment 'regster' (did you mean register?)",
                   p + ":10:22: unknown message type 'keepalive' (did you mean keep_alive?)",
                   p + ":10:44: unknown node_info item 'mem_totl' (did you mean mem_total?)",
                   p + ":11:29: expect: unknown key 'timout' (did you mean timeout?)",
                   p + ":12:9: unknown step 'expcet' (did you mean expect?)",
               }));
}

TEST(Scenario, SuggestsNearMissMessageType) {
  TempFile f(test_with("      - send: {type: keepalive}\n"));
  const auto d = compile(f);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].message, "unknown message type 'keepalive' (did you mean keep_alive?)");
  EXPECT_EQ(d[0].line, 7);
  EXPECT_EQ(d[0].column, 22);
}

TEST(Scenario, SuggestsNothingForAWordFarFromEveryKeyword) {
  TempFile f(test_with("      - send: {type: teleport}\n"));
  const auto d = compile(f);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].message,
            "unknown message type 'teleport' (expected registration, keep_alive, operation, status_update, "
            "deregistration, ack or error, or a number from 0 to 255)");
}

TEST(Scenario, ResolvesKeywordsToNumbersWhenCompiled) {
  TempFile f(test_with("      - send: {type: operation, op: move_session, code: failed, seq: 0x1000001}\n"));
  std::vector<Diagnostic> d;
  const Suite s = compile_suite({f.path()}, d);
  ASSERT_TRUE(d.empty()) << texts(d)[0];
  const auto& send = std::get<Send>(s.tests.at(0).body.at(0).what);
  EXPECT_EQ(std::get<std::uint8_t>(send.msg.type), u8(MsgType::Operation));
  EXPECT_EQ(std::get<std::uint8_t>(*send.msg.op), u8(Operation::MoveSession));
  EXPECT_EQ(std::get<std::uint8_t>(*send.msg.code), u8(ResultCode::Failed));
  EXPECT_EQ(std::get<std::uint32_t>(std::get<Arg<std::uint32_t>>(send.msg.seq)), 1u);  // 24 bits
}

TEST(Scenario, RejectsCallOfUnknownFragment) {
  TempFile f(test_with("      - call: no_such_fragment\n      - call: {name: other, args: {x: 1}}\n"));
  const auto d = texts(compile(f));
  EXPECT_EQ(d, (std::vector<std::string>{f.path() + ":7:15: unknown fragment 'no_such_fragment'",
                                         f.path() + ":8:22: unknown fragment 'other'"}));
}

TEST(Scenario, RejectsFragmentsThatCallThemselves) {
  TempFile f(
      "role: agent\nfragments:\n  a: [{call: b}]\n  b: [{call: a}]\n"
      "tests:\n  - {id: T, title: t, requirements: [VSM-5-ACK], body: [{call: a}]}\n");
  const auto d = compile(f);
  ASSERT_FALSE(d.empty());
  EXPECT_NE(d[0].message.find("calls itself"), std::string::npos) << d[0].text();
}

TEST(Scenario, RejectsAckOfAMessageNoExpectationKeeps) {
  TempFile f(
      test_with("      - accept: {}\n      - expect: {type: registration, as: registration}\n"
                "      - ack: {of: registraton}\n"));
  const auto d = compile(f);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].line, 9);
  EXPECT_NE(d[0].message.find("(did you mean registration?)"), std::string::npos) << d[0].text();
}

TEST(Scenario, RejectsAcceptWhenAManagerIsUnderTest) {
  TempFile f(
      "role: manager\nfragments:\n  hello: [{accept: {}}]\n"
      "tests:\n  - {id: M, title: t, requirements: [VSM-5-ACK], body: [{call: hello}]}\n");
  const auto d = compile(f);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].line, 3);
  EXPECT_NE(d[0].message.find("use connect"), std::string::npos) << d[0].text();
}

TEST(Scenario, RejectsValuesOfTheWrongType) {
  TempFile f(
      "role: agent\ntests:\n  - id: T\n    title: t\n    requirements: [VSM-5-ACK]\n"
      "    guard: soon\n    restarts_iut: maybe\n    body:\n"
      "      - send: {type: ack, seq: abc, options: [{node_id: x}, {ipv4: 10.0.0.300}]}\n"
      "      - wait: forever\n"
      "      - expect: {type: ack, timeout: ack, option: {port: seventy}}\n"
      "      - expect_none: {within: ack}\n");
  const auto d = texts(compile(f));
  const std::string p = f.path();
  EXPECT_EQ(d, (std::vector<std::string>{
                   p + ":6:12: guard: 'soon' is not a number of seconds",
                   p + ":7:19: restarts_iut must be true or false",
                   p + ":9:32: seq 'abc': expected a number from 0 to 4294967295",
                   p + ":9:57: node_id value 'x': expected a decimal number from 0 to 4294967295",
                   p + ":9:68: ipv4 value '10.0.0.300': expected an IPv4 address such as 192.0.2.1",
                   p + ":10:15: 'forever' is neither seconds nor negative, keepalive",
                   p + ":11:58: port value 'seventy': expected a port number from 0 to 65535",
                   p + ":12:31: 'ack' is neither seconds nor negative",
               }));
}

TEST(Scenario, ReportsYamlSyntaxErrorWithPosition) {
  TempFile f("role: agent\ntests:\n  - id: T\n    body: [{send: {type: ack}\n");
  const auto d = compile(f);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_GT(d[0].line, 0);
  EXPECT_EQ(d[0].message.rfind("YAML: ", 0), 0u) << d[0].text();
}

TEST(Scenario, StopsAtAliasesThatNestOrExpandWithoutEnd) {
  // A predicate that is its own `not:`, and a list of lists of aliases that expands to 10^8 options.
  TempFile nested(test_with("      - expect: &p {type: ack, not: *p}\n"));
  const auto d = compile(nested);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].message, "not: nested more than 8 deep");
  std::string big =
      "o1: &o1 [{node_id: 1}, {node_id: 1}, {node_id: 1}, {node_id: 1}, {node_id: 1}, {node_id: 1}, "
      "{node_id: 1}, {node_id: 1}, {node_id: 1}, {node_id: 1}]\n";
  std::string msgs = "[";
  for (int i = 0; i < 100; ++i) msgs += std::string(i ? ", " : "") + "{type: ack, options: *o1}";
  big += "m: &m " + msgs +
         "]\nrole: agent\ntests:\n  - id: T\n    title: t\n    requirements: [VSM-5-ACK]\n"
         "    body:\n";
  for (int i = 0; i < 2000; ++i) big += "      - batch: {messages: *m}\n";
  TempFile huge(big);
  const auto e = compile(huge);
  EXPECT_TRUE(std::any_of(e.begin(), e.end(), [](const Diagnostic& x) {
    return x.message.find("more than a million values") != std::string::npos;
  })) << texts(e).back();
}

TEST(Scenario, RejectsVariablesNeitherSuiteNorProfileDefines) {
  TempFile f(
      test_with("      - accept: {}\n      - expect: {type: registration, capture: {seen: seq}}\n"
                "      - send: {type: keep_alive, seq: $seen, options: [{node_id: $nod}]}\n"
                "      - expect: {type: ack, seq: $sent_seq, option: {function_id: $func_id}}\n"));
  std::vector<Diagnostic> d;
  const Suite s = compile_suite({f.path()}, d);
  ASSERT_TRUE(d.empty()) << texts(d)[0];
  Profile p;
  p.vars = {{"node", "3"}, {"func_id", "7"}};
  const auto v = check_variables(s, p);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].text(), f.path() +
                             ":9:66: unknown variable $nod: neither the suite nor the profile defines it (did you mean "
                             "$node?)");
  p.vars = {{"nod", "3"}};
  const auto w = check_variables(s, p, &s.tests[0]);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_NE(w[0].message.find("$func_id"), std::string::npos);
  // The defaults of the test's role count as defined ($node, $function of the agent's: variable_table).
  p.vars = {{"nod", "3"}, {"func_id", "7"}};
  EXPECT_TRUE(check_variables(s, p).empty());
  // A profile of the other role says nothing of these tests.
  p.vars.clear();
  p.role = IutRole::Manager;
  EXPECT_TRUE(check_variables(s, p).empty());
}

TEST(Scenario, ExpectationsSayWhichRequirementsTheyVerify) {
  TempFile f(
      test_with("      - accept: {}\n"
                "      - expect: {type: registration, verifies: [VSM-5-REGISTER-FIRST]}\n"
                "      - expect_none: {type: ack, verifies: [VSM-5-ACK-NOT-ACKED]}\n"
                "      - expect_close: {verifies: [VSM-5-NOPE]}\n"));
  std::vector<Diagnostic> d;
  const Suite s = compile_suite({f.path()}, d);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_NE(d[0].message.find("VSM-5-NOPE"), std::string::npos);
  const auto& body = s.tests.at(0).body;
  EXPECT_EQ(std::get<Expect>(body.at(1).what).verifies, Verifies{"VSM-5-REGISTER-FIRST"});
  EXPECT_EQ(std::get<ExpectNone>(body.at(2).what).verifies, Verifies{"VSM-5-ACK-NOT-ACKED"});
}

// The template `profile init` writes compiles clean, leaves no variable of the built-in suites undefined,
// and claims what the run without --profile assumes.
TEST(Profile, TemplateCompilesCleanAndSaysWhatTheDefaultAssumes) {
  const Suite s = load_suites({VSM_CONFORM_SUITES});
  for (const IutRole role : {IutRole::Agent, IutRole::Manager}) {
    std::ostringstream text;
    write_profile_template(role, s, text);
    TempFile f(text.str());
    std::vector<Diagnostic> d;
    const Profile p = compile_profile(f.path(), d);
    ASSERT_TRUE(d.empty()) << d[0].text();
    EXPECT_TRUE(check_variables(s, p).empty());
    const Profile dflt = default_profile(role);
    EXPECT_EQ(p.capabilities, dflt.capabilities) << role_keyword(role);
    EXPECT_EQ(p.vars, dflt.vars);
    EXPECT_EQ(p.role, role);
    EXPECT_TRUE(dflt.capabilities.count("add") && dflt.capabilities.count("move_session"));
    EXPECT_FALSE(dflt.capabilities.count("sctp"));  // SHOULD: the draft leaves it optional
    for (const auto& [name, tests] : profile_variables(s, role)) {
      EXPECT_TRUE(dflt.vars.count(name)) << name << " has no default";
    }
  }
}

TEST(Scenario, DescribesPredicatesWithTheValuesOfVariables) {
  TempFile f(
      test_with("      - expect: {type: ack, seq: $s, code: [failed, status_unknown], option: {node_id: $n}, "
                "not: {op: add}}\n"));
  std::vector<Diagnostic> d;
  const Suite s = compile_suite({f.path()}, d);
  ASSERT_TRUE(d.empty()) << texts(d)[0];
  const auto& e = std::get<Expect>(s.tests.at(0).body.at(0).what);
  const std::map<std::string, std::string> vars{{"s", "5"}, {"n", "3"}};
  const std::string text = describe(e.what.pred, [&](const Var& v) { return vars.at(v.name); });
  EXPECT_EQ(text, "type=ack seq=5 code=[failed, status_unknown] option={node_id: 3} not={op: add}");
  EXPECT_EQ(describe(Predicate{}, [](const Var& v) { return v.name; }), "any message");
}

TEST(Profile, ReportsEveryMistakeWithLineAndColumn) {
  TempFile f(
      "name: x\n"
      "timers: {ack: fast, negative_wiat: 1}\n"
      "triggers:\n"
      "  stop: {signal: KILL}\n"
      "  go: {cmnd: run}\n"
      "second_instance: perhaps\n");
  std::vector<Diagnostic> d;
  compile_profile(f.path(), d);
  const std::string p = f.path();
  EXPECT_EQ(texts(d), (std::vector<std::string>{
                          p + ":2:15: ack: 'fast' is not a number of seconds",
                          p + ":2:21: timers: unknown key 'negative_wiat' (did you mean negative_wait?)",
                          p + ":4:18: unknown signal 'KILL' (TERM, INT, HUP)",
                          p + ":5:8: trigger go: unknown key 'cmnd' (did you mean cmd?)",
                          p + ":6:18: second_instance must be true or false",
                      }));
}

// ---------------------------------------------------------------- the writer

void expect_round_trip(const ScenarioFile& f) {
  const std::string text = write_scenario(f, "written by a test\nsecond line");
  std::vector<Diagnostic> d;
  const ScenarioFile again = compile_text(text, "written.yaml", d);
  EXPECT_TRUE(d.empty()) << texts(d)[0] << "\n" << text;
  EXPECT_TRUE(again == f) << text;
  EXPECT_EQ(text.rfind("# written by a test\n# second line\n", 0), 0u) << text;
}

TEST(ScenarioWriter, RoundTripsEveryBundledSuite) {
  std::size_t files = 0;
  for (const auto& e : fs::directory_iterator(VSM_CONFORM_SUITES)) {
    if (e.path().extension() != ".yaml") continue;
    ++files;
    std::vector<Diagnostic> d;
    const ScenarioFile f = compile_file(e.path().string(), d);
    ASSERT_TRUE(d.empty()) << texts(d)[0];
    ASSERT_GT(f.tests.size(), 10u) << e.path();
    SCOPED_TRACE(e.path().string());
    expect_round_trip(f);
  }
  EXPECT_GE(files, 2u);
}

TEST(ScenarioWriter, RoundTripsEveryStepKind) {
  TempFile f(
      "suite: all\nrole: manager\ngroups: [g]\ndefaults: {guard: 12.5}\n"
      "fragments:\n  hello:\n    - connect: {conn: b, bind: 127.0.0.2, timeout: 3}\n"
      "tests:\n  - id: ALL\n    title: \"every step: once\"\n    description: all of them\n"
      "    requirements: [VSM-5-ACK]\n    groups: [h]\n    role: agent\n    capabilities: [add]\n"
      "    tolerate: [VSM-6.1-OPERATION]\n    guard: 3\n    restarts_iut: true\n    transport: sctp\n"
      "    policy: {auto_ack: false, settle_acks: false}\n"
      "    preamble: [{log: \"start {node}\"}]\n"
      "    body:\n"
      "      - accept: {conn: a, timeout: negative}\n"
      "      - send: {type: operation, op: add, subtype: 9, code: 128, seq: dup, capture_seq: q, split: [1, $cut],\n"
      "               options: [{node_id: $node}, {node_id: 4, length: 2}, {ipv6: \"::1\"}, {port: 7750},\n"
      "                         {function_info.name: \"sip:a b\"}, {node_info.mem_total: \"\"},\n"
      "                         {node_info.boot_time: now}, {session_info.contact: 192.0.2.1},\n"
      "                         {raw: {type: 99, sub: 1, hex: \"0102\"}}, {raw: {type: $t, text: hi}}],\n"
      "               length: 20, length_delta: -3, truncate: 6, prepend_hex: ff, append_hex: \"00 01\", literal: "
      "true}\n"
      "      - send: {type: 99, seq: 0xFFFFFF}\n"
      "      - batch: {conn: b, messages: [{type: keep_alive}, {type: keep_alive, seq: $q}]}\n"
      "      - garbage: {hex: \"ff ff\"}\n"
      "      - garbage: {bytes: 7, conn: b}\n"
      "      - expect: {conn: b, type: ack, op: $op, subtype: 0, seq: $q, code: [any, failure, successful],\n"
      "                 has: [node_id, node_info.mem_total], lacks: [function_id#2], nonzero: [node_info],\n"
      "                 option: {node_id#2: [1, $node], function_info.running_status: Running},\n"
      "                 count: {node_id: 2}, not: {code: $c}, capture: {x: seq, y: code, z: node_id#2, w: op},\n"
      "                 as: kept, timeout: 2}\n"
      "      - expect_all: {messages: [{type: ack, as: one}, {type: keep_alive, capture: {v: type}}], timeout: ack}\n"
      "      - expect_none: {type: ack, within: 0.25}\n"
      "      - expect_close: {timeout: $t}\n"
      "      - ack: {of: kept, code: failed, node: 9, seq: 4, subtype: 1, op: get, options: [{port: 1}],\n"
      "              length: 9, truncate: 3}\n"
      "      - ack: {no_node_id: true}\n"
      "      - wait: keepalive\n"
      "      - wait: 0.5\n"
      "      - close: {abort: true}\n"
      "      - reconnect: {conn: b, abort: true, bind: $addr, timeout: 1}\n"
      "      - spawn: {}\n"
      "      - trigger: plain\n"
      "      - trigger: {name: with_vars, node: $node, what: x}\n"
      "      - call: hello\n"
      "      - call: {name: hello, args: {a: 1, b: $node}}\n"
      "      - set: {p: 1, r: $p}\n"
      "    postamble: [{close: {}}]\n");
  std::vector<Diagnostic> d;
  const ScenarioFile file = compile_file(f.path(), d);
  ASSERT_TRUE(d.empty()) << texts(d)[0];
  ASSERT_EQ(file.tests.size(), 1u);
  EXPECT_EQ(file.tests[0].body.size(), 22u);
  std::set<std::size_t> kinds;
  for (const Steps* steps : {&file.tests[0].preamble, &file.tests[0].body, &file.fragments[0].steps}) {
    for (const auto& s : *steps) kinds.insert(s.what.index());
  }
  EXPECT_EQ(kinds.size(), std::variant_size_v<StepKind>);
  expect_round_trip(file);
}

TEST(ScenarioWriter, QuotesTextThatWouldReadBackAsSomethingElse) {
  ScenarioFile f;
  TestCase t;
  t.id = "Q";
  t.title = "yes";
  t.requirements = {"VSM-5-ACK"};
  for (const std::string v : {"", "no", "a, b", "{x}", "- y", "null", "#c", "x: y", "'q'", "\"d\"", " s"}) {
    Step s;
    s.what = Log{v};
    t.body.push_back(s);
  }
  f.tests.push_back(t);
  expect_round_trip(f);
}

// ---------------------------------------------------------------- value text

TEST(ScenarioText, RecordedOptionsReadBackAsTheSameBytes) {
  const std::vector<Option> recorded{
      Option::node_id(17),
      Option::function_id(0xFFFFFFFF),
      Option::port(7750),
      Option::ipv4({10, 0, 0, 1}),
      Option::ipv6({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}),
      Option::function_info(function_info::Name, "P-CSCF"),
      Option::empty(OptType::NodeInfo, node_info::TotalMemory),
      Option::ntp(OptType::NodeInfo, node_info::BootTime, NtpTime::from_unix(1700000000)),
      Option::raw(u8(OptType::SessionInfo), session_info::ContactAddress, std::array<std::uint8_t, 4>{192, 0, 2, 10}),
      Option::raw(99, 3, std::array<std::uint8_t, 2>{1, 2}),                         // unknown type
      Option::raw(u8(OptType::NodeId), 0, std::array<std::uint8_t, 3>{0, 0, 1}),     // wrong length
      Option::raw(u8(OptType::NodeId), 5, std::array<std::uint8_t, 4>{0, 0, 0, 1}),  // Sub-OP-Type on a fixed option
      Option::function_info(function_info::Name, std::string_view("a\x01\xff", 3)),  // not text
  };
  for (const Option& o : recorded) {
    const OptionItem item = text::option_item(o);
    Option back;
    if (const auto* k = std::get_if<KeyedOption>(&item.what)) {
      back = text::option(k->key, std::get<std::string>(k->value));
    } else {
      const auto& r = std::get<RawOption>(item.what);
      back = Option::raw(std::get<std::uint8_t>(r.type), std::get<std::uint8_t>(r.sub), r.hex);
    }
    EXPECT_EQ(back.type, o.type);
    EXPECT_EQ(back.subtype, o.subtype);
    EXPECT_EQ(back.value, o.value) << text::hex_text(o.value);
  }
}

}  // namespace
}  // namespace vsm::conform
