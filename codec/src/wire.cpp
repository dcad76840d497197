// SPDX-License-Identifier: GPL-2.0-or-later
#include "vsm/wire.hpp"

#include <charconv>

namespace vsm {
namespace {

inline std::uint16_t be16(const std::uint8_t* p) noexcept { return static_cast<std::uint16_t>((p[0] << 8) | p[1]); }
inline std::uint32_t be24(const std::uint8_t* p) noexcept {
  return (static_cast<std::uint32_t>(p[0]) << 16) | (static_cast<std::uint32_t>(p[1]) << 8) | p[2];
}
inline std::uint32_t be32(const std::uint8_t* p) noexcept {
  return (static_cast<std::uint32_t>(p[0]) << 24) | (static_cast<std::uint32_t>(p[1]) << 16) |
         (static_cast<std::uint32_t>(p[2]) << 8) | p[3];
}

// Walks an option chain over [kOptions, end). Returns the end of the valid
// prefix, its option count and the first error.
struct ChainResult {
  std::uint32_t end;
  std::uint16_t count;
  DecodeError error;
};

// With `seen`, also notes where the first Node IDs and Function ID are.
ChainResult walk_chain(const std::uint8_t* p, std::uint32_t end, MessageView* seen = nullptr) noexcept {
  std::uint32_t pos = off::kOptions;
  std::uint16_t count = 0;
  unsigned nodes = 0;
  while (pos < end) {
    if (end - pos < kOptionHeaderSize) {
      return {pos, count, {DecodeErrc::OptionHeader, pos, kOptionHeaderSize, end - pos}};
    }
    const std::uint32_t len = be16(p + pos + off::kOptLength);
    if (end - pos - kOptionHeaderSize < len) {
      return {pos, count, {DecodeErrc::OptionOverrun, pos, len, end - pos - kOptionHeaderSize}};
    }
    if (seen != nullptr) {
      const std::uint8_t type = p[pos + off::kOptType];
      if (type == u8(OptType::NodeId) && nodes < 2) {
        seen->node_id_at[nodes++] = pos;
      } else if (type == u8(OptType::FunctionId) && seen->function_id_at == 0) {
        seen->function_id_at = pos;
      }
    }
    pos += kOptionHeaderSize + len;
    ++count;
  }
  return {pos, count, {}};
}

}  // namespace

std::string_view errc_name(DecodeErrc c) noexcept {
  switch (c) {
    case DecodeErrc::None: return "ok";
    case DecodeErrc::ShortHeader: return "message shorter than the 8-octet header";
    case DecodeErrc::LengthTooSmall: return "Length field smaller than the header";
    case DecodeErrc::Truncated: return "message shorter than its Length field says";
    case DecodeErrc::TrailingBytes: return "octets after the end that the Length field says";
    case DecodeErrc::OptionHeader: return "option header cut short";
    case DecodeErrc::OptionOverrun: return "option value runs past the end of the message";
  }
  return "?";
}

NtpTime NtpTime::from_unix(std::int64_t unix_s, std::uint32_t ns) noexcept {
  NtpTime t;
  t.seconds = static_cast<std::uint32_t>(unix_s + kUnixOffset);
  t.fraction = static_cast<std::uint32_t>((static_cast<std::uint64_t>(ns) << 32) / 1000000000u);
  return t;
}

std::optional<std::uint16_t> OptionView::u16() const noexcept {
  if (value.size() != 2) return std::nullopt;
  return be16(value.data());
}

std::optional<std::array<std::uint8_t, 4>> OptionView::ipv4() const noexcept {
  if (value.size() != 4) return std::nullopt;
  std::array<std::uint8_t, 4> a{};
  for (std::size_t i = 0; i < 4; ++i) a[i] = value[i];
  return a;
}

std::optional<std::array<std::uint8_t, 16>> OptionView::ipv6() const noexcept {
  if (value.size() != 16) return std::nullopt;
  std::array<std::uint8_t, 16> a{};
  for (std::size_t i = 0; i < 16; ++i) a[i] = value[i];
  return a;
}

std::optional<NtpTime> OptionView::ntp() const noexcept {
  if (value.size() != 8) return std::nullopt;
  return NtpTime{be32(value.data()), be32(value.data() + 4)};
}

std::string_view OptionView::text() const noexcept {
  return {reinterpret_cast<const char*>(value.data()), value.size()};
}

Numeric OptionView::numeric() const noexcept {
  Numeric n;
  const std::string_view s = text();
  if (s.empty()) return n;
  bool ascii = true;
  bool has_dot = false;
  for (char ch : s) {
    if (ch == '.') {
      has_dot = true;
    } else if (ch < '0' || ch > '9') {
      ascii = false;
      break;
    }
  }
  if (ascii && s.front() != '.' && s.back() != '.') {
    if (!has_dot) {
      auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n.integer);
      if (ec == std::errc{} && p == s.data() + s.size()) {
        n.encoding = Numeric::Encoding::Text;
        n.integral = true;
        n.number = static_cast<double>(n.integer);
        return n;
      }
    } else {
      auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n.number);
      if (ec == std::errc{} && p == s.data() + s.size()) {
        n.encoding = Numeric::Encoding::Text;
        return n;
      }
    }
  }
  // Readable text that is not a number is a bad value, not a binary one.
  bool printable = true;
  for (char ch : s) printable = printable && ch >= 0x20 && ch <= 0x7e;
  const std::size_t len = value.size();
  if (!printable && (len == 1 || len == 2 || len == 4 || len == 8)) {
    std::uint64_t v = 0;
    for (std::uint8_t b : value) v = (v << 8) | b;
    n.encoding = Numeric::Encoding::Binary;
    n.integral = true;
    n.integer = v;
    n.number = static_cast<double>(v);
    return n;
  }
  n.encoding = Numeric::Encoding::Invalid;
  return n;
}

