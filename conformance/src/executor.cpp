// SPDX-License-Identifier: GPL-2.0-or-later
#include "executor.hpp"

#include <fmt/format.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <deque>
#include <map>
#include <random>
#include <type_traits>

#include "connection.hpp"
#include "iut.hpp"
#include "scenario_text.hpp"
#include "vsm/message.hpp"
#include "vsm/rules.hpp"
#include "vsm/text.hpp"

namespace vsm::conform {

const char* verdict_name(Verdict v) {
  switch (v) {
    case Verdict::Pass: return "pass";
    case Verdict::Fail: return "fail";
    case Verdict::Inconclusive: return "inconclusive";
    case Verdict::Error: return "error";
    case Verdict::NA: return "NA";
  }
  return "?";
}

std::string cut_text(std::string s, std::size_t max) {
  if (s.size() <= max) return s;
  std::size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;  // not inside a UTF-8 sequence
  s.resize(n);
  return s + "…";
}

namespace {

std::string size_text(std::uint64_t b) {
  if (b >= 1000000) return fmt::format("{:.0f} MB", static_cast<double>(b) / 1e6);
  if (b >= 1000) return fmt::format("{:.0f} kB", static_cast<double>(b) / 1e3);
  return fmt::format("{} bytes", b);
}

}  // namespace

std::string NotRecorded::text() const {
  std::string s;
  if (messages != 0)
    s = fmt::format("… {} more not recorded ({} messages, {} bytes)", size_text(bytes), messages, bytes);
  if (dropped != 0) {
    s += fmt::format("{}{} received messages ({} bytes) dropped unread from the expectations' queue (oldest first)",
                     s.empty() ? "" : "; ", dropped, dropped_bytes);
  }
  return s;
}

const char* req_outcome_name(ReqOutcome o) {
  switch (o) {
    case ReqOutcome::Pass: return "pass";
    case ReqOutcome::Fail: return "FAIL";
    case ReqOutcome::NotReached: return "not reached";
    case ReqOutcome::NA: return "NA";
  }
  return "?";
}

const char* na_why_name(Result::NaWhy w) {
  switch (w) {
    case Result::NaWhy::NotClaimed: return "not claimed";
    case Result::NaWhy::NeedsTrigger: return "needs a trigger";
    case Result::NaWhy::NeedsIutCmd: return "needs --iut-cmd";
    case Result::NaWhy::OtherTransport: return "other transport";
    case Result::NaWhy::None: break;
  }
  return "not applicable";
}

std::vector<ReqVerdict> requirement_verdicts(const Result& r) {
  std::vector<ReqVerdict> out;
  auto outcome = [&](const std::string& id) {
    if (r.failed_reqs.count(id)) return ReqOutcome::Fail;
    if (r.completed && r.verdict == Verdict::Fail) return ReqOutcome::Pass;  // only checks of others failed
    switch (r.verdict) {
      case Verdict::Pass: return ReqOutcome::Pass;
      case Verdict::NA: return ReqOutcome::NA;
      default: return ReqOutcome::NotReached;
    }
  };
  if (r.test) {
    for (const auto& id : r.test->requirements) out.push_back({id, outcome(id)});
  }
  for (const auto& id : r.failed_reqs) {
    if (std::none_of(out.begin(), out.end(), [&](const ReqVerdict& v) { return v.id == id; })) {
      out.push_back({id, ReqOutcome::Fail});
    }
  }
  return out;
}

namespace {

// Why a step stops the test: the verdict it leads to (in the body; the
// preamble turns failures into inconclusive).
struct Abort {
  Verdict verdict;
  std::string reason;
  std::vector<std::string> reqs;
  Result::NaWhy na_why = Result::NaWhy::None;  // Verdict::NA
  bool stop_run = false;                       // the IUT cannot start or never connects: stop the run
};

std::string hex(std::span<const std::uint8_t> b) { return text::hex_text(b, 48); }

// Decoded message with every option, for reasons: the summary plus the options (cut at kSummaryCut octets).
std::string detail(const MessageView& v) {
  if (!v.has_header()) return fmt::format("{} byte(s) {}", v.bytes.size(), hex(v.bytes));
  std::string s = summarize(v);
  std::string opts;
  for (const auto& o : v.options()) {
    if (!opts.empty()) opts += ", ";
    opts += fmt::format("{}={}", option_name(o.type, o.subtype), format_value(o));
  }
  if (!opts.empty()) s += " {" + opts + "}";
  if (!v.ok()) s += fmt::format(" [decode: {} at {}]", errc_name(v.error.code), v.error.offset);
  return cut_text(std::move(s));  // kSummaryCut: a message of 16,000 options stays one readable line
}

std::optional<OptionView> find_opt(const MessageView& v, const OptKey& k) {
  unsigned seen = 0;
  for (const auto& o : v.options()) {
    if (o.type != k.type) continue;
    if (k.sub && o.subtype != *k.sub) continue;
    if (seen++ == k.index) return o;
  }
  return std::nullopt;
}

std::size_t count_opt(const MessageView& v, const OptKey& k) {
  std::size_t n = 0;
  for (const auto& o : v.options()) {
    if (o.type == k.type && (!k.sub || o.subtype == *k.sub)) ++n;
  }
  return n;
}

struct Received {
  std::vector<std::uint8_t> bytes;
  LengthConvention conv = LengthConvention::Total4;
  double t = 0;
  bool consumed = false;
  MessageView view() const { return decode(bytes, conv); }
};

// A connection as the scenario sees it: the link, what came in, the sequence numbering.
struct Peer {
  std::shared_ptr<Link> link;
  std::deque<Received> mailbox;  // bounded (RunConfig::record_messages, record_limit): the oldest go first
  std::uint64_t dropped = 0;     // messages dropped from the front: mailbox[i] is message number dropped + i
  std::uint64_t mailbox_bytes = 0;
  std::uint32_t next_seq = 1;
  std::optional<std::uint32_t> last_seq;
  std::uint32_t node_id = 0;
};

}  // namespace

struct Executor::Impl {
  RunConfig cfg;
  Profile profile;
  const Suite& suite;
  Network net;
  IutProcesses iut;
  std::uint16_t port = 0;

  // Per test.
  const TestCase* tc = nullptr;
  Result* res = nullptr;
  std::map<std::string, std::string> vars;
  std::map<std::string, std::shared_ptr<Peer>> conns;
  // Connections the IUT opened that no accept step took yet, oldest first: read and checked all the same.
  std::deque<std::shared_ptr<Peer>> unclaimed;
  std::uint64_t unclaimed_count = 0;
  bool in_preamble = false;
  // Over the run: whether the IUT ever connected (or accepted), and why the run stopped early.
  bool ever_connected = false;
  std::string stopped;
  std::string phase;
  double guard_deadline = 0;
  std::optional<Received> last_matched;
  std::map<std::string, Received> named;
  std::mt19937_64 rng;

