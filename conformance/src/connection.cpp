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

#include "session_io.hpp"
#include "transport.hpp"
#include "vsm/message.hpp"

namespace vsm::conform {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

Clock::time_point at(double s) { return io::time_point(s); }

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

double now_s() { return io::now(); }

// ---------------------------------------------------------------- one connection

// A Link is the runner's view of one vsm::io::SessionIo (tools/common): the
// Session frames, checks and tracks both directions; the link turns its
// events into Inbound messages and lost framing, and reports the close at
// once when the runner closes (the adapter reports it from the loop).
struct Link::Impl : std::enable_shared_from_this<Link::Impl> {
  Impl(std::string n, tcp::socket s, const LinkConfig& c)
      : name(std::move(n)), cfg(c), io(std::make_shared<io::SessionIo>(std::move(s), io_config(c))) {
    local = endpoint(io->local());
    remote = endpoint(io->remote());
  }
  static io::IoConfig io_config(const LinkConfig& c) {
    io::IoConfig x;
    // The node always opens the connection: the runner is the manager when the IUT initiates.
    x.session.local_role = c.iut_initiates ? Role::Manager : Role::Node;
    x.session.initiator = !c.iut_initiates;
    x.session.convention = c.convention;
    x.session.accept_other_convention = true;  // taken, then failed as VSM-6.1-LENGTH-LITERAL
    x.session.ack_timeout = c.ack_timeout;
    x.session.check_sent = false;  // the runner breaks rules on purpose
    x.sctp = c.sctp;
    x.ack_timers = false;  // the executor asks (expire_unanswered)
    x.max_queued = kMaxQueued;
    return x;
  }
  LengthConvention other_conv() const {
    return cfg.convention == LengthConvention::Total4 ? LengthConvention::Literal3 : LengthConvention::Total4;
  }

  std::string name;
  LinkConfig cfg;
  std::shared_ptr<io::SessionIo> io;
  LinkEvents events;
  bool open = true;
  bool dead = false;  // detached: handlers do nothing
  std::string close_reason;
  std::uint64_t uid = 0;
  Endpoint local, remote;
  std::vector<EarlierFinding> late;  // the runner's requests past the ACK timer (tick)

  void mark_closed(bool by_runner, const std::string& why) {
    if (!open) return;
    open = false;
    close_reason = why;
    if (!dead && events.closed) events.closed(by_runner, why);
  }

  void start() {
    io::SessionIo::Handlers h;
    std::weak_ptr<Impl> weak = shared_from_this();
    h.on_message = [weak](const SessionEvent& e) {
      if (auto self = weak.lock()) self->on_event(e);
    };
    h.on_earlier = [weak](const EarlierFinding& f) {
      if (auto self = weak.lock()) self->late.push_back(f);
    };
    h.on_close = [weak](const std::string& why) {
      if (auto self = weak.lock()) {
        self->mark_closed(false, why == "peer closed the connection" ? "closed by the IUT" : why);
      }
    };
    io->start(std::move(h));
  }

  void on_event(const SessionEvent& e) {
    if (dead) return;
    if (e.kind == EventKind::EndedInsideMessage) return;  // partial() shows it to an expectation that waits
    if (e.kind == EventKind::FramingError) {
      const Bytes rest = e.message.bytes;
      const std::uint16_t lf = rest.size() >= 4 ? static_cast<std::uint16_t>(e.declared) : 0;
      if (events.framing_lost) events.framing_lost(lf, rest);
      return;
    }
    Inbound in;
    in.bytes.assign(e.message.bytes.begin(), e.message.bytes.end());
    in.other_convention = e.other_convention;
    in.conv = e.other_convention ? other_conv() : cfg.convention;
    in.t = e.time;
    for (std::size_t i = 0; i < e.findings.size(); ++i) {
      if (i < e.message_findings) {
        in.checks.add(e.findings[i]);
      } else {
        in.exchange.add(e.findings[i]);
      }
    }
    in.answers = e.request;
    if (events.message) events.message(in);
  }

  Sent queued_result() {
    if (io->overflowed()) {
      mark_closed(true, "the IUT does not read");
      return Sent::Overflow;
    }
    return Sent::Queued;
  }
  Sent send(std::vector<std::uint8_t> bytes) {
    if (!open || !io->is_open()) return Sent::Closed;
    io->send_bytes(std::move(bytes), true);
    return queued_result();
  }
  void track(std::span<const std::uint8_t> bytes) {
    if (io->is_open()) io->note(bytes, true);
  }
  Sent write(std::vector<std::uint8_t> bytes) {
    if (!open || !io->is_open()) return Sent::Closed;
    io->write(bytes);
    return queued_result();
  }
  void close(const std::string& why) {
    mark_closed(true, why);
    io->close(why);
  }
  void abort(const std::string& why) {
    mark_closed(true, why);
    io->abort(why);
  }
};

Link::Link(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
Link::~Link() {
  impl_->dead = true;
  impl_->io->close("the runner is done with the connection");
}
void Link::start(LinkEvents events) {
  static std::uint64_t uids = 0;
  impl_->uid = ++uids;  // connections the runner uses (a readiness probe never starts)
  impl_->events = std::move(events);
  impl_->start();
}
const std::string& Link::name() const { return impl_->name; }
void Link::rename(const std::string& name) { impl_->name = name; }
std::uint64_t Link::uid() const { return impl_->uid; }
const Endpoint& Link::local() const { return impl_->local; }
const Endpoint& Link::remote() const { return impl_->remote; }
bool Link::open() const { return impl_->open; }
const std::string& Link::close_reason() const { return impl_->close_reason; }
Link::Sent Link::send(std::vector<std::uint8_t> message) { return impl_->send(std::move(message)); }
void Link::track(std::span<const std::uint8_t> message) { impl_->track(message); }
Link::Sent Link::send_raw(std::vector<std::uint8_t> bytes) { return impl_->write(std::move(bytes)); }
bool Link::idle() const { return impl_->io->queued() == 0; }
std::span<const std::uint8_t> Link::partial() const { return impl_->io->partial(); }
std::size_t Link::unanswered() const { return impl_->io->session().awaiting_ack(); }
std::vector<Finding> Link::expire_unanswered(double now) {
  impl_->late.clear();
  impl_->io->tick(now);
  std::vector<Finding> out;
  for (const auto& e : impl_->late) {
    if (e.dir == impl_->io->session().local_dir()) out.push_back(e.finding);
  }
  impl_->late.clear();
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
  std::function<void()> incoming;
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
      if (incoming) incoming();
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

void Network::on_incoming(std::function<void()> f) { impl_->incoming = std::move(f); }

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
