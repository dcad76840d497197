// SPDX-License-Identifier: GPL-2.0-or-later
// Keywords and value text, both directions: the one place that turns protocol
// values into the tokens that scenarios, JSON, command lines and field names
// use, and those tokens back into values. Everything comes from the dictionary
// (dictionary.hpp); a number stands in for a value the dictionary lacks, both
// ways ("42", "function_info.7"). Bad text is an error value with a reason that
// says what was expected, never an exception.
//
//   header fields   "keep_alive" <-> 2, "move" <-> 4, "failed" <-> 128, "42" <-> 42
//   option keywords "node_info.mem_available" <-> (6, 11), "node_id" <-> (4, 0),
//                   "function_info.7" <-> (7, 7), "42.1" <-> (42, 1)
//   option values   per the option's ValueSyntax: "3" (IDs), "7750", "192.0.2.1",
//                   "2001:db8::1" (RFC 5952), text as is, NTP time as Unix seconds,
//                   hex for an option outside the dictionary
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "vsm/dictionary.hpp"
#include "vsm/wire.hpp"

namespace vsm {

// A value parsed from text, or the reason there is none ("node_id value 'x':
// expected a decimal number from 0 to 4294967295").
template <typename T>
class Parsed {
 public:
  Parsed(T value) : value_(std::move(value)) {}  // NOLINT: implicit, a value is a success
  static Parsed failure(std::string reason) {
    Parsed p;
    p.reason_ = std::move(reason);
    return p;
  }
  bool ok() const noexcept { return value_.has_value(); }
  explicit operator bool() const noexcept { return ok(); }
  const T& operator*() const& { return *value_; }
  T&& operator*() && { return std::move(*value_); }
  const T* operator->() const { return &*value_; }
  const std::string& error() const noexcept { return reason_; }

 private:
  Parsed() = default;
  std::optional<T> value_;
  std::string reason_;
};

// The candidate nearest to a mistyped word (case, one or two letters, a
// swapped pair), or "" when none is near enough to suggest.
std::string_view nearest_keyword(std::string_view word, std::span<const std::string_view> candidates) noexcept;

// ---- header fields: kMessageTypes, kOperations, kResultCodes (and any Named table)

// The keyword of a value, or its decimal number when the table lacks it.
std::string_view keyword_text(std::span<const Named> table, std::uint8_t value, std::span<char> buf) noexcept;
std::string keyword_text(std::span<const Named> table, std::uint8_t value);
inline std::string type_keyword(std::uint8_t type) { return keyword_text(kMessageTypes, type); }
inline std::string operation_keyword(std::uint8_t op) { return keyword_text(kOperations, op); }
inline std::string code_keyword(std::uint8_t code) { return keyword_text(kResultCodes, code); }

// A keyword of the table, or a number from 0 to 255 (decimal or 0x hex).
// `noun` names the field in the reason: "unknown message type 'keepalive'
// (did you mean keep_alive?)".
Parsed<std::uint8_t> parse_keyword(std::span<const Named> table, std::string_view text, std::string_view noun);
inline Parsed<std::uint8_t> parse_type(std::string_view text) {
  return parse_keyword(kMessageTypes, text, "message type");
}
inline Parsed<std::uint8_t> parse_operation(std::string_view text) {
  return parse_keyword(kOperations, text, "operation");
}
inline Parsed<std::uint8_t> parse_code(std::string_view text) {
  return parse_keyword(kResultCodes, text, "result code");
}

// ---- option keywords

// An option named by its keyword: OP-Type and, when given, the Sub-OP-Type.
struct OptionKey {
  std::uint8_t type = 0;
  std::optional<std::uint8_t> sub;  // nullopt: the option as a whole ("node_id"; "node_info": any item)

