// SPDX-License-Identifier: GPL-2.0-or-later
// Result outputs: console summary per requirement, JUnit XML, TAP 14, JSON, the manifest.
#include "output.hpp"

#include <fmt/format.h>

#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "exit_status.hpp"
#include "vsm/catalogue.hpp"
#include "xml.hpp"

namespace vsm::conform {

namespace {

using text_out::xml_escape;

std::string join(const std::vector<std::string>& v, const char* sep) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : sep) + x;
  return s;
}

}  // namespace

bool fail_counts(const Result& r, bool strict) {
  if (r.verdict != Verdict::Fail) return false;
  if (strict || r.failed_reqs.empty()) return true;
  for (const auto& id : r.failed_reqs) {
    const Requirement* q = find_requirement(id);
    if (!q || q->level != Level::Should) return true;
  }
  return false;
}

int exit_code(const std::vector<Result>& results, bool strict) {
  bool fail = false, inconclusive = false, pass = false;
  for (const auto& r : results) {
    if (fail_counts(r, strict)) fail = true;
    if (r.verdict == Verdict::Inconclusive || r.verdict == Verdict::Error) inconclusive = true;
    if (r.verdict == Verdict::Pass) pass = true;
  }
  if (fail) return cli::kExitFindings;
  if (inconclusive || !pass) return cli::kExitUndecided;
  return cli::kExitOk;
}

std::string ReqSummary::text(bool should, bool strict) const {
  if (fail) return should && !strict ? "FAIL (SHOULD)" : "FAIL";
  if (not_reached) return "not reached";
  if (pass) return "pass";
  return "NA";
}

void print_summary(std::FILE* out, const std::vector<Result>& results, bool strict) {
  std::map<Verdict, int> totals;
  for (const auto& r : results) ++totals[r.verdict];
  // Per requirement: what each test naming it says of it (a stopped test fails only what its check names).
  std::map<std::string, ReqSummary> per;
  for (const auto& r : results) {
    for (const auto& v : requirement_verdicts(r)) {
      auto& s = per[v.id];
      switch (v.outcome) {
        case ReqOutcome::Pass: ++s.pass; break;
        case ReqOutcome::Fail: ++s.fail; break;
        case ReqOutcome::NotReached: ++s.not_reached; break;
        case ReqOutcome::NA: ++s.na; break;
      }
    }
  }
  fmt::print(out, "\n{:<30} {:<8} {:>5} {:>5} {:>7} {:>5}  {}\n", "requirement", "level", "pass", "fail", "not-rch",
             "NA", "result");
  for (const auto& req : catalogue()) {
    auto it = per.find(std::string(req.id));
    if (it == per.end()) continue;
    const auto& m = it->second;
    fmt::print(out, "{:<30} {:<8} {:>5} {:>5} {:>7} {:>5}  {}\n", req.id, level_name(req.level), m.pass, m.fail,
               m.not_reached, m.na, m.text(req.level == Level::Should, strict));
  }
  fmt::print(out, "\n{} test(s): {} pass, {} fail, {} inconclusive, {} error, {} NA\n", results.size(),
             totals[Verdict::Pass], totals[Verdict::Fail], totals[Verdict::Inconclusive], totals[Verdict::Error],
             totals[Verdict::NA]);
}

