// SPDX-License-Identifier: GPL-2.0-or-later
#include "session_io.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <mutex>
#include <optional>
#include <queue>

#include "transport.hpp"

namespace vsm::io {
namespace {

using Clock = std::chrono::steady_clock;
const Clock::time_point kStart = Clock::now();

// A non-ACK message with a header: it waits for an ACK.
bool is_request(const MessageView& v) noexcept { return v.has_header() && !v.is_ack(); }

// The read buffer of this thread, shared by all its connections: each read
// is handed to the Session at once, which keeps only what does not frame.
Bytes read_buffer(std::size_t want) {
  thread_local std::vector<std::uint8_t> buf;
  want = std::max<std::size_t>(want, 64);
  if (buf.size() < want) buf.resize(want);
  return Bytes(buf.data(), want);
}
std::uint8_t* writable(Bytes b) { return const_cast<std::uint8_t*>(b.data()); }

// Reads in a row on one readiness before waiting again (others get their turn).
constexpr int kReadsPerWakeup = 4;
constexpr std::size_t kKeepSpare = 256;  // a written buffer this small is kept for the next write

}  // namespace

// Every ACK timer of one execution context on one asio timer: the earliest
// deadline of each connection with requests waiting, in a heap. An entry
// holds the connection's anchor (a pointer in a small block of its own), not
// the connection: a connection closed or gone is skipped, and its memory is
// not held until its deadline.
class AckTimers : public asio::execution_context::service {
 public:
  using key_type = AckTimers;
  static asio::execution_context::id id;
  explicit AckTimers(asio::execution_context& ctx) : asio::execution_context::service(ctx) {}

  void schedule(const asio::any_io_executor& ex, double at, std::weak_ptr<SessionIo*> who) {
    std::lock_guard lock(mutex_);
    if (!timer_) timer_.emplace(ex);
    heap_.push(Entry{at, ++order_, std::move(who)});
    if (at < armed_for_) arm(at);
  }

