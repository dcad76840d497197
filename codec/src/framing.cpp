// SPDX-License-Identifier: GPL-2.0-or-later
#include "vsm/framing.hpp"

#include <algorithm>
#include <cstring>

namespace vsm {

namespace {
constexpr std::size_t kInitialBuffer = 2048;
}

Framer::Framer(LengthConvention c, std::size_t max_pdu)
    : conv_(c), max_pdu_(std::clamp<std::size_t>(max_pdu, kHeaderSize, kMaxPdu)), limit_(2 * max_pdu_) {}

void Framer::trim() noexcept {
  if (start_ != end_ || buf_.capacity() == 0) return;
  offset_ += consumed_pending_;
  consumed_pending_ = 0;
  start_ = end_ = 0;
  std::vector<std::uint8_t>().swap(buf_);
}

void Framer::release() noexcept {
  start_ += consumed_pending_;
  offset_ += consumed_pending_;
  consumed_pending_ = 0;
}

void Framer::compact() noexcept {
  if (start_ == 0) return;
  const std::size_t n = end_ - start_;
  if (n != 0) std::memmove(buf_.data(), buf_.data() + start_, n);
  start_ = 0;
  end_ = n;
}

std::size_t Framer::feed(Bytes data) noexcept {
  release();
  if (buf_.size() - end_ < data.size()) compact();
  if (buf_.size() - end_ < data.size() && buf_.size() < limit_) {
    const std::size_t want =
        std::min(limit_, std::max({end_ + data.size(), 2 * buf_.size(), std::min(limit_, kInitialBuffer)}));
    buf_.resize(want);
  }
  const std::size_t n = std::min(data.size(), buf_.size() - end_);
  if (n != 0) std::memcpy(buf_.data() + end_, data.data(), n);
  end_ += n;
  return n;
}

FrameResult Framer::next() noexcept {
  release();
  FrameResult r;
  r.stream_offset = offset_;
  const std::size_t avail = end_ - start_;
  if (avail < 4) return r;
  const std::uint8_t* p = buf_.data() + start_;
  const std::uint16_t length = length_field_at(Bytes(p, avail));
  const std::uint32_t size = declared_size(length, conv_);
  if (size == 0 || size > max_pdu_) {
    r.status = FrameStatus::Error;
    r.error = size == 0 ? "Length field smaller than the header" : "Length field exceeds the maximum message size";
    r.declared = size == 0 ? length : size;
    return r;
  }
  if (avail < size) return r;
  r.status = FrameStatus::Pdu;
  r.pdu = Bytes(p, size);
  consumed_pending_ = size;
  return r;
}

Bytes Framer::pending() noexcept {
  release();
  return Bytes(buf_.data() + start_, end_ - start_);
}

FrameResult Framer::take(std::size_t n) noexcept {
  release();
  FrameResult r;
  r.stream_offset = offset_;
  n = std::min(n, end_ - start_);
  if (n == 0) return r;
  r.status = FrameStatus::Pdu;
  r.pdu = Bytes(buf_.data() + start_, n);
  consumed_pending_ = n;
  return r;
}

std::size_t Framer::resync() noexcept {
  release();
  std::size_t dropped = 0;
  if (start_ < end_) {
    ++start_;
    ++dropped;
  }
  while (start_ < end_) {
    const std::size_t avail = end_ - start_;
    const Bytes rest(buf_.data() + start_, avail);
    if (avail < kHeaderSize) {
      // Could still be the start of a header: keep it if its first bytes fit one.
      if (is_known_type(rest[0])) break;
    } else if (plausible_header(rest, conv_)) {
      const std::uint32_t size = declared_size_at(rest, conv_);
      if (size > avail || looks_like_vsm(rest, conv_)) break;
    }
    ++start_;
    ++dropped;
  }
  offset_ += dropped;
  return dropped;
}

void Framer::reset(std::uint64_t skipped) noexcept {
  offset_ += (end_ - start_) + skipped;
  start_ = end_ = 0;
  consumed_pending_ = 0;
}

// ---------------------------------------------------------------------------
// SCTP: chunks to messages (see framing.hpp).

namespace {
std::uint32_t size_at(Bytes b, std::size_t at, LengthConvention c) noexcept {
  return declared_size_at(b.subspan(at), c);
}
bool header_at(Bytes b, std::size_t at, LengthConvention c) noexcept {
  return b.size() >= at + kHeaderSize && plausible_header(b.subspan(at, kHeaderSize), c);
}
}  // namespace

void SctpJoiner::release_held(bool cut_short) {
  done_.swap(held_);
  held_.clear();
  out_.push_back(SctpPiece{Bytes(done_.data(), done_.size()), 0, true, cut_short});
}

const std::vector<SctpPiece>& SctpJoiner::finish() {
  out_.clear();
  if (!held_.empty()) release_held(true);
  return out_;
}

const std::vector<SctpPiece>& SctpJoiner::feed(Bytes chunk) {
  out_.clear();
  std::size_t at = 0;
  const std::size_t n = chunk.size();
  if (!held_.empty()) {
    // The held message's size, from its Length field (completed from this chunk when need be).
    const std::size_t h = held_.size();
    std::uint32_t size = 1;  // unknown yet: fewer than 4 octets in all
    if (h >= off::kCode) {
      size = size_at(Bytes(held_.data(), h), 0, conv_);
    } else if (h + n >= off::kCode) {
      std::uint8_t head[off::kCode];
      for (std::size_t i = 0; i < off::kCode; ++i) head[i] = i < h ? held_[i] : chunk[i - h];
      size = size_at(Bytes(head, off::kCode), 0, conv_);
    }
    // This chunk continues the held message when it completes it exactly, or
    // completes it and a plausible header follows; else, when it begins with
    // a plausible header, a new message begins and the held one stands cut
    // short; else it continues it (which may take more chunks).
    const bool completes = size > 1 && h + n >= size && (h + n == size || header_at(chunk, size - h, conv_));
    if (!completes && header_at(chunk, 0, conv_)) {
      release_held(true);
    } else if (size == 0) {  // impossible Length: it and the rest of this chunk are one malformed message
      held_.insert(held_.end(), chunk.begin(), chunk.end());
      release_held(false);
      return out_;
    } else {
      const std::size_t take = size > 1 ? std::min<std::size_t>(size - h, n) : n;
      held_.insert(held_.end(), chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(take));
      at = take;
      if (size <= 1 || held_.size() < size) return out_;  // more to come
      release_held(false);
    }
  }
  while (at < n) {
    const std::size_t rem = n - at;
    const std::uint32_t size = rem >= off::kCode ? size_at(chunk, at, conv_) : std::uint32_t{1} << 20;
    if (size == 0) {  // impossible Length: the rest of the chunk
      out_.push_back(SctpPiece{chunk.subspan(at), at, false, false});
      return out_;
    }
    const LengthConvention other =
        conv_ == LengthConvention::Total4 ? LengthConvention::Literal3 : LengthConvention::Total4;
    if (size > rem && rem >= off::kCode &&
        size_at(chunk, at, other) == rem) {  // exactly one message of the other Length convention
      out_.push_back(SctpPiece{chunk.subspan(at), at, false, false});
      return out_;
    }
    if (size > rem) {  // continues in the next chunk (or stands cut short)
      held_.assign(chunk.begin() + static_cast<std::ptrdiff_t>(at), chunk.end());
      return out_;
    }
    if (size < rem && !header_at(chunk, at + size, conv_)) {  // trailing octets: one message with a wrong Length
      out_.push_back(SctpPiece{chunk.subspan(at), at, false, false});
      return out_;
    }
    out_.push_back(SctpPiece{chunk.subspan(at, size), at, false, false});
    at += size;
  }
  return out_;
}

}  // namespace vsm