// JUnit mapping: fail -> <failure>, error -> <error>, inconclusive -> <error type="inconclusive">
// (the test could not reach the point under test: not a pass, not a proven fault),
// NA -> <skipped>. Every testcase carries properties verdict, requirement, failed-requirement and
// requirement-outcome ("ID outcome", from requirement_verdicts).
std::string junit_xml(const std::vector<Result>& results, const RunMeta& meta) {
  std::string o;
  int failures = 0, errors = 0, skipped = 0;
  double total = 0;
  for (const auto& r : results) {
    failures += r.verdict == Verdict::Fail;
    errors += r.verdict == Verdict::Error || r.verdict == Verdict::Inconclusive;
    skipped += r.verdict == Verdict::NA;
    total += r.seconds;
  }
  o += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  o += fmt::format(
      "<testsuites name=\"vsm-conform\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{:.3f}\">\n",
      results.size(), failures, errors, skipped, total);
  o += fmt::format(
      "<testsuite name=\"vsm-conform.{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{:.3f}\"",
      meta.role, results.size(), failures, errors, skipped, total);
  if (!meta.started.empty()) o += fmt::format(" timestamp=\"{}\"", xml_escape(meta.started));
  if (!meta.host.empty()) o += fmt::format(" hostname=\"{}\"", xml_escape(meta.host));
  o += ">\n<properties>\n";
  auto prop = [&](const char* name, const std::string& value) {
    o += fmt::format("<property name=\"{}\" value=\"{}\"/>\n", name, xml_escape(value));
  };
  prop("implementation", meta.implementation);
  prop("suite-hash", meta.suite_hash);
  prop("tool-version", meta.tool_version);
  if (!meta.codec_version.empty()) prop("codec-version", meta.codec_version);
  if (!meta.draft.empty()) prop("draft", meta.draft);
  if (!meta.profile.sha256.empty()) prop("profile-sha256", meta.profile.sha256);
  o += "</properties>\n";
  for (const auto& r : results) {
    o += fmt::format("<testcase classname=\"vsm-conform.{}\" name=\"{}\" time=\"{:.3f}\">\n", meta.role,
                     xml_escape(r.test->id + " " + r.test->title), r.seconds);
    o += "<properties>\n";
    prop("verdict", verdict_name(r.verdict));
    for (const auto& id : r.test->requirements) prop("requirement", id);
    for (const auto& id : r.failed_reqs) prop("failed-requirement", id);
    for (const auto& v : requirement_verdicts(r)) {
      std::string value = v.id;
      value += ' ';
      value += req_outcome_name(v.outcome);
      prop("requirement-outcome", value);
    }
    if (r.not_recorded.any()) prop("not-recorded", r.not_recorded.text());
    o += "</properties>\n";
    const std::string msg = xml_escape(r.reason);
    switch (r.verdict) {
      case Verdict::Fail: o += fmt::format("<failure type=\"fail\" message=\"{}\">{}</failure>\n", msg, msg); break;
      case Verdict::Error: o += fmt::format("<error type=\"error\" message=\"{}\">{}</error>\n", msg, msg); break;
      case Verdict::Inconclusive:
        o += fmt::format("<error type=\"inconclusive\" message=\"{}\">{}</error>\n", msg, msg);
        break;
      case Verdict::NA: o += fmt::format("<skipped message=\"NA: {}\"/>\n", msg); break;
      case Verdict::Pass: break;
    }
    std::vector<std::string> out = r.notes;
    if (r.not_recorded.any()) out.push_back(r.not_recorded.text());
    if (!out.empty()) o += "<system-out>" + xml_escape(join(out, "\n")) + "</system-out>\n";
    o += "</testcase>\n";
  }
  o += "</testsuite>\n</testsuites>\n";
  return o;
}

std::string tap_text(const std::vector<Result>& results) {
  std::ostringstream o;
  o << "TAP version 14\n1.." << results.size() << "\n";
  int n = 0;
  for (const auto& r : results) {
    ++n;
    const bool ok = r.verdict == Verdict::Pass || r.verdict == Verdict::NA;
    o << (ok ? "ok " : "not ok ") << n << " - " << r.test->id << " " << r.test->title;
    if (r.verdict == Verdict::NA) o << " # SKIP " << r.reason;
    o << "\n  ---\n  verdict: " << verdict_name(r.verdict) << "\n  requirements: [" << join(r.test->requirements, ", ")
      << "]\n";
    if (!r.failed_reqs.empty()) {
      o << "  failed_requirements: [" << join({r.failed_reqs.begin(), r.failed_reqs.end()}, ", ") << "]\n";
    }
    if (r.verdict != Verdict::Pass && r.verdict != Verdict::NA) {
      nlohmann::json reason = r.reason;
      o << "  reason: " << reason.dump() << "\n";
    }
    if (r.not_recorded.any()) {
      const auto& n = r.not_recorded;
      nlohmann::json text = n.text();
      o << "  not_recorded: {messages: " << n.messages << ", bytes: " << n.bytes << ", dropped: " << n.dropped
        << ", dropped_bytes: " << n.dropped_bytes << ", text: " << text.dump() << "}\n";
    }
    o << "  ...\n";
  }
  return o.str();
}

