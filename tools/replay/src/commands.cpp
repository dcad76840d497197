// SPDX-License-Identifier: GPL-2.0-or-later
#include "commands.hpp"

#include <boost/program_options.hpp>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <ctime>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "cli.hpp"
#include "live.hpp"
#include "reader.hpp"
#include "vsm/catalogue.hpp"
#include "vsm/dictionary.hpp"
#include "vsm/keywords.hpp"
#include "vsm/text.hpp"
#include "xml.hpp"

namespace vsm::replay {
namespace {

namespace po = boost::program_options;
using nlohmann::json;

const char* const kOverview =
    "Reads a pcap or pcapng capture of VSM traffic (TCP and SCTP) through libpcap\n"
    "and the vsm codec. FILE - reads the capture from standard input.\n"
    "\n"
    "Commands:\n"
    "  decode FILE        one line per message (time, connection, direction, summary)\n"
    "  check FILE         every codec rule and the exchange rules on every conversation\n"
    "  stats FILE         counts, ACK latency percentiles, unanswered requests\n"
    "  replay FILE        plays one side of the recorded conversations against a live\n"
    "                     implementation and compares its answers\n"
    "  to-scenario FILE   the recorded conversations as a vsm-conform scenario\n"
    "\n"
    "vsm-replay COMMAND --help: that command's options. vsm-replay --version.\n"
    "Exit status: 0 fine, 1 findings (check: an error-severity finding; replay: a\n"
    "difference), 2 usage or I/O error: a bad command line, a capture that cannot be\n"
    "read or is damaged, nothing recognised as VSM, an output that cannot be written.\n";

const cli::CommandHelp kTool{"vsm-replay", "", "COMMAND ...", ""};

struct Cli {
  std::string command;
  std::string file;
  Options engine;
  bool json = false;
  bool quiet = false;
  bool progress = true;
  std::string junit;
};

// epoch + t seconds as UTC with microseconds.
std::string utc(std::int64_t epoch, double t) {
  const double whole = std::floor(t);
  auto usec = static_cast<long>(std::llround((t - whole) * 1e6));
  auto secs = static_cast<std::time_t>(epoch + static_cast<std::int64_t>(whole));
  if (usec >= 1000000) {
    usec -= 1000000;
    ++secs;
  }
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, usec);
  return buf;
}

// Times in JSON: seconds rounded to the microsecond (a capture's resolution
// as most tools show it), so 0.00015 and not 0.00014999999999999996.
double json_seconds(double t) { return std::round(t * 1e6) / 1e6; }

std::string ports_text(const std::vector<std::uint16_t>& ports) {
  std::string t = ports.size() == 1 ? "port " : "ports ";
  for (std::size_t i = 0; i < ports.size(); ++i) {
    if (i > 0) t.append(", ");
    t.append(std::to_string(ports[i]));
  }
  return t;
}

std::string arrow(const Conn& c, Dir d) { return c.endpoint(d) + " > " + c.endpoint(other(d)); }

const char* dir_word(Dir d) { return d == Dir::FromInitiator ? "initiator" : "responder"; }

json finding_json(const Finding& f, std::uint64_t frame) {
  const Requirement& r = f.requirement();
  return json{{"frame", frame},
              {"id", r.id},
              {"level", level_name(r.level)},
              {"severity", severity_name(f.severity())},
              {"text", describe(f)}};
}

// Label of a request kind for stats: the operation name for Operation, else the type name.
std::string request_label(std::uint8_t type, std::uint8_t subtype) {
  if (type == u8(MsgType::Operation)) {
    const std::string_view op = operation_name(subtype);
    return op.empty() ? "Operation " + std::to_string(subtype) : "Operation " + std::string(op);
  }
  return type_label(type);
}

// ---------------------------------------------------------------------------
// Notices: gaps, resyncs, cut and malformed packets. Printed to err (first
// few of each kind in full, then counted).

class NoticePrinter {
 public:
  explicit NoticePrinter(std::ostream& err, const std::string& file) : err_(err), file_(file) {}
  void print(const Notice& n) {
    auto& count = counts_[static_cast<int>(n.kind)];
    ++count;
    if (n.kind == Notice::Kind::Cut) damaged_ = true;  // the snap length lost data: exit code 4
    if (count > kShown) return;
    err_ << file_ << ": frame " << n.frame << ": ";
    if (n.conn != nullptr) err_ << n.conn->name() << " " << arrow(*n.conn, n.dir) << ": ";
    err_ << kind_name(n.kind) << ": " << n.text << "\n";
  }
  void summary() const {
    for (int k = 0; k < 6; ++k) {
      if (counts_[k] > kShown) {
        err_ << file_ << ": " << counts_[k] << " " << kind_name(static_cast<Notice::Kind>(k)) << " notices in all ("
             << kShown << " shown)\n";
      }
    }
  }
  bool damaged() const { return damaged_; }
  std::uint64_t count(Notice::Kind k) const { return counts_[static_cast<int>(k)]; }

