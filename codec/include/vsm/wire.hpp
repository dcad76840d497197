// SPDX-License-Identifier: GPL-2.0-or-later
// Decoding: a non-allocating view over one message. decode() never reads
// outside the span it is given, whatever the bytes; structural problems are
// returned as a DecodeError with the offset where they were found, and the
// view still exposes the header and every option before that point.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "vsm/dictionary.hpp"

namespace vsm {

using Bytes = std::span<const std::uint8_t>;

struct Header {
  std::uint8_t type = 0;
  std::uint8_t subtype = 0;
  std::uint16_t length = 0;
  std::uint8_t code = 0;
  std::uint32_t seq = 0;  // 24 bits
};

// Byte offsets of the header fields (the dissector highlights from these).
namespace off {
inline constexpr std::uint32_t kType = 0, kSubType = 1, kLength = 2, kCode = 4, kSeq = 5, kOptions = 8;
inline constexpr std::uint32_t kOptType = 0, kOptSubType = 1, kOptLength = 2, kOptValue = 4;
}  // namespace off

enum class DecodeErrc : std::uint8_t {
  None,
  ShortHeader,     // fewer than 8 bytes
  LengthTooSmall,  // Length field smaller than the header itself
  Truncated,       // fewer bytes than Length says
  TrailingBytes,   // more bytes than Length says
  OptionHeader,    // fewer than 4 bytes left for an option header
  OptionOverrun,   // option value runs past the end of the message
};

struct DecodeError {
  DecodeErrc code = DecodeErrc::None;
  std::uint32_t offset = 0;    // where in the message
  std::uint32_t expected = 0;  // octets needed / declared
  std::uint32_t actual = 0;    // octets present
  explicit operator bool() const noexcept { return code != DecodeErrc::None; }
};

std::string_view errc_name(DecodeErrc c) noexcept;

// Numbers in information options: ASCII text per the profile, or big-endian
// binary of 1/2/4/8 octets (accepted, reported as non-profile).
struct Numeric {
  enum class Encoding : std::uint8_t { Text, Binary, Invalid } encoding = Encoding::Invalid;
  bool integral = false;
  std::uint64_t integer = 0;  // valid when integral
  double number = 0;          // always valid unless Invalid
};

// NTP timestamp (RFC 5905, 64-bit).
struct NtpTime {
  std::uint32_t seconds = 0;   // since 1900-01-01
  std::uint32_t fraction = 0;  // 1/2^32 s
  static constexpr std::int64_t kUnixOffset = 2208988800;
  std::int64_t unix_seconds() const noexcept { return static_cast<std::int64_t>(seconds) - kUnixOffset; }
  std::uint32_t nanoseconds() const noexcept {
    return static_cast<std::uint32_t>((static_cast<std::uint64_t>(fraction) * 1000000000u) >> 32);
  }
  static NtpTime from_unix(std::int64_t unix_s, std::uint32_t ns = 0) noexcept;
};

struct OptionView {
  std::uint32_t offset = 0;  // of the option header within the message
  std::uint8_t type = 0;
  std::uint8_t subtype = 0;
  std::uint16_t length = 0;
  Bytes value;

  std::uint32_t value_offset() const noexcept { return offset + kOptionHeaderSize; }
  std::uint32_t total_size() const noexcept { return kOptionHeaderSize + length; }
  bool is(OptType t) const noexcept { return type == u8(t); }
  bool is(OptType t, std::uint8_t sub) const noexcept { return type == u8(t) && subtype == sub; }

  // Typed accessors: std::nullopt when the length does not fit the type.
  std::optional<std::uint32_t> u32() const noexcept {  // Node ID, Function ID
    if (value.size() != 4) return std::nullopt;
    return static_cast<std::uint32_t>(value[0]) << 24 | static_cast<std::uint32_t>(value[1]) << 16 |
           static_cast<std::uint32_t>(value[2]) << 8 | value[3];
  }
  std::optional<std::uint16_t> u16() const noexcept;  // Port
  std::optional<std::array<std::uint8_t, 4>> ipv4() const noexcept;
  std::optional<std::array<std::uint8_t, 16>> ipv6() const noexcept;
  std::optional<NtpTime> ntp() const noexcept;  // exactly 8 octets
  std::string_view text() const noexcept;       // value as characters
  Numeric numeric() const noexcept;             // ASCII number or 1/2/4/8-octet binary
};

// Forward iteration over a validated option chain.
class OptionIterator {
 public:
  using value_type = OptionView;
  using difference_type = std::ptrdiff_t;
  OptionIterator() = default;
  OptionIterator(const std::uint8_t* base, std::uint32_t pos, std::uint32_t end) noexcept
      : base_(base), pos_(pos), end_(end) {}
  // Inline: every rule, summary and tracker walks options in its inner loop.
  OptionView operator*() const noexcept {
    const std::uint8_t* p = base_ + pos_;
    OptionView o;
    o.offset = pos_;
    o.type = p[off::kOptType];
    o.subtype = p[off::kOptSubType];
    o.length = static_cast<std::uint16_t>((p[off::kOptLength] << 8) | p[off::kOptLength + 1]);
    o.value = Bytes(p + off::kOptValue, o.length);
    return o;
  }
  OptionIterator& operator++() noexcept {
    const std::uint8_t* p = base_ + pos_;
    pos_ += kOptionHeaderSize + ((static_cast<std::uint32_t>(p[off::kOptLength]) << 8) | p[off::kOptLength + 1]);
    if (pos_ > end_) pos_ = end_;
    return *this;
  }
  OptionIterator operator++(int) noexcept {
    auto t = *this;
    ++*this;
    return t;
  }
  bool operator==(const OptionIterator& o) const noexcept { return pos_ == o.pos_; }

