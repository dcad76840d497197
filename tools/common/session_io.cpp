// SPDX-License-Identifier: GPL-2.0-or-later
#include "session_io.hpp"

#include <sys/socket.h>

#include <cerrno>

#include "transport.hpp"

namespace vsm::io {
namespace {

using Clock = std::chrono::steady_clock;
const Clock::time_point kStart = Clock::now();

// A non-ACK message with a header: it waits for an ACK.
bool is_request(const MessageView& v) noexcept { return v.has_header() && !v.is_ack(); }

}  // namespace

double now() { return std::chrono::duration<double>(Clock::now() - kStart).count(); }

Clock::time_point time_point(double t) {
  return kStart + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(t));
}

SessionIo::SessionIo(tcp::socket socket, const IoConfig& cfg)
    : socket_(std::move(socket)),
      cfg_(cfg),
      session_([&cfg] {
        SessionConfig s = cfg.session;
        s.transport = cfg.sctp ? Transport::Messages : Transport::Stream;
        return s;
      }()),
      rbuf_(std::max<std::size_t>(cfg.read_size, 64)),
      timer_(socket_.get_executor()) {
  cfg_.session = session_.config();
  boost::system::error_code ec;
  local_ = socket_.local_endpoint(ec);
  remote_ = socket_.remote_endpoint(ec);
}

SessionIo::~SessionIo() = default;

void SessionIo::start(Handlers h) {
  h_ = std::move(h);
  if (cfg_.sctp) {
    read_sctp();
  } else {
    read_stream();
  }
}

// ---------------------------------------------------------------- reading

void SessionIo::read_stream() {
  socket_.async_read_some(
      asio::buffer(rbuf_), [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
        if (self->closed()) return;
        if (ec) {
          self->peer_ended_ = true;
          self->finish(ec == asio::error::eof ? std::string("peer closed the connection") : ec.message(), false);
          return;
        }
        self->take(Bytes(self->rbuf_.data(), n));
        if (!self->closed()) self->read_stream();
      });
}

// SCTP: a user message is read whole (MSG_EOR ends it) and given to the
// Session as one chunk. One longer than twice the largest message accepted is
// handed over in pieces of that size, which the joiner takes as chunks.
void SessionIo::read_sctp() {
  socket_.async_wait(tcp::socket::wait_read, [self = shared_from_this()](boost::system::error_code ec) {
    if (self->closed()) return;
    if (ec) {
      self->peer_ended_ = true;
      self->finish(ec.message(), false);
      return;
    }
    bool end = false;
    const ssize_t n =
        transport::receive_part(self->socket_.native_handle(), self->rbuf_.data(), self->rbuf_.size(), end);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
      self->read_sctp();
      return;
    }
    if (n <= 0) {
      const std::string why = n == 0 ? std::string("peer closed the connection")
                                     : boost::system::error_code(errno, boost::system::system_category()).message();
      if (!self->partial_.empty()) self->take(self->partial_);  // the association ended inside a user message
      self->peer_ended_ = true;
      self->finish(why, false);
      return;
    }
    const Bytes got(self->rbuf_.data(), static_cast<std::size_t>(n));
    if (end && self->partial_.empty()) {
      self->take(got);
    } else {
      self->partial_.insert(self->partial_.end(), got.begin(), got.end());
      if (end || self->partial_.size() >= 2 * self->cfg_.session.max_pdu) {
        std::vector<std::uint8_t> whole;
        whole.swap(self->partial_);
        self->take(whole);
      }
    }
    if (!self->closed()) self->read_sctp();
  });
}

void SessionIo::take(Bytes data) {
  if (!is_open()) return;
  session_.receive(data, now(), [this](const SessionEvent& e) { on_event(e); });
}

void SessionIo::on_event(const SessionEvent& e) {
  if (!is_open()) return;  // closing: what still comes is not read any more
  for (const EarlierFinding& f : e.earlier) earlier(f, false);
  if (e.kind == EventKind::Message && is_request(e.message)) note_request(e.time);
  if (e.request) {
    if (auto it = handlers_.find(e.request->id); it != handlers_.end()) {
      AckHandler on_ack = std::move(it->second);
      handlers_.erase(it);
      if (on_ack) on_ack(&e);
      return;
    }
  }
  if (h_.on_message) h_.on_message(e);
}

// ---------------------------------------------------------------- writing

namespace {
// Closing or closed: nothing is sent, and nothing can ACK it.
Sent not_sent(const SessionIo::AckHandler& on_ack) {
  if (on_ack) on_ack(nullptr);
  return {};
}
}  // namespace

Sent SessionIo::send(Message m, AckHandler on_ack, SeqMode mode) {
  if (!is_open()) return not_sent(on_ack);
  Sent s = session_.send(std::move(m), now(), mode);
  if (s.error) {
    // Refused by the encoder (longer than a Length can describe): nothing is written, nothing can ACK it.
    if (on_ack) on_ack(nullptr);
    return s;
  }
  noted(s, s.bytes, std::move(on_ack), true);
  write(s.bytes);
  return s;
}

Sent SessionIo::send_bytes(std::vector<std::uint8_t> bytes, bool track, AckHandler on_ack) {
  if (!is_open()) return not_sent(on_ack);
  Sent s = session_.send_bytes(std::move(bytes), now(), track);
  noted(s, s.bytes, std::move(on_ack), track);
  write(s.bytes);
  return s;
}