 private:
  static const char* kind_name(Notice::Kind k) {
    switch (k) {
      case Notice::Kind::Gap: return "gap";
      case Notice::Kind::Resync: return "resync";
      case Notice::Kind::StreamError: return "stream error";
      case Notice::Kind::Cut: return "cut packet";
      case Notice::Kind::Malformed: return "malformed packet";
      case Notice::Kind::Fragment: return "IP fragment";
    }
    return "notice";
  }
  static constexpr std::uint64_t kShown = 20;
  std::ostream& err_;
  std::string file_;
  std::uint64_t counts_[6] = {};
  bool damaged_ = false;
};

// ---------------------------------------------------------------------------
// decode

class DecodeSink : public Sink {
 public:
  DecodeSink(std::ostream& out, NoticePrinter& np, bool json) : out_(out), np_(np), json_(json) {}
  void message(const MessageEvent& e) override {
    if (!json_) {
      char buf[256];
      out_ << e.frame << ' ' << utc(e.epoch, e.time) << " c" << e.conn.id << ' ' << arrow(e.conn, e.dir) << ' '
           << summarize(e.msg, buf);
      if (!e.msg.ok()) out_ << " [" << errc_name(e.msg.error.code) << " at " << e.msg.error.offset << "]";
      out_ << '\n';
      return;
    }
    const MessageView& m = e.msg;
    json j{{"frame", e.frame},
           {"time", json_seconds(static_cast<double>(e.epoch) + e.time)},
           {"time_utc", utc(e.epoch, e.time)},
           {"conn", e.conn.id},
           {"transport", e.conn.transport == Transport::Tcp ? "tcp" : "sctp"},
           {"src", e.conn.endpoint(e.dir)},
           {"dst", e.conn.endpoint(other(e.dir))},
           {"dir", dir_word(e.dir)},
           {"stream_offset", e.stream_offset},
           {"size", m.bytes.size()},
           {"summary", summarize(m)}};
    if (m.has_header()) {
      j["type"] = m.header.type;
      j["type_name"] = type_label(m.header.type);
      j["subtype"] = m.header.subtype;
      if (carries_operation(m.header.type)) j["operation"] = std::string(operation_name(m.header.subtype));
      j["length"] = m.header.length;
      j["code"] = m.header.code;
      j["code_name"] = std::string(code_name(m.header.code));
      j["seq"] = m.header.seq;
    }
    json opts = json::array();
    for (const OptionView& o : m.options()) {
      json oj{{"offset", o.offset},
              {"type", o.type},
              {"subtype", o.subtype},
              {"length", o.length},
              {"name", option_name(o.type, o.subtype)},
              {"keyword", option_keyword(o.type, o.subtype)},
              {"value", format_value(o)},
              {"hex", hex_text(o.value)}};
      opts.push_back(std::move(oj));
    }
    j["options"] = std::move(opts);
    if (!m.ok()) {
      j["decode_error"] = json{{"error", errc_name(m.error.code)},
                               {"offset", m.error.offset},
                               {"expected", m.error.expected},
                               {"actual", m.error.actual}};
    }
    if (e.exchange.request) {
      j["response_to"] = e.exchange.request->id;
      j["response_time"] = json_seconds(e.exchange.response_time);
    }
    json fs = json::array();
    for (const Finding& f : e.findings) fs.push_back(finding_json(f, e.frame));
    j["findings"] = std::move(fs);
    out_ << j.dump() << '\n';
  }
  void notice(const Notice& n) override { np_.print(n); }

