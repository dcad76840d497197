// SPDX-License-Identifier: GPL-2.0-or-later
// Keyword and value text of scenarios, both directions: the one place where
// scenario text becomes protocol numbers and option values (and back). It is
// a thin layer over the codec's keyword module (vsm/keywords.hpp: keywords,
// option keys, value syntax, hex, near misses) that adds what only scenarios
// say: timer keywords (negative, ack, keepalive), `any`/`failure` codes,
// `node_id#2`, `now`, capture fields. The compiler, the executor (variables
// are converted when a step runs), the writer and vsm-replay to-scenario all
// go through it. Errors say what is wrong; the caller adds where.
#pragma once

#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "scenario.hpp"
#include "vsm/message.hpp"
#include "vsm/wire.hpp"

namespace vsm::conform::text {

struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The candidate nearest to `word` by edit distance, when near enough to be a slip; "" otherwise.
std::string nearest(std::string_view word, std::span<const std::string_view> candidates);
// "unknown message type 'keepalive' (did you mean keep_alive?)".
std::string unknown(std::string_view what, std::string_view word, std::span<const std::string_view> candidates);

// Numbers as written in scenarios: decimal, 0x hexadecimal.
std::uint64_t number(std::string_view s, std::string_view what);
std::int64_t signed_number(std::string_view s, std::string_view what);
std::uint64_t number_max(std::string_view s, std::string_view what, std::uint64_t max);
double seconds(std::string_view s, std::string_view what);
std::string number_text(double v);

// Header fields: the dictionary's keyword or a number 0..255.
std::uint8_t message_type(std::string_view s);
std::uint8_t operation(std::string_view s);
std::uint8_t result_code(std::string_view s);
std::string message_type_text(std::uint8_t v);
std::string operation_text(std::uint8_t v);
std::string result_code_text(std::uint8_t v);
std::uint32_t sequence(std::string_view s);  // masked to 24 bits
CodeMatch code_match(std::string_view s);    // a Code, `any` or `failure`
std::string code_match_text(const CodeMatch& c);

// `timeout`, `within`, `wait`: seconds or one of the timer keywords allowed there.
Duration duration(std::string_view s, std::span<const Duration::Kind> allowed);
std::string duration_text(const Duration& d);

// Option keys ("node_id#2", "function_info.running_status", "9.1").
OptKey option_key(std::string_view s);
std::string option_key_text(const OptKey& k);
// A capture field: seq, code, type, subtype, op or an option key.
CaptureField capture_field(std::string_view s);
std::string capture_field_text(const CaptureField& f);

// The option to send for a key and its value text ("" is Length 0, a GET item; `now` for a time).
Option option(const OptKey& k, std::string_view value);
// A value an expectation may compare with: numbers for IDs and ports, addresses for addresses.
void expected_value(const OptKey& k, std::string_view value);
// A received option's value as scenario text: numbers in decimal, addresses dotted, text as is.
std::string option_text(const OptionView& o);
// A recorded option as a scenario option: keyed with its value text, or raw when the keywords cannot say it.
OptionItem option_item(const Option& o);

// Hex strings ("ff ff 00 01", "de:ad").
std::vector<std::uint8_t> hex(std::string_view s);
std::string hex_text(std::span<const std::uint8_t> b, std::size_t max = SIZE_MAX);

}  // namespace vsm::conform::text
