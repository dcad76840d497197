// SPDX-License-Identifier: GPL-2.0-or-later
// One VSM connection over a connected Asio socket (TCP, or SCTP one-to-one),
// driven through the codec's vsm::Session: the one place where the tools
// read, frame, check, track and write a live connection. It adds I/O only:
// a read loop feeding Session::receive() (SCTP: each user message
// read whole and handed over as one, so the codec's SctpJoiner sees the chunk
// boundaries), a write queue (one write per entry, so a split send stays
// split), ACK handlers and ACK timers (Session::tick() when a request's timer
// runs out), and the close.
//
// Memory per connection stays small, so that one process holds 100,000 of
// them: the socket is read, once it is readable, without blocking into one
// buffer per thread (no read buffer per connection); the Session gives its
// scratch space back when idle; queues are small vectors, freed when empty;
// all ACK timers of an io_context run on one timer (AckTimers in
// session_io.cpp), not one asio::steady_timer per connection. Every protocol decision is the Session's or the
// caller's: it sends nothing of its own accord.
//
// Used by vsm-agent and vsm-manager (tools/peers/common/connection.hpp adds
// the fault switches), vsm-conform's load generator and vsm-replay replay.
#pragma once

// Boost 1.74's Asio uses std::exchange without including <utility>.
// clang-format off
#include <utility>
#include <boost/asio.hpp>
// clang-format on
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "vsm/session.hpp"

namespace vsm::io {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// Seconds on the steady clock since the first call in this process: the time
// base of every Session driven here (event times, ACK timers, response times).
double now();
// The steady clock's time point of a now() value.
std::chrono::steady_clock::time_point time_point(double t);

struct IoConfig {
  SessionConfig session;  // its transport follows `sctp`
  bool sctp = false;      // an SCTP one-to-one socket: user messages are read whole
  // Run Session::tick() when a request's ACK timer runs out, so that ACK
  // handlers learn of the timeout and on_earlier hears of it. Off: only
  // tick() (and the close) report unanswered requests.
  bool ack_timers = true;
  std::size_t read_size = 16384;   // octets per read at most (into the thread's read buffer)
  std::size_t max_queued = 10000;  // writes waiting; one more closes the connection (the peer does not read)
};

class AckTimers;

class SessionIo : public std::enable_shared_from_this<SessionIo> {
 public:
  // The event of the ACK that answers the request, or nullptr when it cannot
  // come any more: ACK timer, request replaced or dropped, connection closed.
  using AckHandler = std::function<void(const SessionEvent* ack)>;
  struct Handlers {
    // Every event from the peer (messages, framing errors, the cut-short last
    // one at the close) but the ACKs that went to an AckHandler. After a
    // FramingError nothing more is framed: the bytes that follow are read
    // and dropped until the caller closes.
    std::function<void(const SessionEvent&)> on_message;
    // Requests past their ACK timer (tick) and those unanswered at the close.
    // The findings about earlier messages that a message brings are in its
    // SessionEvent::earlier or Sent::earlier instead.
    std::function<void(const EarlierFinding&)> on_earlier;
    // Once, after the last on_message and on_earlier.
    std::function<void(const std::string& reason)> on_close;
  };

  // `socket`: connected (and tuned: transport::tune). Call start() next.
  SessionIo(tcp::socket socket, const IoConfig& cfg);
  ~SessionIo();
  SessionIo(const SessionIo&) = delete;
  SessionIo& operator=(const SessionIo&) = delete;

  void start(Handlers h);

