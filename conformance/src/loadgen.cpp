// SPDX-License-Identifier: GPL-2.0-or-later
// `vsm-conform load`: N simulated Execution Nodes against a manager, the
// project's one load generator. Each node is a vsm::io::SessionIo (the tools'
// adapter over vsm::Session: framing, the codec's rules and the exchange
// tracker on every message received); it registers, ACKs whatever the manager
// sends and sends Status-Updates at a set rate. One event loop, one thread.
// With --sources the connections are bound, in turn, to several local
// addresses (127.0.0.0/8 is all loopback): each has its own ephemeral ports,
// so 100,000 connections to one manager port stay clear of port exhaustion.
#include "loadgen.hpp"

#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <memory>
#include <random>
#include <vector>

#include "session_io.hpp"
#include "transport.hpp"
#include "vsm/catalogue.hpp"
#include "vsm/text.hpp"

namespace vsm::conform {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

double secs(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); }

struct Stats {
  std::size_t registered = 0, connected = 0, lost = 0, refused = 0;
  std::size_t su_sent = 0, su_acked = 0, ka_answered = 0, violations = 0, unanswered = 0;
  std::vector<std::size_t> per_source;  // connections made from each --sources address
  std::vector<double> latency;          // seconds, request -> ACK
  std::vector<std::string> examples;
};

class Load;

struct Node : std::enable_shared_from_this<Node> {
  Node(Load& l, asio::io_context& io) : load(l), timer(io) {}
  Load& load;
  asio::steady_timer timer;
  std::shared_ptr<io::SessionIo> conn;
  bool registered = false, closed = false;
  std::uint32_t node_id = 0;
  std::size_t source = 0;  // index in --sources
  void start(const tcp::endpoint& ep);
  void on_connected(tcp::socket s);
  void on_message(const SessionEvent& e);
  void on_ack(const SessionEvent* e);
  void schedule();
  void fail(const std::string& why);
};

class Load {
 public:
  explicit Load(const LoadConfig& c) : cfg(c), rng(c.seed) {}
  LoadConfig cfg;
  asio::io_context io;
  Stats st;
  std::mt19937_64 rng;
  Clock::time_point t0 = Clock::now();
  bool stopping = false;
  std::vector<std::shared_ptr<Node>> nodes;
  std::size_t next_to_connect = 0, connecting = 0;
  tcp::endpoint ep;
  std::vector<asio::ip::address> sources;

  void violation(const std::string& what) {
    ++st.violations;
    if (st.examples.size() < 10) st.examples.push_back(what);
  }
  void connect_more() {
    while (!stopping && connecting < 256 && next_to_connect < nodes.size()) {
      ++connecting;
      nodes[next_to_connect++]->start(ep);
    }
  }
  std::size_t outstanding() const {
    std::size_t n = 0;
    for (const auto& nd : nodes) n += nd->conn && nd->conn->is_open() ? nd->conn->session().awaiting_ack() : 0;
    return n;
  }
  io::IoConfig io_config() const {
    io::IoConfig c;
    c.session.local_role = Role::Node;
    c.session.initiator = true;
    c.session.convention = cfg.convention;
    c.session.ack_timeout = cfg.ack_timer;
    c.session.check_sent = false;  // only what the manager sends is judged
    c.ack_timers = false;          // what is unanswered is counted once the load stops
    c.read_size = 2048;
    return c;
  }
  int run();
};