 private:
  std::ostream& out_;
  NoticePrinter& np_;
  bool json_;
};

// ---------------------------------------------------------------------------
// check

struct ConnReport {
  std::string name;
  std::uint64_t messages = 0;
  std::vector<std::pair<std::uint64_t, std::string>> failures;  // frame, text (errors only, capped)
  std::uint64_t errors = 0, warnings = 0, notes = 0;
  bool open = true;
};

class CheckSink : public Sink {
 public:
  CheckSink(std::ostream& out, NoticePrinter& np, bool quiet, bool junit, bool json)
      : out_(out), np_(np), quiet_(quiet), junit_(junit || json), json_(json) {}

  void message(const MessageEvent& e) override {
    for (const Finding& f : e.findings) report(e.conn, e.dir, e.frame, f);
  }
  void finding(const Conn& c, std::optional<Dir> d, std::uint64_t frame, const Finding& f) override {
    report(c, d, frame, f);
  }
  void notice(const Notice& n) override { np_.print(n); }
  void conn_closed(const Conn& c) override {
    if (!junit_) return;
    ConnReport& r = conn(c);
    r.messages = c.messages;
    r.open = false;
  }

  std::uint64_t errors = 0, warnings = 0, notes = 0;
  std::map<std::uint64_t, ConnReport> conns;
  json findings = json::array();  // --json: every finding

 private:
  ConnReport& conn(const Conn& c) {
    auto [it, fresh] = conns.try_emplace(c.id);
    if (fresh) it->second.name = c.name();
    return it->second;
  }
  void report(const Conn& c, std::optional<Dir> d, std::uint64_t frame, const Finding& f) {
    const Severity s = f.severity();
    (s == Severity::Error ? errors : s == Severity::Warning ? warnings : notes)++;
    char buf[512];
    const std::string_view text = describe(f, buf);
    if (!quiet_) {
      out_ << "frame " << frame << "  c" << c.id << ' ' << (d ? arrow(c, *d) : c.name().substr(c.name().find(' ') + 1))
           << "  " << severity_name(s) << "  " << text << '\n';
    }
    if (json_) {
      json j = finding_json(f, frame);
      j["conn"] = c.id;
      if (d) {
        j["src"] = c.endpoint(*d);
        j["dst"] = c.endpoint(other(*d));
        j["dir"] = dir_word(*d);
      }
      findings.push_back(std::move(j));
    }
    if (junit_) {
      ConnReport& r = conn(c);
      (s == Severity::Error ? r.errors : s == Severity::Warning ? r.warnings : r.notes)++;
      if (r.failures.size() < 1000) {
        r.failures.emplace_back(frame, std::string(severity_name(s)) + " " + std::string(text));
      }
    }
  }
  std::ostream& out_;
  NoticePrinter& np_;
  bool quiet_;
  bool junit_;
  bool json_;
};

using text_out::xml_escape;

// check --json: one document (README "check --json").
json check_json(const std::string& file, const CheckSink& sink, const EngineStats& es, const ReadResult& rr) {
  json convs = json::array();
  for (const auto& [id, r] : sink.conns) {
    convs.push_back(json{{"conn", id},
                         {"name", r.name},
                         {"messages", r.messages},
                         {"errors", r.errors},
                         {"warnings", r.warnings},
                         {"notes", r.notes}});
  }
  json j{{"file", file},
         {"records", rr.records},
         {"messages", es.messages},
         {"connections", es.vsm_connections},
         {"errors", sink.errors},
         {"warnings", sink.warnings},
         {"notes", sink.notes},
         {"gaps", es.gaps},
         {"gap_bytes", es.gap_bytes},
         {"findings", sink.findings},
         {"conversations", std::move(convs)}};
  if (rr.status != exit_code::kOk) j["read_error"] = rr.error;
  return j;
}

bool write_junit(std::ostream& x, const std::string& file, const CheckSink& sink, const ReadResult& rr) {
  std::size_t failures = 0;
  for (const auto& [id, r] : sink.conns) failures += r.errors > 0 ? 1 : 0;
  const bool damaged = rr.status != exit_code::kOk;
  x << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  x << "<testsuites>\n<testsuite name=\"vsm-replay check " << xml_escape(file) << "\" tests=\"" << sink.conns.size() + 1
    << "\" failures=\"" << failures + (damaged ? 1 : 0) << "\">\n";
  x << "  <testcase classname=\"capture\" name=\"read " << xml_escape(file) << "\">";
  if (damaged) x << "<failure message=\"" << xml_escape(rr.error) << "\"/>";
  x << "</testcase>\n";
  for (const auto& [id, r] : sink.conns) {
    x << "  <testcase classname=\"conversation\" name=\"" << xml_escape(r.name) << "\">";
    std::ostringstream body;
    for (const auto& [frame, text] : r.failures) body << "frame " << frame << ": " << text << "\n";
    if (r.errors > 0) {
      x << "<failure message=\"" << r.errors << " errors, " << r.warnings << " warnings\">" << xml_escape(body.str())
        << "</failure>";
    } else if (!r.failures.empty()) {
      x << "<system-out>" << xml_escape(body.str()) << "</system-out>";
    }
    x << "</testcase>\n";
  }
  x << "</testsuite>\n</testsuites>\n";
  x.flush();
  return static_cast<bool>(x);
}

// ---------------------------------------------------------------------------
// stats

// Log-scale latency histogram: 64 buckets per power of two from 1 us; a
// percentile is exact to within about 1.1 %, in constant memory.
class Latency {
 public:
  void add(double seconds) {
    ++count_;
    sum_ += seconds;
    min_ = count_ == 1 ? seconds : std::min(min_, seconds);
    max_ = std::max(max_, seconds);
    ++buckets_[bucket(seconds)];
  }
  std::uint64_t count() const { return count_; }
  double mean() const { return count_ > 0 ? sum_ / static_cast<double>(count_) : 0; }
  double min() const { return min_; }
  double max() const { return max_; }
  double percentile(double p) const {
    if (count_ == 0) return 0;
    const auto want = static_cast<std::uint64_t>(std::ceil(p / 100.0 * static_cast<double>(count_)));
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < buckets_.size(); ++i) {
      seen += buckets_[i];
      if (seen >= std::max<std::uint64_t>(want, 1)) return std::clamp(upper(i), min_, max_);
    }
    return max_;
  }

