// SPDX-License-Identifier: GPL-2.0-or-later
#include "engine.hpp"

// clang-format off
#include <utility>
#include <boost/asio.hpp>
// clang-format on
#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <deque>
#include <random>
#include <set>

#include "transport.hpp"
#include "vsm/exchange.hpp"
#include "vsm/framing.hpp"
#include "vsm/message.hpp"
#include "vsm/rules.hpp"
#include "vsm/text.hpp"

namespace vsm::conform {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

const Clock::time_point kEpoch = Clock::now();
double now_s() { return std::chrono::duration<double>(Clock::now() - kEpoch).count(); }
Clock::time_point at(double s) {
  return kEpoch + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
}

// Why a step stops the test: the verdict it leads to (in the body; the
// preamble turns failures into inconclusive).
struct Abort {
  Verdict verdict;
  std::string reason;
  std::vector<std::string> reqs;
};

std::string hex(std::span<const std::uint8_t> b, std::size_t max = 48) {
  std::string s;
  for (std::size_t i = 0; i < b.size() && i < max; ++i) s += fmt::format("{:02x}", b[i]);
  if (b.size() > max) s += "...";
  return s;
}

std::vector<std::uint8_t> from_hex(const std::string& h) {
  std::vector<std::uint8_t> out;
  std::string digits;
  for (char c : h) {
    if (std::isxdigit(static_cast<unsigned char>(c))) {
      digits += c;
    } else if (c != ' ' && c != ':') {
      throw ScenarioError(fmt::format("bad hex string '{}'", h));
    }
  }
  if (digits.size() % 2) throw ScenarioError(fmt::format("odd number of hex digits in '{}'", h));
  for (std::size_t i = 0; i < digits.size(); i += 2) {
    out.push_back(static_cast<std::uint8_t>(std::stoul(digits.substr(i, 2), nullptr, 16)));
  }
  return out;
}

// Decoded message with every option, for reasons: the summary plus the options.
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
  return s;
}

}  // namespace

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

// ---------------------------------------------------------------- scalars

namespace {

struct Vars {
  std::map<std::string, std::string> v;
  bool dry = false;
  std::string resolve(const YAML::Node& n) const {
    if (!n.IsScalar()) throw ScenarioError(fmt::format("expected a scalar at line {}", n.Mark().line + 1));
    const std::string s = n.as<std::string>();
    return resolve(s);
  }
  std::string resolve(const std::string& s) const {
    if (s.size() > 1 && s[0] == '$') {
      auto it = v.find(s.substr(1));
      if (it != v.end()) return it->second;
      if (dry) return "1";
      throw ScenarioError(fmt::format("unknown variable {}", s));
    }
    return s;
  }
  // Replaces {name} in a template.
  std::string expand(std::string t) const {
    for (const auto& [k, val] : v) {
      const std::string key = "{" + k + "}";
      for (std::size_t p; (p = t.find(key)) != std::string::npos;) t.replace(p, key.size(), val);
    }
    return t;
  }
};

std::uint64_t to_number(const std::string& s, const char* what) {
  try {
    std::size_t pos = 0;
    const auto n = std::stoull(s, &pos, 0);
    if (pos != s.size()) throw std::invalid_argument(s);
    return n;
  } catch (const std::exception&) {
    throw ScenarioError(fmt::format("{}: '{}' is not a number", what, s));
  }
}

std::uint8_t keyword_or_number(std::span<const Named> table, const std::string& s, const char* what) {
  if (const Named* n = find_keyword(table, s)) return n->value;
  if (!s.empty() && std::isdigit(static_cast<unsigned char>(s[0]))) {
    const auto n = to_number(s, what);
    if (n > 255) throw ScenarioError(fmt::format("{} {} out of range", what, s));
    return static_cast<std::uint8_t>(n);
  }
  throw ScenarioError(fmt::format("unknown {} '{}'", what, s));
}

// "node_id", "node_id#2", "function_info.running_status", "9.1" (numbers).
struct OptKey {
  std::uint8_t type = 0;
  std::optional<std::uint8_t> sub;
  unsigned index = 0;
  const OptionSpec* spec = nullptr;
  const SubOptionSpec* sub_spec = nullptr;
};

OptKey parse_opt_key(std::string key) {
  OptKey k;
  if (auto h = key.find('#'); h != std::string::npos) {
    const auto n = to_number(key.substr(h + 1), "option index");
    if (n < 1) throw ScenarioError("option index starts at 1");
    k.index = static_cast<unsigned>(n - 1);
    key = key.substr(0, h);
  }
  std::string sub;
  if (auto d = key.find('.'); d != std::string::npos) {
    sub = key.substr(d + 1);
    key = key.substr(0, d);
  }
  k.spec = option_spec(key);
  if (!k.spec) {
    if (key.empty() || !std::isdigit(static_cast<unsigned char>(key[0]))) {
      throw ScenarioError(fmt::format("unknown option '{}'", key));
    }
    k.type = static_cast<std::uint8_t>(to_number(key, "option type"));
    k.spec = option_spec(k.type);
  } else {
    k.type = k.spec->type;
  }
  if (!sub.empty()) {
    if (k.spec) {
      for (const auto& s : k.spec->subs) {
        if (s.keyword == sub) {
          k.sub = s.sub;
          k.sub_spec = &s;
        }
      }
    }
    if (!k.sub) {
      if (!std::isdigit(static_cast<unsigned char>(sub[0]))) {
        throw ScenarioError(fmt::format("unknown sub-option '{}' of '{}'", sub, key));
      }
      k.sub = static_cast<std::uint8_t>(to_number(sub, "sub-option type"));
      k.sub_spec = sub_option_spec(k.type, *k.sub);
    }
  }
  return k;
}

// The option's value as scenario text: numbers in decimal, addresses dotted, text as is.
std::string option_text(const OptionView& o) {
  const OptionSpec* spec = option_spec(o.type);
  if (spec && spec->fixed_length) {
    switch (static_cast<OptType>(o.type)) {
      case OptType::NodeId:
      case OptType::FunctionId:
        if (auto v = o.u32()) return std::to_string(*v);
        break;
      case OptType::Port:
        if (auto v = o.u16()) return std::to_string(*v);
        break;
      case OptType::IPv4:
        if (auto v = o.ipv4()) return asio::ip::address_v4(*v).to_string();
        break;
      case OptType::IPv6:
        if (auto v = o.ipv6()) return asio::ip::address_v6(*v).to_string();
        break;
      default: break;
    }
    return hex(o.value, 64);
  }
  const SubOptionSpec* ss = sub_option_spec(o.type, o.subtype);
  if (ss && ss->kind == ValueKind::NtpTime) {
    if (auto t = o.ntp()) return std::to_string(t->unix_seconds());
  }
  if (ss && ss->kind == ValueKind::Address) {
    if (o.value.size() == 4) return asio::ip::address_v4(*o.ipv4()).to_string();
    if (o.value.size() == 16) return asio::ip::address_v6(*o.ipv6()).to_string();
  }
  return std::string(o.text());
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

// Builds one option from a one-key map (plus optional `length` mutation).
Option build_option(const YAML::Node& n, const Vars& vars) {
  if (!n.IsMap()) throw ScenarioError(fmt::format("option at line {} must be a map", n.Mark().line + 1));
  Option o;
  bool have = false;
  std::optional<std::uint16_t> len;
  for (const auto& kv : n) {
    const auto key = kv.first.as<std::string>();
    if (key == "length") {
      len = static_cast<std::uint16_t>(to_number(vars.resolve(kv.second), "option length"));
      continue;
    }
    if (have) throw ScenarioError(fmt::format("option at line {} names two options", n.Mark().line + 1));
    have = true;
    if (key == "raw") {
      const auto& r = kv.second;
      o.type = static_cast<std::uint8_t>(to_number(vars.resolve(r["type"]), "raw option type"));
      o.subtype = r["sub"] ? static_cast<std::uint8_t>(to_number(vars.resolve(r["sub"]), "raw sub")) : 0;
      o.value = r["hex"] ? from_hex(r["hex"].as<std::string>()) : std::vector<std::uint8_t>{};
      if (r["text"]) {
        const auto t = vars.resolve(r["text"]);
        o.value.assign(t.begin(), t.end());
      }
      continue;
    }
    const OptKey k = parse_opt_key(key);
    const std::string val = vars.resolve(kv.second);
    if (!k.spec) throw ScenarioError(fmt::format("option '{}': use raw for undefined types", key));
    if (k.spec->fixed_length) {
      if (k.sub) throw ScenarioError(fmt::format("option '{}' has no sub-options", key));
      switch (static_cast<OptType>(k.type)) {
        case OptType::NodeId: o = Option::node_id(static_cast<std::uint32_t>(to_number(val, key.c_str()))); break;
        case OptType::FunctionId:
          o = Option::function_id(static_cast<std::uint32_t>(to_number(val, key.c_str())));
          break;
        case OptType::Port: o = Option::port(static_cast<std::uint16_t>(to_number(val, key.c_str()))); break;
        case OptType::IPv4: {
          boost::system::error_code ec;
          auto a = asio::ip::make_address_v4(val, ec);
          if (ec && !vars.dry) throw ScenarioError(fmt::format("bad IPv4 address '{}'", val));
          o = Option::ipv4(ec ? std::array<std::uint8_t, 4>{127, 0, 0, 1} : a.to_bytes());
          break;
        }
        case OptType::IPv6: {
          boost::system::error_code ec;
          auto a = asio::ip::make_address_v6(val, ec);
          if (ec && !vars.dry) throw ScenarioError(fmt::format("bad IPv6 address '{}'", val));
          o = Option::ipv6(ec ? asio::ip::address_v6::loopback().to_bytes() : a.to_bytes());
          break;
        }
        default: break;
      }
      continue;
    }
    if (!k.sub) throw ScenarioError(fmt::format("option '{}' needs a sub-option (OPTION.ITEM)", key));
    const auto t = static_cast<OptType>(k.type);
    if (val.empty()) {
      o = Option::empty(t, *k.sub);
    } else if (k.sub_spec && k.sub_spec->kind == ValueKind::NtpTime) {
      const auto secs = val == "now" ? static_cast<std::int64_t>(std::time(nullptr))
                                     : static_cast<std::int64_t>(to_number(val, key.c_str()));
      o = Option::ntp(t, *k.sub, NtpTime::from_unix(secs));
    } else if (k.sub_spec && k.sub_spec->kind == ValueKind::Address) {
      boost::system::error_code ec;
      auto a = asio::ip::make_address(val, ec);
      if (ec && !vars.dry) throw ScenarioError(fmt::format("bad address '{}'", val));
      if (!ec && a.is_v6()) {
        const auto b = a.to_v6().to_bytes();
        o = Option::raw(k.type, *k.sub, b);
      } else {
        const auto b = ec ? std::array<std::uint8_t, 4>{127, 0, 0, 1} : a.to_v4().to_bytes();
        o = Option::raw(k.type, *k.sub, b);
      }
    } else {
      o = Option::text(t, *k.sub, val);
    }
  }
  if (!have) throw ScenarioError(fmt::format("option at line {} names no option", n.Mark().line + 1));
  o.length_override = len;
  return o;
}

const std::set<std::string> kSendKeys{"type",   "op",           "subtype",  "code",       "seq",         "options",
                                      "length", "length_delta", "truncate", "split",      "prepend_hex", "append_hex",
                                      "conn",   "capture_seq",  "literal",  "no_node_id", "of",          "node"};

void check_keys(const YAML::Node& n, const std::set<std::string>& allowed, const char* step) {
  if (!n.IsMap()) return;
  for (const auto& kv : n) {
    const auto k = kv.first.as<std::string>();
    if (!allowed.count(k)) {
      throw ScenarioError(fmt::format("{}: unknown key '{}' at line {}", step, k, kv.first.Mark().line + 1));
    }
  }
}

const std::set<std::string> kPredKeys{"type",    "op",    "code",    "seq", "subtype", "has",  "lacks",  "option",
                                      "nonzero", "count", "capture", "as",  "timeout", "conn", "within", "not"};

}  // namespace

// ---------------------------------------------------------------- processes

std::vector<std::string> split_args(const std::string& cmd) {
  std::vector<std::string> out;
  std::string cur;
  bool in = false;
  char quote = 0;
  for (char c : cmd) {
    if (quote) {
      if (c == quote) {
        quote = 0;
      } else {
        cur += c;
      }
    } else if (c == '\'' || c == '"') {
      quote = c;
      in = true;
    } else if (c == ' ' || c == '\t' || c == '\n') {
      if (in) out.push_back(cur);
      cur.clear();
      in = false;
    } else {
      cur += c;
      in = true;
    }
  }
  if (in) out.push_back(cur);
  return out;
}

namespace {

pid_t spawn(const std::vector<std::string>& argv, const std::string& log) {
  if (argv.empty()) throw std::runtime_error("empty command");
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error(fmt::format("fork failed: {}", std::strerror(errno)));
  if (pid == 0) {
    setpgid(0, 0);
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
      close(fd);
    }
    const int nul = ::open("/dev/null", O_RDONLY);
    if (nul >= 0) dup2(nul, 0);
    std::vector<char*> a;
    for (const auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
    a.push_back(nullptr);
    execvp(a[0], a.data());
    fmt::print(stderr, "vsm-conform: cannot run {}: {}\n", argv[0], std::strerror(errno));
    _exit(127);
  }
  setpgid(pid, pid);
  return pid;
}

}  // namespace

// ---------------------------------------------------------------- engine

struct Engine::Impl {
  struct Received {
    std::vector<std::uint8_t> bytes;
    LengthConvention conv = LengthConvention::Total4;
    double t = 0;
    bool consumed = false;
    MessageView view() const { return decode(bytes, conv); }
  };