std::optional<OptionView> MessageView::find(OptType t) const noexcept {
  for (const OptionView o : options()) {
    if (o.is(t)) return o;
  }
  return std::nullopt;
}

std::optional<OptionView> MessageView::find(OptType t, std::uint8_t sub) const noexcept {
  for (const OptionView o : options()) {
    if (o.is(t, sub)) return o;
  }
  return std::nullopt;
}

std::size_t MessageView::count(OptType t) const noexcept {
  std::size_t n = 0;
  for (const OptionView o : options()) n += o.is(t) ? 1 : 0;
  return n;
}

std::optional<std::uint32_t> MessageView::nth_node_id(unsigned index) const noexcept {
  for (const OptionView o : options()) {
    if (o.is(OptType::NodeId)) {
      if (index == 0) return o.u32();
      --index;
    }
  }
  return std::nullopt;
}

std::uint32_t declared_size(std::uint16_t length_field, LengthConvention c) noexcept {
  const std::uint32_t total = static_cast<std::uint32_t>(length_field) + convention_overhead(c);
  return total < kHeaderSize ? 0 : total;
}

std::uint16_t length_field_for(std::size_t total_size, LengthConvention c) noexcept {
  return static_cast<std::uint16_t>(total_size - convention_overhead(c));
}

std::uint32_t minimum_length_field(LengthConvention c) noexcept {
  return static_cast<std::uint32_t>(kHeaderSize) - convention_overhead(c);
}

