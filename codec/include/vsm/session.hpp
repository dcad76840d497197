// SPDX-License-Identifier: GPL-2.0-or-later
// One end of a VSM connection, without I/O: the shape every program drives
// the same way. Bytes the peer sent go in through receive(); whole messages
// come out as events with the findings on them, the request an ACK answers,
// and the findings about earlier messages (a request replaced or never
// ACKed) with their direction. send() assigns the sequence number as
// PROFILE.md says, feeds the tracker and returns the bytes to write. tick()
// runs the ACK timer; close() reports what is still unanswered.
//
// Its parts stay usable (and tested) on their own: Framer or SctpJoiner
// for framing, decode() and check_message() for one message, ExchangeTracker
// for the rules between messages. The dissector and vsm-replay, which see
// both directions of a capture, use those parts; programs that are one end
// of a live connection use Session through tools/common/session_io.hpp.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "vsm/exchange.hpp"
#include "vsm/framing.hpp"
#include "vsm/message.hpp"
#include "vsm/rules.hpp"

namespace vsm {

enum class Transport : std::uint8_t {
  Stream,    // TCP: receive() takes bytes in any split
  Messages,  // SCTP one-to-one: each receive() is one user message (see SctpJoiner)
};

struct SessionConfig {
  Role local_role = Role::Unknown;  // what this end is; the peer is the other role
  bool initiator = true;            // this end opened the connection (its messages are Dir::FromInitiator)
  LengthConvention convention = LengthConvention::Total4;
  // A buffered message that is incomplete under `convention` but whole and
  // valid under the other one is taken under the other one (the event says
  // so); over SCTP, a chunk that is one such message. Off: such a stream
  // waits for more bytes, as the convention says (SCTP: the message is
  // decoded under `convention`, with the finding that says so).
  bool accept_other_convention = false;
  Transport transport = Transport::Stream;
  std::size_t max_pdu = kMaxPdu;
  double ack_timeout = 5.0;  // seconds
  bool saw_connection_start = true;
  std::size_t max_outstanding = 65536;
  std::uint32_t first_seq = 1;  // the first non-ACK message sent gets this number
  bool check_sent = true;       // run the single-message rules on what this end sends
};

enum class EventKind : std::uint8_t {
  Message,             // a whole message from the peer
  FramingError,        // the stream cannot be framed any more (impossible Length); nothing more comes
  EndedInsideMessage,  // close(): the TCP stream ended inside a message (its start in `message`)
};

// What receive() hands out: the exchange result (findings on this message,
// `request` an ACK answers with `response_time`, findings about earlier
// messages with their direction) and where the message came from. It lives
// in the session: valid only until the next call on it.
struct SessionEvent : ExchangeResult {
  EventKind kind = EventKind::Message;
  std::uint64_t id = 0;             // message id: one counter over both directions, from 1
  std::uint64_t stream_offset = 0;  // where the message (or the bad header) starts in the peer's stream
  double time = 0;
  // Message
  MessageView message;
  std::size_t message_findings = 0;  // findings[0, this): the message's own rules (check_message); then the tracker's
  bool other_convention = false;     // framed and decoded under the other Length convention
  bool cut_short = false;            // SCTP: the chunk or association ended before its Length said
  // FramingError
  std::string_view error;
  std::uint32_t declared = 0;  // the size (or Length field) the bad header announced
};

// What send() did.
struct Sent {
  std::vector<std::uint8_t> bytes;  // to write, in order
  std::uint64_t id = 0;             // message id
  std::uint32_t seq = 0;            // sequence number it carries
  FindingList findings;             // rules this end broke with it (check_sent, and the tracker's)
  EarlierList earlier;              // earlier messages of this end it made unanswerable (a reused sequence)
  // send(): the message could not be encoded (nothing to write, no sequence
  // number used, nothing tracked); `size` is the octets it would have had.
  std::optional<EncodeError> error;
  std::size_t size = 0;
};

// The scratch space of a Session at work (the event handed out, the result
// of a message sent, the findings of tick() and close(): some 4 KB). A
// session holds it only while a result of its is valid: it comes from a
// per-thread pool and goes back once the session is idle, so that thousands
// of idle connections hold none (session.cpp).
struct SessionScratch;
struct SessionScratchRelease {
  void operator()(SessionScratch* s) const noexcept;
};

enum class SeqMode : std::uint8_t {
  Assign,   // a non-ACK message gets the next number of this end's counter (ACKs keep theirs)
  AsGiven,  // the message's seq is used as is and the counter continues from it
};

class Session {
 public:
  explicit Session(SessionConfig cfg = {});
  Session(Session&&) noexcept = default;
  Session& operator=(Session&&) noexcept = default;

  // Bytes from the peer (Messages transport: one user message). `on` is
  // called with each event, in order. After a FramingError nothing more is
  // framed; further bytes are taken, ignored and counted in ignored().
  // The scratch space and buffers stay held for the next call: a driver
  // calls trim() when the connection goes idle (SessionIo does after each read).
  template <class F>
  void receive(Bytes data, double now, F&& on) {
    while (true) {
      data = data.subspan(feed(data, now));
      while (const SessionEvent* e = next()) on(*e);
      if (data.empty()) break;
    }
  }
  // The same in two steps, h11-style: feed() takes what fits and says how
  // much; next() yields events until it returns nullptr. Whole messages are
  // framed in the bytes given, so they must stay valid until then.
  std::size_t feed(Bytes data, double now);
  const SessionEvent* next();