  struct Conn {
    std::string name;
    tcp::socket sock;
    bool open = true;
    bool framing_lost = false;
    std::string close_reason;
    std::vector<std::uint8_t> rbuf;
    std::array<std::uint8_t, 4096> chunk{};
    std::deque<Received> mailbox;
    ExchangeTracker tracker;
    std::uint32_t next_seq = 1;
    std::optional<std::uint32_t> last_seq;
    std::uint32_t node_id = 0;
    std::uint64_t counter = 0;
    std::deque<std::shared_ptr<std::vector<std::uint8_t>>> wq;
    bool writing = false;
    bool dead = false;  // test over: handlers do nothing
    std::uint64_t uid = 0;
    Endpoint local, remote;
    Conn(std::string n, tcp::socket s, TrackerConfig tc) : name(std::move(n)), sock(std::move(s)), tracker(tc) {}
  };
  using ConnPtr = std::shared_ptr<Conn>;

  RunConfig cfg;
  const Profile& profile;
  const Suite& suite;
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
  std::optional<tcp::acceptor> acceptor;
  std::deque<tcp::socket> accepted;
  std::uint16_t port = 0;

  // Per test.
  const TestCase* tc = nullptr;
  Result* res = nullptr;
  Vars vars;
  std::map<std::string, ConnPtr> conns;
  std::string phase;
  double guard_deadline = 0;
  pid_t iut_pid = -1;
  std::vector<pid_t> extra_pids;  // further instances (`spawn`)
  std::optional<Received> last_matched;
  std::map<std::string, Received> named;
  std::mt19937_64 rng;
  bool dry = false;

  asio::signal_set sigchld{io, SIGCHLD};  // child exits wake the event loop

  Impl(RunConfig c, const Profile& p, const Suite& s) : cfg(std::move(c)), profile(p), suite(s), rng(cfg.seed) {
    arm_sigchld();
  }
  void arm_sigchld() {
    sigchld.async_wait([this](boost::system::error_code ec, int) {
      if (!ec) arm_sigchld();
    });
  }

  // ---------------------------------------------------------- verdicts
  static constexpr std::size_t kMaxNotes = 20;
  static constexpr std::size_t kMaxLadder = 4000;
  static constexpr std::size_t kMaxQueued = 10000;
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
    record(Verdict::Fail, fmt::format("always-on check: {} in received {}", describe(f), about), {id});
    return true;
  }