MessageView decode(Bytes pdu, LengthConvention c) noexcept {
  MessageView m;
  m.bytes = pdu;
  m.convention = c;
  const std::uint8_t* p = pdu.data();
  const std::size_t size = pdu.size();
  if (size < kHeaderSize) {
    m.error = {DecodeErrc::ShortHeader, 0, static_cast<std::uint32_t>(kHeaderSize), static_cast<std::uint32_t>(size)};
    return m;
  }
  m.header.type = p[off::kType];
  m.header.subtype = p[off::kSubType];
  m.header.length = be16(p + off::kLength);
  m.header.code = p[off::kCode];
  m.header.seq = be24(p + off::kSeq);
  m.options_end = off::kOptions;
  m.declared_size = declared_size(m.header.length, c);
  if (m.declared_size == 0) {
    m.error = {DecodeErrc::LengthTooSmall, off::kLength, minimum_length_field(c), m.header.length};
    return m;
  }
  const std::uint32_t avail = size > 0xFFFFFFFFu ? 0xFFFFFFFFu : static_cast<std::uint32_t>(size);
  const std::uint32_t end = avail < m.declared_size ? avail : m.declared_size;
  const ChainResult chain = walk_chain(p, end, &m);
  m.options_end = chain.end;
  m.option_count = chain.count;
  if (avail < m.declared_size) {
    m.error = {DecodeErrc::Truncated, avail, m.declared_size, avail};
  } else if (chain.error) {
    m.error = chain.error;
  } else if (avail > m.declared_size) {
    m.error = {DecodeErrc::TrailingBytes, m.declared_size, m.declared_size, avail};
  }
  if (m.error) {
    const LengthConvention other =
        c == LengthConvention::Total4 ? LengthConvention::Literal3 : LengthConvention::Total4;
    const std::uint32_t other_size = declared_size(m.header.length, other);
    if (other_size != 0 && other_size <= avail) {
      const ChainResult alt = walk_chain(p, other_size);
      m.other_convention_fits = !alt.error;
    }
  }
  return m;
}

MessageView decode(Bytes captured, std::uint32_t size, LengthConvention c) noexcept {
  if (captured.size() >= size) return decode(captured.first(size), c);
  MessageView m = decode(captured, c);
  m.cut_size = size;
  m.other_convention_fits = false;
  if (!m.has_header()) {
    // Too little captured to say anything, unless the message itself is too short.
    m.error = size < kHeaderSize ? DecodeError{DecodeErrc::ShortHeader, 0, kHeaderSize, size} : DecodeError{};
    return m;
  }
  if (m.error.code == DecodeErrc::LengthTooSmall) return m;
  // The options cut by the end of the capture are simply not shown; the
  // Length field is compared with the real size.
  if (m.declared_size > size) {
    m.error = {DecodeErrc::Truncated, size, m.declared_size, size};
  } else if (m.declared_size < size) {
    m.error = {DecodeErrc::TrailingBytes, m.declared_size, m.declared_size, size};
  } else {
    m.error = {};
  }
  return m;
}

bool plausible_header(Bytes bytes, LengthConvention c) noexcept {
  if (bytes.size() < kHeaderSize) return false;
  const std::uint8_t type = bytes[off::kType];
  const std::uint8_t sub = bytes[off::kSubType];
  const std::uint8_t code = bytes[off::kCode];
  if (!is_known_type(type)) return false;
  if (type == u8(MsgType::Operation)) {
    if (!is_known_operation(sub)) return false;
  } else if (type == u8(MsgType::Ack)) {
    if (sub != 0 && !is_known_operation(sub)) return false;
  } else if (sub != 0) {
    return false;
  }
  if (type == u8(MsgType::Ack) || type == u8(MsgType::Error)) {
    if (code_name(code).empty()) return false;
  } else if (code != 0) {
    return false;
  }
  // At least one option: every message of the draft carries one.
  return declared_size(be16(bytes.data() + off::kLength), c) >= kHeaderSize + kOptionHeaderSize;
}

bool looks_like_vsm(Bytes bytes, LengthConvention c) noexcept {
  if (!plausible_header(bytes, c)) return false;
  const MessageView m = decode(bytes, c);
  if (m.error.code != DecodeErrc::None && m.error.code != DecodeErrc::TrailingBytes) return false;
  for (const OptionView o : m.options()) {
    if (!option_spec(o.type)) return false;
  }
  return true;
}

}  // namespace vsm