Sent SessionIo::note(Bytes wire, bool track, AckHandler on_ack) {
  if (!is_open()) return not_sent(on_ack);
  Sent s = session_.note_sent(wire, now(), track);
  noted(s, wire, std::move(on_ack), track);
  return s;
}

void SessionIo::noted(const Sent& s, Bytes wire, AckHandler on_ack, bool tracked) {
  for (const EarlierFinding& f : s.earlier) earlier(f, false);
  if (tracked && is_request(decode(wire, session_.config().convention))) {
    if (on_ack) handlers_[s.id] = std::move(on_ack);
    note_request(now());
  } else if (on_ack) {
    on_ack(nullptr);  // nothing ACKs it
  }
}

void SessionIo::write(Bytes bytes) {
  if (!is_open()) return;
  if (queue_.size() >= cfg_.max_queued) {
    overflowed_ = true;
    finish("write queue full: " + std::to_string(queue_.size()) + " writes waiting (the peer does not read)", false);
    return;
  }
  std::vector<std::uint8_t> buf;
  if (!spare_.empty()) {
    buf = std::move(spare_.back());
    spare_.pop_back();
  }
  buf.assign(bytes.begin(), bytes.end());
  queue_.push_back(std::move(buf));
  write_next();
}

void SessionIo::write_next() {
  if (writing_ || closed()) return;
  if (queue_.empty()) {
    if (state_ == State::Closing) finish(close_reason_, false);
    return;
  }
  writing_ = true;
  asio::async_write(socket_, asio::buffer(queue_.front()),
                    [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                      self->writing_ = false;
                      if (!self->queue_.empty()) {
                        if (self->spare_.size() < 8) self->spare_.push_back(std::move(self->queue_.front()));
                        self->queue_.pop_front();
                      }
                      if (self->closed()) return;
                      if (ec) {
                        self->finish("write failed: " + ec.message(), false);
                        return;
                      }
                      self->write_next();
                    });
}

// ---------------------------------------------------------------- ACK timers

void SessionIo::earlier(const EarlierFinding& f, bool report) {
  if (auto it = handlers_.find(f.id); it != handlers_.end()) {
    AckHandler on_ack = std::move(it->second);
    handlers_.erase(it);
    if (on_ack) on_ack(nullptr);
  }
  if (report && h_.on_earlier) h_.on_earlier(f);
}

void SessionIo::tick(double at) {
  const auto late = session_.tick(at);
  const std::vector<EarlierFinding> list(late.begin(), late.end());  // handlers may call into the session
  for (const EarlierFinding& f : list) earlier(f, true);
}

void SessionIo::note_request(double at) {
  if (!cfg_.ack_timers) return;
  const double due = at + cfg_.session.ack_timeout;
  if (deadlines_.empty() || due > deadlines_.back()) deadlines_.push_back(due);
  arm_timer();
}

void SessionIo::arm_timer() {
  if (timer_armed_ || deadlines_.empty() || closed()) return;
  timer_armed_ = true;
  // A little after the deadline: the tracker reports a request once it is older than the timer.
  timer_.expires_at(time_point(deadlines_.front() + 0.002));
  timer_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
    auto self = weak.lock();
    if (!self) return;
    self->timer_armed_ = false;
    if (ec || self->closed()) return;
    const double t = now();
    while (!self->deadlines_.empty() && self->deadlines_.front() < t) self->deadlines_.pop_front();
    self->tick(t);
    self->arm_timer();
  });
}

// ---------------------------------------------------------------- closing

void SessionIo::close(const std::string& reason) {
  if (state_ != State::Open) return;
  state_ = State::Closing;
  close_reason_ = reason;
  write_next();
}

void SessionIo::abort(const std::string& reason) {
  if (closed()) return;
  finish(reason, true);
}

// The socket closes now; what the Session still holds is reported from the
// event loop, so that no handler runs inside the caller's send() or close().
void SessionIo::finish(const std::string& reason, bool abort) {
  if (closed()) return;
  state_ = State::Closed;
  close_reason_ = reason;
  boost::system::error_code ec;
  timer_.cancel();
  if (abort) {
    const linger l{1, 0};
    ::setsockopt(socket_.native_handle(), SOL_SOCKET, SO_LINGER, &l, sizeof l);
  } else {
    socket_.shutdown(tcp::socket::shutdown_both, ec);
  }
  socket_.close(ec);
  // A write in flight keeps its buffer until its handler runs.
  while (queue_.size() > (writing_ ? 1u : 0u)) queue_.pop_back();
  deadlines_.clear();
  asio::post(socket_.get_executor(), [self = shared_from_this()] { self->report_close(); });
}

void SessionIo::report_close() {
  // The last event (a message cut short, a stream ended inside a message) only when the peer ended it.
  const auto left = session_.close(now(), [this](const SessionEvent& e) {
    if (peer_ended_ && h_.on_message) h_.on_message(e);
  });
  const std::vector<EarlierFinding> list(left.begin(), left.end());
  for (const EarlierFinding& f : list) earlier(f, true);
  auto rest = std::move(handlers_);
  handlers_.clear();
  for (auto& [id, on_ack] : rest) {
    if (on_ack) on_ack(nullptr);
  }
  // The handlers may hold the owner of this object: let them go.
  Handlers h = std::move(h_);
  h_ = Handlers{};
  if (h.on_close) h.on_close(close_reason_);
}

}  // namespace vsm::io
