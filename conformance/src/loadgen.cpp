// SPDX-License-Identifier: GPL-2.0-or-later
// `vsm-conform load`: N simulated Execution Nodes against a manager. Each
// registers, ACKs the manager's Keep-Alives and sends Status-Updates at a set
// rate; every message received goes through the codec's rules and a
// per-connection exchange tracker. One event loop, one thread.
#include "loadgen.hpp"

// clang-format off
#include <utility>
#include <boost/asio.hpp>
// clang-format on
#include <fmt/format.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <deque>
#include <memory>
#include <random>
#include <unordered_map>
#include <vector>

#include "vsm/exchange.hpp"
#include "vsm/message.hpp"
#include "vsm/rules.hpp"
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
  std::vector<double> latency;  // seconds, request -> ACK
  std::vector<std::string> examples;
};

class Load;

struct Node : std::enable_shared_from_this<Node> {
  Load& load;
  tcp::socket sock;
  asio::steady_timer timer;
  std::vector<std::uint8_t> rbuf;
  std::array<std::uint8_t, 2048> chunk{};
  std::deque<std::shared_ptr<std::vector<std::uint8_t>>> wq;
  bool writing = false, registered = false, closed = false;
  std::uint32_t seq = 0, node_id = 0;
  std::unordered_map<std::uint32_t, Clock::time_point> pending;
  ExchangeTracker tracker;
  std::uint64_t counter = 0;
  Node(Load& l, asio::io_context& io);
  void start(const tcp::endpoint& ep);
  void send(Message m, bool request);
  void pump();
  void read();
  void frame();
  void on_pdu(std::span<const std::uint8_t> pdu);
  void schedule();
  void fail(const std::string& why);
};

class Load {
 public:
  Load(const LoadConfig& c) : cfg(c), rng(c.seed) {}
  LoadConfig cfg;
  asio::io_context io;
  Stats st;
  std::mt19937_64 rng;
  Clock::time_point t0 = Clock::now();
  bool stopping = false;
  std::vector<std::shared_ptr<Node>> nodes;
  std::size_t next_to_connect = 0, connecting = 0;
  tcp::endpoint ep;

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
  int run();
};

Node::Node(Load& l, asio::io_context& io)
    : load(l), sock(io), timer(io), tracker([] {
        TrackerConfig t;
        t.initiator_role = Role::Node;
        return t;
      }()) {}

void Node::start(const tcp::endpoint& ep) {
  auto self = shared_from_this();
  sock.async_connect(ep, [this, self](boost::system::error_code ec) {
    --load.connecting;
    load.connect_more();
    if (ec) return fail("connect: " + ec.message());
    ++load.st.connected;
    boost::system::error_code e2;
    sock.set_option(tcp::no_delay(true), e2);
    read();
    send(registration(0, 0), true);
  });
}

void Node::send(Message m, bool request) {
  if (closed) return;
  if (request) {
    seq = next_seq(seq);
    m.seq = seq;
    pending[seq] = Clock::now();
  }
  auto b = std::make_shared<std::vector<std::uint8_t>>(m.encode(load.cfg.convention));
  const MessageView v = decode(*b, load.cfg.convention);
  tracker.on_message(v, Dir::FromInitiator, secs(load.t0, Clock::now()), counter++ * 2 + 1);
  wq.push_back(std::move(b));
  pump();
}

void Node::pump() {
  if (writing || wq.empty() || closed) return;
  writing = true;
  auto self = shared_from_this();
  asio::async_write(sock, asio::buffer(*wq.front()), [this, self](boost::system::error_code ec, std::size_t) {
    writing = false;
    wq.pop_front();
    if (ec) return fail("write: " + ec.message());
    pump();
  });
}

void Node::read() {
  auto self = shared_from_this();
  sock.async_read_some(asio::buffer(chunk), [this, self](boost::system::error_code ec, std::size_t n) {
    if (ec) return fail(ec == asio::error::eof ? "closed by the manager" : ec.message());
    rbuf.insert(rbuf.end(), chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(n));
    frame();
    if (!closed) read();
  });
}

