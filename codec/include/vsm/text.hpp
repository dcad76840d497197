// SPDX-License-Identifier: GPL-2.0-or-later
// Text for people: one-line message summaries (the dissector's Info column,
// the replay tool's decode lines, the runner's logs), finding descriptions and
// option values. The span overloads write into a caller's buffer and never
// allocate; the string overloads are for tools.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "vsm/rules.hpp"
#include "vsm/wire.hpp"

namespace vsm {

// "Operation MOVE seq=12 node 3 -> 5 function 7", "Ack MOVE seq=12 Successful node 3 -> 5 function 7".
std::string_view summarize(const MessageView& m, std::span<char> buf) noexcept;
std::string summarize(const MessageView& m);

// "[VSM-6.3.4-ORDER] destination Node ID before source (first 5, second 3)".
std::string_view describe(const Finding& f, std::span<char> buf) noexcept;
std::string describe(const Finding& f);

// An option value for people: "10.0.0.1", "7750", "3", "\"P-CSCF\"",
// "2026-11-26T06:00:00Z", "(empty)", "0x..." for octets that are not text.
// Built on keywords.hpp's value_text (the token form scenarios and JSON use).
std::string_view format_value(std::uint8_t type, std::uint8_t sub, Bytes value, std::span<char> buf) noexcept;
std::string_view format_value(const OptionView& o, std::span<char> buf) noexcept;
std::string format_value(std::uint8_t type, std::uint8_t sub, Bytes value);
std::string format_value(const OptionView& o);

// Name of an option ("Node ID", "Node information / Available memory size").
std::string_view option_name(std::uint8_t type, std::uint8_t sub, std::span<char> buf) noexcept;
std::string option_name(std::uint8_t type, std::uint8_t sub);

// "Operation" / "Error (local Type 7)" / "Unknown (42)".
std::string type_label(std::uint8_t type);

}  // namespace vsm