void Node::start(const tcp::endpoint& ep) {
  auto sock = std::make_shared<tcp::socket>(load.io);
  if (!load.sources.empty()) {
    // Bound before connecting; the port is picked at connect() (IP_BIND_ADDRESS_NO_PORT), per destination.
    boost::system::error_code ec;
    sock->open(ep.protocol(), ec);
    if (!ec) {
      const int one = 1;
      ::setsockopt(sock->native_handle(), IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
      sock->bind(tcp::endpoint(load.sources[source], 0), ec);
    }
    if (ec) {
      --load.connecting;
      asio::post(load.io, [l = &load] { l->connect_more(); });
      return fail(fmt::format("bind to {}: {}", load.sources[source].to_string(), ec.message()));
    }
  }
  sock->async_connect(ep, [self = shared_from_this(), sock](boost::system::error_code ec) {
    --self->load.connecting;
    self->load.connect_more();
    if (ec) return self->fail("connect: " + ec.message());
    if (!self->load.sources.empty()) ++self->load.st.per_source[self->source];
    self->on_connected(std::move(*sock));
  });
}

void Node::on_connected(tcp::socket s) {
  ++load.st.connected;
  transport::tune(s, false, 0);
  conn = std::make_shared<io::SessionIo>(std::move(s), load.io_config());
  std::weak_ptr<Node> weak = weak_from_this();
  conn->start({[weak](const SessionEvent& e) {
                 if (auto self = weak.lock()) self->on_message(e);
               },
               {},
               [weak](const std::string& why) {
                 if (auto self = weak.lock()) self->fail(why);
               }});
  conn->send(registration(0, 0), [weak](const SessionEvent* e) {
    if (auto self = weak.lock()) self->on_ack(e);
  });
}

// Everything the manager sends but the ACKs of our requests: judged, and ACKed.
void Node::on_message(const SessionEvent& e) {
  if (e.kind == EventKind::EndedInsideMessage) return;  // the manager closed: reported by the close
  if (e.kind == EventKind::FramingError) {
    load.violation(fmt::format("[{}] {} (Length announces {}) at stream offset {}", requirement(Req::Length).id,
                               e.error, e.declared, e.stream_offset));
    if (conn->is_open()) conn->close("framing lost");
    return;
  }
  const MessageView& v = e.message;
  for (const auto& f : e.findings) load.violation(describe(f) + " in " + summarize(v));
  if (!v.has_header() || v.is_ack()) return;
  if (v.is(MsgType::KeepAlive)) ++load.st.ka_answered;
  conn->send(ack_for(v.header, ResultCode::Successful, node_id));
}

// The ACK of a Registration or a Status-Update (nullptr: it cannot come any more).
void Node::on_ack(const SessionEvent* e) {
  if (e == nullptr) return;
  const MessageView& v = e->message;
  for (const auto& f : e->findings) load.violation(describe(f) + " in " + summarize(v));
  load.st.latency.push_back(e->response_time);
  if (registered) {
    ++load.st.su_acked;
    return;
  }
  if (v.header.code == u8(ResultCode::AdministrativelyProhibited)) {
    ++load.st.refused;
    conn->close("admission refused");
    return;
  }
  if (auto id = v.node_id(); id && v.header.code == 0) {
    node_id = *id;
    registered = true;
    ++load.st.registered;
    schedule();
  }
}

void Node::schedule() {
  if (load.cfg.rate <= 0 || load.stopping) return;
  std::exponential_distribution<double> gap(load.cfg.rate);
  timer.expires_after(std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(gap(load.rng))));
  timer.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (ec || self->closed || self->load.stopping || !self->conn->is_open()) return;
    Message m = status_update(0, self->node_id);
    m.add(Option::node_info(node_info::AverageLoad, "0.5"));
    ++self->load.st.su_sent;
    std::weak_ptr<Node> weak = self;
    self->conn->send(std::move(m), [weak](const SessionEvent* e) {
      if (auto n = weak.lock()) n->on_ack(e);
    });
    self->schedule();
  });
}

void Node::fail(const std::string& why) {
  if (closed) return;
  closed = true;
  if (!load.stopping) {
    ++load.st.lost;
    if (load.st.examples.size() < 10) load.st.examples.push_back("connection lost: " + why);
  }
  timer.cancel();
}