  // ---------------------------------------------------------- event loop
  // Runs the loop until pred() or the deadline (seconds, now_s() base). Guard expiry aborts.
  bool run_until(const std::function<bool()>& pred, double deadline) {
    const double d = std::min(deadline, guard_deadline);
    while (!pred()) {
      if (now_s() >= d) {
        if (d >= guard_deadline && deadline > guard_deadline) {
          std::string got;
          for (const auto& [n, c] : conns)
            got += fmt::format("{}[{}] {}", got.empty() ? "" : "; ", n, pending_summary(*c));
          throw Abort{Verdict::Fail,
                      fmt::format("guard timeout of {} s reached during {}; unclaimed messages received: {}", tc->guard,
                                  phase, got.empty() ? "none (no connection)" : got),
                      {}};
        }
        return false;
      }
      if (io.stopped()) io.restart();
      io.run_one_until(at(d));
    }
    return true;
  }
  void pause(double seconds) {
    const double t0 = now_s();
    run_until([] { return false; }, t0 + seconds);
    if (res) res->waited += now_s() - t0;
  }

  // ---------------------------------------------------------- listening
  void open() {
    if (cfg.role != IutRole::Agent) return;
    tcp::endpoint ep(asio::ip::make_address(cfg.host), cfg.port);
    acceptor.emplace(io);
    transport::open(*acceptor, ep.protocol(), cfg.sctp);
    acceptor->set_option(tcp::acceptor::reuse_address(true));
    acceptor->bind(ep);
    acceptor->listen();
    port = acceptor->local_endpoint().port();
    do_accept();
  }
  void do_accept() {
    acceptor->async_accept([this](boost::system::error_code ec, tcp::socket s) {
      if (ec) {
        if (ec != asio::error::operation_aborted) do_accept();
        return;
      }
      transport::tune(s, cfg.sctp, cfg.sctp_ppid);
      accepted.push_back(std::move(s));
      do_accept();
    });
  }

  // ---------------------------------------------------------- connections
  TrackerConfig tracker_config() const {
    TrackerConfig t;
    t.ack_timeout = profile.ack_timer;
    t.initiator_role = Role::Node;
    return t;
  }
  Dir iut_dir() const { return cfg.role == IutRole::Agent ? Dir::FromInitiator : Dir::FromResponder; }
  Dir runner_dir() const { return other(iut_dir()); }

  ConnPtr add_conn(const std::string& name, tcp::socket s) {
    auto c = std::make_shared<Conn>(name, std::move(s), tracker_config());
    static std::uint64_t uids = 0;
    c->uid = ++uids;
    boost::system::error_code ec;
    c->local = endpoint(c->sock.local_endpoint(ec));
    c->remote = endpoint(c->sock.remote_endpoint(ec));
    if (auto it = conns.find(name); it != conns.end()) close_conn(*it->second, "replaced");
    conns[name] = c;
    do_read(c);
    return c;
  }
  Conn& conn(const YAML::Node& step) {
    const std::string name = step.IsMap() && step["conn"] ? vars.resolve(step["conn"]) : "a";
    auto it = conns.find(name);
    if (it == conns.end()) {
      throw Abort{Verdict::Inconclusive, fmt::format("no connection '{}' (accept or connect first)", name), {}};
    }
    return *it->second;
  }
  void close_conn(Conn& c, const std::string& why) {
    mark_closed(c, true, why);
    boost::system::error_code ec;
    c.sock.shutdown(tcp::socket::shutdown_both, ec);
    c.sock.close(ec);
  }

  void do_read(const ConnPtr& c) {
    c->sock.async_read_some(asio::buffer(c->chunk), [this, c](boost::system::error_code ec, std::size_t n) {
      if (c->dead) return;
      if (ec) {
        mark_closed(*c, false, ec == asio::error::eof ? "closed by the IUT" : ec.message());
        return;
      }
      if (!c->framing_lost) {
        c->rbuf.insert(c->rbuf.end(), c->chunk.begin(), c->chunk.begin() + static_cast<std::ptrdiff_t>(n));
        frame(*c);
      }
      do_read(c);
    });
  }

  void frame(Conn& c) {
    const LengthConvention other_conv =
        cfg.convention == LengthConvention::Total4 ? LengthConvention::Literal3 : LengthConvention::Total4;
    while (c.rbuf.size() >= 4) {
      const std::uint16_t lf = static_cast<std::uint16_t>((c.rbuf[2] << 8) | c.rbuf[3]);
      const std::uint32_t want = declared_size(lf, cfg.convention);
      if (want == 0 || want < kHeaderSize) {
        record(Verdict::Fail,
               fmt::format("[{}] impossible header Length {} in received bytes {} (framing lost)",
                           requirement(Req::Length).id, lf, hex(c.rbuf)),
               {std::string(requirement(Req::Length).id)});
        c.framing_lost = true;
        ladder(c, false, c.rbuf, "undecodable bytes (framing lost)");
        c.rbuf.clear();
        return;
      }
      LengthConvention conv = cfg.convention;
      std::uint32_t take = want;
      if (c.rbuf.size() < want) {
        // A whole message under the other convention that ours cannot finish: name it.
        const std::uint32_t alt = declared_size(lf, other_conv);
        if (alt >= kHeaderSize && alt <= c.rbuf.size() && decode(std::span(c.rbuf.data(), alt), other_conv).ok() &&
            looks_like_vsm(std::span(c.rbuf.data(), alt), other_conv)) {
          conv = other_conv;
          take = alt;
        } else {
          return;
        }
      }
      Received r;
      r.bytes.assign(c.rbuf.begin(), c.rbuf.begin() + take);
      r.conv = conv;
      r.t = now_s();
      c.rbuf.erase(c.rbuf.begin(), c.rbuf.begin() + take);
      on_message(c, std::move(r), conv != cfg.convention);
    }
  }

  void ladder(const Conn& c, bool from_runner, std::span<const std::uint8_t> bytes, std::string summary,
              std::vector<std::string> findings = {}, Exchange::Kind kind = Exchange::Kind::Data) {
    if (!res || res->ladder.size() >= kMaxLadder) return;
    Exchange e;
    e.kind = kind;
    e.t = now_s();
    e.wall = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    e.from_runner = from_runner;
    e.conn = c.name;
    e.conn_uid = c.uid;
    e.runner_initiated = cfg.role == IutRole::Manager;
    e.runner = c.local;
    e.iut = c.remote;
    e.summary = std::move(summary);
    e.findings = std::move(findings);
    e.bytes.assign(bytes.begin(), bytes.end());
    res->ladder.push_back(std::move(e));
  }
  static Endpoint endpoint(const tcp::endpoint& ep) {
    Endpoint e;
    e.port = ep.port();
    if (ep.address().is_v6()) {
      e.v6 = true;
      e.addr = ep.address().to_v6().to_bytes();
    } else {
      const auto b = ep.address().to_v4().to_bytes();
      std::copy(b.begin(), b.end(), e.addr.begin());
    }
    return e;
  }
  void mark_closed(Conn& c, bool by_runner, const std::string& why) {
    if (!c.open) return;
    c.open = false;
    c.close_reason = why;
    ladder(c, by_runner, {}, fmt::format("connection {} closed: {}", c.name, why), {}, Exchange::Kind::Close);
  }

  void on_message(Conn& c, Received r, bool other_convention) {
    const MessageView v = r.view();
    const std::string about = detail(v);
    if (cfg.verbose) fmt::print(stderr, "  <- [{}] {}\n", c.name, about);
    std::vector<std::string> notes;
    const std::string literal_id(requirement(Req::LengthLiteral).id);
    if (other_convention && !tolerated(literal_id)) {
      notes.push_back(fmt::format("[{}] the message fits only the other length convention", literal_id));
      record(Verdict::Fail, fmt::format("{} in received {}", notes.back(), about), {literal_id});
    }
    FindingList fl;
    check_message(v, fl);
    for (const auto& f : fl) {
      if (finding(f, about)) notes.push_back(describe(f));
    }
    const auto ex = c.tracker.on_message(v, iut_dir(), r.t, ++c.counter);
    std::string about_ex = about;
    if (ex.request) {  // name the request an ACK answers
      const std::string_view op = operation_name(ex.request->subtype);
      about_ex += fmt::format(" (answering {}{}{} seq={})", type_label(ex.request->type), op.empty() ? "" : " ", op,
                              ex.request->seq);
    }
    for (const auto& f : ex.findings) {
      if (finding(f, about_ex)) notes.push_back(describe(f));
    }
    ladder(c, false, r.bytes, about, std::move(notes));
    // Policy: automatic answers.
    if (v.has_header() && !v.is_ack() && c.open) {
      const std::uint8_t t = v.header.type;
      const bool ka = t == u8(MsgType::KeepAlive);
      const bool auto_type =
          t == u8(MsgType::StatusUpdate) || t == u8(MsgType::Deregistration) || t == u8(MsgType::Error);
      if ((ka && tc && tc->policy.auto_keepalive) || (auto_type && tc && tc->policy.auto_ack)) {
        Message a = ack_for(v.header, ResultCode::Successful, c.node_id);
        send_bytes(c, a.encode(cfg.convention), true);
      }
    }
    c.mailbox.push_back(std::move(r));
  }