  static LinkConfig link_config(const RunConfig& c, const Profile& p) {
    LinkConfig l;
    l.convention = c.convention;
    l.sctp = c.sctp;
    l.sctp_ppid = c.sctp_ppid;
    l.ack_timeout = p.ack_timer;
    l.iut_initiates = c.role == IutRole::Agent;
    return l;
  }

  Impl(RunConfig c, const Profile& p, const Suite& s)
      : cfg(std::move(c)), profile(p), suite(s), net(link_config(cfg, p)), iut(cfg.iut_log), rng(cfg.seed) {
    port = cfg.port;
    if (profile.role && *profile.role != cfg.role) {
      throw ScenarioError(fmt::format("{}: the profile is for a {} under test (role: {}); this run tests {}",
                                      profile.path, role_keyword(*profile.role), role_keyword(*profile.role),
                                      cfg.role == IutRole::Agent ? "an agent" : "a manager"));
    }
    // During a test every connection the IUT opens is taken at once: its messages are checked and shown
    // even when no accept step asks for it (an agent reconnecting, a second instance).
    net.on_incoming([this] {
      if (res && cfg.role == IutRole::Agent) take_incoming();
    });
  }

  // ---------------------------------------------------------- variables

  std::string lookup(const Var& v) const {
    auto it = vars.find(v.name);
    if (it == vars.end()) throw ScenarioError(fmt::format("unknown variable ${}", v.name));
    return it->second;
  }
  std::string value(const Arg<std::string>& a) const {
    if (const auto* v = std::get_if<Var>(&a)) return lookup(*v);
    return std::get<std::string>(a);
  }
  // A field's value: the compiled literal, or the variable's text converted like a literal.
  template <class T, class Parse>
  T get(const Arg<T>& a, Parse parse) const {
    if (const auto* v = std::get_if<Var>(&a)) return static_cast<T>(parse(lookup(*v)));
    return std::get<T>(a);
  }
  template <class T>
  T number(const Arg<T>& a, const char* what, std::uint64_t max) const {
    return get(a, [&](const std::string& s) { return text::number_max(s, what, max); });
  }
  std::uint8_t u8_of(const Arg<std::uint8_t>& a) const { return number(a, "subtype", 255); }
  std::string conn_name(const ConnArg& c) const { return c ? value(*c) : "a"; }
  double seconds(const Arg<Duration>& a, std::span<const Duration::Kind> allowed) const {
    const Duration d = get(a, [&](const std::string& s) { return text::duration(s, allowed); });
    switch (d.kind) {
      case Duration::Kind::Negative: return profile.negative_wait;
      case Duration::Kind::Ack: return profile.ack_timer;
      case Duration::Kind::Keepalive: return profile.keepalive_interval;
      case Duration::Kind::Seconds: break;
    }
    return d.seconds;
  }
  double timeout_of(const std::optional<Arg<Duration>>& t, double dflt) const {
    if (!t) return dflt;
    const Duration d = get(*t, [&](const std::string& x) { return text::duration(x, kTimeoutTimers); });
    return seconds(*t, kTimeoutTimers) + (d.kind == Duration::Kind::Keepalive ? profile.ack_timer : 0.0);
  }
  std::string describe_pred(const Predicate& p) const {
    return describe(p, [this](const Var& v) {
      auto it = vars.find(v.name);
      return it == vars.end() ? "$" + v.name : it->second;
    });
  }

  // ---------------------------------------------------------- verdicts
  static constexpr std::size_t kMaxNotes = 20;
  // Close and log entries are kept past the message bound, up to this many more (the evidence's FINs).
  static constexpr std::size_t kLadderHeadroom = 1000;
  void record(Verdict v, const std::string& reason, const std::vector<std::string>& reqs) {
    if (!res) return;
    auto rank = [](Verdict x) {
      switch (x) {
        case Verdict::Fail: return 3;
        case Verdict::Error: return 2;
        case Verdict::Inconclusive: return 1;
        default: return 0;
      }
    };
    for (const auto& r : reqs) {
      if (v == Verdict::Fail) res->failed_reqs.insert(r);
    }
    if (rank(v) > rank(res->verdict)) {
      if (!res->reason.empty()) res->notes.push_back(res->reason);
      res->verdict = v;
      res->reason = reason;
    } else if (res->notes.size() < kMaxNotes) {
      res->notes.push_back(fmt::format("{}: {}", verdict_name(v), reason));
    } else if (res->notes.size() == kMaxNotes) {
      res->notes.push_back("(further findings not listed)");
    }
  }
  bool tolerated(const std::string& id) const {
    return tc && std::find(tc->tolerate.begin(), tc->tolerate.end(), id) != tc->tolerate.end();
  }
  bool finding(const Finding& f, const std::string& about) {
    const std::string id(f.requirement().id);
    if (tolerated(id)) return false;
    record(Verdict::Fail, fmt::format("always-on check: {} in received {}", vsm::describe(f), about), {id});
    return true;
  }
  std::vector<std::string> test_reqs() const { return tc ? tc->requirements : std::vector<std::string>{}; }
  // The requirements an expectation that was not met fails: those it says it verifies; else, in the body,
  // the test's; in the preamble none (the test could not reach its point: inconclusive).
  std::vector<std::string> blame(const Verifies& v) const {
    if (!v.empty()) return v;
    return in_preamble ? std::vector<std::string>{} : test_reqs();
  }

  // ---------------------------------------------------------- event loop
  // Runs the loop until pred() or the deadline (seconds, now_s() base). Guard expiry aborts.
  bool run_until(const std::function<bool()>& pred, double deadline) {
    const double d = std::min(deadline, guard_deadline);
    if (net.run_until(pred, d)) return true;
    if (d >= guard_deadline && deadline > guard_deadline) {
      std::string got;
      for (const auto& [n, c] : conns) got += fmt::format("{}[{}] {}", got.empty() ? "" : "; ", n, pending_summary(*c));
      for (const auto& c : unclaimed) {
        got += fmt::format("{}[{}] {}", got.empty() ? "" : "; ", c->link->name(), pending_summary(*c));
      }
      throw Abort{Verdict::Fail,
                  fmt::format("guard timeout of {} s reached during {}; unclaimed messages received: {}", tc->guard,
                              phase, got.empty() ? "none (no connection)" : got),
                  {}};
    }
    return false;
  }
  WaitFn guarded() {
    return [this](const std::function<bool()>& done, double deadline) { return run_until(done, deadline); };
  }
  void pause(double seconds) {
    const double t0 = now_s();
    run_until([] { return false; }, t0 + seconds);
    if (res) res->waited += now_s() - t0;
  }
  void pause_quiet(double s) {
    run_until([] { return false; }, now_s() + s);
  }