 private:
  static constexpr int kPerOctave = 64, kOctaves = 40;
  static std::size_t bucket(double s) {
    const double us = s * 1e6;
    if (!(us > 1)) return 0;
    const auto b = static_cast<std::size_t>(std::log2(us) * kPerOctave) + 1;
    return std::min<std::size_t>(b, kPerOctave * kOctaves);
  }
  static double upper(std::size_t b) { return b == 0 ? 1e-6 : std::exp2(static_cast<double>(b) / kPerOctave) * 1e-6; }
  std::array<std::uint64_t, kPerOctave * kOctaves + 1> buckets_{};
  std::uint64_t count_ = 0;
  double sum_ = 0, min_ = 0, max_ = 0;
};

class StatsSink : public Sink {
 public:
  explicit StatsSink(NoticePrinter& np) : np_(np) {}
  void message(const MessageEvent& e) override {
    ++messages;
    const MessageView& m = e.msg;
    if (!m.has_header()) {
      ++no_header;
      return;
    }
    if (!m.ok()) ++malformed;
    ++by_type[m.header.type];
    if (carries_operation(m.header.type) && (m.header.subtype != 0 || !m.is_ack())) {
      ++by_op[{m.header.type, m.header.subtype}];
    }
    if (m.is_ack() || m.is(MsgType::Error) || m.header.code != 0) ++by_code[m.header.code];
    if (!m.is_ack() && is_known_type(m.header.type)) ++requests[request_label(m.header.type, m.header.subtype)];
    if (e.exchange.request) {
      latency[request_label(e.exchange.request->type, e.exchange.request->subtype)].add(e.exchange.response_time);
    }
  }
  void finding(const Conn&, std::optional<Dir>, std::uint64_t frame, const Finding& f) override {
    if (f.req != Req::AckEveryMessage) return;
    const std::string label = type_label(static_cast<std::uint8_t>(f.b));
    auto& u = unanswered[label];
    if (u.size() < 10) u.push_back(frame);
    ++unanswered_count[label];
  }
  void notice(const Notice& n) override { np_.print(n); }

  std::uint64_t messages = 0, no_header = 0, malformed = 0;
  std::map<std::uint8_t, std::uint64_t> by_type, by_code;
  std::map<std::pair<std::uint8_t, std::uint8_t>, std::uint64_t> by_op;
  std::map<std::string, std::uint64_t> requests;
  std::map<std::string, Latency> latency;
  std::map<std::string, std::vector<std::uint64_t>> unanswered;
  std::map<std::string, std::uint64_t> unanswered_count;

 private:
  NoticePrinter& np_;
};

