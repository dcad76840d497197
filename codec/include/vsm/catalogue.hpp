// SPDX-License-Identifier: GPL-2.0-or-later
// The requirement catalogue: every MUST and SHOULD of sections 4 to 6 of the
// draft, plus the format definitions and the project's profile decisions that
// the tools enforce. Each entry has one ID of the form VSM-<section>-<NAME>;
// every finding, expert info, verdict and report names requirements by it.
// The rows are written once, in vsm/catalogue.def.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace vsm {

enum class Level : std::uint8_t {
  Must,     // RFC 2119 MUST / MUST NOT / REQUIRED, and "Mandatory options"
  Should,   // SHOULD / RECOMMENDED
  Format,   // a definition of the wire format: breaking it makes the message malformed
  Profile,  // where the draft is silent or descriptive: the reading in codec/PROFILE.md
};

enum class Severity : std::uint8_t { Note, Warning, Error };

// Where a rule can be seen: in one message, in an exchange of messages, or
// only in the behaviour of an implementation (needs the conformance runner).
enum class Scope : std::uint8_t { Message, Exchange, Behaviour, NotObservable };

// What describe() adds to a finding's text from its values a and b.
enum class Shows : std::uint8_t {
  Nothing,       // the title (or the finding's detail) alone
  ExpectedGot,   // " (expected a, got b)"
  Value,         // " (a)"
  Seq,           // " (seq a)"
  MessageSeq,    // " (<name of message type b> seq a)"
  FirstSecond,   // " (first a, second b)"
  TypeFromRole,  // " (<name of message type a> from the <name of role b>)"
};

// A row's severity: by its level (MUST, FORMAT and PROFILE errors, SHOULD
// warnings) unless the row makes an exception.
enum class SeverityRule : std::uint8_t { ByLevel, Note, Warning, Error };

constexpr Severity severity_by(Level l, SeverityRule r) noexcept {
  switch (r) {
    case SeverityRule::Note: return Severity::Note;
    case SeverityRule::Warning: return Severity::Warning;
    case SeverityRule::Error: return Severity::Error;
    case SeverityRule::ByLevel: break;
  }
  return l == Level::Should ? Severity::Warning : Severity::Error;
}

// One enumerator per row of catalogue.def, in its order.
enum class Req : std::uint16_t {
#define VSM_REQUIREMENT(name, ...) name,
#include "vsm/catalogue.def"
#undef VSM_REQUIREMENT
  Count_  // number of entries; not a requirement
};

inline constexpr std::size_t kRequirementCount = static_cast<std::size_t>(Req::Count_);

struct Requirement {
  Req req;
  std::string_view id;       // "VSM-6.2.6-ACK-SEQ"
  std::string_view section;  // "6.2.6"
  Level level;
  Scope scope;
  std::string_view title;     // short, for expert info and tables
  std::string_view sentence;  // what the draft (or the profile) says
  Shows shows;                // what describe() adds from the finding's values
  Severity severity;          // of a violation: by level, or the row's exception
};

std::span<const Requirement> catalogue() noexcept;
const Requirement& requirement(Req r) noexcept;
const Requirement* find_requirement(std::string_view id) noexcept;
std::string_view level_name(Level l) noexcept;        // "MUST", "SHOULD", "FORMAT", "PROFILE"
std::string_view severity_name(Severity s) noexcept;  // "note", "warning", "error"
std::string_view scope_name(Scope s) noexcept;
// Severity of a violation, from the row: MUST, FORMAT and PROFILE are errors,
// SHOULD warnings; a few rows make an exception (the literal length and the
// non-profile encoding only inform: notes; unknown option items: warnings).
Severity severity_of(Req r) noexcept;

}  // namespace vsm