  // ---------------------------------------------------------- connections
  void ladder(const Link& l, bool from_runner, std::span<const std::uint8_t> bytes, std::string summary,
              std::vector<std::string> findings = {}, Exchange::Kind kind = Exchange::Kind::Data) {
    if (!res) return;
    const bool data = kind == Exchange::Kind::Data;
    if (res->ladder.size() >= cfg.record_messages + (data ? 0 : kLadderHeadroom) ||
        (data && res->recorded_bytes + bytes.size() > cfg.record_limit)) {
      ++res->not_recorded.messages;
      res->not_recorded.bytes += bytes.size();
      return;
    }
    res->recorded_bytes += bytes.size();
    Exchange e;
    e.kind = kind;
    e.t = now_s();
    e.wall = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    e.from_runner = from_runner;
    e.conn = l.name();
    e.conn_uid = l.uid();
    e.runner_initiated = cfg.role == IutRole::Manager;
    e.runner = l.local();
    e.iut = l.remote();
    e.summary = cut_text(std::move(summary));
    for (auto& f : findings) e.findings.push_back(cut_text(std::move(f)));
    e.bytes.assign(bytes.begin(), bytes.end());
    res->ladder.push_back(std::move(e));
  }

  Peer& add_conn(const std::string& name, std::shared_ptr<Link> link) {
    if (auto it = conns.find(name); it != conns.end()) it->second->link->detach("replaced");
    auto p = start_peer(std::move(link));
    conns[name] = p;
    return *p;
  }
  // An accepted connection no step asked for yet: started now, kept until an accept step takes it.
  void take_incoming() {
    while (net.accept_waiting()) {
      unclaimed.push_back(start_peer(net.accept(fmt::format("iut#{}", ++unclaimed_count))));
    }
  }
  // The oldest connection the IUT opened, now named `name` (its earlier ladder entries too).
  void claim(const std::string& name) {
    auto p = unclaimed.front();
    unclaimed.pop_front();
    p->link->rename(name);
    if (res) {
      for (auto& e : res->ladder) {
        if (e.conn_uid == p->link->uid()) e.conn = name;
      }
    }
    if (auto it = conns.find(name); it != conns.end()) it->second->link->detach("replaced");
    conns[name] = p;
  }
  std::shared_ptr<Peer> start_peer(std::shared_ptr<Link> link) {
    ever_connected = true;
    auto p = std::make_shared<Peer>();
    p->link = std::move(link);
    Peer* peer = p.get();
    LinkEvents ev;
    ev.message = [this, peer](Inbound& in) { on_message(*peer, in); };
    ev.framing_lost = [this, peer](std::uint16_t lf, std::span<const std::uint8_t> bytes) {
      const std::string id(requirement(Req::Length).id);
      record(Verdict::Fail,
             fmt::format("[{}] impossible header Length {} in received bytes {} (framing lost)", id, lf, hex(bytes)),
             {id});
      ladder(*peer->link, false, bytes, "undecodable bytes (framing lost)");
    };
    ev.closed = [this, peer](bool by_runner, const std::string& why) {
      ladder(*peer->link, by_runner, {}, fmt::format("connection {} closed: {}", peer->link->name(), why), {},
             Exchange::Kind::Close);
    };
    peer->link->start(std::move(ev));
    return p;
  }
  Peer& conn(const ConnArg& c) {
    const std::string name = conn_name(c);
    auto it = conns.find(name);
    if (it == conns.end()) {
      throw Abort{Verdict::Inconclusive, fmt::format("no connection '{}' (accept or connect first)", name), {}};
    }
    return *it->second;
  }

  void on_message(Peer& p, Inbound& in) {
    const MessageView v = decode(in.bytes, in.conv);
    const std::string about = detail(v);
    if (cfg.verbose) fmt::print(stderr, "  <- [{}] {}\n", p.link->name(), about);
    std::vector<std::string> notes;
    const std::string literal_id(requirement(Req::LengthLiteral).id);
    if (in.other_convention && !tolerated(literal_id)) {
      notes.push_back(fmt::format("[{}] the message fits only the other length convention", literal_id));
      record(Verdict::Fail, fmt::format("{} in received {}", notes.back(), about), {literal_id});
    }
    for (const auto& f : in.checks) {
      if (finding(f, about)) notes.push_back(vsm::describe(f));
    }
    std::string about_ex = about;
    if (in.answers) {  // name the request an ACK answers
      const std::string_view op = operation_name(in.answers->subtype);
      about_ex += fmt::format(" (answering {}{}{} seq={})", type_label(in.answers->type), op.empty() ? "" : " ", op,
                              in.answers->seq);
    }
    for (const auto& f : in.exchange) {
      if (finding(f, about_ex)) notes.push_back(vsm::describe(f));
    }
    ladder(*p.link, false, in.bytes, about, std::move(notes));
    // Policy: automatic answers.
    if (v.has_header() && !v.is_ack() && p.link->open()) {
      const std::uint8_t t = v.header.type;
      const bool ka = t == u8(MsgType::KeepAlive);
      const bool auto_type =
          t == u8(MsgType::StatusUpdate) || t == u8(MsgType::Deregistration) || t == u8(MsgType::Error);
      if ((ka && tc && tc->policy.auto_keepalive) || (auto_type && tc && tc->policy.auto_ack)) {
        Message a = ack_for(v.header, ResultCode::Successful, p.node_id);
        send_message(p, a.encode(cfg.convention).value());  // a few octets: always fits
      }
    }
    p.mailbox_bytes += in.bytes.size();
    p.mailbox.push_back(Received{std::move(in.bytes), in.conv, in.t, false});
    while (p.mailbox.size() > 1 && (p.mailbox.size() > cfg.record_messages || p.mailbox_bytes > cfg.record_limit)) {
      const std::size_t n = p.mailbox.front().bytes.size();
      if (res && !p.mailbox.front().consumed) {
        ++res->not_recorded.dropped;
        res->not_recorded.dropped_bytes += n;
      }
      p.mailbox_bytes -= n;
      p.mailbox.pop_front();
      ++p.dropped;
    }
  }

