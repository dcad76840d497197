// SPDX-License-Identifier: GPL-2.0-or-later
// Encoding: owning value types for a message and its options, and a builder
// API over them. Used by the tests, the trace generator, the runner and the
// reference peers. Nothing here checks the rules: a Message may be built
// deliberately wrong (the runner's mutations), and rules.hpp says what is wrong.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "vsm/wire.hpp"

namespace vsm {

// Why a message cannot be encoded: the wire has no way to say what it holds.
// An error value, never a wrapped 16-bit Length.
enum class EncodeError : std::uint8_t {
  TooLarge,        // longer than the header's Length field can describe (max_message_size)
  OptionTooLarge,  // an option value longer than its 16-bit Length field can describe (kMaxOptionValue)
};
std::string_view describe(EncodeError e) noexcept;

// The longest message a 16-bit Length can describe: 65,539 octets under the
// profile's convention (Length = total - 4), 65,538 under the literal one.
constexpr std::size_t max_message_size(LengthConvention c = LengthConvention::Total4) noexcept {
  return kMaxLengthField + convention_overhead(c);
}
inline constexpr std::size_t kMaxOptionValue = kMaxLengthField;

// What encode() made of a message: its bytes, or why there are none.
class [[nodiscard]] Encoded {
 public:
  explicit Encoded(std::vector<std::uint8_t> bytes) : bytes_(std::move(bytes)), size_(bytes_.size()) {}
  Encoded(EncodeError e, std::size_t size) : error_(e), size_(size) {}
  bool ok() const noexcept { return !error_; }
  explicit operator bool() const noexcept { return ok(); }
  std::optional<EncodeError> error() const noexcept { return error_; }
  // Octets of the message: those encoded, or those it would have had.
  std::size_t size() const noexcept { return size_; }
  // The bytes; std::length_error when refused (as std::expected::value throws).
  const std::vector<std::uint8_t>& value() const& {
    check();
    return bytes_;
  }
  std::vector<std::uint8_t> value() && {
    check();
    return std::move(bytes_);
  }

 private:
  void check() const {
    if (error_) throw std::length_error(std::string(describe(*error_)));
  }
  std::vector<std::uint8_t> bytes_;
  std::optional<EncodeError> error_;
  std::size_t size_ = 0;
};

struct Option {
  std::uint8_t type = 0;
  std::uint8_t subtype = 0;
  std::vector<std::uint8_t> value;
  std::optional<std::uint16_t> length_override;  // deliberate mutation: Length field not matching value

  static Option node_id(std::uint32_t id);
  static Option function_id(std::uint32_t id);
  static Option ipv4(std::array<std::uint8_t, 4> addr);
  static Option ipv6(const std::array<std::uint8_t, 16>& addr);
  static Option port(std::uint16_t port);
  static Option text(OptType type, std::uint8_t sub, std::string_view text);
  static Option ntp(OptType type, std::uint8_t sub, NtpTime t);
  static Option empty(OptType type, std::uint8_t sub);  // GET item: Length 0
  static Option raw(std::uint8_t type, std::uint8_t sub, std::span<const std::uint8_t> value);
  // Octets this option takes in a message (its 4-octet header and value).
  std::size_t encoded_size() const noexcept { return kOptionHeaderSize + value.size(); }
  static Option node_info(std::uint8_t sub, std::string_view text) { return text_opt(OptType::NodeInfo, sub, text); }
  static Option function_info(std::uint8_t sub, std::string_view text) {
    return text_opt(OptType::FunctionInfo, sub, text);
  }
  static Option session_info(std::uint8_t sub, std::string_view text) {
    return text_opt(OptType::SessionInfo, sub, text);
  }
  static Option running_status(std::string_view status) {
    return text_opt(OptType::FunctionInfo, function_info::RunningStatus, status);
  }
  static Option vendor_info(std::string_view text) { return text_opt(OptType::VendorInfo, vendor_info::Message, text); }

 private:
  static Option text_opt(OptType type, std::uint8_t sub, std::string_view t) { return text(type, sub, t); }
};

struct Message {
  std::uint8_t type = 0;
  std::uint8_t subtype = 0;
  std::uint8_t code = 0;
  std::uint32_t seq = 0;
  std::vector<Option> options;
  std::optional<std::uint16_t> length_override;  // deliberate mutation of the header Length

  Message() = default;
  Message(MsgType t, std::uint32_t sequence, std::uint8_t sub = 0) : type(u8(t)), subtype(sub), seq(sequence) {}

  Message& add(Option o) {
    options.push_back(std::move(o));
    return *this;
  }
  std::optional<std::uint32_t> node_id(unsigned index = 0) const;
  std::optional<std::uint32_t> function_id() const;
  const Option* find(OptType t, std::optional<std::uint8_t> sub = std::nullopt) const;

  std::size_t encoded_size() const;
  // Why the message cannot be encoded under c, or nothing: a size the header's
  // or an option's Length cannot describe. A Length set by length_override is
  // a deliberate mutation and is not checked (the octets are still counted).
  [[nodiscard]] std::optional<EncodeError> encode_error(LengthConvention c = LengthConvention::Total4) const;
  // The message can be encoded: for a caller building it, option by option.
  [[nodiscard]] bool fits(LengthConvention c = LengthConvention::Total4) const { return !encode_error(c); }
  // The message would still fit with `extra` more octets (an Option's encoded_size()).
  [[nodiscard]] bool fits_with(std::size_t extra, LengthConvention c = LengthConvention::Total4) const {
    return length_override || encoded_size() + extra <= max_message_size(c);
  }
  // Appends the message to out, or appends nothing and says why.
  [[nodiscard]] std::optional<EncodeError> encode_to(std::vector<std::uint8_t>& out,
                                                     LengthConvention c = LengthConvention::Total4) const;
  Encoded encode(LengthConvention c = LengthConvention::Total4) const;
  // An owning copy of a decoded message (its valid option prefix).
  static Message from(const MessageView& view);
};

// Factories for the messages of section 6.2/6.3 with their mandatory options.
Message registration(std::uint32_t seq, std::uint32_t node_id);
Message keep_alive(std::uint32_t seq, std::uint32_t node_id);
Message status_update(std::uint32_t seq, std::uint32_t node_id);
Message deregistration(std::uint32_t seq, std::uint32_t node_id);
Message operation(Operation op, std::uint32_t seq, std::uint32_t node_id);
Message get(std::uint32_t seq, std::uint32_t node_id, std::uint32_t function_id);
Message add_function(std::uint32_t seq, std::uint32_t node_id, std::uint32_t function_id);
Message delete_function(std::uint32_t seq, std::uint32_t node_id, std::uint32_t function_id);
// MOVE or COPY: source Node ID, destination Node ID, Function ID.
Message transfer(Operation op, std::uint32_t seq, std::uint32_t src, std::uint32_t dst, std::uint32_t function_id);
Message move_session(std::uint32_t seq, std::uint32_t src, std::uint32_t dst);
Message error_message(std::uint32_t seq, ResultCode code, std::string_view text);
// An ACK for a request: Sequence copied, Sub-Type copied for the Types that
// define one (Operation, Ack) and 0 for the others, Code set, Node ID added.
Message ack_for(const Header& request, ResultCode code, std::uint32_t node_id);

// Next sequence number after s (24-bit wrap).
constexpr std::uint32_t next_seq(std::uint32_t s) noexcept { return (s + 1) & kSeqMask; }

}  // namespace vsm