  // A message to the peer. One that cannot be encoded (longer than a Length
  // can describe) is refused before it gets a sequence number: the result
  // has `error` set and no bytes.
  [[nodiscard]] Sent send(Message m, double now, SeqMode mode = SeqMode::Assign);
  // Bytes exactly as given (a deliberate mutation, raw garbage): the tracker
  // sees them when they decode with a header; `track` false keeps it out.
  Sent send_bytes(std::vector<std::uint8_t> bytes, double now, bool track = true);
  // Bytes this end wrote by other means (encoded into its own buffer): seen
  // as send_bytes() sees them, without a copy. `bytes` stays empty in the
  // result, which is valid until the next call.
  const Sent& note_sent(Bytes wire, double now, bool track = true);

  // ACK timer: requests older than ack_timeout at `now`, each reported once.
  std::span<const EarlierFinding> tick(double now);
  // The connection ended: the held partial SCTP message (as a last event)
  // and every request still unanswered.
  template <class F>
  std::span<const EarlierFinding> close(double now, F&& on) {
    if (const SessionEvent* e = finish_messages(now)) on(*e);
    return finish_tracking();  // the scratch stays held only when something is reported
  }
  std::span<const EarlierFinding> close(double now) {
    return close(now, [](const SessionEvent&) {});
  }

  Role local_role() const noexcept { return cfg_.local_role; }
  Role peer_role() const noexcept { return tracker_.role(peer_dir()); }
  Dir local_dir() const noexcept { return cfg_.initiator ? Dir::FromInitiator : Dir::FromResponder; }
  Dir peer_dir() const noexcept { return other(local_dir()); }
  // This end's requests still waiting for the peer's ACK, and the peer's waiting for ours.
  std::size_t awaiting_ack() const noexcept { return tracker_.outstanding(local_dir()); }
  std::size_t owed_acks() const noexcept { return tracker_.outstanding(peer_dir()); }
  std::uint32_t next_seq() const noexcept { return seq_; }
  // The next non-ACK message sent with SeqMode::Assign gets `seq`: for a
  // caller that numbered bytes itself (send_bytes, note_sent).
  void set_next_seq(std::uint32_t seq) noexcept { seq_ = seq & kSeqMask; }
  std::optional<std::uint32_t> node_id() const noexcept { return tracker_.node_id(); }
  bool failed() const noexcept { return failed_; }
  std::uint64_t ignored() const noexcept { return ignored_; }
  // Received octets that are not a whole message yet (TCP; valid until the next call).
  Bytes partial() noexcept { return cfg_.transport == Transport::Stream && !failed_ ? framer_.pending() : Bytes{}; }
  std::uint64_t messages_received() const noexcept { return received_; }
  const SessionConfig& config() const noexcept { return cfg_; }
  void set_convention(LengthConvention c) noexcept;

  // Idle: the scratch space goes back to the thread's pool and buffers that
  // hold nothing are freed (what a result handed out before pointed to is
  // gone). receive(), next() returning nullptr and tick() or close() with
  // nothing to report do it of their own accord; after send(),
  // note_sent(), or a tick() that reported something, the caller calls it
  // once it is done with the result. Between an event handed out by next()
  // and the nullptr that ends them it does nothing.
  void trim() noexcept;
  // Heap octets the session holds beyond sizeof(Session): buffered bytes,
  // the tracker's tables, the scratch space while it is held.
  std::size_t heap_bytes() const noexcept;
  bool holds_scratch() const noexcept { return scratch_ != nullptr; }

 private:
  const SessionEvent* on_pdu(Bytes pdu, std::uint64_t offset, double now, LengthConvention c, bool cut_short);
  const SessionEvent* next_event();
  const SessionEvent* finish_messages(double now);
  // The stream stops: an event of `kind` about the octets from `offset` on.
  void stop_stream(EventKind kind, std::uint64_t offset, Bytes rest, std::string_view error, std::uint32_t declared);
  std::span<const EarlierFinding> finish_tracking();
  LengthConvention other_conv() const noexcept;
  SessionScratch& scratch();  // taken from the pool when not held

  SessionConfig cfg_;
  Framer framer_;
  SctpJoiner joiner_;
  ExchangeTracker tracker_;
  // The event, tick()'s and close()'s findings, the tracker's result for a
  // message sent and note_sent()'s result: held only while in use.
  std::unique_ptr<SessionScratch, SessionScratchRelease> scratch_;
  // Messages transport: the pieces of the last chunk, and the next to hand out.
  const std::vector<SctpPiece>* pieces_ = nullptr;
  // Stream transport: the caller's bytes being framed in place (valid until
  // next() returns nullptr), what was framed so, and what the framer could
  // not take after an impossible Length.
  Bytes direct_;
  std::uint64_t direct_total_ = 0;
  std::size_t not_taken_ = 0;
  std::size_t piece_ = 0;
  std::uint64_t chunk_offset_ = 0, stream_ = 0;
  std::size_t held_before_ = 0;  // octets the joiner held when the chunk came
  double now_ = 0;               // time of the bytes being framed
  std::uint64_t ids_ = 0;
  std::uint64_t received_ = 0;
  std::uint64_t ignored_ = 0;
  std::uint32_t seq_;
  bool failed_ = false;
  bool handing_out_ = false;  // next() handed out an event that is still valid
};

}  // namespace vsm
