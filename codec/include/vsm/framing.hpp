// SPDX-License-Identifier: GPL-2.0-or-later
// Stream framing without I/O: bytes in, in any split; whole PDUs out. The
// buffer is allocated when bytes first wait in it, grows only as far as the
// data needs, never past twice the largest message: feed() takes what fits
// and says how much, so memory stays bounded whatever the peer sends; trim()
// frees it once it holds nothing (an idle connection holds no buffer). An impossible Length stops the stream with an
// error that names its offset.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "vsm/wire.hpp"

namespace vsm {

// The largest message the 16-bit Length field can announce (the profile's
// convention; vsm::max_message_size in message.hpp gives it per convention).
inline constexpr std::size_t kMaxPdu = kMaxLengthField + convention_overhead(LengthConvention::Total4);

enum class FrameStatus : std::uint8_t { Pdu, NeedMore, Error };

struct FrameResult {
  FrameStatus status = FrameStatus::NeedMore;
  Bytes pdu;                        // Pdu: valid until the next feed(), next() or resync()
  std::uint64_t stream_offset = 0;  // offset of the PDU (or of the bad header) in the stream
  std::string_view error;           // Error: what is wrong
  std::uint32_t declared = 0;       // Error: the size the Length field announced
};

class Framer {
 public:
  explicit Framer(LengthConvention c = LengthConvention::Total4, std::size_t max_pdu = kMaxPdu);

  // Appends as much of data as fits; returns how many bytes were taken. When it
  // returns less than data.size(), take PDUs with next() and feed the rest.
  std::size_t feed(Bytes data) noexcept;
  FrameResult next() noexcept;
  // After an Error, or to skip a gap: drops bytes up to the next plausible
  // header (the whole buffer when none). Returns how many bytes were dropped.
  std::size_t resync() noexcept;
  // The bytes buffered and not handed out yet (valid until the next call).
  Bytes pending() noexcept;
  // Hands out the first n pending bytes as a PDU, for a caller that framed
  // them by another rule (the other Length convention). n <= pending().size().
  FrameResult take(std::size_t n) noexcept;
  // Forget everything buffered, as after a gap; the stream offset moves on by `skipped`.
  void reset(std::uint64_t skipped = 0) noexcept;
  // Frees the buffer when it holds nothing (no PDU handed out is valid any more then).
  void trim() noexcept;
  std::size_t heap_bytes() const noexcept { return buf_.capacity(); }

  std::size_t buffered() const noexcept { return end_ - start_ - consumed_pending_; }   // not yet handed out
  std::size_t capacity() const noexcept { return limit_; }                              // the most it will ever buffer
  std::uint64_t stream_offset() const noexcept { return offset_ + consumed_pending_; }  // of the next byte to frame
  LengthConvention convention() const noexcept { return conv_; }
  void set_convention(LengthConvention c) noexcept { conv_ = c; }

 private:
  void compact() noexcept;
  void release() noexcept;  // drop the PDU handed out by the last next()

  LengthConvention conv_;
  std::size_t max_pdu_;
  std::size_t limit_;
  std::vector<std::uint8_t> buf_;
  std::size_t start_ = 0;
  std::size_t end_ = 0;
  std::uint64_t offset_ = 0;
  std::size_t consumed_pending_ = 0;  // size of the PDU handed out by the last next()
};

// SCTP keeps message boundaries, and the profile sends one message per DATA
// chunk (one SCTP user message, B and E set or joined from its fragments).
// The draft says nothing more (section 5), so a receiver reads chunks as it
// reads a TCP stream, with each chunk end as a point to resynchronise:
// - several messages in one chunk: the chunk is cut where each message's
//   Length says it ends, as long as a plausible header follows; else the rest
//   of the chunk is one message (its Length is wrong: trailing octets);
// - one message across chunks: a chunk that ends before its last message's
//   Length says is continued by the next chunk of the same direction, unless
//   that chunk begins with a plausible header: then the held message is
//   handed out cut short (a Length larger than the data), and so it is when
//   the association ends;
// - an impossible Length (smaller than the header), or a chunk that ends
//   exactly where the other Length convention says: the rest of the chunk is
//   one message (malformed, or of the other convention, as the rules say).
// One per direction of an association. The dissector and vsm-replay both use
// it, so that a capture decodes the same in both.
struct SctpPiece {
  Bytes pdu;               // the message: valid until the next feed() or finish()
  std::size_t at = 0;      // where it starts in the chunk fed (0 when it began in an earlier chunk)
  bool joined = false;     // it began in an earlier chunk (bytes held by the joiner)
  bool cut_short = false;  // the chunk or association ended before its Length said
};

class SctpJoiner {
 public:
  explicit SctpJoiner(LengthConvention c = LengthConvention::Total4) : conv_(c) {}
  // One user message in; the messages it completes, in order.
  const std::vector<SctpPiece>& feed(Bytes chunk);
  // The association ended: the held partial message, cut short (none: empty).
  const std::vector<SctpPiece>& finish();
  // Octets of a message begun in an earlier chunk, waiting for the next one.
  std::size_t held() const noexcept { return held_.size(); }
  std::size_t heap_bytes() const noexcept {
    return held_.capacity() + done_.capacity() + out_.capacity() * sizeof(SctpPiece);
  }
  void set_convention(LengthConvention c) noexcept { conv_ = c; }

 private:
  void release_held(bool cut_short);

  LengthConvention conv_;
  std::vector<std::uint8_t> held_;  // a message begun, not yet complete
  std::vector<std::uint8_t> done_;  // the joined (or cut short) message handed out last
  std::vector<SctpPiece> out_;
};

}  // namespace vsm
