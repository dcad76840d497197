// SPDX-License-Identifier: GPL-2.0-or-later
// The HTML report: one self-contained page a certification lab can file.
// Identity of the run (date, host, duration, tool, codec, draft, suite and
// profile with SHA-256), the evidence files with their SHA-256, a verdict
// banner, the catalogue with a result per requirement (requirement_verdicts),
// each test with its ladder (inline SVG: labels sized and wrapped so they
// never overlap, the failing message marked), and what was not applicable,
// split into not claimed (the profile's PICS) and the rest.
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "output.hpp"
#include "vsm/catalogue.hpp"
#include "xml.hpp"

namespace vsm::conform {

namespace {

std::string html(std::string_view s) { return text_out::xml_escape(s); }

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

const char* outcome_colour(ReqOutcome o) {
  switch (o) {
    case ReqOutcome::Pass: return "#2e7d32";
    case ReqOutcome::Fail: return "#c62828";
    case ReqOutcome::NotReached: return "#ef6c00";
    case ReqOutcome::NA: return "#757575";
  }
  return "#000";
}

std::string badge(const char* colour, std::string_view text) {
  return fmt::format("<span class=\"v\" style=\"background:{}\">{}</span>", colour, html(text));
}

// Characters of a UTF-8 string (what a monospace font gives a cell each).
std::size_t columns(std::string_view s) {
  return static_cast<std::size_t>(std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

// Wraps text into lines of at most `width` columns, at spaces where there are any.
std::vector<std::string> wrap(const std::string& text, std::size_t width) {
  std::vector<std::string> lines;
  std::string line;
  std::size_t at = 0;
  while (at < text.size()) {
    std::size_t end = text.find(' ', at);
    if (end == std::string::npos) end = text.size();
    std::string word = text.substr(at, end - at);
    at = end + 1;
    while (columns(word) > width) {  // a word longer than a line: cut it
      if (!line.empty()) {
        lines.push_back(line);
        line.clear();
      }
      lines.push_back(word.substr(0, width));
      word = word.substr(width);
    }
    if (line.empty()) {
      line = word;
    } else if (columns(line) + 1 + columns(word) <= width) {
      line += ' ';
      line += word;
    } else {
      lines.push_back(line);
      line = word;
    }
  }
  if (!line.empty() || lines.empty()) lines.push_back(line);
  return lines;
}

// The message that failed the test: the first carrying a finding on a failed requirement, else the first with
// any finding. -1 when the failure was an expectation (no message carries it).
long failing_message(const Result& r) {
  if (r.verdict == Verdict::Pass || r.verdict == Verdict::NA) return -1;
  long any = -1;
  for (std::size_t i = 0; i < r.ladder.size(); ++i) {
    const auto& e = r.ladder[i];
    if (e.findings.empty()) continue;
    for (const auto& f : e.findings) {
      for (const auto& id : r.failed_reqs) {
        if (f.find(id) != std::string::npos) return static_cast<long>(i);
      }
    }
    if (any < 0) any = static_cast<long>(i);
  }
  return any;
}

// A message ladder: runner on the left, IUT on the right, one arrow per message, its label above it between the
// lifelines (never over an arrowhead), wrapped; the width follows the longest label up to a limit. The failing
// message has a red background and its findings under the arrow; an expectation failure is a last red row.
std::string ladder_svg(const Result& r, const std::string& iut_label) {
  constexpr double kCol = 6.7;          // px per character, monospace 11 px
  constexpr int kLine = 14;             // px per text line
  constexpr int kPad = 24;              // label to lifeline
  constexpr std::size_t kMax = 300;     // messages drawn
  constexpr std::size_t kMaxLines = 3;  // lines of a label
  const std::size_t n = std::min(r.ladder.size(), kMax);
  const long bad = failing_message(r);
  const double t0 = r.ladder.empty() ? 0 : r.ladder.front().t;
  auto stamp = [&](const Exchange& e) {
    return fmt::format("{:+.3f}s{}", e.t - t0, e.conn.empty() ? std::string() : " [" + e.conn + "]");
  };
  std::size_t stamp_cols = 0, label_cols = 0;
  for (std::size_t i = 0; i < n; ++i) {
    stamp_cols = std::max(stamp_cols, columns(stamp(r.ladder[i])));
    label_cols = std::max(label_cols, columns(r.ladder[i].summary));
  }
  const int left = std::max(60, static_cast<int>(stamp_cols * kCol) + 16 + 40);
  const int gap = std::clamp(static_cast<int>(label_cols * kCol) + 2 * kPad, 520, 1000);
  const int right = left + gap;
  const auto wrap_cols = static_cast<std::size_t>((gap - 2 * kPad) / kCol);
  const int width = right + std::max(90, static_cast<int>(columns(iut_label) * kCol / 2) + 16);

  struct Row {
    std::size_t index;
    std::vector<std::string> label, marks;
    int top = 0, height = 0;
  };
  std::vector<Row> rows;
  int y = 30;
  for (std::size_t i = 0; i < n; ++i) {
    const auto& e = r.ladder[i];
    Row row{i, wrap(e.summary, e.kind == Exchange::Kind::Data ? wrap_cols : wrap_cols + 4), {}};
    if (row.label.size() > kMaxLines) {  // the rest is in the tooltip
      row.label.resize(kMaxLines);
      row.label.back() = row.label.back().substr(0, wrap_cols - 4) + " ...";
    }
    if (static_cast<long>(i) == bad) {
      for (const auto& f : e.findings) {
        for (auto& l : wrap("\u2717 " + f, wrap_cols)) row.marks.push_back(std::move(l));
      }
    }
    row.top = y;
    row.height = static_cast<int>(row.label.size() + row.marks.size()) * kLine + 12;
    y += row.height;
    rows.push_back(std::move(row));
  }
  std::vector<std::string> tail;  // the failure no message carries: the expectation, where the test stopped
  if (bad < 0 && r.verdict != Verdict::Pass && r.verdict != Verdict::NA) {
    tail = wrap("\u2717 stopped here (" + std::string(verdict_name(r.verdict)) + "): " + r.reason, wrap_cols + 4);
  }
  const int tail_top = y;
  y += static_cast<int>(tail.size()) * kLine + (tail.empty() ? 0 : 10);
  if (r.ladder.size() > n) y += kLine;
  if (r.not_recorded.any()) y += kLine;
  const int height = y + 10;

  std::string s = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" font-family=\"monospace\" "
      "font-size=\"11\">\n<text x=\"{}\" y=\"16\" text-anchor=\"middle\" font-weight=\"bold\">vsm-conform</text>"
      "<text x=\"{}\" y=\"16\" text-anchor=\"middle\" font-weight=\"bold\">{}</text>\n"
      "<line x1=\"{}\" y1=\"22\" x2=\"{}\" y2=\"{}\" stroke=\"#999\"/><line x1=\"{}\" y1=\"22\" x2=\"{}\" y2=\"{}\" "
      "stroke=\"#999\"/>\n",
      width, height, left, right, html(iut_label), left, left, height, right, right, height);
  for (const auto& row : rows) {
    const auto& e = r.ladder[row.index];
    const bool failing = static_cast<long>(row.index) == bad;
    std::string title = e.summary;
    for (const auto& f : e.findings) title += "\nfinding " + f;
    s += fmt::format("<g{}><title>{}</title>", failing ? " class=\"failing\"" : "", html(title));
    if (failing) {
      s += fmt::format("<rect x=\"2\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"#ffebee\" stroke=\"#c62828\"/>",
                       row.top - 2, width - 4, row.height);
    }
    const int arrow = row.top + static_cast<int>(row.label.size()) * kLine + 4;
    s += fmt::format("<text x=\"4\" y=\"{}\" fill=\"#555\">{}</text>", arrow - 2, html(stamp(e)));
    if (e.kind != Exchange::Kind::Data) {  // a log line or a closed connection: text along the runner's lifeline
      for (std::size_t k = 0; k < row.label.size(); ++k) {
        s += fmt::format("<text x=\"{}\" y=\"{}\" fill=\"#1565c0\">{}</text>", left + 8,
                         row.top + static_cast<int>(k + 1) * kLine - 2, html(row.label[k]));
      }
      s += "</g>\n";
      continue;
    }
    const int x1 = e.from_runner ? left : right, x2 = e.from_runner ? right : left;
    const int head = e.from_runner ? -8 : 8;
    const char* colour = failing ? "#c62828" : "#333";
    s += fmt::format(
        "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{}\"/><polygon points=\"{},{} {},{} {},{}\" "
        "fill=\"{}\"/>",
        x1, arrow, x2, arrow, colour, x2, arrow, x2 + head, arrow - 4, x2 + head, arrow + 4, colour);
    for (std::size_t k = 0; k < row.label.size(); ++k) {  // last line's baseline 7 px above the arrow
      s += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>", (left + right) / 2,
                       arrow - 7 - static_cast<int>(row.label.size() - 1 - k) * kLine, html(row.label[k]));
    }
    for (std::size_t k = 0; k < row.marks.size(); ++k) {
      s += fmt::format("<text x=\"{}\" y=\"{}\" fill=\"#c62828\" font-weight=\"bold\">{}</text>", left + kPad,
                       arrow + static_cast<int>(k + 1) * kLine, html(row.marks[k]));
    }
    s += "</g>\n";
  }
  if (!tail.empty()) {
    s += fmt::format(
        "<g class=\"failing\"><title>{}</title><rect x=\"2\" y=\"{}\" width=\"{}\" height=\"{}\" "
        "fill=\"#ffebee\" stroke=\"#c62828\"/>",
        html(r.reason), tail_top + 2, width - 4, static_cast<int>(tail.size()) * kLine + 6);
    for (std::size_t k = 0; k < tail.size(); ++k) {
      s += fmt::format("<text x=\"{}\" y=\"{}\" fill=\"#c62828\" font-weight=\"bold\">{}</text>", left + 8,
                       tail_top + static_cast<int>(k + 1) * kLine, html(tail[k]));
    }
    s += "</g>\n";
  }
  int last = height - 6;
  if (r.not_recorded.any()) {  // what the runner counted but did not keep (--record-limit, --record-messages)
    s += fmt::format("<text x=\"{}\" y=\"{}\" fill=\"#c62828\">{}</text>\n", left + 8, last,
                     html(r.not_recorded.text()));
    last -= kLine;
  }
  if (r.ladder.size() > n) {
    s += fmt::format("<text x=\"{}\" y=\"{}\">... {} more message(s)</text>\n", left + 8, last, r.ladder.size() - n);
  }
  return s + "</svg>\n";
}

std::string relative_link(const std::string& target, const std::string& report) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path dir = fs::absolute(fs::path(report), ec).parent_path();
  const fs::path rel = fs::absolute(fs::path(target), ec).lexically_relative(dir);
  return rel.empty() ? target : rel.generic_string();
}

}  // namespace