std::string code_label(std::uint8_t code) {
  const std::string_view n = code_name(code);
  return n.empty() ? "Unknown (" + std::to_string(code) + ")" : std::string(n) + " (" + std::to_string(code) + ")";
}

void print_stats(std::ostream& out, const StatsSink& s, const Engine& e, const ReadResult& rr, bool as_json) {
  const EngineStats& es = e.stats();
  if (as_json) {
    json j{{"records", rr.records},
           {"messages", s.messages},
           {"malformed_messages", s.malformed},
           {"connections", es.vsm_connections},
           {"gaps", es.gaps},
           {"gap_bytes", es.gap_bytes},
           {"retransmitted_segments", es.retransmitted}};
    json t = json::object(), o = json::object(), c = json::object(), l = json::object(), u = json::object();
    for (const auto& [k, v] : s.by_type) t[type_label(k)] = v;
    for (const auto& [k, v] : s.by_op) {
      const std::string_view op = operation_name(k.second);
      o[type_label(k.first) + " " + (op.empty() ? std::to_string(k.second) : std::string(op))] = v;
    }
    for (const auto& [k, v] : s.by_code) c[code_label(k)] = v;
    for (const auto& [k, v] : s.latency) {
      l[k] = json{{"count", v.count()},
                  {"min", json_seconds(v.min())},
                  {"p50", json_seconds(v.percentile(50))},
                  {"p90", json_seconds(v.percentile(90))},
                  {"p99", json_seconds(v.percentile(99))},
                  {"max", json_seconds(v.max())},
                  {"mean", json_seconds(v.mean())}};
    }
    for (const auto& [k, v] : s.unanswered_count) u[k] = json{{"count", v}, {"frames", s.unanswered.at(k)}};
    j["by_type"] = t;
    j["by_operation"] = o;
    j["by_code"] = c;
    j["ack_latency_seconds"] = l;
    j["unanswered"] = u;
    out << j.dump(2) << '\n';
    return;
  }
  char line[256];
  out << "records " << rr.records << ", VSM connections " << es.vsm_connections << ", messages " << s.messages << " ("
      << s.malformed << " malformed), gaps " << es.gaps << " (" << es.gap_bytes << " bytes), retransmitted "
      << es.retransmitted << "\n\nmessages by type\n";
  for (const auto& [k, v] : s.by_type) {
    std::snprintf(line, sizeof line, "  %-28s %10llu\n", type_label(k).c_str(), static_cast<unsigned long long>(v));
    out << line;
  }
  out << "\nmessages by operation\n";
  for (const auto& [k, v] : s.by_op) {
    const std::string_view op = operation_name(k.second);
    const std::string label = type_label(k.first) + " " + (op.empty() ? std::to_string(k.second) : std::string(op));
    std::snprintf(line, sizeof line, "  %-28s %10llu\n", label.c_str(), static_cast<unsigned long long>(v));
    out << line;
  }
  out << "\nmessages by code (ACK, Error and non-zero codes)\n";
  for (const auto& [k, v] : s.by_code) {
    std::snprintf(line, sizeof line, "  %-28s %10llu\n", code_label(k).c_str(), static_cast<unsigned long long>(v));
    out << line;
  }
  out << "\nACK latency per request (ms)\n";
  std::snprintf(line, sizeof line, "  %-24s %8s %9s %9s %9s %9s %9s\n", "request", "acked", "min", "p50", "p90", "p99",
                "max");
  out << line;
  for (const auto& [k, v] : s.latency) {
    std::snprintf(line, sizeof line, "  %-24s %8llu %9.3f %9.3f %9.3f %9.3f %9.3f\n", k.c_str(),
                  static_cast<unsigned long long>(v.count()), v.min() * 1e3, v.percentile(50) * 1e3,
                  v.percentile(90) * 1e3, v.percentile(99) * 1e3, v.max() * 1e3);
    out << line;
  }
  std::uint64_t total = 0;
  for (const auto& [k, v] : s.unanswered_count) total += v;
  out << "\nunanswered requests: " << total << "\n";
  for (const auto& [k, v] : s.unanswered_count) {
    out << "  " << k << ": " << v << " (frames";
    for (std::uint64_t f : s.unanswered.at(k)) out << ' ' << f;
    if (v > s.unanswered.at(k).size()) out << " ...";
    out << ")\n";
  }
}

// ---------------------------------------------------------------------------

}  // namespace