  void sent(Peer& p, Link::Sent s) {
    if (s != Link::Sent::Overflow) return;
    record(Verdict::Error,
           fmt::format("the IUT does not read: {} messages queued on connection {}", Link::kMaxQueued, p.link->name()),
           {});
  }
  // One message of the runner: on the ladder, tracked, written.
  void send_message(Peer& p, std::vector<std::uint8_t> bytes) {
    const MessageView v = decode(bytes, cfg.convention);
    ladder(*p.link, true, bytes, detail(v));
    if (cfg.verbose) fmt::print(stderr, "  -> [{}] {}\n", p.link->name(), detail(v));
    sent(p, p.link->send(std::move(bytes)));
  }
  // Waits until everything queued on c went out (separate TCP segments for split sends).
  void drain(Peer& p) {
    run_until([&] { return p.link->idle() || !p.link->open(); }, now_s() + 2.0);
  }

  std::string pending_summary(const Peer& c) const {
    std::string s;
    int n = 0;
    for (const auto& r : c.mailbox) {
      if (r.consumed) continue;
      if (n++ == 4) {
        s += "; ...";
        break;
      }
      s += (s.empty() ? "" : "; ") + detail(r.view());
    }
    return s.empty() ? "nothing" : s;
  }

  // ---------------------------------------------------------- building messages
  Option build_option(const OptionItem& item) const {
    Option o;
    if (const auto* k = std::get_if<KeyedOption>(&item.what)) {
      o = text::option(k->key, value(k->value));
    } else {
      const auto& r = std::get<RawOption>(item.what);
      o.type = number(r.type, "raw option type", 255);
      o.subtype = number(r.sub, "raw sub", 255);
      o.value = r.hex;
      if (r.text) {
        const std::string t = value(*r.text);
        o.value.assign(t.begin(), t.end());
      }
    }
    if (item.length) o.length_override = number(*item.length, "option length", 0xFFFF);
    return o;
  }

  Message build(const MessageSpec& spec, Peer& c) const {
    Message m;
    m.type = get(spec.type, text::message_type);
    if (spec.op) m.subtype = get(*spec.op, text::operation);
    if (spec.subtype) m.subtype = u8_of(*spec.subtype);
    if (spec.code) m.code = get(*spec.code, text::result_code);
    for (const auto& o : spec.options) m.add(build_option(o));
    if (spec.encoding.length) m.length_override = number(*spec.encoding.length, "length", 0xFFFF);
    if (std::holds_alternative<SeqAuto>(spec.seq)) {
      m.seq = c.next_seq;
    } else if (std::holds_alternative<SeqDup>(spec.seq)) {
      m.seq = c.last_seq.value_or(c.next_seq);
    } else {
      m.seq = get(std::get<Arg<std::uint32_t>>(spec.seq), text::sequence);
    }
    return m;
  }

  std::vector<std::uint8_t> encode(const Encoding& e, Message& m) const {
    const LengthConvention conv = e.literal ? LengthConvention::Literal3 : cfg.convention;
    if (e.length_delta) {
      const auto d = get(*e.length_delta, [](const std::string& s) { return text::signed_number(s, "length_delta"); });
      const auto natural = length_field_for(m.encoded_size(), conv);
      m.length_override = static_cast<std::uint16_t>(static_cast<long>(natural) + d);
    }
    Encoded enc = m.encode(conv);
    if (!enc) {
      // The suite asked for what the wire cannot carry: never a wrapped Length.
      throw Abort{Verdict::Error,
                  fmt::format("a message of {} octets exceeds the {} a VSM message can carry ({}); not sent",
                              enc.size(), max_message_size(conv), describe(*enc.error())),
                  {std::string(requirement(Req::Length).id)}};
    }
    std::vector<std::uint8_t> b = std::move(enc).value();
    if (e.truncate) {
      const auto k = number(*e.truncate, "truncate", UINT64_MAX);
      if (k < b.size()) b.resize(k);
    }
    b.insert(b.begin(), e.prepend.begin(), e.prepend.end());
    b.insert(b.end(), e.append.begin(), e.append.end());
    return b;
  }

  void note_sent(Peer& c, const MessageSpec& spec, const Message& m, bool dup_keeps_counter) {
    if (!dup_keeps_counter || !std::holds_alternative<SeqDup>(spec.seq)) {
      c.last_seq = m.seq;
      c.next_seq = next_seq(m.seq);
    }
    if (spec.capture_seq) vars[*spec.capture_seq] = std::to_string(m.seq);
    vars["sent_seq"] = std::to_string(m.seq);
  }

  // ---------------------------------------------------------- steps
  void step(const Send& s) {
    Peer& c = conn(s.conn);
    Message m = build(s.msg, c);
    auto bytes = encode(s.msg.encoding, m);
    note_sent(c, s.msg, m, true);
    if (m.type == u8(MsgType::Registration) && cfg.role == IutRole::Manager) {
      if (auto id = m.node_id()) c.node_id = *id;
    }
    if (s.split) {
      std::size_t prev = 0;
      const MessageView v = decode(bytes, cfg.convention);
      c.link->track(bytes);
      ladder(*c.link, true, bytes, detail(v) + " (split)");
      std::vector<std::size_t> cuts;
      for (const auto& x : *s.split) cuts.push_back(number(x, "split offset", UINT64_MAX));
      cuts.push_back(bytes.size());
      for (auto cut : cuts) {
        cut = std::min(cut, bytes.size());
        if (cut <= prev) continue;
        sent(c, c.link->send_raw(std::vector<std::uint8_t>(bytes.begin() + prev, bytes.begin() + cut)));
        drain(c);
        prev = cut;
      }
      return;
    }
    send_message(c, std::move(bytes));
  }

  // Several messages in one write (coalesced PDUs).
  void step(const Batch& b) {
    Peer& c = conn(b.conn);
    std::vector<std::uint8_t> all;
    for (const auto& spec : b.messages) {
      Message m = build(spec, c);
      auto bytes = encode(spec.encoding, m);
      note_sent(c, spec, m, false);
      const MessageView v = decode(bytes, cfg.convention);
      c.link->track(bytes);
      ladder(*c.link, true, bytes, detail(v) + " (coalesced)");
      all.insert(all.end(), bytes.begin(), bytes.end());
    }
    sent(c, c.link->send_raw(std::move(all)));
  }