std::string report_html(const std::vector<Result>& results, const RunMeta& meta, const Profile& profile,
                        const Suite& suite, int exit) {
  std::string o;
  std::map<Verdict, int> totals;
  for (const auto& r : results) ++totals[r.verdict];
  o += "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>vsm-conform report: " + html(meta.implementation) +
       "</title>\n<style>body{font-family:sans-serif;margin:2em;max-width:1300px}"
       "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 6px;vertical-align:top;font-size:13px;"
       "text-align:left}.v{font-weight:bold;color:#fff;padding:1px 6px;border-radius:3px;white-space:nowrap}"
       "pre{background:#f5f5f5;padding:8px;overflow-x:auto}details{margin:6px 0}code{font-size:12px}"
       ".banner{font-size:20px;font-weight:bold;color:#fff;padding:12px 16px;border-radius:4px;margin:1em 0}"
       ".mark{color:#c62828;font-weight:bold}svg{display:block}.scroll{overflow-x:auto}</style></head><body>\n";
  o += "<h1>VSM conformance report</h1>\n";
  // The banner: the run's verdict, as the exit status says it.
  const char* colour = exit == 0 ? "#2e7d32" : exit == 1 ? "#c62828" : "#ef6c00";
  std::string verdict = exit == 0   ? "PASS: every applicable test passed"
                        : exit == 1 ? fmt::format("FAIL: {} test(s) failed", totals[Verdict::Fail])
                                    : "UNDECIDED: no failure, but inconclusive or error verdicts, or nothing passed";
  o += fmt::format("<div class=\"banner\" id=\"verdict\" style=\"background:{}\">{}</div>\n", colour, html(verdict));
  o += "<table>";
  auto row = [&](const char* head, const std::string& cell_html) {
    o += "<tr><th>" + std::string(head) + "</th><td>" + cell_html + "</td></tr>\n";
  };
  row("implementation", html(meta.implementation) + " (" + html(meta.role) + " under test)");
  row("result",
      fmt::format("{} test(s): {} pass, {} fail, {} inconclusive, {} error, {} NA; exit status {}{}", results.size(),
                  totals[Verdict::Pass], totals[Verdict::Fail], totals[Verdict::Inconclusive], totals[Verdict::Error],
                  totals[Verdict::NA], exit, meta.strict ? " (strict: SHOULD failures count)" : ""));
  row("run started (UTC)", html(meta.started));
  row("duration", fmt::format("{:.2f} s", meta.duration));
  row("host", html(meta.host));
  row("tool", "vsm-conform " + html(meta.tool_version));
  row("codec", "vsm codec " + html(meta.codec_version));
  row("draft", html(meta.draft));
  if (!meta.command_line.empty()) row("command line", "<code>" + html(meta.command_line) + "</code>");
  std::string files = html(meta.suite_version) + "; digest <code>" + html(meta.suite_hash) + "</code><br>";
  for (const auto& f : meta.suite_files) {
    files += html(f.path) + "<br>SHA-256 <code>" + html(f.sha256) + "</code><br>";
  }
  row("suite", files);
  row("profile", meta.profile.path.empty()
                     ? std::string("(none: the draft's full PICS and the default variables)")
                     : html(meta.profile.path) +
                           (meta.profile_version.empty() ? "" : ", version " + html(meta.profile_version)) +
                           "<br>SHA-256 <code>" + html(meta.profile.sha256) + "</code>");
  std::string ev, other;
  for (const auto& w : meta.written) {
    const bool evidence = w.kind == "pcap" || w.kind == "pcap-test";
    (evidence ? ev : other) += fmt::format(
        "{}<a href=\"{}\">{}</a> ({} bytes)<br>SHA-256 <code>{}</code><br>", evidence ? "" : html(w.kind) + ": ",
        html(meta.report_path.empty() ? w.path : relative_link(w.path, meta.report_path)), html(w.path), w.size,
        html(w.sha256));
  }
  row("evidence", ev.empty() ? std::string("(none: run with --pcap FILE or --pcap-dir DIR)") : ev);
  if (!other.empty()) row("other outputs", other);
  o += "</table>\n";
  if (profile.raw) {
    YAML::Emitter e;
    e << profile.raw;
    o += "<details><summary>profile contents</summary><pre>" + html(e.c_str()) + "</pre></details>\n";
  }

  // Per requirement: a result over the run, and the outcome of each test naming it.
  std::set<std::string> this_role, other_role;  // requirements the suite's tests of each role name
  const IutRole role = meta.role == "manager" ? IutRole::Manager : IutRole::Agent;
  for (const auto& t : suite.tests) {
    for (const auto& id : t.requirements) (t.role == role ? this_role : other_role).insert(id);
  }
  o += "<h2>Requirements</h2>\n<table><tr><th>ID</th><th>section</th><th>level</th><th>requirement</th>"
       "<th>result</th><th>tests and outcomes</th></tr>\n";
  for (const auto& req : catalogue()) {
    const std::string id(req.id);
    ReqSummary sum;
    std::string cells;
    for (const auto& r : results) {
      for (const auto& v : requirement_verdicts(r)) {
        if (v.id != id) continue;
        switch (v.outcome) {
          case ReqOutcome::Pass: ++sum.pass; break;
          case ReqOutcome::Fail: ++sum.fail; break;
          case ReqOutcome::NotReached: ++sum.not_reached; break;
          case ReqOutcome::NA: ++sum.na; break;
        }
        cells += fmt::format("<a href=\"#{}\">{}</a> {}<br>", html(r.test->id), html(r.test->id),
                             badge(outcome_colour(v.outcome), req_outcome_name(v.outcome)));
      }
    }
    std::string result;
    if (!cells.empty()) {
      const std::string text = sum.text(req.level == Level::Should, meta.strict);
      const char* c = sum.fail ? "#c62828" : sum.not_reached ? "#ef6c00" : sum.pass ? "#2e7d32" : "#757575";
      result = badge(c, text);
    } else if (req.scope == Scope::NotObservable) {
      result = "<i>not observable on the wire</i>";
    } else if (!this_role.count(id) && other_role.count(id)) {
      result = "<i>other role</i>";
    } else if (this_role.count(id)) {
      result = "<i>not run (not selected)</i>";
    } else {
      result = "<i>no test</i>";
    }
    o += "<tr><td>" + id + "</td><td>" + std::string(req.section) + "</td><td>" + std::string(level_name(req.level)) +
         "</td><td>" + html(req.sentence) + "</td><td>" + result + "</td><td>" + cells + "</td></tr>\n";
  }
  o += "</table>\n<h2>Tests</h2>\n";
  for (const auto& r : results) {
    o += "<h3 id=\"" + html(r.test->id) + "\">" + html(r.test->id) + " " +
         badge(verdict_colour(r.verdict), verdict_name(r.verdict)) + " " + html(r.test->title) + "</h3>\n<p>";
    std::string reqs;
    for (const auto& v : requirement_verdicts(r)) {
      if (!reqs.empty()) reqs += ", ";
      reqs += html(v.id);
      if (v.outcome != ReqOutcome::Pass) reqs += " (" + std::string(req_outcome_name(v.outcome)) + ")";
    }
    o += "requirements: " + reqs + "; " + fmt::format("{:.2f}", r.seconds) + " s</p>\n";
    if (r.verdict != Verdict::Pass) o += "<p><b>reason:</b> " + html(r.reason) + "</p>\n";
    for (const auto& n : r.notes) o += "<p>also: " + html(n) + "</p>\n";
    if (r.not_recorded.any()) o += "<p class=\"mark\">" + html(r.not_recorded.text()) + "</p>\n";
    if (const long bad = failing_message(r); bad >= 0) {
      o += fmt::format("<p class=\"mark\">\u2717 failing message: #{} {}</p>\n", bad + 1,
                       html(r.ladder[static_cast<std::size_t>(bad)].summary));
    }
    if (!r.ladder.empty()) {
      o += std::string("<details") + (r.verdict == Verdict::Fail ? " open" : "") + "><summary>" +
           std::to_string(r.ladder.size()) + " message(s)</summary>\n<div class=\"scroll\">" +
           ladder_svg(r, meta.role == "agent" ? "agent under test" : "manager under test") + "</div></details>\n";
    }
  }
  o += "<h2>Not applicable</h2>\n<h3>Not claimed (the profile's PICS)</h3>\n<ul>";
  for (const auto& r : results) {
    if (r.verdict == Verdict::NA && r.na_why == Result::NaWhy::NotClaimed) {
      o += "<li>" + html(r.test->id) + ": " + html(r.reason) + "</li>";
    }
  }
  o += "</ul>\n<h3>Not applicable in this run (a trigger, a command or the other transport)</h3>\n<ul>";
  for (const auto& r : results) {
    if (r.verdict == Verdict::NA && r.na_why != Result::NaWhy::NotClaimed) {
      o += "<li>" + html(r.test->id) + " (" + na_why_name(r.na_why) + "): " + html(r.reason) + "</li>";
    }
  }
  o += "</ul>\n<h3>Not observable on the wire</h3>\n<ul>";
  for (const auto& req : catalogue()) {
    if (req.scope == Scope::NotObservable) {
      o += "<li>" + std::string(req.id) + " (" + std::string(req.section) + "): " + html(req.sentence) + "</li>";
    }
  }
  o += "</ul>\n</body></html>\n";
  return o;
}

}  // namespace vsm::conform
