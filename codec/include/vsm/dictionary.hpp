// SPDX-License-Identifier: GPL-2.0-or-later
// The protocol dictionary: every constant of the draft (and the project's
// local assignments, see codec/PROFILE.md) with its keyword and display name.
// The dissector's value_strings and field names, the runner's scenario
// keywords and every text output are generated from these tables.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace vsm {

// Header sizes and limits (section 6.1, 6.4).
inline constexpr std::uint32_t kHeaderSize = 8;
inline constexpr std::uint32_t kOptionHeaderSize = 4;
// The header's and every option's Length field are 16 bits (6.1): the largest value either can say.
inline constexpr std::uint32_t kMaxLengthField = 0xFFFF;
inline constexpr std::uint32_t kSeqModulo = 1u << 24;
inline constexpr std::uint32_t kSeqMask = kSeqModulo - 1;
inline constexpr std::uint16_t kDefaultPort = 7750;

enum class MsgType : std::uint8_t {
  Registration = 1,
  KeepAlive = 2,
  Operation = 3,
  StatusUpdate = 4,
  Deregistration = 5,
  Ack = 6,
  Error = 7,  // local assignment: the draft names the message but gives no code
};

enum class Operation : std::uint8_t {
  Get = 1,
  Add = 2,
  Delete = 3,
  Move = 4,
  Copy = 5,
  MoveSession = 6,
};

enum class ResultCode : std::uint8_t {
  Successful = 0,
  Failed = 128,
  InsufficientResources = 129,
  AdministrativelyProhibited = 130,
  StatusUnknown = 131,
};

enum class OptType : std::uint8_t {
  IPv4 = 1,
  IPv6 = 2,
  Port = 3,
  NodeId = 4,
  FunctionId = 5,
  NodeInfo = 6,
  FunctionInfo = 7,
  SessionInfo = 8,
  VendorInfo = 9,
};

// Sub-OP-Types of the variable options.
namespace node_info {
enum : std::uint8_t {
  ProcessingCapacity = 1,
  CurrentLoad = 2,
  AverageLoad = 3,
  TotalMemory = 10,
  AvailableMemory = 11,
  TotalStorage = 20,
  AvailableStorage = 21,
  TotalBandwidth = 30,
  CurrentBandwidth = 31,
  AverageBandwidth = 32,
  BootTime = 40,
};
}
namespace function_info {
enum : std::uint8_t {
  Name = 1,
  CurrentLoad = 2,
  AverageLoad = 3,
  RequiredMemory = 10,
  AvailableMemory = 11,
  RequiredStorage = 20,
  AvailableStorage = 21,
  CurrentBandwidth = 31,
  AverageBandwidth = 32,
  BootTime = 40,
  RunningStatus = 50,
};
}
namespace session_info {
enum : std::uint8_t {
  SipUri = 1,
  ContactAddress = 2,
  Ratio = 3,
  Count = 4,
};
}
namespace vendor_info {
enum : std::uint8_t {
  Message = 1,
};
}

// Sender roles (section 5).
enum class Role : std::uint8_t { Unknown = 0, Node = 1, Manager = 2 };

// How the header Length field is read (codec/PROFILE.md).
enum class LengthConvention : std::uint8_t {
  Total4 = 0,   // profile default: total message length - 4
  Literal3 = 1  // the draft's literal words: total length - 3
};

// What a variable option value holds.
enum class ValueKind : std::uint8_t {
  Text,           // free ASCII text (names, URIs, messages)
  Integer,        // ASCII decimal integer ("8589934592")
  Decimal,        // ASCII decimal number ("2.4", "0.3")
  NtpTime,        // 8-octet NTP timestamp (RFC 5905)
  Address,        // 4- or 16-octet IP address
  RunningStatus,  // one of kRunningStatuses
};

struct Named {
  std::uint8_t value;
  std::string_view keyword;  // lower-case token for scenarios, JSON and field names
  std::string_view name;     // display name
};

inline constexpr std::array kMessageTypes{
    Named{1, "registration", "Registration"},
    Named{2, "keep_alive", "Keep-Alive"},
    Named{3, "operation", "Operation"},
    Named{4, "status_update", "Status-Update"},
    Named{5, "deregistration", "De-registration"},
    Named{6, "ack", "Ack"},
    Named{7, "error", "Error"},
};