 private:
  const std::uint8_t* base_ = nullptr;
  std::uint32_t pos_ = 0;
  std::uint32_t end_ = 0;
};

struct OptionRange {
  OptionIterator b, e;
  OptionIterator begin() const noexcept { return b; }
  OptionIterator end() const noexcept { return e; }
};

class MessageView {
 public:
  Bytes bytes;                      // what was given to decode()
  Header header;                    // valid when bytes.size() >= 8
  std::uint32_t declared_size = 0;  // total size that Length announces under the convention
  std::uint32_t options_end = 0;    // end of the valid option chain
  std::uint16_t option_count = 0;   // options in the valid chain
  DecodeError error;
  LengthConvention convention = LengthConvention::Total4;
  bool other_convention_fits = false;  // the chain fills the message exactly under the other convention
  // Where decode() saw the options that the tracker and the rules ask for on
  // every message (offset of the option header; 0: none in the valid chain).
  std::uint32_t node_id_at[2] = {0, 0};  // first and second Node ID
  std::uint32_t function_id_at = 0;      // first Function ID
  // Only a prefix was captured (a capture's snapshot length, a segment not
  // reassembled): the message's real size; 0 when the bytes are the whole
  // message. The view decodes what was captured, and rules that need the
  // whole message are not applied.
  std::uint32_t cut_size = 0;

  bool ok() const noexcept { return !error; }
  bool cut() const noexcept { return cut_size != 0; }
  bool has_header() const noexcept { return bytes.size() >= kHeaderSize; }
  OptionRange options() const noexcept {
    if (!has_header()) return {};
    return {OptionIterator(bytes.data(), off::kOptions, options_end),
            OptionIterator(bytes.data(), options_end, options_end)};
  }
  // First option of a type (and sub-type when given); nullopt when absent.
  std::optional<OptionView> find(OptType t) const noexcept;
  std::optional<OptionView> find(OptType t, std::uint8_t sub) const noexcept;
  std::size_t count(OptType t) const noexcept;
  // Node ID options in order: first (target / source) and second (destination).
  std::optional<std::uint32_t> node_id(unsigned index = 0) const noexcept {
    if (index < 2) return u32_at(node_id_at[index]);
    return nth_node_id(index);
  }
  std::optional<std::uint32_t> function_id() const noexcept { return u32_at(function_id_at); }
  bool is(MsgType t) const noexcept { return header.type == u8(t); }
  bool is_ack() const noexcept { return is(MsgType::Ack); }

 private:
  std::optional<std::uint32_t> u32_at(std::uint32_t at) const noexcept {
    if (at == 0) return std::nullopt;
    return OptionIterator(bytes.data(), at, options_end).operator*().u32();
  }
  std::optional<std::uint32_t> nth_node_id(unsigned index) const noexcept;
};

// Size that the Length field announces, or 0 when the field is impossible.
// Needs the first 4 bytes.
std::uint32_t declared_size(std::uint16_t length_field, LengthConvention c) noexcept;
// The header's Length field of a message starting at b (needs 4 bytes): the one reader of it.
constexpr std::uint16_t length_field_at(Bytes b) noexcept {
  return static_cast<std::uint16_t>((b[off::kLength] << 8) | b[off::kLength + 1]);
}
// Size that the Length field of the message at b announces (0 when impossible). Needs 4 bytes.
inline std::uint32_t declared_size_at(Bytes b, LengthConvention c) noexcept {
  return declared_size(length_field_at(b), c);
}
std::uint16_t length_field_for(std::size_t total_size, LengthConvention c) noexcept;
// Octets of a message that its Length field does not count: 4 under the
// profile's convention (Length = total - 4), 3 under the literal one.
constexpr std::uint32_t convention_overhead(LengthConvention c) noexcept {
  return c == LengthConvention::Total4 ? 4u : 3u;
}
std::uint32_t minimum_length_field(LengthConvention c) noexcept;

MessageView decode(Bytes pdu, LengthConvention c = LengthConvention::Total4) noexcept;
// A message of `size` octets of which only `captured` (a prefix) is at hand.
// The Length field is judged against `size`; the view shows the header and
// the options captured whole. With the whole message it is decode(pdu).
MessageView decode(Bytes captured, std::uint32_t size, LengthConvention c = LengthConvention::Total4) noexcept;

// The strict heuristic shared by the dissector and the replay tool's --auto:
// known type, Sub-Type and Code consistent with it, a possible length, and a
// chain of known options that exactly fills the message. Needs the whole PDU.
bool looks_like_vsm(Bytes bytes, LengthConvention c = LengthConvention::Total4) noexcept;
// The header part of that heuristic (needs 8 bytes): type, Sub-Type, Code and Length plausible.
bool plausible_header(Bytes bytes, LengthConvention c = LengthConvention::Total4) noexcept;

}  // namespace vsm