 private:
  struct Entry {
    double at;
    std::uint64_t order;  // ties in the order scheduled
    std::weak_ptr<SessionIo*> who;
    bool operator>(const Entry& o) const noexcept { return at != o.at ? at > o.at : order > o.order; }
  };
  void shutdown() override {
    std::lock_guard lock(mutex_);
    timer_.reset();
    heap_ = {};
  }
  void arm(double at) {  // under the lock
    armed_for_ = at;
    timer_->expires_at(time_point(at));
    timer_->async_wait([this](boost::system::error_code ec) {
      if (ec) return;  // re-armed earlier, or shut down
      fire();
    });
  }
  void fire() {
    const double t = now();
    std::vector<std::shared_ptr<SessionIo>> due;
    {
      std::lock_guard lock(mutex_);
      armed_for_ = kNever;
      while (!heap_.empty() && heap_.top().at <= t) {
        if (auto anchor = heap_.top().who.lock()) {
          if (auto p = (*anchor)->weak_from_this().lock()) due.push_back(std::move(p));
        }
        heap_.pop();
      }
      if (!heap_.empty()) arm(heap_.top().at);
    }
    for (const auto& p : due) p->on_ack_timer();
  }
  static constexpr double kNever = 1e300;
  std::mutex mutex_;
  std::optional<asio::steady_timer> timer_;
  std::priority_queue<Entry, std::vector<Entry>, std::greater<>> heap_;
  std::uint64_t order_ = 0;
  double armed_for_ = kNever;
};
asio::execution_context::id AckTimers::id;

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
      timers_(&asio::use_service<AckTimers>(asio::query(socket_.get_executor(), asio::execution::context))) {
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
  socket_.async_wait(tcp::socket::wait_read, [self = shared_from_this()](boost::system::error_code ec) {
    if (self->closed()) return;
    if (ec) {
      self->peer_ended_ = true;
      self->finish(ec.message(), false);
      return;
    }
    self->read_some();
  });
}

void SessionIo::read_some() {
  for (int i = 0; i < kReadsPerWakeup && !closed(); ++i) {
    const Bytes buf = read_buffer(cfg_.read_size);
    const ssize_t n = ::recv(socket_.native_handle(), writable(buf), buf.size(), MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      peer_ended_ = true;
      finish(n == 0 ? std::string("peer closed the connection")
                    : boost::system::error_code(errno, boost::system::system_category()).message(),
             false);
      return;
    }
    take(buf.first(static_cast<std::size_t>(n)));
    if (static_cast<std::size_t>(n) < buf.size()) break;  // drained
  }
  if (!closed()) read_stream();
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
    const Bytes buf = read_buffer(self->cfg_.read_size);
    const ssize_t n = transport::receive_part(self->socket_.native_handle(), writable(buf), buf.size(), end);
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
    const Bytes got = buf.first(static_cast<std::size_t>(n));
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
  last_received_ = now();
  session_.receive(data, last_received_, [this](const SessionEvent& e) { on_event(e); });
  session_.trim();  // between reads an idle connection holds no scratch space or empty buffers
}

void SessionIo::on_event(const SessionEvent& e) {
  if (!is_open()) return;  // closing: what still comes is not read any more
  for (const EarlierFinding& f : e.earlier) earlier(f, false);
  if (e.kind == EventKind::Message && is_request(e.message)) note_request(e.time);
  if (e.request) {
    if (AckHandler on_ack = take_handler(e.request->id)) {
      on_ack(&e);
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
  session_.trim();
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
  session_.trim();
  noted(s, s.bytes, std::move(on_ack), track);
  write(s.bytes);
  return s;
}

Sent SessionIo::note(Bytes wire, bool track, AckHandler on_ack) {
  if (!is_open()) return not_sent(on_ack);
  Sent s = session_.note_sent(wire, now(), track);
  session_.trim();
  noted(s, wire, std::move(on_ack), track);
  return s;
}

void SessionIo::noted(const Sent& s, Bytes wire, AckHandler on_ack, bool tracked) {
  for (const EarlierFinding& f : s.earlier) earlier(f, false);
  if (tracked && is_request(decode(wire, session_.config().convention))) {
    if (on_ack) handlers_.emplace_back(s.id, std::move(on_ack));
    note_request(now());
  } else if (on_ack) {
    on_ack(nullptr);  // nothing ACKs it
  }
}

void SessionIo::write(Bytes bytes) {
  if (!is_open()) return;
  if (queued() >= cfg_.max_queued) {
    overflowed_ = true;
    finish("write queue full: " + std::to_string(queued()) + " writes waiting (the peer does not read)", false);
    return;
  }
  std::vector<std::uint8_t> buf;
  buf.swap(spare_);
  buf.assign(bytes.begin(), bytes.end());
  if (head_ != 0 && head_ * 2 >= queue_.size()) {  // the written ones at the front make room
    queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(head_));
    head_ = 0;
  }
  queue_.push_back(std::move(buf));
  write_next();
}

void SessionIo::write_next() {
  if (writing_ || closed()) return;
  if (queued() == 0) {
    if (state_ == State::Closing) finish(close_reason_, false);
    return;
  }
  writing_ = true;
  asio::async_write(socket_, asio::buffer(queue_[head_]),
                    [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                      self->writing_ = false;
                      self->pop_write();
                      if (self->closed()) return;
                      if (ec) {
                        self->finish("write failed: " + ec.message(), false);
                        return;
                      }
                      self->write_next();
                    });
}

void SessionIo::pop_write() {
  if (queued() == 0) return;
  std::vector<std::uint8_t>& done = queue_[head_++];
  if (done.capacity() <= kKeepSpare && spare_.capacity() == 0) spare_.swap(done);
  if (queued() == 0) {  // idle: nothing kept but the small spare
    std::vector<std::vector<std::uint8_t>>().swap(queue_);
    head_ = 0;
  }
}

// ---------------------------------------------------------------- ACK timers

SessionIo::AckHandler SessionIo::take_handler(std::uint64_t id) {
  auto it = std::find_if(handlers_.begin(), handlers_.end(), [id](const auto& h) { return h.first == id; });
  if (it == handlers_.end()) return {};
  AckHandler on_ack = std::move(it->second);
  handlers_.erase(it);
  if (handlers_.empty()) std::vector<std::pair<std::uint64_t, AckHandler>>().swap(handlers_);
  return on_ack ? on_ack : AckHandler([](const SessionEvent*) {});
}

void SessionIo::earlier(const EarlierFinding& f, bool report) {
  if (AckHandler on_ack = take_handler(f.id)) on_ack(nullptr);
  if (report && h_.on_earlier) h_.on_earlier(f);
}

void SessionIo::tick(double at) {
  const auto late = session_.tick(at);
  const std::vector<EarlierFinding> list(late.begin(), late.end());  // handlers may call into the session
  session_.trim();
  for (const EarlierFinding& f : list) earlier(f, true);
}

void SessionIo::note_request(double at) {
  if (!cfg_.ack_timers) return;
  const double due = at + cfg_.session.ack_timeout;
  if (dl_head_ == deadlines_.size() || due > deadlines_.back()) {
    if (dl_head_ != 0 && dl_head_ * 2 >= deadlines_.size()) {
      deadlines_.erase(deadlines_.begin(), deadlines_.begin() + static_cast<std::ptrdiff_t>(dl_head_));
      dl_head_ = 0;
    }
    deadlines_.push_back(due);
  }
  arm_timer();
}

void SessionIo::arm_timer() {
  if (timer_armed_ || dl_head_ == deadlines_.size() || closed()) return;
  timer_armed_ = true;
  // A little after the deadline: the tracker reports a request once it is older than the timer.
  if (!anchor_) anchor_ = std::make_shared<SessionIo*>(this);
  timers_->schedule(socket_.get_executor(), deadlines_[dl_head_] + 0.002, anchor_);
}

void SessionIo::on_ack_timer() {
  timer_armed_ = false;
  if (closed()) return;
  const double t = now();
  while (dl_head_ < deadlines_.size() && deadlines_[dl_head_] < t) ++dl_head_;
  if (dl_head_ == deadlines_.size()) {
    std::vector<double>().swap(deadlines_);
    dl_head_ = 0;
  }
  tick(t);
  arm_timer();
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
  if (abort) {
    const linger l{1, 0};
    ::setsockopt(socket_.native_handle(), SOL_SOCKET, SO_LINGER, &l, sizeof l);
  } else {
    socket_.shutdown(tcp::socket::shutdown_both, ec);
  }
  socket_.close(ec);
  // A write in flight keeps its buffer until its handler runs.
  while (queued() > (writing_ ? 1u : 0u)) queue_.pop_back();
  std::vector<double>().swap(deadlines_);
  dl_head_ = 0;
  anchor_.reset();  // the ACK timer's entry, if any, is dropped when it runs out
  asio::post(socket_.get_executor(), [self = shared_from_this()] { self->report_close(); });
}

void SessionIo::report_close() {
  // The last event (a message cut short, a stream ended inside a message) only when the peer ended it.
  const auto left = session_.close(now(), [this](const SessionEvent& e) {
    if (peer_ended_ && h_.on_message) h_.on_message(e);
  });
  const std::vector<EarlierFinding> list(left.begin(), left.end());
  session_.trim();
  for (const EarlierFinding& f : list) earlier(f, true);
  auto rest = std::move(handlers_);
  handlers_ = {};
  for (auto& [id, on_ack] : rest) {
    if (on_ack) on_ack(nullptr);
  }
  // The handlers may hold the owner of this object: let them go.
  Handlers h = std::move(h_);
  h_ = Handlers{};
  if (h.on_close) h.on_close(close_reason_);
}

}  // namespace vsm::io
