// SPDX-License-Identifier: GPL-2.0-or-later
#include "vsm/session.hpp"

namespace vsm {

struct SessionScratch {
  SessionEvent ev;
  std::vector<EarlierFinding> earlier;  // tick() and close()
  ExchangeResult result;                // the tracker's result for a message sent
  Sent sent;                            // note_sent()'s result
};

namespace {

// Scratch spaces not in use, per thread: a thread drives one session at a
// time, so a few are enough however many sessions it has.
constexpr std::size_t kPoolKeep = 4;
constexpr std::size_t kKeepEarlier = 16;  // findings of tick() and close() kept room for

struct ScratchPool {
  std::vector<std::unique_ptr<SessionScratch>> free;
  ~ScratchPool();
};
thread_local bool pool_gone = false;  // trivially destructible: readable after the pool's end
thread_local ScratchPool pool;
ScratchPool::~ScratchPool() { pool_gone = true; }

}  // namespace

void SessionScratchRelease::operator()(SessionScratch* s) const noexcept {
  std::unique_ptr<SessionScratch> p(s);
  if (pool_gone || pool.free.size() >= kPoolKeep) return;
  p->sent.bytes = {};
  if (p->earlier.capacity() > kKeepEarlier) p->earlier = {};
  try {
    pool.free.push_back(std::move(p));
  } catch (...) {  // no room to keep it: freed
  }
}

SessionScratch& Session::scratch() {
  if (!scratch_) {
    if (!pool_gone && !pool.free.empty()) {
      scratch_.reset(pool.free.back().release());
      pool.free.pop_back();
    } else {
      scratch_.reset(new SessionScratch);
    }
  }
  return *scratch_;
}

void Session::trim() noexcept {
  if (handing_out_) return;  // an event is out: trimmed when next() returns nullptr
  scratch_.reset();
  framer_.trim();
  tracker_.trim();
}

std::size_t Session::heap_bytes() const noexcept {
  std::size_t n = framer_.heap_bytes() + joiner_.heap_bytes() + tracker_.heap_bytes();
  if (scratch_) n += sizeof(SessionScratch) + scratch_->earlier.capacity() * sizeof(EarlierFinding);
  return n;
}

Session::Session(SessionConfig cfg)
    : cfg_(cfg),
      framer_(cfg.convention, cfg.max_pdu),
      joiner_(cfg.convention),
      tracker_([&cfg] {
        TrackerConfig t;
        t.ack_timeout = cfg.ack_timeout;
        t.saw_connection_start = cfg.saw_connection_start;
        t.max_outstanding = cfg.max_outstanding;
        // The tracker's roles are by direction: the initiator's role follows from ours.
        if (cfg.local_role != Role::Unknown) {
          const Role peer = cfg.local_role == Role::Node ? Role::Manager : Role::Node;
          t.initiator_role = cfg.initiator ? cfg.local_role : peer;
        }
        return t;
      }()),
      seq_(cfg.first_seq & kSeqMask) {}

LengthConvention Session::other_conv() const noexcept {
  return cfg_.convention == LengthConvention::Total4 ? LengthConvention::Literal3 : LengthConvention::Total4;
}

void Session::set_convention(LengthConvention c) noexcept {
  cfg_.convention = c;
  framer_.set_convention(c);
  joiner_.set_convention(c);
}

std::size_t Session::feed(Bytes data, double now) {
  now_ = now;
  if (failed_) {
    ignored_ += data.size();
    return data.size();
  }
  if (cfg_.transport == Transport::Messages) {
    // One user message: its pieces are handed out by next() before the next chunk.
    if (pieces_ != nullptr && piece_ < pieces_->size()) return 0;
    chunk_offset_ = stream_;
    held_before_ = joiner_.held();
    stream_ += data.size();
    pieces_ = &joiner_.feed(data);
    piece_ = 0;
    return data.size();
  }
  // Nothing buffered: whole messages are framed in place, without a copy;
  // only what is left of `data` after them goes into the framer's buffer.
  if (!direct_.empty()) return 0;  // next() first
  if (framer_.buffered() == 0) {
    direct_ = data;
    return data.size();
  }
  return framer_.feed(data);
}

const SessionEvent* Session::next() {
  const SessionEvent* e = next_event();
  // Once it returns nullptr nothing handed out is in use: trim() may release the scratch
  // space (the drivers call it when a connection goes idle; keeping it here spares a
  // pool round trip per message on a busy one).
  handing_out_ = e != nullptr;
  return e;
}

const SessionEvent* Session::next_event() {
  if (failed_) return nullptr;
  if (cfg_.transport == Transport::Messages) {
    if (pieces_ == nullptr || piece_ >= pieces_->size()) return nullptr;
    const SctpPiece& p = (*pieces_)[piece_++];
    const std::uint64_t at = p.joined ? chunk_offset_ - held_before_ : chunk_offset_ + p.at;
    // A chunk that is one whole, valid message only under the other convention is taken as that.
    LengthConvention c = cfg_.convention;
    if (cfg_.accept_other_convention && !p.cut_short && decode(p.pdu, c).other_convention_fits &&
        looks_like_vsm(p.pdu, other_conv())) {
      c = other_conv();
    }
    return on_pdu(p.pdu, at, now_, c, p.cut_short);
  }
  if (!direct_.empty()) {
    const Bytes d = direct_;
    if (d.size() >= 4) {
      const std::uint32_t size = declared_size_at(d, cfg_.convention);
      if (size != 0 && size <= framer_.capacity() / 2 && size <= d.size()) {
        direct_ = d.subspan(size);
        const std::uint64_t at = direct_total_ + framer_.stream_offset();
        direct_total_ += size;
        return on_pdu(d.first(size), at, now_, cfg_.convention, false);
      }
    }
    // The rest (a message not whole yet, a bad Length) is the framer's.
    direct_ = {};
    const std::size_t took = framer_.feed(d);
    not_taken_ = d.size() - took;  // only past an impossible Length, which stops the stream
  }
  FrameResult r = framer_.next();
  r.stream_offset += direct_total_;
  switch (r.status) {
    case FrameStatus::Pdu: return on_pdu(r.pdu, r.stream_offset, now_, cfg_.convention, false);
    case FrameStatus::Error:
      // From the bad header on: what cannot be framed.
      stop_stream(EventKind::FramingError, r.stream_offset, framer_.pending(), r.error, r.declared);
      ignored_ += framer_.buffered() + not_taken_;
      return &scratch_->ev;
    case FrameStatus::NeedMore: break;
  }
  if (!cfg_.accept_other_convention) return nullptr;
  // Incomplete under ours: a whole, valid message under the other convention is taken as that.
  const Bytes rest = framer_.pending();
  if (rest.size() < kHeaderSize) return nullptr;
  const std::uint32_t alt = declared_size_at(rest, other_conv());
  if (alt < kHeaderSize || alt > rest.size()) return nullptr;
  const Bytes pdu = rest.first(alt);
  if (!decode(pdu, other_conv()).ok() || !looks_like_vsm(pdu, other_conv())) return nullptr;
  r = framer_.take(alt);
  return on_pdu(r.pdu, r.stream_offset + direct_total_, now_, other_conv(), false);
}

void Session::stop_stream(EventKind kind, std::uint64_t offset, Bytes rest, std::string_view error,
                          std::uint32_t declared) {
  failed_ = true;
  SessionEvent& ev = scratch().ev;
  ev.kind = kind;
  ev.id = 0;
  ev.stream_offset = offset;
  ev.time = now_;
  ev.message = decode(rest, cfg_.convention);
  ev.findings.clear();
  ev.message_findings = 0;
  ev.request.reset();
  ev.earlier.clear();
  ev.error = error;
  ev.declared = declared;
}

const SessionEvent* Session::on_pdu(Bytes pdu, std::uint64_t offset, double now, LengthConvention c, bool cut_short) {
  SessionEvent& e = scratch().ev;
  e.kind = EventKind::Message;
  e.id = ++ids_;
  e.stream_offset = offset;
  e.time = now;
  e.message = decode(pdu, c);
  e.other_convention = c != cfg_.convention;
  e.cut_short = cut_short;
  e.error = {};
  e.declared = 0;
  e.findings.clear();
  check_message(e.message, e.findings);
  e.message_findings = e.findings.size();
  tracker_.on_message(e.message, peer_dir(), now, e.id, e);
  ++received_;
  return &e;
}

Sent Session::send(Message m, double now, SeqMode mode) {
  if (const auto e = m.encode_error(cfg_.convention)) {
    Sent refused;
    refused.error = e;
    refused.size = m.encoded_size();
    return refused;
  }
  if (m.type != u8(MsgType::Ack)) {
    if (mode == SeqMode::Assign) m.seq = seq_;
    seq_ = vsm::next_seq(m.seq & kSeqMask);
  }
  Sent s = send_bytes(m.encode(cfg_.convention).value(), now, true);
  s.seq = m.seq & kSeqMask;
  return s;
}

const Sent& Session::note_sent(Bytes wire, double now, bool track) {
  Sent& s = scratch().sent;
  s.id = ++ids_;
  s.seq = 0;
  s.findings.clear();
  s.earlier.clear();
  if (!track && !cfg_.check_sent) return s;
  const MessageView v = decode(wire, cfg_.convention);
  if (v.has_header()) s.seq = v.header.seq;
  if (cfg_.check_sent) check_message(v, s.findings);
  if (track) {
    ExchangeResult& r = scratch_->result;
    r.findings.clear();
    tracker_.on_message(v, local_dir(), now, s.id, r);
    for (const Finding& f : r.findings) s.findings.add(f);
    s.earlier = r.earlier;
  }
  return s;
}

Sent Session::send_bytes(std::vector<std::uint8_t> bytes, double now, bool track) {
  note_sent(bytes, now, track);
  Sent s = scratch_->sent;
  s.bytes = std::move(bytes);
  s.size = s.bytes.size();
  return s;
}

std::span<const EarlierFinding> Session::tick(double now) {
  if (tracker_.outstanding(Dir::FromInitiator) == 0 && tracker_.outstanding(Dir::FromResponder) == 0) {
    trim();
    return {};
  }
  std::vector<EarlierFinding>& out = scratch().earlier;
  out.clear();
  tracker_.expire(now, out);
  if (out.empty()) {
    trim();
    return {};
  }
  return out;
}

const SessionEvent* Session::finish_messages(double now) {
  now_ = now;
  if (failed_) return nullptr;
  if (cfg_.transport == Transport::Messages) {
    const std::vector<SctpPiece>& rest = joiner_.finish();
    if (rest.empty()) return nullptr;
    const SctpPiece& p = rest.front();
    return on_pdu(p.pdu, stream_ - p.pdu.size(), now, cfg_.convention, true);  // the held octets end the stream
  }
  const Bytes rest = framer_.pending();
  if (rest.empty()) return nullptr;
  // The stream ended inside a message: nothing more can complete it.
  stop_stream(EventKind::EndedInsideMessage, framer_.stream_offset() + direct_total_, rest,
              "connection ended inside a message", 0);
  scratch_->ev.declared = scratch_->ev.message.declared_size;
  ignored_ += rest.size();
  return &scratch_->ev;
}

std::span<const EarlierFinding> Session::finish_tracking() {
  std::vector<EarlierFinding>& out = scratch().earlier;
  out.clear();
  tracker_.finish(out);
  if (out.empty()) {
    trim();
    return {};
  }
  return out;
}

}  // namespace vsm
