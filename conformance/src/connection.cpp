// SPDX-License-Identifier: GPL-2.0-or-later
#include "connection.hpp"

// clang-format off
#include <utility>
#include <boost/asio.hpp>
// clang-format on
#include <signal.h>
#include <sys/socket.h>

#include <chrono>
#include <deque>

#include "transport.hpp"
#include "vsm/framing.hpp"
#include "vsm/message.hpp"

namespace vsm::conform {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

const Clock::time_point kEpoch = Clock::now();
Clock::time_point at(double s) {
  return kEpoch + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
}

Endpoint endpoint(const tcp::endpoint& ep) {
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

}  // namespace

double now_s() { return std::chrono::duration<double>(Clock::now() - kEpoch).count(); }

// ---------------------------------------------------------------- one connection

struct Link::Impl : std::enable_shared_from_this<Link::Impl> {
  Impl(std::string n, tcp::socket s, const LinkConfig& c)
      : name(std::move(n)), sock(std::move(s)), cfg(c), tracker(tracker_config(c)) {
    boost::system::error_code ec;
    local = endpoint(sock.local_endpoint(ec));
    remote = endpoint(sock.remote_endpoint(ec));
  }
  static TrackerConfig tracker_config(const LinkConfig& c) {
    TrackerConfig t;
    t.ack_timeout = c.ack_timeout;
    t.initiator_role = Role::Node;
    return t;
  }
  Dir iut_dir() const { return cfg.iut_initiates ? Dir::FromInitiator : Dir::FromResponder; }
  Dir runner_dir() const { return other(iut_dir()); }

  std::string name;
  tcp::socket sock;
  LinkConfig cfg;
  LinkEvents events;
  bool open = true;
  bool framing_lost = false;
  bool dead = false;  // detached: handlers do nothing
  std::string close_reason;
  std::vector<std::uint8_t> rbuf;
  std::array<std::uint8_t, 4096> chunk{};
  ExchangeTracker tracker;
  std::uint64_t counter = 0;  // tracker ids of the messages, both directions
  std::deque<std::shared_ptr<std::vector<std::uint8_t>>> wq;
  bool writing = false;
  std::uint64_t uid = 0;
  Endpoint local, remote;

  void mark_closed(bool by_runner, const std::string& why) {
    if (!open) return;
    open = false;
    close_reason = why;
    if (!dead && events.closed) events.closed(by_runner, why);
  }

  void do_read() {
    auto self = shared_from_this();
    sock.async_read_some(asio::buffer(chunk), [this, self](boost::system::error_code ec, std::size_t n) {
      if (dead) return;
      if (ec) {
        mark_closed(false, ec == asio::error::eof ? "closed by the IUT" : ec.message());
        return;
      }
      if (!framing_lost) {
        rbuf.insert(rbuf.end(), chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(n));
        frame();
      }
      if (!dead) do_read();
    });
  }

  void frame() {
    const LengthConvention other_conv =
        cfg.convention == LengthConvention::Total4 ? LengthConvention::Literal3 : LengthConvention::Total4;
    while (rbuf.size() >= 4 && !dead) {
      const std::uint16_t lf = static_cast<std::uint16_t>((rbuf[2] << 8) | rbuf[3]);
      const std::uint32_t want = declared_size(lf, cfg.convention);
      if (want == 0 || want < kHeaderSize) {
        framing_lost = true;
        if (events.framing_lost) events.framing_lost(lf, rbuf);
        rbuf.clear();
        return;
      }
      LengthConvention conv = cfg.convention;
      std::uint32_t take = want;
      if (rbuf.size() < want) {
        // A whole message under the other convention that ours cannot finish: name it.
        const std::uint32_t alt = declared_size(lf, other_conv);
        if (alt >= kHeaderSize && alt <= rbuf.size() && decode(std::span(rbuf.data(), alt), other_conv).ok() &&
            looks_like_vsm(std::span(rbuf.data(), alt), other_conv)) {
          conv = other_conv;
          take = alt;
        } else {
          return;
        }
      }
      Inbound in;
      in.bytes.assign(rbuf.begin(), rbuf.begin() + take);
      in.conv = conv;
      in.t = now_s();
      in.other_convention = conv != cfg.convention;
      rbuf.erase(rbuf.begin(), rbuf.begin() + take);
      const MessageView v = decode(in.bytes, conv);
      check_message(v, in.checks);
      ExchangeResult ex = tracker.on_message(v, iut_dir(), in.t, ++counter);
      in.exchange = std::move(ex.findings);
      in.answers = ex.request;
      if (events.message) events.message(in);
    }
  }