  void send_bytes(Conn& c, std::vector<std::uint8_t> bytes, bool feed_tracker, bool log = true) {
    if (feed_tracker) {
      const MessageView v = decode(bytes, cfg.convention);
      if (v.has_header()) c.tracker.on_message(v, runner_dir(), now_s(), ++c.counter);
      if (log) {
        ladder(c, true, bytes, detail(v));
        if (cfg.verbose) fmt::print(stderr, "  -> [{}] {}\n", c.name, detail(v));
      }
    } else if (log) {
      ladder(c, true, bytes, fmt::format("{} raw byte(s) {}", bytes.size(), hex(bytes)));
    }
    if (!c.open) return;
    if (c.wq.size() >= kMaxQueued) {
      record(Verdict::Error,
             fmt::format("the IUT does not read: {} messages queued on connection {}", c.wq.size(), c.name), {});
      close_conn(c, "the IUT does not read");
      return;
    }
    c.wq.push_back(std::make_shared<std::vector<std::uint8_t>>(std::move(bytes)));
    pump(c);
  }
  void pump(Conn& c) {
    if (c.writing || c.wq.empty() || !c.open) return;
    c.writing = true;
    auto buf = c.wq.front();
    ConnPtr keep = conns.count(c.name) ? conns[c.name] : nullptr;
    asio::async_write(c.sock, asio::buffer(*buf), [this, &c, buf, keep](boost::system::error_code ec, std::size_t) {
      if (keep && keep->dead) return;
      c.writing = false;
      if (!c.wq.empty()) c.wq.pop_front();
      if (ec) {
        mark_closed(c, false, "write failed: " + ec.message());
        return;
      }
      pump(c);
    });
  }
  // Waits until everything queued on c went out (separate TCP segments for split sends).
  void drain(Conn& c) {
    run_until([&] { return c.wq.empty() || !c.open; }, now_s() + 2.0);
  }

  // ---------------------------------------------------------- building messages
  Message build(const YAML::Node& n, Conn* c) {
    check_keys(n, kSendKeys, "send");
    Message m;
    if (!n["type"]) throw ScenarioError(fmt::format("send at line {} needs a type", n.Mark().line + 1));
    m.type = keyword_or_number(kMessageTypes, vars.resolve(n["type"]), "message type");
    if (n["op"]) m.subtype = keyword_or_number(kOperations, vars.resolve(n["op"]), "operation");
    if (n["subtype"]) m.subtype = static_cast<std::uint8_t>(to_number(vars.resolve(n["subtype"]), "subtype"));
    if (n["code"]) m.code = keyword_or_number(kResultCodes, vars.resolve(n["code"]), "result code");
    if (n["options"]) {
      if (!n["options"].IsSequence()) throw ScenarioError("options must be a list");
      for (const auto& o : n["options"]) m.add(build_option(o, vars));
    }
    if (n["length"]) m.length_override = static_cast<std::uint16_t>(to_number(vars.resolve(n["length"]), "length"));
    // Sequence.
    std::string seq = n["seq"] ? vars.resolve(n["seq"]) : "auto";
    if (c) {
      if (seq == "auto") {
        m.seq = c->next_seq;
      } else if (seq == "dup" || seq == "duplicate") {
        m.seq = c->last_seq.value_or(c->next_seq);
      } else {
        m.seq = static_cast<std::uint32_t>(to_number(seq, "seq")) & kSeqMask;
      }
    } else if (seq != "auto" && seq != "dup" && seq != "duplicate") {
      to_number(seq, "seq");
    }
    return m;
  }

  std::vector<std::uint8_t> encode_with_mutations(const YAML::Node& n, Message& m) {
    const LengthConvention conv = n["literal"] && n["literal"].as<bool>() ? LengthConvention::Literal3 : cfg.convention;
    if (n["length_delta"]) {
      const auto d = std::stol(vars.resolve(n["length_delta"]));
      const auto natural = length_field_for(m.encoded_size(), conv);
      m.length_override = static_cast<std::uint16_t>(static_cast<long>(natural) + d);
    }
    std::vector<std::uint8_t> b = m.encode(conv);
    if (n["truncate"]) {
      const auto k = to_number(vars.resolve(n["truncate"]), "truncate");
      if (k < b.size()) b.resize(k);
    }
    if (n["prepend_hex"]) {
      auto p = from_hex(n["prepend_hex"].as<std::string>());
      b.insert(b.begin(), p.begin(), p.end());
    }
    if (n["append_hex"]) {
      auto p = from_hex(n["append_hex"].as<std::string>());
      b.insert(b.end(), p.begin(), p.end());
    }
    return b;
  }

  void step_send(const YAML::Node& n) {
    Conn* c = dry ? nullptr : &conn(n);
    Message m = build(n, c);
    auto bytes = encode_with_mutations(n, m);
    if (n["split"] && !n["split"].IsSequence()) throw ScenarioError("split must be a list of offsets");
    if (dry) return;
    if (n["seq"] ? vars.resolve(n["seq"]) != "dup" && vars.resolve(n["seq"]) != "duplicate" : true) {
      c->last_seq = m.seq;
      c->next_seq = next_seq(m.seq);
    }
    if (n["capture_seq"]) vars.v[n["capture_seq"].as<std::string>()] = std::to_string(m.seq);
    vars.v["sent_seq"] = std::to_string(m.seq);
    if (m.type == u8(MsgType::Registration) && cfg.role == IutRole::Manager) {
      if (auto id = m.node_id()) c->node_id = *id;
    }
    if (n["split"]) {
      std::size_t prev = 0;
      const MessageView v = decode(bytes, cfg.convention);
      if (v.has_header()) c->tracker.on_message(v, runner_dir(), now_s(), ++c->counter);
      ladder(*c, true, bytes, detail(v) + " (split)");
      std::vector<std::size_t> cuts;
      for (const auto& s : n["split"]) cuts.push_back(to_number(vars.resolve(s), "split offset"));
      cuts.push_back(bytes.size());
      for (auto cut : cuts) {
        cut = std::min(cut, bytes.size());
        if (cut <= prev) continue;
        send_bytes(*c, std::vector<std::uint8_t>(bytes.begin() + prev, bytes.begin() + cut), false, false);
        drain(*c);
        prev = cut;
      }
      return;
    }
    send_bytes(*c, std::move(bytes), true);
  }

  // Several messages in one write (coalesced PDUs).
  void step_batch(const YAML::Node& n) {
    const YAML::Node list = n.IsMap() ? n["messages"] : n;
    if (!list || !list.IsSequence()) throw ScenarioError("batch needs a list of messages");
    Conn* c = dry ? nullptr : &conn(n);
    std::vector<std::uint8_t> all;
    for (const auto& item : list) {
      Message m = build(item, c);
      auto b = encode_with_mutations(item, m);
      if (dry) continue;
      c->last_seq = m.seq;
      c->next_seq = next_seq(m.seq);
      if (item["capture_seq"]) vars.v[item["capture_seq"].as<std::string>()] = std::to_string(m.seq);
      vars.v["sent_seq"] = std::to_string(m.seq);
      const MessageView v = decode(b, cfg.convention);
      if (v.has_header()) c->tracker.on_message(v, runner_dir(), now_s(), ++c->counter);
      ladder(*c, true, b, detail(v) + " (coalesced)");
      all.insert(all.end(), b.begin(), b.end());
    }
    if (!dry) send_bytes(*c, std::move(all), false, false);
  }