po::options_description capture_options(CaptureArgs& a, Options& engine) {
  po::options_description d("Where VSM is in the capture");
  d.add_options()("port,p", po::value(&a.ports)->composing()->value_name("N"),
                  "TCP/SCTP port carrying VSM (repeatable; replaces the default 7750)")(
      "auto", po::bool_switch(&engine.auto_detect),
      "also claim TCP/SCTP connections whose data passes the codec's strict VSM heuristic")(
      "ppid", po::value(&a.ppids)->composing()->value_name("N"),
      "SCTP payload protocol identifier carrying VSM (repeatable)")(
      "length-convention", cli::value_with_default(&a.convention), cli::length_convention_help().c_str());
  return d;
}

std::optional<std::string> apply_capture_options(const CaptureArgs& a, Options& engine) {
  const auto conv = cli::parse_length_convention(a.convention);
  if (!conv) return std::string("--length-convention: ").append(conv.error());
  engine.convention = *conv;
  if (!a.ports.empty()) {
    engine.ports.clear();
    for (unsigned p : a.ports) {
      if (p == 0 || p > 65535) return std::string("--port ").append(std::to_string(p)).append(": a port is 1-65535");
      engine.ports.push_back(static_cast<std::uint16_t>(p));
    }
  }
  engine.ppids = a.ppids;
  return std::nullopt;
}

namespace {

const char* const kSummaries[] = {
    "decode: one line per message: frame, time (UTC), connection, direction and the codec's summary.\n"
    "--json: one JSON object per message with every field.",
    "check: every codec rule and the exchange rules (ACK pairing, sequence numbers, roles) on every\n"
    "conversation; the findings with frame numbers and requirement IDs, then a summary line.\n"
    "Exit 1 on any error-severity (MUST, FORMAT, PROFILE) finding.",
    "stats: counts per type, operation and code, the ACK latency per request kind (min, p50, p90,\n"
    "p99, max) and the requests never answered.",
};

// decode, check, stats: their options, and only theirs.
int parse(const std::vector<std::string>& args, Cli& cli, std::ostream& out, std::ostream& err) {
  cli.command = args[0];
  const std::size_t which = cli.command == "decode" ? 0 : cli.command == "check" ? 1 : 2;
  const cli::CommandHelp help{"vsm-replay", cli.command, "FILE", kSummaries[which]};
  cli.engine.threads = std::thread::hardware_concurrency() >= 2 ? 2 : 1;
  CaptureArgs capture;
  po::options_description desc("Options");
  desc.add_options()("help,h", "this text");
  if (cli.command == "check") {
    desc.add_options()("json", po::bool_switch(&cli.json),
                       "one JSON document: the findings, the conversations and the totals")(
        "junit", po::value(&cli.junit)->value_name("FILE"), "also write a JUnit XML report to FILE")(
        "quiet,q", po::bool_switch(&cli.quiet), "only the summary line");
  } else {
    desc.add_options()("json", po::bool_switch(&cli.json),
                       cli.command == "decode" ? "one JSON object per message" : "the figures as JSON");
  }
  desc.add(capture_options(capture, cli.engine));
  desc.add_options()("ack-timeout", cli::value_with_default(&cli.engine.ack_timeout),
                     "seconds before a request counts as never ACKed (0 = never)")(
      "threads", po::value(&cli.engine.threads),
      "1: one thread; 2: rules and tracking on a second thread (default when there are 2 cores or more)")(
      "no-progress", "no progress line on the terminal");
  po::options_description hidden;
  hidden.add_options()("file", po::value(&cli.file));
  po::options_description all;
  all.add(desc).add(hidden);
  po::positional_options_description pos;
  pos.add("file", 1);
  po::variables_map vm;
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  if (cli::asks_for(rest, "help", "h")) {
    cli::print_help(out, help, desc);
    return -1;
  }
  if (auto e = cli::parse_options(rest, all, pos, vm)) return cli::usage_error(err, help, *e);
  if (cli.file.empty()) return cli::usage_error(err, help, "no capture file given (- reads standard input)");
  if (vm.count("no-progress")) cli.progress = false;
  if (cli.engine.threads != 1 && cli.engine.threads != 2) return cli::usage_error(err, help, "--threads is 1 or 2");
  if (!(cli.engine.ack_timeout >= 0)) return cli::usage_error(err, help, "--ack-timeout must be 0 or more");
  if (auto e = apply_capture_options(capture, cli.engine)) return cli::usage_error(err, help, *e);
  return 0;
}

}  // namespace