  void track(std::span<const std::uint8_t> bytes) {
    const MessageView v = decode(bytes, cfg.convention);
    if (v.has_header()) tracker.on_message(v, runner_dir(), now_s(), ++counter);
  }

  Sent write(std::vector<std::uint8_t> bytes) {
    if (!open) return Sent::Closed;
    if (wq.size() >= kMaxQueued) {
      close("the IUT does not read");
      return Sent::Overflow;
    }
    wq.push_back(std::make_shared<std::vector<std::uint8_t>>(std::move(bytes)));
    pump();
    return Sent::Queued;
  }
  void pump() {
    if (writing || wq.empty() || !open) return;
    writing = true;
    auto buf = wq.front();
    auto self = shared_from_this();
    asio::async_write(sock, asio::buffer(*buf), [this, self, buf](boost::system::error_code ec, std::size_t) {
      if (dead) return;
      writing = false;
      if (!wq.empty()) wq.pop_front();
      if (ec) {
        mark_closed(false, "write failed: " + ec.message());
        return;
      }
      pump();
    });
  }

  void close(const std::string& why) {
    mark_closed(true, why);
    boost::system::error_code ec;
    sock.shutdown(tcp::socket::shutdown_both, ec);
    sock.close(ec);
  }
  void abort(const std::string& why) {
    mark_closed(true, why);
    const linger l{1, 0};
    ::setsockopt(sock.native_handle(), SOL_SOCKET, SO_LINGER, &l, sizeof l);
    boost::system::error_code ec;
    sock.close(ec);
  }
};

Link::Link(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
Link::~Link() {
  impl_->dead = true;
  boost::system::error_code ec;
  impl_->sock.close(ec);
}
void Link::start(LinkEvents events) {
  static std::uint64_t uids = 0;
  impl_->uid = ++uids;  // connections the runner uses (a readiness probe never starts)
  impl_->events = std::move(events);
  impl_->do_read();
}
const std::string& Link::name() const { return impl_->name; }
std::uint64_t Link::uid() const { return impl_->uid; }
const Endpoint& Link::local() const { return impl_->local; }
const Endpoint& Link::remote() const { return impl_->remote; }
bool Link::open() const { return impl_->open; }
const std::string& Link::close_reason() const { return impl_->close_reason; }
Link::Sent Link::send(std::vector<std::uint8_t> message) {
  impl_->track(message);
  return impl_->write(std::move(message));
}
void Link::track(std::span<const std::uint8_t> message) { impl_->track(message); }
Link::Sent Link::send_raw(std::vector<std::uint8_t> bytes) { return impl_->write(std::move(bytes)); }
bool Link::idle() const { return impl_->wq.empty(); }
std::span<const std::uint8_t> Link::partial() const { return impl_->rbuf; }
std::size_t Link::unanswered() const { return impl_->tracker.outstanding(impl_->runner_dir()); }
std::vector<Finding> Link::expire_unanswered(double now) {
  std::vector<EarlierFinding> all;
  impl_->tracker.expire(now, all);
  std::vector<Finding> out;
  for (const auto& e : all) {
    if (e.dir == impl_->runner_dir()) out.push_back(e.finding);
  }
  return out;
}
void Link::close(const std::string& why) { impl_->close(why); }
void Link::abort(const std::string& why) { impl_->abort(why); }
void Link::detach(const std::string& why) {
  impl_->close(why);
  impl_->dead = true;
  impl_->events = {};
}

// ---------------------------------------------------------------- the network

struct Connecting::Impl {
  tcp::socket sock;
  explicit Impl(asio::io_context& io) : sock(io) {}
};

struct Network::Impl {
  explicit Impl(LinkConfig c) : cfg(c) { arm_sigchld(); }

  LinkConfig cfg;
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
  asio::signal_set sigchld{io, SIGCHLD};  // child exits wake the event loop
  std::optional<tcp::acceptor> acceptor;
  std::deque<tcp::socket> accepted;
  std::uint16_t port = 0;

  void arm_sigchld() {
    sigchld.async_wait([this](boost::system::error_code ec, int) {
      if (!ec) arm_sigchld();
    });
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
  std::shared_ptr<Link> link(const std::string& name, tcp::socket s) {
    return std::make_shared<Link>(std::make_shared<Link::Impl>(name, std::move(s), cfg));
  }
};

Network::Network(LinkConfig cfg) : impl_(std::make_unique<Impl>(cfg)) {}
Network::~Network() = default;

void Network::listen(const std::string& host, std::uint16_t port) {
  tcp::endpoint ep(asio::ip::make_address(host), port);
  impl_->acceptor.emplace(impl_->io);
  transport::open(*impl_->acceptor, ep.protocol(), impl_->cfg.sctp);
  impl_->acceptor->set_option(tcp::acceptor::reuse_address(true));
  impl_->acceptor->bind(ep);
  impl_->acceptor->listen();
  impl_->port = impl_->acceptor->local_endpoint().port();
  impl_->do_accept();
}
std::uint16_t Network::listening_port() const { return impl_->port; }
bool Network::accept_waiting() const { return !impl_->accepted.empty(); }
std::shared_ptr<Link> Network::accept(const std::string& name) {
  tcp::socket s = std::move(impl_->accepted.front());
  impl_->accepted.pop_front();
  return impl_->link(name, std::move(s));
}
void Network::drop_waiting() {
  for (auto& s : impl_->accepted) {
    boost::system::error_code ec;
    s.close(ec);
  }
  impl_->accepted.clear();
}

std::shared_ptr<Connecting> Network::connect(const std::string& host, std::uint16_t port, const std::string& bind,
                                             const std::string& name) {
  auto c = std::make_shared<Connecting>();
  c->impl = std::make_shared<Connecting::Impl>(impl_->io);
  boost::system::error_code ec;
  const tcp::endpoint ep(asio::ip::make_address(host), port);
  try {
    transport::open(c->impl->sock, ep.protocol(), impl_->cfg.sctp);
  } catch (const boost::system::system_error& e) {
    ec = e.code();
  }
  if (!bind.empty() && !ec) c->impl->sock.bind(tcp::endpoint(asio::ip::make_address(bind), 0), ec);
  if (ec) {
    c->done = true;
    return c;
  }
  std::weak_ptr<Connecting> weak = c;
  Impl* net = impl_.get();
  c->impl->sock.async_connect(ep, [weak, net, name](boost::system::error_code e) {
    auto c = weak.lock();
    if (!c || c->done) return;
    c->done = true;
    if (e) return;
    transport::tune(c->impl->sock, net->cfg.sctp, net->cfg.sctp_ppid);
    c->link = net->link(name, std::move(c->impl->sock));
  });
  return c;
}
void Network::cancel(Connecting& c) {
  boost::system::error_code ec;
  c.impl->sock.close(ec);
}
std::uint16_t Network::free_port(const std::string& host) {
  tcp::acceptor a(impl_->io, tcp::endpoint(asio::ip::make_address(host), 0));
  return a.local_endpoint().port();
}

bool Network::run_until(const std::function<bool()>& done, double deadline) {
  while (!done()) {
    if (now_s() >= deadline) return false;
    if (impl_->io.stopped()) impl_->io.restart();
    impl_->io.run_one_until(at(deadline));
  }
  return true;
}
void Network::poll() { impl_->io.poll(); }

}  // namespace vsm::conform