inline constexpr std::array kOperations{
    Named{1, "get", "GET"},   Named{2, "add", "ADD"},   Named{3, "delete", "DELETE"},
    Named{4, "move", "MOVE"}, Named{5, "copy", "COPY"}, Named{6, "move_session", "MOVE_SESSION"},
};

inline constexpr std::array kResultCodes{
    Named{0, "successful", "Successful"},
    Named{128, "failed", "Failed"},
    Named{129, "insufficient_resources", "Insufficient resources"},
    Named{130, "administratively_prohibited", "Administratively prohibited"},
    Named{131, "status_unknown", "Status unknown"},
};

inline constexpr std::array kRoles{
    Named{0, "unknown", "Unknown"},
    Named{1, "node", "Execution Node"},
    Named{2, "manager", "Manager Node"},
};

// The length conventions by the keywords every tool's option takes
// (--length-convention, the dissector's vsm.length_convention preference);
// value = LengthConvention.
inline constexpr std::array kLengthConventions{
    Named{0, "profile", "Total length - 4 (project profile)"},
    Named{1, "literal", "Total length - 3 (the draft's literal wording)"},
};
// Earlier spellings, still accepted wherever a length convention is read
// (vsm-replay's first words, the plugin's first preference words); never
// printed. value = LengthConvention.
inline constexpr std::array kLengthConventionAliases{
    Named{0, "total4", "profile"},
    Named{0, "total-4", "profile"},
    Named{1, "literal3", "literal"},
    Named{1, "draft-literal", "literal"},
};

// The two Node IDs of MOVE, COPY and MOVE_SESSION (6.3.4-6.3.6): named by
// their role, or by their place on the wire when the tracker found them in
// the wrong order (VSM-6.3.4-ORDER and its siblings).
inline constexpr std::array<std::string_view, 2> kNodeIdRoles{"Source Node ID", "Destination Node ID"};
inline constexpr std::array<std::string_view, 2> kNodeIdPlaces{"First Node ID", "Second Node ID"};

inline constexpr std::array<std::string_view, 4> kRunningStatuses{"Starting", "Running", "Terminating", "Unknown"};

struct SubOptionSpec {
  std::uint8_t sub;
  std::string_view keyword;  // e.g. "mem_available"; field vsm.<option keyword>.<keyword>
  std::string_view name;
  ValueKind kind;
  std::string_view unit;  // "" when none
};

inline constexpr std::array kNodeInfo{
    SubOptionSpec{1, "cpu_capacity", "Processing capacity", ValueKind::Decimal, "GHz"},
    SubOptionSpec{2, "load_current", "Current load", ValueKind::Decimal, "waiting processes"},
    SubOptionSpec{3, "load_average", "Average load", ValueKind::Decimal, "waiting processes"},
    SubOptionSpec{10, "mem_total", "Total memory size", ValueKind::Integer, "bytes"},
    SubOptionSpec{11, "mem_available", "Available memory size", ValueKind::Integer, "bytes"},
    SubOptionSpec{20, "storage_total", "Total storage size", ValueKind::Integer, "bytes"},
    SubOptionSpec{21, "storage_available", "Available storage size", ValueKind::Integer, "bytes"},
    SubOptionSpec{30, "bw_total", "Total bandwidth", ValueKind::Integer, "bps"},
    SubOptionSpec{31, "bw_current", "Current used bandwidth", ValueKind::Integer, "bps"},
    SubOptionSpec{32, "bw_average", "Average used bandwidth", ValueKind::Integer, "bps"},
    SubOptionSpec{40, "boot_time", "Boot time", ValueKind::NtpTime, ""},
};

inline constexpr std::array kFunctionInfo{
    SubOptionSpec{1, "name", "Function name", ValueKind::Text, ""},
    SubOptionSpec{2, "load_current", "Current load", ValueKind::Decimal, "waiting processes"},
    SubOptionSpec{3, "load_average", "Average load", ValueKind::Decimal, "waiting processes"},
    SubOptionSpec{10, "mem_required", "Required memory size", ValueKind::Integer, "bytes"},
    SubOptionSpec{11, "mem_available", "Available memory size", ValueKind::Integer, "bytes"},
    SubOptionSpec{20, "storage_required", "Required storage size", ValueKind::Integer, "bytes"},
    SubOptionSpec{21, "storage_available", "Available storage size", ValueKind::Integer, "bytes"},
    SubOptionSpec{31, "bw_current", "Current used bandwidth", ValueKind::Integer, "bps"},
    SubOptionSpec{32, "bw_average", "Average used bandwidth", ValueKind::Integer, "bps"},
    SubOptionSpec{40, "boot_time", "Boot time", ValueKind::NtpTime, ""},
    SubOptionSpec{50, "running_status", "Running status", ValueKind::RunningStatus, ""},
};