int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  if (args.empty()) {
    err << "Usage: vsm-replay COMMAND [options] FILE\n\n" << kOverview;
    return exit_code::kUsage;
  }
  const std::string& first = args[0];
  if (first == "--version") {
    out << cli::version_text("vsm-replay");
    return exit_code::kOk;
  }
  if (first == "-h" || first == "--help" || (first == "help" && args.size() == 1)) {
    out << "Usage: vsm-replay COMMAND [options] FILE\n\n" << kOverview;
    return exit_code::kOk;
  }
  if (first == "help") return run({args[1], "--help"}, out, err);  // vsm-replay help check
  if (first == "replay" || first == "to-scenario") return run_live(args, out, err);
  if (first != "decode" && first != "check" && first != "stats") {
    return cli::usage_error(
        err, kTool,
        std::string("unknown command '").append(first).append("' (decode, check, stats, replay, to-scenario)"));
  }
  Cli cli;
  if (const int rc = parse(args, cli, out, err); rc != 0) return rc < 0 ? exit_code::kOk : rc;
  const std::string name = cli.file == "-" ? std::string("standard input") : cli.file;
  NoticePrinter np(err, name);
  ReadOptions ro;
  ro.progress = cli.progress;
  int rc = exit_code::kOk;
  ReadResult rr;
  EngineStats es;
  // An output that cannot be written is known before the capture is read.
  std::ofstream junit;
  if (!cli.junit.empty()) {
    junit.open(cli.junit);
    if (!junit) {
      err << "vsm-replay check: cannot write " << cli.junit << ": " << std::strerror(errno) << "\n";
      return exit_code::kIo;
    }
  }
  if (cli.command == "decode") {
    DecodeSink sink(out, np, cli.json);
    Engine engine(cli.engine, sink);
    rr = read_capture(cli.file, engine, ro);
    engine.finish();
    es = engine.stats();
  } else if (cli.command == "check") {
    CheckSink sink(out, np, cli.quiet || cli.json, !cli.junit.empty(), cli.json);
    Engine engine(cli.engine, sink);
    rr = read_capture(cli.file, engine, ro);
    engine.finish();
    es = engine.stats();
    if (cli.json) {
      out << check_json(name, sink, es, rr).dump(2) << '\n';
    } else {
      out << name << ": " << cli::count(es.messages, "message") << " in "
          << cli::count(es.vsm_connections, "VSM connection") << ": " << cli::count(sink.errors, "error") << ", "
          << cli::count(sink.warnings, "warning") << ", " << cli::count(sink.notes, "note");
      if (es.gaps > 0) out << "; " << cli::count(es.gaps, "gap") << " (" << es.gap_bytes << " bytes missing)";
      out << '\n';
    }
    if (sink.errors > 0) rc = exit_code::kFindings;
    if (junit.is_open() && !write_junit(junit, name, sink, rr)) {
      err << "vsm-replay check: cannot write " << cli.junit << "\n";
      rc = exit_code::kIo;
    }
  } else {
    StatsSink sink(np);
    Engine engine(cli.engine, sink);
    rr = read_capture(cli.file, engine, ro);
    engine.finish();
    es = engine.stats();
    print_stats(out, sink, engine, rr, cli.json);
  }
  np.summary();
  if (rr.status != exit_code::kOk) {
    err << rr.error << "\n";
    return rr.status;
  }
  if (np.damaged()) {
    err << name << ": " << cli::count(np.count(Notice::Kind::Cut), "packet")
        << " cut by the snap length: VSM data is missing from the capture\n";
    return exit_code::kIo;
  }
  if (es.messages == 0) {
    // Never silent on a capture that was not understood.
    err << name << ": nothing recognised as VSM in " << cli::count(rr.records, "record") << " ("
        << cli::count(es.tcp, "TCP packet") << ", " << cli::count(es.sctp, "SCTP packet") << "); ";
    if (cli.engine.auto_detect) {
      err << "VSM was looked for on " << ports_text(cli.engine.ports)
          << " and by the heuristic: give its port with --port N (SCTP: --ppid N)\n";
    } else {
      err << "VSM is looked for on " << ports_text(cli.engine.ports)
          << ": try --auto (the codec's heuristic on every connection) or --port N\n";
    }
    return exit_code::kIo;
  }
  return rc;
}

}  // namespace vsm::replay
