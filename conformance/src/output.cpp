// SPDX-License-Identifier: GPL-2.0-or-later
// Result outputs: console summary per requirement, JUnit XML, TAP 14, JSON.
#include "output.hpp"

#include <fmt/format.h>

#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

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
  if (fail) return 1;
  if (inconclusive || !pass) return 2;
  return 0;
}

void print_summary(std::FILE* out, const std::vector<Result>& results, bool strict) {
  std::map<Verdict, int> totals;
  for (const auto& r : results) ++totals[r.verdict];
  // Per requirement: the verdicts of the tests that name it.
  std::map<std::string, std::map<Verdict, int>> per;
  for (const auto& r : results) {
    for (const auto& id : r.test->requirements) ++per[id][r.verdict];
    for (const auto& id : r.failed_reqs) {
      if (std::find(r.test->requirements.begin(), r.test->requirements.end(), id) == r.test->requirements.end()) {
        ++per[id][Verdict::Fail];
      }
    }
  }
  fmt::print(out, "\n{:<30} {:<8} {:>5} {:>5} {:>5} {:>5} {:>5}  {}\n", "requirement", "level", "pass", "fail", "inc",
             "err", "NA", "result");
  for (const auto& req : catalogue()) {
    auto it = per.find(std::string(req.id));
    if (it == per.end()) continue;
    auto& m = it->second;
    const char* overall = m[Verdict::Fail] ? (req.level == Level::Should && !strict ? "FAIL (SHOULD)" : "FAIL")
                          : (m[Verdict::Inconclusive] || m[Verdict::Error]) ? "INCONCLUSIVE"
                          : m[Verdict::Pass]                                ? "pass"
                                                                            : "NA";
    fmt::print(out, "{:<30} {:<8} {:>5} {:>5} {:>5} {:>5} {:>5}  {}\n", req.id, level_name(req.level), m[Verdict::Pass],
               m[Verdict::Fail], m[Verdict::Inconclusive], m[Verdict::Error], m[Verdict::NA], overall);
  }
  fmt::print(out, "\n{} test(s): {} pass, {} fail, {} inconclusive, {} error, {} NA\n", results.size(),
             totals[Verdict::Pass], totals[Verdict::Fail], totals[Verdict::Inconclusive], totals[Verdict::Error],
             totals[Verdict::NA]);
}

// JUnit mapping: fail -> <failure>, error -> <error>, inconclusive -> <error type="inconclusive">
// (the test could not reach the point under test: not a pass, not a proven fault),
// NA -> <skipped>. Every testcase carries properties verdict and requirement.
void write_junit(const std::string& path, const std::vector<Result>& results, const RunMeta& meta) {
  std::ofstream o(path);
  int failures = 0, errors = 0, skipped = 0;
  double total = 0;
  for (const auto& r : results) {
    failures += r.verdict == Verdict::Fail;
    errors += r.verdict == Verdict::Error || r.verdict == Verdict::Inconclusive;
    skipped += r.verdict == Verdict::NA;
    total += r.seconds;
  }
  o << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  o << fmt::format(
      "<testsuites name=\"vsm-conform\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{:.3f}\">\n",
      results.size(), failures, errors, skipped, total);
  o << fmt::format(
      "<testsuite name=\"vsm-conform.{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{:.3f}\">\n",
      meta.role, results.size(), failures, errors, skipped, total);
  o << "<properties>\n";
  o << fmt::format("<property name=\"implementation\" value=\"{}\"/>\n", xml_escape(meta.implementation));
  o << fmt::format("<property name=\"suite-hash\" value=\"{}\"/>\n", xml_escape(meta.suite_hash));
  o << fmt::format("<property name=\"tool-version\" value=\"{}\"/>\n", xml_escape(meta.tool_version));
  o << "</properties>\n";
  for (const auto& r : results) {
    o << fmt::format("<testcase classname=\"vsm-conform.{}\" name=\"{}\" time=\"{:.3f}\">\n", meta.role,
                     xml_escape(r.test->id + " " + r.test->title), r.seconds);
    o << "<properties>\n";
    o << fmt::format("<property name=\"verdict\" value=\"{}\"/>\n", verdict_name(r.verdict));
    for (const auto& id : r.test->requirements) {
      o << fmt::format("<property name=\"requirement\" value=\"{}\"/>\n", xml_escape(id));
    }
    for (const auto& id : r.failed_reqs) o << fmt::format("<property name=\"failed-requirement\" value=\"{}\"/>\n", id);
    o << "</properties>\n";
    const std::string msg = xml_escape(r.reason);
    switch (r.verdict) {
      case Verdict::Fail: o << fmt::format("<failure type=\"fail\" message=\"{}\">{}</failure>\n", msg, msg); break;
      case Verdict::Error: o << fmt::format("<error type=\"error\" message=\"{}\">{}</error>\n", msg, msg); break;
      case Verdict::Inconclusive:
        o << fmt::format("<error type=\"inconclusive\" message=\"{}\">{}</error>\n", msg, msg);
        break;
      case Verdict::NA: o << fmt::format("<skipped message=\"NA: {}\"/>\n", msg); break;
      case Verdict::Pass: break;
    }
    if (!r.notes.empty()) o << "<system-out>" << xml_escape(join(r.notes, "\n")) << "</system-out>\n";
    o << "</testcase>\n";
  }
  o << "</testsuite>\n</testsuites>\n";
}