  void step(const Garbage& g) {
    std::vector<std::uint8_t> b;
    if (const auto* h = std::get_if<std::vector<std::uint8_t>>(&g.bytes)) {
      b = *h;
    } else {
      const auto count = number(std::get<Arg<std::uint64_t>>(g.bytes), "garbage bytes", 1u << 20);
      for (std::uint64_t i = 0; i < count; ++i) b.push_back(static_cast<std::uint8_t>(rng()));
    }
    Peer& c = conn(g.conn);
    ladder(*c.link, true, b, fmt::format("{} raw byte(s) {}", b.size(), hex(b)));
    sent(c, c.link->send_raw(std::move(b)));
  }

  const Received* find_message(const std::string& of) {
    if (of == "last") return last_matched ? &*last_matched : nullptr;
    auto it = named.find(of);
    return it == named.end() ? nullptr : &it->second;
  }

  void step(const Ack& k) {
    const std::string of = k.of.value_or("last");
    const std::uint8_t code = k.code ? get(*k.code, text::result_code) : 0;
    std::vector<Option> extra;
    for (const auto& o : k.options) extra.push_back(build_option(o));
    Peer& c = conn(k.conn);
    const Received* req = find_message(of);
    if (!req) throw Abort{Verdict::Error, fmt::format("ack: no received message '{}' to acknowledge", of), {}};
    const MessageView rv = req->view();
    // Node ID of the ACK: the step's `node`, else the one this connection was given, else $node.
    std::uint32_t node = c.node_id;
    if (node == 0 && vars.count("node")) {
      node = static_cast<std::uint32_t>(text::number_max(vars["node"], "node", 0xFFFFFFFF));
    }
    if (k.node) node = number(*k.node, "node", 0xFFFFFFFF);
    Message a = ack_for(rv.header, static_cast<ResultCode>(code), node);
    a.code = code;
    if (k.no_node_id) a.options.clear();
    for (auto& o : extra) a.add(std::move(o));
    if (k.seq) a.seq = get(*k.seq, text::sequence);
    if (k.subtype) a.subtype = u8_of(*k.subtype);
    if (k.op) a.subtype = get(*k.op, text::operation);
    if (k.encoding.length) a.length_override = number(*k.encoding.length, "length", 0xFFFF);
    if (rv.is(MsgType::Registration) && cfg.role == IutRole::Agent) {
      if (auto id = a.node_id()) c.node_id = *id;
    }
    send_message(c, encode(k.encoding, a));
  }

  // ---------------------------------------------------------- predicates
  bool code_matches(const CodeMatch& want, std::uint8_t code) const {
    switch (want.kind) {
      case CodeMatch::Kind::Any: return true;
      case CodeMatch::Kind::Failure: return code >= 128;
      case CodeMatch::Kind::Value: break;
    }
    return want.code == code;
  }

  bool matches(const Predicate& p, const MessageView& v) const {
    if (!v.has_header()) return false;
    const Header& h = v.header;
    if (p.type && get(*p.type, text::message_type) != h.type) return false;
    if (p.op && get(*p.op, text::operation) != h.subtype) return false;
    if (p.subtype && u8_of(*p.subtype) != h.subtype) return false;
    if (p.seq && get(*p.seq, text::sequence) != h.seq) return false;
    if (!p.code.empty() && std::none_of(p.code.begin(), p.code.end(), [&](const Arg<CodeMatch>& c) {
          return code_matches(get(c, text::code_match), h.code);
        })) {
      return false;
    }
    for (const auto& k : p.has) {
      if (!find_opt(v, k)) return false;
    }
    for (const auto& k : p.lacks) {
      if (find_opt(v, k)) return false;
    }
    for (const auto& k : p.nonzero) {
      auto o = find_opt(v, k);
      if (!o || o->length == 0 || text::option_text(*o) == "0") return false;
    }
    for (const auto& ov : p.option) {
      auto o = find_opt(v, ov.key);
      if (!o) return false;
      const std::string got = text::option_text(*o);
      if (std::none_of(ov.any_of.begin(), ov.any_of.end(), [&](const auto& want) { return got == value(want); })) {
        return false;
      }
    }
    for (const auto& c : p.count) {
      if (count_opt(v, c.key) != number(c.count, "count", UINT64_MAX)) return false;
    }
    if (!p.negated.empty() && matches(p.negated[0], v)) return false;
    return true;
  }

  std::string field(const MessageView& v, const CaptureField& f) {
    switch (f.kind) {
      case CaptureField::Kind::Seq: return std::to_string(v.header.seq);
      case CaptureField::Kind::Code: return std::to_string(v.header.code);
      case CaptureField::Kind::Type: return std::to_string(v.header.type);
      case CaptureField::Kind::Subtype:
      case CaptureField::Kind::Op: return std::to_string(v.header.subtype);
      case CaptureField::Kind::Option: break;
    }
    auto o = find_opt(v, f.key);
    if (!o) {
      throw Abort{
          Verdict::Fail, fmt::format("capture: {} absent from {}", text::option_key_text(f.key), detail(v)), {}};
    }
    return text::option_text(*o);
  }

  void capture(const Expectation& x, const Received& r) {
    last_matched = r;
    if (x.as) named[*x.as] = r;
    if (x.capture.empty()) return;
    const MessageView v = r.view();
    for (const auto& c : x.capture) vars[c.var] = field(v, c.field);
  }

  // The first message of c's mailbox not yet consumed that matches p, waiting
  // for it until the deadline (and, with stop_on_close, until c closes);
  // nullptr when none came.
  Received* await_match(Peer& c, const Predicate& p, double deadline, bool stop_on_close) {
    Received* hit = nullptr;
    // Message number (Peer::dropped) of the first not checked yet (the predicate does not change while waiting).
    std::uint64_t next = c.dropped;
    run_until(
        [&] {
          for (next = std::max(next, c.dropped); next - c.dropped < c.mailbox.size(); ++next) {
            auto& r = c.mailbox[next - c.dropped];
            if (!r.consumed && matches(p, r.view())) {
              hit = &r;
              return true;
            }
          }
          return stop_on_close && !c.link->open();
        },
        deadline);
    return hit;
  }

  void step(const Expect& e) {
    Peer& c = conn(e.conn);
    const double t = timeout_of(e.timeout, profile.ack_timer);
    Received* hit = await_match(c, e.what.pred, now_s() + t, true);
    if (!hit) {
      // A stream stuck on a message that only the other convention would complete.
      const std::string got = pending_summary(c);
      const std::string where =
          c.link->open() ? "" : fmt::format(" (connection {}: {})", c.link->name(), c.link->close_reason());
      const auto rest = c.link->partial();
      const std::string partial = rest.empty() ? "" : fmt::format("; incomplete bytes {}", hex(rest));
      throw Abort{Verdict::Fail,
                  fmt::format("expected {} within {:.2f} s{}; received {}{}", describe_pred(e.what.pred), t, where, got,
                              partial),
                  blame(e.verifies)};
    }
    hit->consumed = true;
    capture(e.what, *hit);
  }