  void step_garbage(const YAML::Node& n) {
    std::vector<std::uint8_t> b;
    if (n.IsMap() && n["hex"]) {
      b = from_hex(n["hex"].as<std::string>());
    } else {
      const auto count = to_number(vars.resolve(n.IsMap() ? n["bytes"] : n), "garbage bytes");
      for (std::uint64_t i = 0; i < count; ++i) b.push_back(static_cast<std::uint8_t>(rng()));
    }
    if (dry) return;
    send_bytes(conn(n), std::move(b), false);
  }

  const Received* find_message(const std::string& of) {
    if (of == "last") return last_matched ? &*last_matched : nullptr;
    auto it = named.find(of);
    return it == named.end() ? nullptr : &it->second;
  }

  void step_ack(const YAML::Node& n) {
    check_keys(n, kSendKeys, "ack");
    const std::string of = n["of"] ? n["of"].as<std::string>() : "last";
    std::uint8_t code = 0;
    if (n["code"]) code = keyword_or_number(kResultCodes, vars.resolve(n["code"]), "result code");
    std::vector<Option> extra;
    if (n["options"]) {
      for (const auto& o : n["options"]) extra.push_back(build_option(o, vars));
    }
    if (dry) return;
    Conn& c = conn(n);
    const Received* req = find_message(of);
    if (!req) throw Abort{Verdict::Error, fmt::format("ack: no received message '{}' to acknowledge", of), {}};
    const MessageView rv = req->view();
    // Node ID of the ACK: the step's `node`, else the one this connection was given, else $node.
    std::uint32_t node = c.node_id;
    if (node == 0 && vars.v.count("node")) node = static_cast<std::uint32_t>(to_number(vars.v["node"], "node"));
    if (n["node"]) node = static_cast<std::uint32_t>(to_number(vars.resolve(n["node"]), "node"));
    Message a = ack_for(rv.header, static_cast<ResultCode>(code), node);
    a.code = code;
    if (n["no_node_id"] && n["no_node_id"].as<bool>()) a.options.clear();
    for (auto& o : extra) a.add(std::move(o));
    if (n["seq"]) a.seq = static_cast<std::uint32_t>(to_number(vars.resolve(n["seq"]), "seq")) & kSeqMask;
    if (n["subtype"]) a.subtype = static_cast<std::uint8_t>(to_number(vars.resolve(n["subtype"]), "subtype"));
    if (n["op"]) a.subtype = keyword_or_number(kOperations, vars.resolve(n["op"]), "operation");
    if (n["length"]) a.length_override = static_cast<std::uint16_t>(to_number(vars.resolve(n["length"]), "length"));
    if (rv.is(MsgType::Registration) && cfg.role == IutRole::Agent) {
      if (auto id = a.node_id()) c.node_id = *id;
    }
    auto bytes = encode_with_mutations(n, a);
    send_bytes(c, std::move(bytes), true);
  }

  // ---------------------------------------------------------- predicates
  std::string describe_pred(const YAML::Node& p) const {
    std::string s;
    for (const auto& kv : p) {
      const auto k = kv.first.as<std::string>();
      if (k == "capture" || k == "as" || k == "timeout" || k == "conn" || k == "within") continue;
      if (!s.empty()) s += " ";
      if (kv.second.IsScalar()) {
        std::string v = kv.second.as<std::string>();
        try {
          v = vars.resolve(v);
        } catch (const std::exception&) {
        }
        s += k + "=" + v;
        continue;
      }
      YAML::Emitter e;
      e.SetMapFormat(YAML::Flow);
      e.SetSeqFormat(YAML::Flow);
      e << kv.second;
      std::string text = e.c_str();
      for (const auto& [name, val] : vars.v) {
        const std::string key = "$" + name;
        for (std::size_t pos; (pos = text.find(key + ",")) != std::string::npos ||
                              (pos = text.find(key + "}")) != std::string::npos ||
                              (pos = text.find(key + "]")) != std::string::npos;) {
          text.replace(pos, key.size(), val);
        }
      }
      s += k + "=" + text;
    }
    return s.empty() ? "any message" : s;
  }

  bool code_matches(const std::string& want, std::uint8_t code) const {
    if (want == "any") return true;
    if (want == "failure") return code >= 128;
    return keyword_or_number(kResultCodes, want, "result code") == code;
  }

  bool matches(const YAML::Node& p, const MessageView& v) {
    check_keys(p, kPredKeys, "expect");
    if (!v.has_header()) return false;
    const Header& h = v.header;
    if (p["type"] && keyword_or_number(kMessageTypes, vars.resolve(p["type"]), "message type") != h.type) return false;
    if (p["op"] && keyword_or_number(kOperations, vars.resolve(p["op"]), "operation") != h.subtype) return false;
    if (p["subtype"] && to_number(vars.resolve(p["subtype"]), "subtype") != h.subtype) return false;
    if (p["seq"] && (to_number(vars.resolve(p["seq"]), "seq") & kSeqMask) != h.seq) return false;
    if (p["code"]) {
      bool any = false;
      if (p["code"].IsSequence()) {
        for (const auto& c : p["code"]) any = any || code_matches(vars.resolve(c), h.code);
      } else {
        any = code_matches(vars.resolve(p["code"]), h.code);
      }
      if (!any) return false;
    }
    if (p["has"]) {
      for (const auto& k : p["has"]) {
        if (!find_opt(v, parse_opt_key(k.as<std::string>()))) return false;
      }
    }
    if (p["lacks"]) {
      for (const auto& k : p["lacks"]) {
        if (find_opt(v, parse_opt_key(k.as<std::string>()))) return false;
      }
    }
    if (p["nonzero"]) {
      for (const auto& k : p["nonzero"]) {
        auto o = find_opt(v, parse_opt_key(k.as<std::string>()));
        if (!o || o->length == 0 || option_text(*o) == "0") return false;
      }
    }
    if (p["option"]) {
      for (const auto& kv : p["option"]) {
        auto o = find_opt(v, parse_opt_key(kv.first.as<std::string>()));
        if (!o) return false;
        if (kv.second.IsSequence()) {
          bool any = false;
          for (const auto& alt : kv.second) any = any || option_text(*o) == vars.resolve(alt);
          if (!any) return false;
        } else if (option_text(*o) != vars.resolve(kv.second)) {
          return false;
        }
      }
    }
    if (p["count"]) {
      for (const auto& kv : p["count"]) {
        if (count_opt(v, parse_opt_key(kv.first.as<std::string>())) != to_number(vars.resolve(kv.second), "count")) {
          return false;
        }
      }
    }
    if (p["not"] && matches(p["not"], v)) return false;
    return true;
  }

  std::string field(const MessageView& v, const std::string& f) {
    if (f == "seq") return std::to_string(v.header.seq);
    if (f == "code") return std::to_string(v.header.code);
    if (f == "type") return std::to_string(v.header.type);
    if (f == "subtype" || f == "op") return std::to_string(v.header.subtype);
    auto o = find_opt(v, parse_opt_key(f));
    if (!o) throw Abort{Verdict::Fail, fmt::format("capture: {} absent from {}", f, detail(v)), {}};
    return option_text(*o);
  }

  void capture(const YAML::Node& p, const Received& r) {
    last_matched = r;
    if (p["as"]) named[p["as"].as<std::string>()] = r;
    if (!p["capture"]) return;
    const MessageView v = r.view();
    for (const auto& kv : p["capture"]) vars.v[kv.first.as<std::string>()] = field(v, kv.second.as<std::string>());
  }

  void validate_pred(const YAML::Node& p) {
    check_keys(p, kPredKeys, "expect");
    if (p["type"]) keyword_or_number(kMessageTypes, vars.resolve(p["type"]), "message type");
    if (p["op"]) keyword_or_number(kOperations, vars.resolve(p["op"]), "operation");
    if (p["code"] && p["code"].IsScalar()) {
      const auto c = vars.resolve(p["code"]);
      if (c != "any" && c != "failure") keyword_or_number(kResultCodes, c, "result code");
    }
    for (const char* k : {"has", "lacks", "nonzero"}) {
      if (p[k]) {
        for (const auto& x : p[k]) parse_opt_key(x.as<std::string>());
      }
    }
    for (const char* k : {"option", "count"}) {
      if (p[k]) {
        for (const auto& kv : p[k]) parse_opt_key(kv.first.as<std::string>());
      }
    }
    if (p["capture"]) {
      for (const auto& kv : p["capture"]) {
        const auto f = kv.second.as<std::string>();
        if (f != "seq" && f != "code" && f != "type" && f != "subtype" && f != "op") parse_opt_key(f);
        vars.v[kv.first.as<std::string>()] = "1";
      }
    }
    if (p["not"]) validate_pred(p["not"]);
  }