void write_tap(const std::string& path, const std::vector<Result>& results) {
  std::ofstream file;
  std::ostream* o = &std::cout;
  if (path != "-") {
    file.open(path);
    o = &file;
  }
  *o << "TAP version 14\n1.." << results.size() << "\n";
  int n = 0;
  for (const auto& r : results) {
    ++n;
    const bool ok = r.verdict == Verdict::Pass || r.verdict == Verdict::NA;
    *o << (ok ? "ok " : "not ok ") << n << " - " << r.test->id << " " << r.test->title;
    if (r.verdict == Verdict::NA) *o << " # SKIP " << r.reason;
    *o << "\n  ---\n  verdict: " << verdict_name(r.verdict) << "\n  requirements: [" << join(r.test->requirements, ", ")
       << "]\n";
    if (r.verdict != Verdict::Pass && r.verdict != Verdict::NA) {
      nlohmann::json reason = r.reason;
      *o << "  reason: " << reason.dump() << "\n";
    }
    *o << "  ...\n";
  }
}

void write_json(const std::string& path, const std::vector<Result>& results, const RunMeta& meta, int exit) {
  nlohmann::json j;
  j["tool"] = "vsm-conform";
  j["tool_version"] = meta.tool_version;
  j["role_under_test"] = meta.role;
  j["implementation"] = meta.implementation;
  j["suite_hash"] = meta.suite_hash;
  j["exit_code"] = exit;
  auto& tests = j["tests"] = nlohmann::json::array();
  for (const auto& r : results) {
    nlohmann::json t;
    t["id"] = r.test->id;
    t["title"] = r.test->title;
    t["requirements"] = r.test->requirements;
    t["groups"] = r.test->groups;
    t["verdict"] = verdict_name(r.verdict);
    t["reason"] = r.reason;
    t["failed_requirements"] = r.failed_reqs;
    t["notes"] = r.notes;
    t["seconds"] = r.seconds;
    t["waited"] = r.waited;
    auto& lad = t["messages"] = nlohmann::json::array();
    for (const auto& e : r.ladder) {
      lad.push_back({{"t", e.t},
                     {"dir", e.from_runner ? "runner->iut" : "iut->runner"},
                     {"conn", e.conn},
                     {"summary", e.summary}});
    }
    tests.push_back(std::move(t));
  }
  std::ofstream(path) << j.dump(1) << "\n";
}

}  // namespace vsm::conform