  void step(const ExpectAll& e) {
    Peer& c = conn(e.conn);
    const double deadline = now_s() + timeout_of(e.timeout, profile.ack_timer);
    const auto& list = e.messages;
    // Message numbers (Peer::dropped), kNone until found; one the bounded queue dropped is searched again.
    constexpr std::uint64_t kNone = ~std::uint64_t{0};
    std::vector<std::uint64_t> hits(list.size(), kNone);
    auto all = [&] {
      for (auto& h : hits) {
        if (h != kNone && h < c.dropped) h = kNone;
      }
      for (std::size_t i = 0; i < list.size(); ++i) {
        if (hits[i] != kNone) continue;
        for (std::size_t k = 0; k < c.mailbox.size(); ++k) {
          const std::uint64_t no = c.dropped + k;
          auto& r = c.mailbox[k];
          if (r.consumed || std::find(hits.begin(), hits.end(), no) != hits.end()) continue;
          if (matches(list[i].pred, r.view())) {
            hits[i] = no;
            break;
          }
        }
      }
      return std::all_of(hits.begin(), hits.end(), [&](std::uint64_t h) { return h != kNone; }) || !c.link->open();
    };
    run_until(all, deadline);
    for (auto& h : hits) {
      if (h != kNone && h < c.dropped) h = kNone;
    }
    std::string missing;
    for (std::size_t i = 0; i < list.size(); ++i) {
      if (hits[i] == kNone) missing += (missing.empty() ? "" : "; ") + describe_pred(list[i].pred);
    }
    if (!missing.empty()) {
      throw Abort{Verdict::Fail,
                  fmt::format("expected all of [{}] — missing; received {}", missing, pending_summary(c)),
                  blame(e.verifies)};
    }
    for (std::size_t i = 0; i < list.size(); ++i) {
      Received& r = c.mailbox[hits[i] - c.dropped];
      r.consumed = true;
      capture(list[i], r);
    }
  }

  void step(const ExpectNone& e) {
    Peer& c = conn(e.conn);
    const double t0 = now_s();
    const double within = e.within ? seconds(*e.within, kWithinTimers) : profile.negative_wait;
    Received* hit = await_match(c, e.pred, t0 + within, false);
    if (res) res->waited += now_s() - t0;
    if (hit) {
      hit->consumed = true;
      throw Abort{Verdict::Fail,
                  fmt::format("expected no {} within {:.2f} s; received {}", describe_pred(e.pred), within,
                              detail(hit->view())),
                  blame(e.verifies)};
    }
  }

  void step(const ExpectClose& e) {
    Peer& c = conn(e.conn);
    const double t = timeout_of(e.timeout, profile.ack_timer);
    if (!run_until([&] { return !c.link->open(); }, now_s() + t)) {
      throw Abort{
          Verdict::Fail,
          fmt::format("expected the IUT to close connection {} within {:.2f} s; it stayed open", c.link->name(), t),
          blame(e.verifies)};
    }
  }

  // ---------------------------------------------------------- connection steps
  void accept(const ConnArg& conn_arg, const std::optional<Arg<Duration>>& timeout) {
    if (cfg.role != IutRole::Agent) throw ScenarioError("accept is for the agent role (use connect)");
    const std::string name = conn_name(conn_arg);
    const double t = timeout_of(timeout, profile.start_timeout);
    const bool started = !cfg.iut_cmd.empty() && iut.running();
    take_incoming();
    if (!run_until([&] { return !unclaimed.empty() || (started && iut.exited()); }, now_s() + t)) {
      not_connected(fmt::format("the agent did not connect to {} within {:.1f} s", address(), t));
    }
    if (unclaimed.empty()) not_connected("the agent under test " + iut.exit_text() + " before connecting");
    claim(name);
  }
  // The IUT did not connect. When it never did in this run (it cannot start, exits at once, or nobody
  // starts it), the run stops after this test: every further test would wait the same way.
  [[noreturn]] void not_connected(std::string why) {
    const std::string out = iut.output_tail();
    if (!cfg.iut_cmd.empty()) {
      const std::string ended = iut.exit_text();
      if (!ended.empty() && why.find(ended) == std::string::npos) why += " (it " + ended + ")";
      why += out.empty() ? "; it wrote nothing" : "; its last output: " + out;
    } else {
      why += cfg.role == IutRole::Agent ? " (no --iut-cmd: start the agent so that it connects there)"
                                        : " (no --iut-cmd: start the manager so that it listens there)";
    }
    if (ever_connected) throw Abort{Verdict::Inconclusive, why, {}};
    Abort a{Verdict::Error, why, {}};
    a.stop_run = true;
    throw a;
  }
  void step(const Accept& a) { accept(a.conn, a.timeout); }

  std::shared_ptr<Link> try_connect(const std::string& bind, double deadline, const std::string& name) {
    auto c = net.connect(cfg.host, port, bind, name);
    if (!run_until([&] { return c->done; }, deadline)) {
      net.cancel(*c);
      run_until([&] { return c->done; }, now_s() + 1);
      return nullptr;
    }
    return c->link;
  }

  void connect(const ConnArg& conn_arg, const std::optional<Arg<std::string>>& bind_arg,
               const std::optional<Arg<Duration>>& timeout) {
    if (cfg.role != IutRole::Manager) throw ScenarioError("connect is for the manager role (use accept)");
    const std::string name = conn_name(conn_arg);
    const std::string bind = bind_arg ? value(*bind_arg) : "";
    const double deadline = now_s() + timeout_of(timeout, profile.start_timeout);
    while (true) {
      if (auto link = try_connect(bind, deadline, name)) {
        add_conn(name, std::move(link));
        return;
      }
      if (now_s() >= deadline) break;
      pause_quiet(0.05);
    }
    not_connected(fmt::format("could not connect to the manager at {}", address()));
  }
  void step(const Connect& c) { connect(c.conn, c.bind, c.timeout); }