int Load::run() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  ep = tcp::endpoint(asio::ip::make_address(cfg.host), cfg.port);
  for (const auto& a : cfg.sources) sources.push_back(asio::ip::make_address(a));
  st.per_source.assign(sources.size(), 0);
  for (std::size_t i = 0; i < cfg.nodes; ++i) {
    nodes.push_back(std::make_shared<Node>(*this, io));
    if (!sources.empty()) nodes.back()->source = i % sources.size();
  }
  connect_more();
  asio::steady_timer tick(io);
  std::function<void()> progress = [&] {
    tick.expires_after(std::chrono::seconds(1));
    tick.async_wait([&](boost::system::error_code ec) {
      if (ec) return;
      const double t = secs(t0, Clock::now());
      fmt::print(stderr, "\r{:5.1f}s registered {}/{} status-updates {} acked {} keep-alives answered {} lost {}  ", t,
                 st.registered, cfg.nodes, st.su_sent, st.su_acked, st.ka_answered, st.lost);
      if (t >= cfg.duration) {
        stopping = true;
        io.stop();
        return;
      }
      progress();
    });
  };
  progress();
  io.run();
  // Settle: requests older than the ACK timer are unanswered; give the younger ones one ACK timer.
  io.restart();
  stopping = true;
  const auto settle_end = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                             std::chrono::duration<double>(std::min(cfg.ack_timer, 5.0)));
  while (outstanding() > 0 && Clock::now() < settle_end) io.run_one_until(settle_end);
  st.unanswered = outstanding();
  const double wall = secs(t0, Clock::now());
  for (const auto& nd : nodes) {
    nd->timer.cancel();
    if (nd->conn) nd->conn->abort("load over");
  }
  io.restart();
  io.poll();
  std::sort(st.latency.begin(), st.latency.end());
  auto pct = [&](double p) {
    if (st.latency.empty()) return 0.0;
    return st.latency[std::min(st.latency.size() - 1, static_cast<std::size_t>(p * (st.latency.size() - 1)))] * 1e3;
  };
  fmt::print(stderr, "\n");
  fmt::print("nodes {} registered {} refused {} lost {}\n", cfg.nodes, st.registered, st.refused, st.lost);
  if (!sources.empty()) {
    std::string per;
    for (std::size_t i = 0; i < sources.size(); ++i) {
      if (i < 8 || i + 1 == sources.size()) {
        per += fmt::format("{}{} {}", per.empty() ? "" : ", ", sources[i].to_string(), st.per_source[i]);
      } else if (i == 8) {
        per += ", ...";
      }
    }
    fmt::print("source addresses {}: connections {}\n", sources.size(), per);
  }
  fmt::print("status-updates sent {} acked {} unanswered requests {} keep-alives answered {}\n", st.su_sent,
             st.su_acked, st.unanswered, st.ka_answered);
  fmt::print("throughput {:.0f} ACKed requests/s over {:.1f} s\n", static_cast<double>(st.latency.size()) / wall, wall);
  fmt::print("ACK latency ms: p50 {:.2f} p99 {:.2f} max {:.2f} ({} samples)\n", pct(0.5), pct(0.99), pct(1.0),
             st.latency.size());
  fmt::print("protocol violations {}\n", st.violations);
  for (const auto& e : st.examples) fmt::print("  {}\n", e);
  const bool ok = st.registered == cfg.nodes && st.lost == 0 && st.unanswered == 0 && st.violations == 0;
  fmt::print("{}\n", ok ? "load: ok" : "load: FAILED");
  return ok ? 0 : 1;
}

}  // namespace

Parsed<std::vector<std::string>> parse_sources(const std::string& text) {
  constexpr std::uint32_t kMaxSources = 65536;
  std::uint32_t first = 0, last = 0;
  boost::system::error_code ec;
  const auto dash = text.find('-');
  if (!text.empty() && text.find_first_not_of("0123456789") == std::string::npos) {
    const unsigned long n = std::stoul(text.substr(0, 9));
    if (n == 0 || n > 254 || text.size() > 9)
      return Parsed<std::vector<std::string>>::failure("N must be 1 to 254 (127.0.0.1 to 127.0.0.N)");
    first = asio::ip::make_address_v4("127.0.0.1").to_uint();
    last = first + static_cast<std::uint32_t>(n) - 1;
  } else {
    const std::string a = text.substr(0, dash), b = dash == std::string::npos ? a : text.substr(dash + 1);
    const auto fa = asio::ip::make_address_v4(a, ec);
    if (ec) return Parsed<std::vector<std::string>>::failure(fmt::format("'{}' is not an IPv4 address", a));
    const auto fb = asio::ip::make_address_v4(b, ec);
    if (ec) return Parsed<std::vector<std::string>>::failure(fmt::format("'{}' is not an IPv4 address", b));
    first = fa.to_uint();
    last = fb.to_uint();
    if (last < first) return Parsed<std::vector<std::string>>::failure(fmt::format("{} comes after {}", a, b));
    if (last - first >= kMaxSources)
      return Parsed<std::vector<std::string>>::failure(fmt::format("more than {} addresses", kMaxSources));
  }
  std::vector<std::string> out;
  for (std::uint32_t x = first;; ++x) {
    const asio::ip::address_v4 v(x);
    if (v.is_unspecified() || v.is_multicast() || v == asio::ip::address_v4::broadcast()) {
      return Parsed<std::vector<std::string>>::failure(fmt::format("{} cannot be a source address", v.to_string()));
    }
    out.push_back(v.to_string());
    if (x == last) break;
  }
  return out;
}

int run_load(const LoadConfig& cfg) {
  Load l(cfg);
  return l.run();
}

}  // namespace vsm::conform