  // A message: the Session assigns its sequence number (SeqMode::Assign) and
  // checks and tracks it; its bytes are queued. `on_ack` (a non-ACK message
  // only) hears of its ACK. Returns what the Session made of it (bytes, id,
  // seq, findings). After close() nothing is sent: the result is empty and
  // `on_ack` hears nullptr at once. A message the encoder refuses (longer
  // than a Length can describe) is not written either: the result has
  // Sent::error set, no sequence number is used and `on_ack` hears nullptr.
  Sent send(Message m, AckHandler on_ack = {}, SeqMode mode = SeqMode::Assign);
  // Bytes exactly as given, as one write (SCTP: one user message): a mutation,
  // a message split on purpose, several in one chunk, raw garbage. `track`:
  // the tracker sees what decodes with a header.
  Sent send_bytes(std::vector<std::uint8_t> bytes, bool track = true, AckHandler on_ack = {});
  // The two halves of send_bytes, for what is tracked otherwise than it is
  // written: note() tells the Session of a message this end sends (checks,
  // tracker, ACK handler) without writing it; write() queues bytes as one
  // write without telling the Session. A message split over several writes is
  // one note() and a write() per piece; several messages in one write (one
  // SCTP chunk) a note() each and one write().
  Sent note(Bytes wire, bool track = true, AckHandler on_ack = {});
  void write(Bytes bytes);
  // The next message sent with SeqMode::Assign gets `seq` (after bytes of
  // this end's own numbering: note(), send_bytes()).
  void set_next_seq(std::uint32_t seq) noexcept { session_.set_next_seq(seq); }

  // Runs the ACK timer at `at` (ACK handlers of requests past it get nullptr; on_earlier hears of each).
  void tick(double at);

  // Closes once the queued writes are out (FIN / SCTP SHUTDOWN); from now on
  // nothing more is read or written.
  void close(const std::string& reason);
  // Closes at once with a TCP RST or an SCTP ABORT (SO_LINGER 0); queued writes are dropped.
  void abort(const std::string& reason);

  bool is_open() const noexcept { return state_ == State::Open; }
  bool closed() const noexcept { return state_ == State::Closed; }
  const std::string& close_reason() const noexcept { return close_reason_; }
  bool peer_ended() const noexcept { return peer_ended_; }  // the peer or the network ended it, not a call here
  bool overflowed() const noexcept { return overflowed_; }  // closed because the peer does not read
  std::size_t queued() const noexcept { return queue_.size() - head_; }  // writes not yet completed
  std::size_t ack_handlers() const noexcept { return handlers_.size(); }
  const tcp::endpoint& local() const noexcept { return local_; }
  const tcp::endpoint& remote() const noexcept { return remote_; }
  bool sctp() const noexcept { return cfg_.sctp; }
  const Session& session() const noexcept { return session_; }
  Bytes partial() noexcept { return session_.partial(); }  // received octets not yet a whole message
  const IoConfig& config() const noexcept { return cfg_; }
  // now() when the last octet arrived (at construction: when the connection was handed over).
  double last_received() const noexcept { return last_received_; }

 private:
  enum class State : std::uint8_t { Open, Closing, Closed };
  friend class AckTimers;
  void read_stream();
  void read_some();  // what the socket holds now, without blocking
  void read_sctp();
  void pop_write();
  void on_ack_timer();
  void take(Bytes data);
  void on_event(const SessionEvent& e);
  void noted(const Sent& s, Bytes wire, AckHandler on_ack, bool tracked);
  void earlier(const EarlierFinding& f, bool report);
  void note_request(double at);
  void arm_timer();
  void write_next();
  void finish(const std::string& reason, bool abort);
  void report_close();

  tcp::socket socket_;
  IoConfig cfg_;
  Session session_;
  Handlers h_;
  State state_ = State::Open;
  bool peer_ended_ = false;
  bool overflowed_ = false;  // the peer (or the network) ended it, not a call here
  std::string close_reason_;
  tcp::endpoint local_, remote_;
  std::vector<std::uint8_t> partial_;  // SCTP: the start of a user message longer than one read
  // Writes waiting, from head_ on (a vector: usually one or two; freed when empty).
  std::vector<std::vector<std::uint8_t>> queue_;
  std::size_t head_ = 0;
  std::vector<std::uint8_t> spare_;  // a small written buffer, reused
  bool writing_ = false;
  // ACK handlers by the request's message id (a few at a time; freed when none waits).
  std::vector<std::pair<std::uint64_t, AckHandler>> handlers_;
  AckHandler take_handler(std::uint64_t id);
  AckTimers* timers_ = nullptr;         // the io_context's one ACK timer
  std::shared_ptr<SessionIo*> anchor_;  // what its entries hold (reset at the close)
  bool timer_armed_ = false;
  std::vector<double> deadlines_;  // ACK timers running out, in order, from dl_head_ on
  std::size_t dl_head_ = 0;
  double last_received_ = now();
};

}  // namespace vsm::io
