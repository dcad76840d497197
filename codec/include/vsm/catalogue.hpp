// SPDX-License-Identifier: GPL-2.0-or-later
// The requirement catalogue: every MUST and SHOULD of sections 4 to 6 of the
// draft, plus the format definitions and the project's profile decisions that
// the tools enforce. Each entry has one ID of the form VSM-<section>-<NAME>;
// every finding, expert info, verdict and report names requirements by it.
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

enum class Req : std::uint16_t {
  // Section 4
  ResourceReport,
  FunctionStats,
  SpontaneousReport,
  NodeIdentity,
  UniqueIds,
  SecureReliable,
  Admission,
  ExistingMechanisms,
  // Section 5
  Discovery,
  KeepAlivePeriodic,
  AckEveryMessage,
  Tcp,
  Sctp,
  RegisterFirst,
  Role,
  AckNotAcked,
  ErrorMessage,
  ErrorContent,
  NodeIdAssigned,
  // Section 6.1
  TypeKnown,
  SubTypeZero,
  SubTypeIgnored,
  OperationKnown,
  Length,
  LengthLiteral,
  CodeZero,
  CodeIgnored,
  SeqIncrement,
  SeqDuplicate,
  OptionLength,
  OptionKnown,
  SubOpTypeZero,
  // Section 6.2
  RegistrationNodeId,
  KeepAliveNodeId,
  OperationNodeId,
  StatusUpdateNodeId,
  DeregistrationNodeId,
  AckNodeId,
  AckSeq,
  AckSubType,
  AckCodeKnown,
  AckUnsolicited,
  // Section 6.3
  GetMandatory,
  GetZeroValues,
  GetAckOptions,
  GetAckValues,
  AddMandatory,
  AddAckOptions,
  AddStatusUpdate,
  DeleteMandatory,
  DeleteAckOptions,
  DeleteStatusUpdate,
  MoveMandatory,
  MoveAckOptions,
  MoveOrder,
  CopyMandatory,
  CopyAckOptions,
  CopyOrder,
  MoveSessionMandatory,
  MoveSessionAckOptions,
  MoveSessionOrder,
  // Section 6.4
  Ipv4Length,
  Ipv6Length,
  PortLength,
  NodeIdLength,
  FunctionIdLength,
  NodeInfoSubType,
  NodeInfoValue,
  FunctionInfoSubType,
  FunctionInfoValue,
  RunningStatusValue,
  SessionInfoSubType,
  SessionInfoValue,
  SessionUnderstood,
  VendorSubType,
  VendorUnderstood,
  ValueEncoding,
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
};

std::span<const Requirement> catalogue() noexcept;
const Requirement& requirement(Req r) noexcept;
const Requirement* find_requirement(std::string_view id) noexcept;
std::string_view level_name(Level l) noexcept;        // "MUST", "SHOULD", "FORMAT", "PROFILE"
std::string_view severity_name(Severity s) noexcept;  // "note", "warning", "error"
std::string_view scope_name(Scope s) noexcept;
// Severity of a violation: MUST, FORMAT and PROFILE are errors, SHOULD warnings;
// a few entries that only inform (literal length, non-profile encoding) are notes.
Severity severity_of(Req r) noexcept;

}  // namespace vsm
