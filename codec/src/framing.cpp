// SPDX-License-Identifier: GPL-2.0-or-later
#include "vsm/framing.hpp"

#include <algorithm>
#include <cstring>

namespace vsm {

namespace {
constexpr std::size_t kInitialBuffer = 2048;
}

Framer::Framer(LengthConvention c, std::size_t max_pdu)
    : conv_(c),
      max_pdu_(std::clamp<std::size_t>(max_pdu, kHeaderSize, kMaxPdu)),
      limit_(2 * max_pdu_),
      buf_(std::min<std::size_t>(limit_, kInitialBuffer)) {}

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
    const std::size_t want = std::min(limit_, std::max(end_ + data.size(), 2 * buf_.size()));
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
  const auto length = static_cast<std::uint16_t>((p[off::kLength] << 8) | p[off::kLength + 1]);
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
      const std::uint32_t size =
          declared_size(static_cast<std::uint16_t>((rest[off::kLength] << 8) | rest[off::kLength + 1]), conv_);
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

}  // namespace vsm