  double timeout_of(const YAML::Node& p, double dflt) {
    if (p.IsMap() && p["timeout"]) {
      const auto t = vars.resolve(p["timeout"]);
      if (t == "negative") return profile.negative_wait;
      if (t == "ack") return profile.ack_timer;
      return std::stod(t);
    }
    return dflt;
  }

  std::string pending_summary(const Conn& c) const {
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

  std::vector<std::string> test_reqs() const { return tc ? tc->requirements : std::vector<std::string>{}; }

  // The first message of c's mailbox not yet consumed that matches p, waiting
  // for it until the deadline (and, with stop_on_close, until c closes);
  // nullptr when none came.
  Received* await_match(Conn& c, const YAML::Node& p, double deadline, bool stop_on_close) {
    Received* hit = nullptr;
    std::size_t next = 0;  // messages before it were checked already (the predicate does not change while waiting)
    run_until(
        [&] {
          for (; next < c.mailbox.size(); ++next) {
            auto& r = c.mailbox[next];
            if (!r.consumed && matches(p, r.view())) {
              hit = &r;
              return true;
            }
          }
          return stop_on_close && !c.open;
        },
        deadline);
    return hit;
  }

  void step_expect(const YAML::Node& p) {
    if (dry) return validate_pred(p);
    Conn& c = conn(p);
    const double deadline = now_s() + timeout_of(p, profile.ack_timer);
    Received* hit = await_match(c, p, deadline, true);
    if (!hit) {
      // A stream stuck on a message that only the other convention would complete.
      const std::string got = pending_summary(c);
      const std::string where = c.open ? "" : fmt::format(" (connection {}: {})", c.name, c.close_reason);
      const std::string partial = c.rbuf.empty() ? "" : fmt::format("; incomplete bytes {}", hex(c.rbuf));
      throw Abort{Verdict::Fail,
                  fmt::format("expected {} within {:.2f} s{}; received {}{}", describe_pred(p),
                              timeout_of(p, profile.ack_timer), where, got, partial),
                  test_reqs()};
    }
    hit->consumed = true;
    capture(p, *hit);
  }

  void step_expect_all(const YAML::Node& n) {
    const YAML::Node list = n["messages"];
    if (!list || !list.IsSequence()) throw ScenarioError("expect_all needs messages: [...]");
    if (dry) {
      for (const auto& p : list) validate_pred(p);
      return;
    }
    Conn& c = conn(n);
    const double deadline = now_s() + timeout_of(n, profile.ack_timer);
    std::vector<Received*> hits(list.size(), nullptr);
    auto all = [&] {
      for (std::size_t i = 0; i < list.size(); ++i) {
        if (hits[i]) continue;
        for (auto& r : c.mailbox) {
          if (r.consumed || std::find(hits.begin(), hits.end(), &r) != hits.end()) continue;
          if (matches(list[i], r.view())) {
            hits[i] = &r;
            break;
          }
        }
      }
      return std::all_of(hits.begin(), hits.end(), [](auto* h) { return h != nullptr; }) || !c.open;
    };
    run_until(all, deadline);
    std::string missing;
    for (std::size_t i = 0; i < list.size(); ++i) {
      if (!hits[i]) missing += (missing.empty() ? "" : "; ") + describe_pred(list[i]);
    }
    if (!missing.empty()) {
      throw Abort{Verdict::Fail,
                  fmt::format("expected all of [{}] — missing; received {}", missing, pending_summary(c)), test_reqs()};
    }
    for (std::size_t i = 0; i < list.size(); ++i) {
      hits[i]->consumed = true;
      capture(list[i], *hits[i]);
    }
  }

  void step_expect_none(const YAML::Node& p) {
    if (dry) return validate_pred(p);
    Conn& c = conn(p);
    const double t0 = now_s();
    const double within = p["within"] ? (vars.resolve(p["within"]) == "negative" ? profile.negative_wait
                                                                                 : std::stod(vars.resolve(p["within"])))
                                      : profile.negative_wait;
    Received* hit = await_match(c, p, t0 + within, false);
    if (res) res->waited += now_s() - t0;
    if (hit) {
      hit->consumed = true;
      throw Abort{
          Verdict::Fail,
          fmt::format("expected no {} within {:.2f} s; received {}", describe_pred(p), within, detail(hit->view())),
          test_reqs()};
    }
  }

  void step_expect_close(const YAML::Node& n) {
    if (dry) return;
    Conn& c = conn(n);
    const double t = timeout_of(n, profile.ack_timer);
    if (!run_until([&] { return !c.open; }, now_s() + t)) {
      throw Abort{Verdict::Fail,
                  fmt::format("expected the IUT to close connection {} within {:.2f} s; it stayed open", c.name, t),
                  test_reqs()};
    }
  }

  // ---------------------------------------------------------- connection steps
  void step_accept(const YAML::Node& n) {
    if (cfg.role != IutRole::Agent) throw ScenarioError("accept is for the agent role (use connect)");
    if (dry) return;
    const std::string name = n.IsMap() && n["conn"] ? vars.resolve(n["conn"]) : "a";
    const double t = timeout_of(n, profile.start_timeout);
    if (!run_until([&] { return !accepted.empty(); }, now_s() + t)) {
      throw Abort{Verdict::Inconclusive, fmt::format("the agent did not connect within {:.1f} s", t), {}};
    }
    tcp::socket s = std::move(accepted.front());
    accepted.pop_front();
    add_conn(name, std::move(s));
  }

  bool try_connect(tcp::socket& s, const std::string& bind, double deadline) {
    boost::system::error_code ec;
    const tcp::endpoint ep(asio::ip::make_address(cfg.host), port);
    try {
      transport::open(s, ep.protocol(), cfg.sctp);
    } catch (const boost::system::system_error& e) {
      ec = e.code();
    }
    if (!bind.empty() && !ec) s.bind(tcp::endpoint(asio::ip::make_address(bind), 0), ec);
    if (ec) return false;
    bool done = false;
    s.async_connect(ep, [&](boost::system::error_code e) {
      ec = e;
      done = true;
    });
    if (!run_until([&] { return done; }, deadline)) {
      s.close(ec);
      run_until([&] { return done; }, now_s() + 1);
      return false;
    }
    return !ec;
  }

  void step_connect(const YAML::Node& n) {
    if (cfg.role != IutRole::Manager) throw ScenarioError("connect is for the manager role (use accept)");
    if (dry) return;
    const std::string name = n.IsMap() && n["conn"] ? vars.resolve(n["conn"]) : "a";
    const std::string bind = n.IsMap() && n["bind"] ? vars.resolve(n["bind"]) : "";
    const double deadline = now_s() + timeout_of(n, profile.start_timeout);
    while (true) {
      tcp::socket s(io);
      if (try_connect(s, bind, deadline)) {
        transport::tune(s, cfg.sctp, cfg.sctp_ppid);
        add_conn(name, std::move(s));
        return;
      }
      if (now_s() >= deadline) break;
      pause_quiet(0.05);
    }
    throw Abort{Verdict::Inconclusive, fmt::format("could not connect to the manager at {}", address()), {}};
  }
  void pause_quiet(double s) {
    const double t0 = now_s();
    run_until([] { return false; }, t0 + s);
  }

  // `close: {abort: true}` ends the connection with a TCP RST or an SCTP ABORT
  // (SO_LINGER 0) instead of FIN / SHUTDOWN.
  void step_close(const YAML::Node& n) {
    const bool abort = n.IsMap() && n["abort"] && n["abort"].as<bool>();
    if (dry) return;
    Conn& c = conn(n);
    drain(c);
    if (!abort) {
      close_conn(c, "closed by the runner");
      return;
    }
    mark_closed(c, true, cfg.sctp ? "aborted by the runner (SCTP ABORT)" : "aborted by the runner (TCP RST)");
    const linger l{1, 0};
    ::setsockopt(c.sock.native_handle(), SOL_SOCKET, SO_LINGER, &l, sizeof l);
    boost::system::error_code ec;
    c.sock.close(ec);
  }
  void step_reconnect(const YAML::Node& n) {
    if (dry) return;
    step_close(n);
    const std::string name = n.IsMap() && n["conn"] ? vars.resolve(n["conn"]) : "a";
    conns[name]->dead = true;
    conns.erase(name);
    YAML::Node m = n.IsMap() ? YAML::Clone(n) : YAML::Node(YAML::NodeType::Map);
    if (cfg.role == IutRole::Agent) {
      step_accept(m);
    } else {
      step_connect(m);
    }
  }

  // ---------------------------------------------------------- triggers
  void step_trigger(const YAML::Node& n) {
    const std::string name = target_name(n);
    auto it = profile.triggers.find(name);
    if (dry) return;
    if (it == profile.triggers.end()) {
      throw Abort{Verdict::NA, fmt::format("the profile defines no trigger '{}'", name), {}};
    }
    Vars local = vars;
    if (n.IsMap()) {
      for (const auto& kv : n) {
        if (kv.first.as<std::string>() != "name") local.v[kv.first.as<std::string>()] = vars.resolve(kv.second);
      }
    }
    const Trigger& t = it->second;
    if (!t.signal.empty()) {
      if (iut_pid <= 0) throw Abort{Verdict::Inconclusive, "trigger needs an IUT process started with --iut-cmd", {}};
      const int sig = t.signal == "INT" ? SIGINT : t.signal == "HUP" ? SIGHUP : SIGTERM;
      kill(iut_pid, sig);
    }
    if (!t.cmd.empty()) {
      const pid_t pid = spawn(split_args(local.expand(t.cmd)), cfg.iut_log);
      int status = 0;
      const bool done = run_until([&] { return waitpid(pid, &status, WNOHANG) == pid; }, now_s() + 10);
      if (!done) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        throw Abort{Verdict::Error, fmt::format("trigger '{}' did not finish", name), {}};
      }
      if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        throw Abort{Verdict::Inconclusive, fmt::format("trigger '{}' failed (status {})", name, status), {}};
      }
    }
  }

  // ---------------------------------------------------------- steps
  void run_steps(const YAML::Node& steps, int depth = 0) {
    if (!steps || steps.IsNull()) return;
    if (!steps.IsSequence()) throw ScenarioError(fmt::format("steps at line {} must be a list", steps.Mark().line + 1));
    if (depth > 8) throw ScenarioError("fragments call each other too deeply");
    for (const auto& s : steps) {
      if (!s.IsMap() || s.size() != 1) {
        throw ScenarioError(fmt::format("step at line {} must be a one-key map", s.Mark().line + 1));
      }
      const auto kind = s.begin()->first.as<std::string>();
      const YAML::Node a = s.begin()->second;
      phase = fmt::format("{} at line {}", kind, s.Mark().line + 1);
      const StepKind* k = find_step(kind);
      if (k == nullptr) throw ScenarioError(fmt::format("unknown step '{}' at line {}", kind, s.Mark().line + 1));
      // Steps whose arguments are all optional may be written without any ("- ack:").
      const YAML::Node args = k->null_is_empty && a.IsNull() ? YAML::Node(YAML::NodeType::Map) : a;
      if (k->nested) {
        step_call(args, depth);
      } else {
        (this->*(k->run))(args);
      }
    }
  }

  // The step kinds of a scenario and their handlers.
  struct StepKind {
    std::string_view name;
    void (Impl::*run)(const YAML::Node&);
    bool null_is_empty = false;  // "- name:" with no arguments means an empty map
    bool nested = false;         // call: runs steps of a fragment (needs the depth)
  };
  static const StepKind* find_step(std::string_view name) {
    static constexpr StepKind kSteps[] = {
        {"send", &Impl::step_send},
        {"batch", &Impl::step_batch},
        {"garbage", &Impl::step_garbage},
        {"ack", &Impl::step_ack, true},
        {"expect", &Impl::step_expect},
        {"expect_all", &Impl::step_expect_all},
        {"expect_none", &Impl::step_expect_none, true},
        {"expect_close", &Impl::step_expect_close, true},
        {"wait", &Impl::step_wait},
        {"accept", &Impl::step_accept},
        {"connect", &Impl::step_connect},
        {"close", &Impl::step_close},
        {"reconnect", &Impl::step_reconnect},
        {"spawn", &Impl::step_spawn},
        {"trigger", &Impl::step_trigger},
        {"call", nullptr, false, true},
        {"set", &Impl::step_set},
        {"log", &Impl::step_log},
    };
    for (const StepKind& k : kSteps) {
      if (k.name == name) return &k;
    }
    return nullptr;
  }
  // trigger and call name their target as a scalar or with name:.
  static std::string target_name(const YAML::Node& a) {
    return a.IsScalar() ? a.as<std::string>() : a["name"].as<std::string>();
  }

  void step_wait(const YAML::Node& a) {
    const std::string w = vars.resolve(a);
    const double secs = w == "negative"    ? profile.negative_wait
                        : w == "keepalive" ? profile.keepalive_interval
                                           : std::stod(w);
    if (!dry) pause(secs);
  }
  void step_call(const YAML::Node& a, int depth) {
    const std::string name = target_name(a);
    auto it = suite.fragments.find(name);
    if (it == suite.fragments.end()) throw ScenarioError(fmt::format("unknown fragment '{}'", name));
    if (a.IsMap() && a["args"]) {
      for (const auto& kv : a["args"]) vars.v[kv.first.as<std::string>()] = vars.resolve(kv.second);
    }
    run_steps(it->second, depth + 1);
  }
  void step_set(const YAML::Node& a) {
    for (const auto& kv : a) vars.v[kv.first.as<std::string>()] = vars.resolve(kv.second);
  }
  void step_log(const YAML::Node& a) {
    if (!dry && cfg.verbose) fmt::print(stderr, "  log: {}\n", vars.expand(a.as<std::string>()));
    if (!dry && res) {
      Exchange e;
      e.kind = Exchange::Kind::Log;
      e.t = now_s();
      e.summary = "log: " + vars.expand(a.as<std::string>());
      res->ladder.push_back(std::move(e));
    }
  }

  // Triggers with at_start arguments anywhere in the test (fragments included).
  void scan_triggers(const YAML::Node& steps, std::vector<std::string>& names, int depth = 0) const {
    if (!steps || !steps.IsSequence() || depth > 8) return;
    for (const auto& s : steps) {
      if (!s.IsMap() || s.size() != 1) continue;
      const auto kind = s.begin()->first.as<std::string>();
      const YAML::Node a = s.begin()->second;
      if (kind == "trigger") {
        names.push_back(target_name(a));
      } else if (kind == "call") {
        if (auto it = suite.fragments.find(target_name(a)); it != suite.fragments.end()) {
          scan_triggers(it->second, names, depth + 1);
        }
      }
    }
  }
  std::vector<std::string> triggers_of(const TestCase& t) const {
    std::vector<std::string> names;
    scan_triggers(t.preamble, names);
    scan_triggers(t.body, names);
    scan_triggers(t.postamble, names);
    return names;
  }

  std::string not_applicable(const TestCase& t) const {
    if (t.role != cfg.role) return fmt::format("the test is for a {} under test", role_keyword(t.role));
    // VSM-5-SCTP: SCTP tests need an SCTP run (the profile's `sctp` capability claims SCTP).
    if (t.sctp_only && !cfg.sctp) return "an SCTP test (VSM-5-SCTP): it runs with --transport sctp";
    for (const auto& c : t.capabilities) {
      if (!profile.capabilities.count(c)) return fmt::format("the profile does not list capability '{}'", c);
      if (c == "second_instance" && cfg.iut_cmd.empty()) return "a second instance needs --iut-cmd";
    }
    if (t.restarts_iut && cfg.iut_cmd.empty()) return "the test ends the IUT process: it needs --iut-cmd";
    for (const auto& name : triggers_of(t)) {
      auto it = profile.triggers.find(name);
      if (it == profile.triggers.end()) return fmt::format("the profile defines no trigger '{}'", name);
      if (!it->second.at_start.empty() && cfg.iut_cmd.empty()) {
        return fmt::format("trigger '{}' needs the runner to start the IUT (--iut-cmd)", name);
      }
      if (!it->second.signal.empty() && cfg.iut_cmd.empty()) {
        return fmt::format("trigger '{}' signals the IUT process: needs --iut-cmd", name);
      }
    }
    return {};
  }

  std::string address() const {
    const std::string h = cfg.host.find(':') != std::string::npos ? "[" + cfg.host + "]" : cfg.host;
    return fmt::format("{}:{}", h, port);
  }

  // ---------------------------------------------------------- IUT process
  std::uint16_t free_port() {
    tcp::acceptor a(io, tcp::endpoint(asio::ip::make_address(cfg.host), 0));
    return a.local_endpoint().port();
  }

  void start_iut(const TestCase& t) {
    // A port picked by the runner may be taken by someone else before the manager binds it: try another.
    for (int attempt = 1;; ++attempt) {
      try {
        start_iut_once(t);
        return;
      } catch (const Abort& a) {
        if (attempt == 3 || cfg.role != IutRole::Manager || cfg.port != 0 || a.verdict != Verdict::Error) throw;
      }
    }
  }

  void start_iut_once(const TestCase& t) {
    if (cfg.iut_cmd.empty()) return;
    if (cfg.role == IutRole::Manager && cfg.port == 0) port = free_port();
    Vars sub;
    sub.v["host"] = cfg.host;
    sub.v["port"] = std::to_string(port);
    for (const auto& [k, v] : vars.v) sub.v[k] = v;
    std::vector<std::string> argv;
    for (const auto& a : split_args(cfg.iut_cmd)) argv.push_back(sub.expand(a));
    for (const auto& a : profile.start_args) argv.push_back(sub.expand(a));
    for (const auto& name : triggers_of(t)) {
      for (const auto& a : profile.triggers.at(name).at_start) argv.push_back(sub.expand(a));
    }
    iut_pid = spawn(argv, cfg.iut_log);
    if (cfg.role == IutRole::Manager) {
      // Ready once it accepts a connection.
      const double deadline = now_s() + profile.start_timeout;
      while (now_s() < deadline) {
        tcp::socket s(io);
        if (try_connect(s, "", deadline)) {
          boost::system::error_code ec;
          s.close(ec);
          return;
        }
        int status = 0;
        if (waitpid(iut_pid, &status, WNOHANG) == iut_pid) {
          iut_pid = -1;
          throw Abort{Verdict::Error, "the manager under test exited at start", {}};
        }
        pause_quiet(0.02);
      }
      stop_iut();
      throw Abort{Verdict::Error, fmt::format("the manager under test does not accept on {}", address()), {}};
    }
  }

  // SIGTERM to every instance at once, the event loop runs (their De-registrations get ACKed)
  // until all exited or 1.5 s passed, then SIGKILL.
  void stop_iut() {
    std::vector<pid_t> pids = extra_pids;
    if (iut_pid > 0) pids.push_back(iut_pid);
    extra_pids.clear();
    iut_pid = -1;
    if (pids.empty()) return;
    std::vector<bool> gone(pids.size(), false);
    for (pid_t p : pids) {
      kill(-p, SIGTERM);
      kill(p, SIGTERM);
    }
    auto all_gone = [&] {
      int status = 0;
      for (std::size_t i = 0; i < pids.size(); ++i) {
        if (!gone[i] && waitpid(pids[i], &status, WNOHANG) == pids[i]) gone[i] = true;
      }
      return std::all_of(gone.begin(), gone.end(), [](bool g) { return g; });
    };
    const double saved = guard_deadline;
    guard_deadline = now_s() + 3;
    run_until(all_gone, now_s() + 1.5);
    guard_deadline = saved;
    for (std::size_t i = 0; i < pids.size(); ++i) {
      if (gone[i]) continue;
      int status = 0;
      kill(-pids[i], SIGKILL);
      kill(pids[i], SIGKILL);
      waitpid(pids[i], &status, 0);
    }
  }

  // Another instance of the IUT, started like the first (without the test's at-start triggers).
  void step_spawn(const YAML::Node&) {
    if (dry) return;
    if (cfg.iut_cmd.empty()) throw Abort{Verdict::NA, "spawn needs --iut-cmd", {}};
    Vars sub;
    sub.v["host"] = cfg.host;
    sub.v["port"] = std::to_string(port);
    for (const auto& [k, v] : vars.v) sub.v[k] = v;
    std::vector<std::string> argv;
    for (const auto& a : split_args(cfg.iut_cmd)) argv.push_back(sub.expand(a));
    for (const auto& a : profile.start_args) argv.push_back(sub.expand(a));
    extra_pids.push_back(spawn(argv, cfg.iut_log));
  }

  // ---------------------------------------------------------- one test
  void settle() {
    // Every request we sent gets its ACK within the ACK timer (VSM-5-ACK), event-driven.
    const double deadline = now_s() + profile.ack_timer;
    run_until(
        [&] {
          for (auto& [n, c] : conns) {
            if (c->open && c->tracker.outstanding(runner_dir()) > 0) return false;
          }
          return true;
        },
        deadline);
    for (auto& [n, c] : conns) {
      std::vector<EarlierFinding> out;
      c->tracker.expire(now_s() + profile.ack_timer + 1, out);
      for (const auto& e : out) {
        if (e.dir == runner_dir() && c->open) finding(e.finding, fmt::format("(no ACK on connection {})", n));
      }
    }
  }

  Result run(const TestCase& t) {
    Result r;
    r.test = &t;
    res = &r;
    tc = &t;
    vars = Vars{};
    vars.v = profile.vars;
    last_matched.reset();
    named.clear();
    const double t0 = now_s();
    guard_deadline = t0 + t.guard;
    for (auto& s : accepted) {
      boost::system::error_code ec;
      s.close(ec);
    }
    accepted.clear();
    bool in_pre = true;
    try {
      try {
        start_iut(t);
        phase = "preamble";
        run_steps(t.preamble);
        in_pre = false;
        run_steps(t.body);
        if (t.policy.settle_acks) settle();
      } catch (Abort& a) {
        Verdict v = a.verdict;
        if (in_pre && v == Verdict::Fail) v = Verdict::Inconclusive;
        if (v == Verdict::NA && r.verdict == Verdict::Pass) {
          r.verdict = Verdict::NA;
          r.reason = a.reason;
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
    } catch (const std::exception& e) {
      stop_iut();
      record(Verdict::Error, fmt::format("tool error: {}", e.what()), {});
    }
    for (auto& [n, c] : conns) {
      c->dead = true;
      close_conn(*c, "test over");
    }
    conns.clear();
    // Let the cancelled handlers run.
    io.poll();
    r.seconds = now_s() - t0;
    res = nullptr;
    tc = nullptr;
    return r;
  }
};

Engine::Engine(RunConfig cfg, const Profile& profile, const Suite& suite)
    : impl_(std::make_unique<Impl>(std::move(cfg), profile, suite)) {
  impl_->port = impl_->cfg.port;
}
Engine::~Engine() = default;
void Engine::open() { impl_->open(); }
std::string Engine::address() const { return impl_->address(); }
Result Engine::run(const TestCase& tc) { return impl_->run(tc); }
std::string Engine::not_applicable(const TestCase& tc) const { return impl_->not_applicable(tc); }

namespace {
Profile& dry_profile() {
  static Profile p;
  return p;
}
}  // namespace

void dry_run(const Suite& suite, const TestCase& tc) {
  RunConfig cfg;
  cfg.role = tc.role;
  Engine::Impl impl(cfg, dry_profile(), suite);
  impl.dry = true;
  impl.vars.dry = true;
  impl.tc = &tc;
  impl.run_steps(tc.preamble);
  impl.run_steps(tc.body);
  impl.run_steps(tc.postamble);
}

void dry_run_fragment(const Suite& suite, const std::string& name) {
  RunConfig cfg;
  Engine::Impl impl(cfg, dry_profile(), suite);
  impl.dry = true;
  impl.vars.dry = true;
  // Fragments may use accept or connect: check both shapes leniently.
  try {
    impl.run_steps(suite.fragments.at(name));
  } catch (const ScenarioError& e) {
    if (std::string(e.what()).find("is for the") == std::string::npos) throw;
    impl.cfg.role = IutRole::Manager;
    impl.run_steps(suite.fragments.at(name));
  }
}

}  // namespace vsm::conform