  // `close: {abort: true}` ends the connection with a TCP RST or an SCTP ABORT
  // (SO_LINGER 0) instead of FIN / SHUTDOWN.
  void close(const ConnArg& conn_arg, bool abort) {
    Peer& c = conn(conn_arg);
    drain(c);
    if (!abort) {
      c.link->close("closed by the runner");
      return;
    }
    c.link->abort(cfg.sctp ? "aborted by the runner (SCTP ABORT)" : "aborted by the runner (TCP RST)");
  }
  void step(const Close& c) { close(c.conn, c.abort); }
  void step(const Reconnect& r) {
    close(r.conn, r.abort);
    const std::string name = conn_name(r.conn);
    conns[name]->link->detach("reconnect");
    conns.erase(name);
    if (cfg.role == IutRole::Agent) {
      accept(r.conn, r.timeout);
    } else {
      connect(r.conn, r.bind, r.timeout);
    }
  }

  // ---------------------------------------------------------- triggers and processes
  void step(const Trigger& t) {
    auto it = profile.triggers.find(t.name);
    if (it == profile.triggers.end()) {
      throw Abort{
          Verdict::NA, fmt::format("the profile defines no trigger '{}'", t.name), {}, Result::NaWhy::NeedsTrigger};
    }
    auto local = vars;
    for (const auto& [k, v] : t.vars) local[k] = value(v);
    const TriggerSpec& spec = it->second;
    if (!spec.signal.empty()) {
      if (!iut.running()) {
        throw Abort{Verdict::Inconclusive, "trigger needs an IUT process started with --iut-cmd", {}};
      }
      iut.signal(spec.signal);
    }
    if (!spec.cmd.empty()) {
      const auto status = iut.run(split_args(expand(spec.cmd, local)), guarded(), 10);
      if (!status) throw Abort{Verdict::Error, fmt::format("trigger '{}' did not finish", t.name), {}};
      if (!WIFEXITED(*status) || WEXITSTATUS(*status) != 0) {
        throw Abort{Verdict::Inconclusive, fmt::format("trigger '{}' failed (status {})", t.name, *status), {}};
      }
    }
  }

  std::vector<std::string> iut_argv() const {
    std::map<std::string, std::string> sub{{"host", cfg.host}, {"port", std::to_string(port)}};
    for (const auto& [k, v] : vars) sub[k] = v;
    std::vector<std::string> argv;
    for (const auto& a : split_args(cfg.iut_cmd)) argv.push_back(expand(a, sub));
    for (const auto& a : profile.start_args) argv.push_back(expand(a, sub));
    return argv;
  }

  // Another instance of the IUT, started like the first (without the test's at-start triggers).
  void step(const Spawn&) {
    if (cfg.iut_cmd.empty()) throw Abort{Verdict::NA, "spawn needs --iut-cmd", {}, Result::NaWhy::NeedsIutCmd};
    iut.spawn(iut_argv());
  }

  // ---------------------------------------------------------- the rest
  void step(const Wait& w) { pause(seconds(w.how, kWaitTimers)); }
  void step(const Call& c, int depth) {
    auto it = suite.fragments.find(c.name);
    if (it == suite.fragments.end()) throw ScenarioError(fmt::format("unknown fragment '{}'", c.name));
    for (const auto& [k, v] : c.args) vars[k] = value(v);
    run_steps(it->second.steps, depth + 1);
  }
  void step(const Set& s) {
    for (const auto& [k, v] : s.vars) vars[k] = value(v);
  }
  void step(const Log& l) {
    const std::string text = expand(l.text, vars);
    if (cfg.verbose) fmt::print(stderr, "  log: {}\n", text);
    if (res && res->ladder.size() < cfg.record_messages + kLadderHeadroom) {
      Exchange e;
      e.kind = Exchange::Kind::Log;
      e.t = now_s();
      e.summary = cut_text("log: " + text);
      res->ladder.push_back(std::move(e));
    } else if (res) {
      ++res->not_recorded.messages;
    }
  }

  void run_steps(const Steps& steps, int depth = 0) {
    if (depth > 8) throw ScenarioError("fragments call each other too deeply");
    for (const Step& s : steps) {
      phase = fmt::format("{} at line {}", step_keyword(s.what), s.at.line);
      std::visit(
          [&](const auto& x) {
            if constexpr (std::is_same_v<std::decay_t<decltype(x)>, Call>) {
              step(x, depth);
            } else {
              step(x);
            }
          },
          s.what);
    }
  }

  // Triggers anywhere in the test (fragments included).
  std::vector<std::string> triggers_of(const TestCase& t) const {
    std::vector<std::string> names;
    for (const Steps* steps : {&t.preamble, &t.body, &t.postamble}) {
      for_each_step(suite, *steps, [&](const Step& s) {
        if (const auto* tr = std::get_if<Trigger>(&s.what)) names.push_back(tr->name);
      });
    }
    return names;
  }

  struct NotApplicable {
    std::string reason;  // empty: the test applies
    Result::NaWhy why = Result::NaWhy::None;
  };
  NotApplicable not_applicable(const TestCase& t) const {
    using W = Result::NaWhy;
    if (t.role != cfg.role) return {fmt::format("the test is for a {} under test", role_keyword(t.role)), W::None};
    // VSM-5-SCTP: SCTP tests need an SCTP run (the profile's `sctp` capability claims SCTP).
    if (t.sctp_only && !cfg.sctp)
      return {"an SCTP test (VSM-5-SCTP): it runs with --transport sctp", W::OtherTransport};
    for (const auto& c : t.capabilities) {
      if (!profile.capabilities.count(c)) {
        return {fmt::format("not claimed: the profile does not list capability '{}'", c), W::NotClaimed};
      }
      if (c == "second_instance" && cfg.iut_cmd.empty()) return {"a second instance needs --iut-cmd", W::NeedsIutCmd};
    }
    if (t.restarts_iut && cfg.iut_cmd.empty()) {
      return {"the test ends the IUT process: it needs --iut-cmd", W::NeedsIutCmd};
    }
    for (const auto& name : triggers_of(t)) {
      auto it = profile.triggers.find(name);
      if (it == profile.triggers.end()) {
        return {fmt::format("needs a trigger: the profile defines no trigger '{}'", name), W::NeedsTrigger};
      }
      if (!it->second.at_start.empty() && cfg.iut_cmd.empty()) {
        return {fmt::format("trigger '{}' needs the runner to start the IUT (--iut-cmd)", name), W::NeedsIutCmd};
      }
      if (!it->second.signal.empty() && cfg.iut_cmd.empty()) {
        return {fmt::format("trigger '{}' signals the IUT process: needs --iut-cmd", name), W::NeedsIutCmd};
      }
    }
    return {};
  }

  std::string address() const {
    const std::string h = cfg.host.find(':') != std::string::npos ? "[" + cfg.host + "]" : cfg.host;
    return fmt::format("{}:{}", h, port);
  }