void Node::frame() {
  while (rbuf.size() >= 4 && !closed) {
    const std::uint16_t lf = static_cast<std::uint16_t>((rbuf[2] << 8) | rbuf[3]);
    const std::uint32_t want = declared_size(lf, load.cfg.convention);
    if (want < kHeaderSize) {
      load.violation(fmt::format("[{}] impossible Length {}", requirement(Req::Length).id, lf));
      return fail("framing lost");
    }
    if (rbuf.size() < want) return;
    std::vector<std::uint8_t> pdu(rbuf.begin(), rbuf.begin() + want);
    rbuf.erase(rbuf.begin(), rbuf.begin() + want);
    on_pdu(pdu);
  }
}

void Node::on_pdu(std::span<const std::uint8_t> pdu) {
  const MessageView v = decode(pdu, load.cfg.convention);
  FindingList fl;
  check_message(v, fl);
  for (const auto& f : fl) load.violation(describe(f) + " in " + summarize(v));
  const auto ex = tracker.on_message(v, Dir::FromResponder, secs(load.t0, Clock::now()), counter++ * 2);
  for (const auto& f : ex.findings) load.violation(describe(f) + " in " + summarize(v));
  if (!v.has_header()) return;
  if (v.is_ack()) {
    auto it = pending.find(v.header.seq);
    if (it == pending.end()) return;
    load.st.latency.push_back(secs(it->second, Clock::now()));
    pending.erase(it);
    if (!registered) {
      if (v.header.code == u8(ResultCode::AdministrativelyProhibited)) {
        ++load.st.refused;
        return fail("admission refused");
      }
      if (auto id = v.node_id(); id && v.header.code == 0) {
        node_id = *id;
        registered = true;
        ++load.st.registered;
        schedule();
      }
    } else {
      ++load.st.su_acked;
    }
    return;
  }
  if (v.is(MsgType::KeepAlive)) ++load.st.ka_answered;
  send(ack_for(v.header, ResultCode::Successful, node_id), false);
}

void Node::schedule() {
  if (load.cfg.rate <= 0 || load.stopping) return;
  std::exponential_distribution<double> gap(load.cfg.rate);
  timer.expires_after(std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(gap(load.rng))));
  auto self = shared_from_this();
  timer.async_wait([this, self](boost::system::error_code ec) {
    if (ec || closed || load.stopping) return;
    Message m = status_update(0, node_id);
    m.add(Option::node_info(node_info::AverageLoad, "0.5"));
    ++load.st.su_sent;
    send(std::move(m), true);
    schedule();
  });
}

void Node::fail(const std::string& why) {
  if (closed) return;
  closed = true;
  if (!load.stopping) {
    ++load.st.lost;
    if (load.st.examples.size() < 10) load.st.examples.push_back("connection lost: " + why);
  }
  boost::system::error_code ec;
  timer.cancel();
  sock.close(ec);
}

int Load::run() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  ep = tcp::endpoint(asio::ip::make_address(cfg.host), cfg.port);
  for (std::size_t i = 0; i < cfg.nodes; ++i) nodes.push_back(std::make_shared<Node>(*this, io));
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
  auto outstanding = [&] {
    std::size_t n = 0;
    for (const auto& nd : nodes) n += nd->closed ? 0 : nd->pending.size();
    return n;
  };
  while (outstanding() > 0 && Clock::now() < settle_end) io.run_one_until(settle_end);
  for (const auto& nd : nodes) st.unanswered += nd->closed ? 0 : nd->pending.size();
  const double wall = secs(t0, Clock::now());
  for (const auto& nd : nodes) {
    boost::system::error_code ec;
    nd->timer.cancel();
    nd->sock.close(ec);
  }
  io.poll();
  std::sort(st.latency.begin(), st.latency.end());
  auto pct = [&](double p) {
    if (st.latency.empty()) return 0.0;
    return st.latency[std::min(st.latency.size() - 1, static_cast<std::size_t>(p * (st.latency.size() - 1)))] * 1e3;
  };
  fmt::print(stderr, "\n");
  fmt::print("nodes {} registered {} refused {} lost {}\n", cfg.nodes, st.registered, st.refused, st.lost);
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

int run_load(const LoadConfig& cfg) {
  Load l(cfg);
  return l.run();
}

}  // namespace vsm::conform