namespace {

nlohmann::json meta_json(const RunMeta& meta) {
  nlohmann::json j;
  j["tool"] = "vsm-conform";
  j["tool_version"] = meta.tool_version;
  j["codec_version"] = meta.codec_version;
  j["draft"] = meta.draft;
  j["started"] = meta.started;
  j["host"] = meta.host;
  j["duration_s"] = std::round(meta.duration * 1000) / 1000;
  j["role_under_test"] = meta.role;
  j["implementation"] = meta.implementation;
  j["suite_hash"] = meta.suite_hash;
  auto& files = j["suite_files"] = nlohmann::json::array();
  for (const auto& f : meta.suite_files) files.push_back({{"path", f.path}, {"sha256", f.sha256}});
  if (!meta.profile.path.empty()) {
    j["profile"] = {{"path", meta.profile.path}, {"sha256", meta.profile.sha256}, {"version", meta.profile_version}};
  }
  if (!meta.command_line.empty()) j["command_line"] = meta.command_line;
  return j;
}

}  // namespace

std::string json_text(const std::vector<Result>& results, const RunMeta& meta, int exit) {
  nlohmann::json j = meta_json(meta);
  j["exit_code"] = exit;
  j["strict"] = meta.strict;
  auto& tests = j["tests"] = nlohmann::json::array();
  for (const auto& r : results) {
    nlohmann::json t;
    t["id"] = r.test->id;
    t["title"] = r.test->title;
    t["requirements"] = r.test->requirements;
    t["groups"] = r.test->groups;
    t["verdict"] = verdict_name(r.verdict);
    t["reason"] = r.reason;
    if (r.verdict == Verdict::NA) t["na_why"] = na_why_name(r.na_why);
    t["failed_requirements"] = r.failed_reqs;
    auto& rv = t["requirement_outcomes"] = nlohmann::json::array();
    for (const auto& v : requirement_verdicts(r))
      rv.push_back({{"id", v.id}, {"outcome", req_outcome_name(v.outcome)}});
    t["notes"] = r.notes;
    t["seconds"] = std::round(r.seconds * 1e6) / 1e6;
    t["waited"] = std::round(r.waited * 1e6) / 1e6;
    auto& lad = t["messages"] = nlohmann::json::array();
    for (const auto& e : r.ladder) {
      nlohmann::json m{{"t", std::round(e.t * 1e6) / 1e6},
                       {"dir", e.from_runner ? "runner->iut" : "iut->runner"},
                       {"conn", e.conn},
                       {"summary", e.summary}};
      if (!e.findings.empty()) m["findings"] = e.findings;
      lad.push_back(std::move(m));
    }
    const auto& n = r.not_recorded;
    t["not_recorded"] = {{"messages", n.messages},
                         {"bytes", n.bytes},
                         {"dropped", n.dropped},
                         {"dropped_bytes", n.dropped_bytes},
                         {"text", n.text()}};
    tests.push_back(std::move(t));
  }
  return j.dump(1) + "\n";
}

std::string manifest_json(const RunMeta& meta, const std::vector<Written>& outputs, int exit) {
  nlohmann::json j = meta_json(meta);
  j["exit_code"] = exit;
  auto& o = j["outputs"] = nlohmann::json::array();
  for (const auto& w : outputs) {
    nlohmann::json x{{"path", w.path}, {"kind", w.kind}, {"sha256", w.sha256}, {"size", w.size}};
    if (!w.test.empty()) x["test"] = w.test;
    o.push_back(std::move(x));
  }
  return j.dump(1) + "\n";
}

}  // namespace vsm::conform