  // ---------------------------------------------------------- the IUT process
  void start_iut(const TestCase& t) {
    // A port picked by the runner may be taken by someone else before the manager binds it: try another.
    for (int attempt = 1;; ++attempt) {
      try {
        start_iut_once(t);
        return;
      } catch (const Abort& a) {
        if (attempt == 3 || cfg.role != IutRole::Manager || cfg.port != 0 || a.verdict != Verdict::Error ||
            !iut.exit_text().empty()) {
          throw;
        }
      }
    }
  }

  void start_iut_once(const TestCase& t) {
    if (cfg.iut_cmd.empty()) return;
    if (cfg.role == IutRole::Manager && cfg.port == 0) port = net.free_port(cfg.host);
    std::vector<std::string> argv = iut_argv();
    std::map<std::string, std::string> sub{{"host", cfg.host}, {"port", std::to_string(port)}};
    for (const auto& [k, v] : vars) sub[k] = v;
    for (const auto& name : triggers_of(t)) {
      if (auto it = profile.triggers.find(name); it != profile.triggers.end()) {
        for (const auto& a : it->second.at_start) argv.push_back(expand(a, sub));
      }
    }
    iut.start(argv);
    if (cfg.role != IutRole::Manager) return;
    // Ready once it accepts a connection.
    const double deadline = now_s() + profile.start_timeout;
    while (now_s() < deadline) {
      if (auto probe = try_connect("", deadline, "probe")) {
        probe->detach("probe");
        ever_connected = true;
        return;
      }
      if (iut.exited()) not_connected("the manager under test " + iut.exit_text() + " at start");
      pause_quiet(0.02);
    }
    const std::string out = iut.output_tail();
    stop_iut();
    std::string why =
        fmt::format("the manager under test does not accept on {} within {:.1f} s", address(), profile.start_timeout);
    why += out.empty() ? "; it wrote nothing" : "; its last output: " + out;
    Abort a{Verdict::Error, why, {}};
    a.stop_run = !ever_connected;
    throw a;
  }

  // Every instance: the loop keeps serving the connections while they stop (not bounded by the guard).
  void stop_iut() {
    iut.stop([this](const std::function<bool()>& done, double deadline) { return net.run_until(done, deadline); });
  }

  // ---------------------------------------------------------- one test
  void settle() {
    // Every request we sent gets its ACK within the ACK timer (VSM-5-ACK), event-driven.
    const double deadline = now_s() + profile.ack_timer;
    run_until(
        [&] {
          for (auto& [n, c] : conns) {
            if (c->link->open() && c->link->unanswered() > 0) return false;
          }
          return true;
        },
        deadline);
    for (auto& [n, c] : conns) {
      for (const auto& f : c->link->expire_unanswered(now_s() + profile.ack_timer + 1)) {
        if (c->link->open()) finding(f, fmt::format("(no ACK on connection {})", n));
      }
    }
  }

  Result run(const TestCase& t) {
    Result r;
    r.test = &t;
    if (const auto na = not_applicable(t); !na.reason.empty()) {
      r.verdict = Verdict::NA;
      r.reason = na.reason;
      r.na_why = na.why;
      return r;
    }
    if (!stopped.empty()) {  // the IUT could not be started or never connected: the run stopped early
      r.verdict = Verdict::Error;
      r.reason = "not run: " + stopped;
      return r;
    }
    res = &r;
    tc = &t;
    vars = variables_with_defaults(profile, cfg.role);
    last_matched.reset();
    named.clear();
    const double t0 = now_s();
    guard_deadline = t0 + t.guard;
    net.drop_waiting();
    bool& in_pre = in_preamble;
    in_pre = true;
    try {
      // Variables neither the suite nor the profile defines: the test cannot run as written.
      if (const auto d = check_variables(suite, profile, &t); !d.empty()) {
        std::string why;
        for (const auto& x : d) why += (why.empty() ? "" : "; ") + x.text();
        throw ScenarioError(why);
      }
      try {
        start_iut(t);
        phase = "preamble";
        run_steps(t.preamble);
        in_pre = false;
        run_steps(t.body);
        if (t.policy.settle_acks) settle();
        r.completed = true;
      } catch (Abort& a) {
        Verdict v = a.verdict;
        // A preamble step that verifies no requirement of its own: the test could not reach its point.
        if (in_pre && v == Verdict::Fail && a.reqs.empty()) v = Verdict::Inconclusive;
        if (a.stop_run) stopped = fmt::format("{} (in {})", a.reason, t.id);
        if (v == Verdict::NA && r.verdict == Verdict::Pass) {
          r.verdict = Verdict::NA;
          r.reason = a.reason;
          r.na_why = a.na_why;
        } else if (v == Verdict::NA) {
          r.notes.push_back("NA: " + a.reason);
        } else {
          record(v, (in_pre ? "preamble: " : "") + a.reason, a.reqs);
        }
      }
      try {
        run_steps(t.postamble);
      } catch (Abort& a) {
        r.notes.push_back("postamble: " + a.reason);
      }
      stop_iut();
    } catch (const ScenarioError& e) {
      stop_iut();
      record(Verdict::Error, fmt::format("scenario error: {}", e.what()), {});
    } catch (const text::Error& e) {
      stop_iut();
      record(Verdict::Error, fmt::format("scenario error: {}", e.what()), {});
    } catch (const std::exception& e) {
      stop_iut();
      record(Verdict::Error, fmt::format("tool error: {}", e.what()), {});
    }
    net.poll();  // what is still in flight on every connection, the unclaimed ones too, is checked and shown
    for (auto& [n, c] : conns) c->link->detach("test over");
    for (auto& c : unclaimed) c->link->detach("test over");
    conns.clear();
    unclaimed.clear();
    in_pre = false;
    // Let the cancelled handlers run.
    net.poll();
    r.seconds = now_s() - t0;
    res = nullptr;
    tc = nullptr;
    return r;
  }
};

Executor::Executor(RunConfig cfg, const Profile& profile, const Suite& suite)
    : impl_(std::make_unique<Impl>(std::move(cfg), profile, suite)) {}
Executor::~Executor() = default;
void Executor::open() {
  if (impl_->cfg.role != IutRole::Agent) return;
  impl_->net.listen(impl_->cfg.host, impl_->cfg.port);
  impl_->port = impl_->net.listening_port();
}
std::string Executor::address() const { return impl_->address(); }
Result Executor::run(const TestCase& tc) { return impl_->run(tc); }
std::string Executor::not_applicable(const TestCase& tc) const { return impl_->not_applicable(tc).reason; }
const std::string& Executor::stopped() const { return impl_->stopped; }

}  // namespace vsm::conform
