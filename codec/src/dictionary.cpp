// SPDX-License-Identifier: GPL-2.0-or-later
#include "vsm/dictionary.hpp"

namespace vsm {
namespace {

constexpr bool options_indexed() {
  for (std::size_t i = 0; i < kOptions.size(); ++i) {
    if (kOptions[i].type != i + 1) return false;
  }
  return true;
}
static_assert(options_indexed(), "kOptions must hold OP-Types 1..N in order");

constexpr bool numbered_from_one(std::span<const Named> table) {
  for (std::size_t i = 0; i < table.size(); ++i) {
    if (table[i].value != i + 1) return false;
  }
  return true;
}
static_assert(numbered_from_one(kMessageTypes) && numbered_from_one(kOperations),
              "kMessageTypes and kOperations must hold values 1..N in order");

}  // namespace

const Named* find_named(std::span<const Named> table, std::uint8_t value) noexcept {
  for (const auto& n : table) {
    if (n.value == value) return &n;
  }
  return nullptr;
}

const Named* find_keyword(std::span<const Named> table, std::string_view keyword) noexcept {
  for (const auto& n : table) {
    if (n.keyword == keyword) return &n;
  }
  return nullptr;
}

const OptionSpec* option_spec(std::uint8_t type) noexcept {
  if (type == 0 || type > kOptions.size()) return nullptr;
  return &kOptions[type - 1];
}

const OptionSpec* option_spec(std::string_view keyword) noexcept {
  for (const auto& o : kOptions) {
    if (o.keyword == keyword) return &o;
  }
  return nullptr;
}

namespace {

// Position + 1 of each Sub-OP-Type in its option's table, by OP-Type (0 = not
// defined): the rules look a sub-option up for every information option.
constexpr std::array<std::array<std::uint8_t, 256>, kOptions.size()> kSubIndex = [] {
  std::array<std::array<std::uint8_t, 256>, kOptions.size()> index{};
  for (std::size_t t = 0; t < kOptions.size(); ++t) {
    for (std::size_t i = 0; i < kOptions[t].subs.size(); ++i) {
      index[t][kOptions[t].subs[i].sub] = static_cast<std::uint8_t>(i + 1);
    }
  }
  return index;
}();

}  // namespace

const SubOptionSpec* sub_option_spec(std::uint8_t type, std::uint8_t sub) noexcept {
  if (type == 0 || type > kOptions.size()) return nullptr;
  const std::uint8_t i = kSubIndex[type - 1][sub];
  return i == 0 ? nullptr : &kOptions[type - 1].subs[i - 1];
}

static std::string_view name_or_empty(const Named* n) noexcept { return n ? n->name : std::string_view{}; }

// Types and operations are numbered from 1 without gaps: index directly.
std::string_view type_name(std::uint8_t type) noexcept {
  return type >= 1 && type <= kMessageTypes.size() ? kMessageTypes[type - 1].name : std::string_view{};
}
std::string_view operation_name(std::uint8_t op) noexcept {
  return op >= 1 && op <= kOperations.size() ? kOperations[op - 1].name : std::string_view{};
}
std::string_view code_name(std::uint8_t code) noexcept { return name_or_empty(find_named(kResultCodes, code)); }
std::string_view role_name(Role role) noexcept {
  return name_or_empty(find_named(kRoles, static_cast<std::uint8_t>(role)));
}

Role sender_role(std::uint8_t type) noexcept {
  switch (static_cast<MsgType>(type)) {
    case MsgType::Registration:
    case MsgType::StatusUpdate: return Role::Node;
    case MsgType::KeepAlive:
    case MsgType::Operation: return Role::Manager;
    default: return Role::Unknown;
  }
}

}  // namespace vsm