  const OptionSpec* spec() const noexcept { return option_spec(type); }
  const SubOptionSpec* sub_spec() const noexcept { return sub ? sub_option_spec(type, *sub) : nullptr; }
  bool matches(std::uint8_t t, std::uint8_t s) const noexcept { return t == type && (!sub || *sub == s); }
  friend bool operator==(const OptionKey&, const OptionKey&) = default;
};

// "node_info.mem_available", "node_id" (a fixed-length option with Sub-OP-Type
// 0), "node_id.3", "function_info.7" (an item the dictionary lacks), "42.1"
// (an OP-Type it lacks). parse_option_keyword(option_keyword(t, s)) matches (t, s).
std::string option_keyword(std::uint8_t type, std::uint8_t sub);
// The same for a key; "node_info" (or "42") when it names no Sub-OP-Type.
std::string option_keyword(const OptionKey& key);
// The inverse: OPTION or OPTION.ITEM, each a keyword or a number from 0 to 255.
Parsed<OptionKey> parse_option_keyword(std::string_view text);

// ---- option values

// How an option's value is written, from the dictionary's option and item.
enum class ValueSyntax : std::uint8_t {
  Number32,  // Node ID, Function ID: decimal
  Port,      // decimal 0-65535
  IPv4,      // dotted quad
  IPv6,      // RFC 5952 ("2001:db8::1")
  Address,   // either (Session information / Contact address)
  Text,      // printable ASCII as is: names, URIs, the profile's ASCII numbers, Running status
  NtpTime,   // Unix seconds ("1795500000"); also read as "2026-11-26T06:00:00Z"
  Hex,       // octets as hex: an option or item outside the dictionary
};
ValueSyntax value_syntax(std::uint8_t type, std::uint8_t sub) noexcept;
// "a decimal number from 0 to 4294967295", "an IPv4 address such as 192.0.2.1", ...
std::string_view syntax_description(ValueSyntax s) noexcept;

// Whether the octets can be written in the option's syntax: a fixed-length
// option of its length, an NTP time of 8 octets, an address of 4 or 16,
// printable text; an information item may also be empty (a GET item).
bool value_fits(std::uint8_t type, std::uint8_t sub, Bytes value) noexcept;

// The value's text in its syntax; hex of the octets when they do not fit it.
std::string_view value_text(std::uint8_t type, std::uint8_t sub, Bytes value, std::span<char> buf) noexcept;
std::string value_text(std::uint8_t type, std::uint8_t sub, Bytes value);
inline std::string value_text(const OptionView& o) { return value_text(o.type, o.subtype, o.value); }

// The octets of a value written in the option's syntax. An information item
// may be "" (empty, a GET item); Text takes any text (the rules, not the
// parser, judge it); Hex takes pairs of hex digits, spaces or colons between.
Parsed<std::vector<std::uint8_t>> parse_value(std::uint8_t type, std::uint8_t sub, std::string_view text);

// ---- the pieces, for values outside an option

// Dotted quad for 4 octets, RFC 5952 for 16 (as inet_ntop writes it), "" otherwise.
std::string_view address_text(Bytes a, std::span<char> buf) noexcept;
std::string address_text(Bytes a);
Parsed<std::vector<std::uint8_t>> parse_address(std::string_view text);  // 4 or 16 octets

// Lower-case hex digits, no separators ("0a0001").
std::string_view hex_text(Bytes b, std::span<char> buf) noexcept;
std::string hex_text(Bytes b);
Parsed<std::vector<std::uint8_t>> parse_hex(std::string_view text);

// "2026-11-26T06:00:00Z" (whole seconds, UTC).
std::string_view time_text(NtpTime t, std::span<char> buf) noexcept;
std::string time_text(NtpTime t);
// Unix seconds (-2208988800 to 2085978495, NTP era 0) or YYYY-MM-DDTHH:MM:SSZ.
Parsed<NtpTime> parse_time(std::string_view text);

// A number from 0 to `max`, decimal or 0x hex; the reason names `what`.
Parsed<std::uint64_t> parse_number(std::string_view text, std::uint64_t max, std::string_view what);

}  // namespace vsm