namespace vsm::conform {

namespace {

std::string html(const std::string& s) { return xml_escape(s); }

const char* verdict_colour(Verdict v) {
  switch (v) {
    case Verdict::Pass: return "#2e7d32";
    case Verdict::Fail: return "#c62828";
    case Verdict::Inconclusive: return "#ef6c00";
    case Verdict::Error: return "#6a1b9a";
    case Verdict::NA: return "#757575";
  }
  return "#000";
}

// A message ladder: runner on the left, IUT on the right, one arrow per message.
std::string ladder_svg(const Result& r, const std::string& iut_label) {
  constexpr int kRow = 22, kTop = 30, kLeft = 140, kRight = 760, kMax = 300;
  const std::size_t n = std::min<std::size_t>(r.ladder.size(), kMax);
  const int h = kTop + static_cast<int>(n) * kRow + 20;
  std::string s = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"900\" height=\"{}\" font-family=\"monospace\" "
      "font-size=\"11\">\n<text x=\"{}\" y=\"16\" text-anchor=\"middle\" font-weight=\"bold\">vsm-conform</text>"
      "<text x=\"{}\" y=\"16\" text-anchor=\"middle\" font-weight=\"bold\">{}</text>\n"
      "<line x1=\"{}\" y1=\"22\" x2=\"{}\" y2=\"{}\" stroke=\"#999\"/><line x1=\"{}\" y1=\"22\" x2=\"{}\" y2=\"{}\" "
      "stroke=\"#999\"/>\n",
      h, kLeft, kRight, html(iut_label), kLeft, kLeft, h, kRight, kRight, h);
  const double t0 = r.ladder.empty() ? 0 : r.ladder.front().t;
  for (std::size_t i = 0; i < n; ++i) {
    const auto& e = r.ladder[i];
    const int y = kTop + static_cast<int>(i) * kRow + 12;
    s += fmt::format("<text x=\"4\" y=\"{}\" fill=\"#555\">{:+.3f}s {}</text>", y - 2, e.t - t0,
                     html(e.conn.empty() ? "" : "[" + e.conn + "]"));
    std::string label = e.summary;
    if (label.size() > 95) label = label.substr(0, 92) + "...";
    if (e.kind != Exchange::Kind::Data) {  // a log line or a closed connection
      s += fmt::format("<text x=\"{}\" y=\"{}\" fill=\"#1565c0\">{}</text>\n", kLeft + 10, y - 2, html(label));
      continue;
    }
    const int x1 = e.from_runner ? kLeft : kRight, x2 = e.from_runner ? kRight : kLeft;
    const int head = e.from_runner ? -8 : 8;
    s += fmt::format(
        "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#333\"/><polygon points=\"{},{} {},{} {},{}\"/>"
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\"><title>{}</title>{}</text>\n",
        x1, y, x2, y, x2, y, x2 + head, y - 4, x2 + head, y + 4, (kLeft + kRight) / 2, y - 3, html(e.summary),
        html(label));
  }
  if (r.ladder.size() > n) {
    s += fmt::format("<text x=\"{}\" y=\"{}\">... {} more message(s)</text>", kLeft + 10, h - 4, r.ladder.size() - n);
  }
  return s + "</svg>\n";
}

}  // namespace