inline constexpr std::array kSessionInfo{
    SubOptionSpec{1, "sip_uri", "SIP URI", ValueKind::Text, ""},
    SubOptionSpec{2, "contact", "Contact address", ValueKind::Address, ""},
    SubOptionSpec{3, "ratio", "Ratio of all sessions", ValueKind::Decimal, ""},
    SubOptionSpec{4, "count", "Number of sessions", ValueKind::Integer, "sessions"},
};

inline constexpr std::array kVendorInfo{
    SubOptionSpec{1, "info", "Information message", ValueKind::Text, ""},
};

struct OptionSpec {
  std::uint8_t type;
  std::string_view keyword;  // "node_id", "node_info", ...
  std::string_view name;
  std::string_view section;             // draft section defining it
  std::uint8_t fixed_length;            // 0 = variable
  std::span<const SubOptionSpec> subs;  // empty = Sub-OP-Type undefined (must be 0)
};

inline constexpr std::array kOptions{
    OptionSpec{1, "ipv4", "IPv4 address", "6.4.1", 4, {}},
    OptionSpec{2, "ipv6", "IPv6 address", "6.4.2", 16, {}},
    OptionSpec{3, "port", "Port number", "6.4.3", 2, {}},
    OptionSpec{4, "node_id", "Node ID", "6.4.4", 4, {}},
    OptionSpec{5, "function_id", "Function ID", "6.4.5", 4, {}},
    OptionSpec{6, "node_info", "Node information", "6.4.6", 0, kNodeInfo},
    OptionSpec{7, "function_info", "Function information", "6.4.7", 0, kFunctionInfo},
    OptionSpec{8, "session_info", "Session information", "6.4.8", 0, kSessionInfo},
    OptionSpec{9, "vendor", "Vendor-specific information", "6.4.9", 0, kVendorInfo},
};

// Lookups. All return nullptr / std::nullopt for values the dictionary lacks.
const Named* find_named(std::span<const Named> table, std::uint8_t value) noexcept;
const Named* find_keyword(std::span<const Named> table, std::string_view keyword) noexcept;
const OptionSpec* option_spec(std::uint8_t type) noexcept;
const OptionSpec* option_spec(std::string_view keyword) noexcept;
const SubOptionSpec* sub_option_spec(std::uint8_t type, std::uint8_t sub) noexcept;

// Display names with a fallback for unknown values ("Unknown (42)" is not
// produced here: callers that show numbers do it themselves).
std::string_view type_name(std::uint8_t type) noexcept;     // "" when unknown
std::string_view operation_name(std::uint8_t op) noexcept;  // "" when unknown
std::string_view code_name(std::uint8_t code) noexcept;     // "" when unknown
std::string_view role_name(Role role) noexcept;

constexpr bool is_known_type(std::uint8_t t) noexcept { return t >= 1 && t <= 7; }
constexpr bool is_known_operation(std::uint8_t op) noexcept { return op >= 1 && op <= 6; }
constexpr bool carries_operation(std::uint8_t type) noexcept {
  return type == static_cast<std::uint8_t>(MsgType::Operation) || type == static_cast<std::uint8_t>(MsgType::Ack);
}
constexpr bool has_src_dst(std::uint8_t op) noexcept {
  return op == static_cast<std::uint8_t>(Operation::Move) || op == static_cast<std::uint8_t>(Operation::Copy) ||
         op == static_cast<std::uint8_t>(Operation::MoveSession);
}
// Which role may send a message type (section 5, PROFILE.md): Registration
// and Status-Update come from the Execution Node, Keep-Alive and Operation
// from the Manager; De-registration, Ack and Error from either.
Role sender_role(std::uint8_t type) noexcept;  // Unknown = either

constexpr std::uint8_t u8(MsgType t) noexcept { return static_cast<std::uint8_t>(t); }
constexpr std::uint8_t u8(Operation o) noexcept { return static_cast<std::uint8_t>(o); }
constexpr std::uint8_t u8(ResultCode c) noexcept { return static_cast<std::uint8_t>(c); }
constexpr std::uint8_t u8(OptType t) noexcept { return static_cast<std::uint8_t>(t); }

}  // namespace vsm