void write_report(const std::string& path, const std::vector<Result>& results, const RunMeta& meta,
                  const Profile& profile, const Suite& suite, bool strict) {
  std::ofstream o(path);
  std::map<Verdict, int> totals;
  for (const auto& r : results) ++totals[r.verdict];
  const int code = exit_code(results, strict);
  o << "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>vsm-conform report: " << html(meta.implementation)
    << "</title>\n<style>body{font-family:sans-serif;margin:2em;max-width:1100px}"
       "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 6px;vertical-align:top;font-size:13px}"
       ".v{font-weight:bold;color:#fff;padding:1px 6px;border-radius:3px}pre{background:#f5f5f5;padding:8px;"
       "overflow-x:auto}details{margin:6px 0}</style></head><body>\n";
  o << "<h1>VSM conformance report</h1>\n<table>";
  o << "<tr><th>implementation</th><td>" << html(meta.implementation) << " (" << html(meta.role)
    << " under test)</td></tr>";
  o << "<tr><th>tool</th><td>vsm-conform " << html(meta.tool_version) << "</td></tr>";
  o << "<tr><th>suite</th><td>" << html(meta.suite_hash) << "<br>";
  for (const auto& f : suite.files) o << html(f) << "<br>";
  o << "</td></tr><tr><th>profile</th><td>" << html(profile.path.empty() ? "(none: defaults)" : profile.path)
    << "</td></tr>";
  o << "<tr><th>result</th><td>" << results.size() << " test(s): " << totals[Verdict::Pass] << " pass, "
    << totals[Verdict::Fail] << " fail, " << totals[Verdict::Inconclusive] << " inconclusive, "
    << totals[Verdict::Error] << " error, " << totals[Verdict::NA] << " NA; exit status " << code
    << (strict ? " (strict: SHOULD failures count)" : "") << "</td></tr></table>\n";
  if (profile.raw) {
    YAML::Emitter e;
    e << profile.raw;
    o << "<details><summary>profile contents</summary><pre>" << html(e.c_str()) << "</pre></details>\n";
  }
  // Per requirement.
  o << "<h2>Requirements</h2>\n<table><tr><th>ID</th><th>section</th><th>level</th><th>requirement</th>"
       "<th>tests and verdicts</th></tr>\n";
  for (const auto& req : catalogue()) {
    std::string cells;
    for (const auto& r : results) {
      const bool names = std::find(r.test->requirements.begin(), r.test->requirements.end(), std::string(req.id)) !=
                         r.test->requirements.end();
      if (!names && !r.failed_reqs.count(std::string(req.id))) continue;
      cells += fmt::format("<a href=\"#{}\">{}</a> <span class=\"v\" style=\"background:{}\">{}</span><br>",
                           html(r.test->id), html(r.test->id), verdict_colour(r.verdict), verdict_name(r.verdict));
    }
    if (cells.empty()) cells = "<i>not run</i>";
    o << "<tr><td>" << req.id << "</td><td>" << req.section << "</td><td>" << level_name(req.level) << "</td><td>"
      << html(std::string(req.sentence)) << "</td><td>" << cells << "</td></tr>\n";
  }
  o << "</table>\n<h2>Tests</h2>\n";
  for (const auto& r : results) {
    o << "<h3 id=\"" << html(r.test->id) << "\">" << html(r.test->id)
      << " <span class=\"v\" style=\"background:" << verdict_colour(r.verdict) << "\">" << verdict_name(r.verdict)
      << "</span> " << html(r.test->title) << "</h3>\n<p>requirements: " << html(join(r.test->requirements, ", "))
      << "; " << fmt::format("{:.2f}", r.seconds) << " s</p>\n";
    if (r.verdict != Verdict::Pass) o << "<p><b>reason:</b> " << html(r.reason) << "</p>\n";
    for (const auto& n : r.notes) o << "<p>also: " << html(n) << "</p>\n";
    if (!r.ladder.empty()) {
      o << "<details" << (r.verdict == Verdict::Fail ? " open" : "") << "><summary>" << r.ladder.size()
        << " message(s)</summary>\n"
        << ladder_svg(r, meta.role == "agent" ? "agent under test" : "manager under test") << "</details>\n";
    }
  }
  o << "<h2>Not applicable</h2>\n<ul>";
  for (const auto& r : results) {
    if (r.verdict == Verdict::NA) o << "<li>" << html(r.test->id) << ": " << html(r.reason) << "</li>";
  }
  o << "</ul>\n</body></html>\n";
}

}  // namespace vsm::conform
