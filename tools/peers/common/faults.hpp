// SPDX-License-Identifier: GPL-2.0-or-later
// Fault switches: `--fault NAME` makes a peer break exactly one rule of the
// codec's requirement catalogue, so that the testers (the counterpart peer,
// the replay tool, the conformance runner) can be shown to catch it. Each
// switch names the requirement it breaks by its catalogue entry.
#pragma once

#include <bitset>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "vsm/catalogue.hpp"

namespace vsm::peers {

enum class Fault : std::uint8_t {
  // Either peer
  AckWrongSeq,
  AckSubtypeNotCopied,
  AckMissingNodeId,
  AckUnknownCode,
  AckAnAck,
  UnsolicitedAck,
  NonzeroCodeRequest,
  SeqNotIncrementing,
  SeqReused,
  LiteralLength,
  LengthTooSmall,
  OptionOverrun,
  UnknownOption,
  UnknownType,
  NodeIdSubOpType,
  ShortNodeId,
  ErrorWithoutContent,
  // Execution Node (vsm-agent)
  NoAckKeepalive,
  SubtypeInRegistration,
  RegistrationMissingNodeId,
  StatusUpdateMissingNodeId,
  DeregistrationMissingNodeId,
  StatusUpdateFirst,
  AgentSendsKeepalive,
  GetAckNoStatus,
  AddAckNoStatus,
  DeleteAckNoStatus,
  MoveAckNoStatus,
  CopyAckNoStatus,
  MoveSessionAckNoStatus,
  MoveSessionAckNoFunctionId,
  GetAckMissingItem,
  GetAckEmptyItem,
  ShortPort,
  ShortIpv4,
  UnknownNodeInfo,
  BadNodeInfoValue,
  BinaryNodeInfo,
  UnknownFunctionInfo,
  BadFunctionInfoValue,
  BadRunningStatus,
  UnknownVendorInfo,
  NoStatusUpdateAfterAdd,
  NoStatusUpdateAfterDelete,
  NoResourceReport,
  NoSpontaneousReport,
  RegisterTwice,
  StatusUpdateAfterDeregistration,
  // Manager Node (vsm-manager)
  NoAckStatusUpdate,
  SwapSrcDst,
  SwapSrcDstCopy,
  SwapSrcDstMoveSession,
  SubtypeInKeepalive,
  KeepaliveMissingNodeId,
  OperationMissingNodeId,
  GetMissingFunctionId,
  GetNoItems,
  GetItemWithValue,
  AddMissingFunctionId,
  DeleteMissingFunctionId,
  MoveMissingDestination,
  CopyMissingFunctionId,
  MoveSessionMissingSessionInfo,
  UnknownOperation,
  RegistrationAckNodeZero,
  ManagerSendsStatusUpdate,
  KeepaliveBeforeRegistrationAck,
  UnknownSessionInfo,
  BadSessionRatio,
  ShortFunctionId,
  BadIpv6Length,
  NoKeepalive,
  AdmitEveryone,
  ReassignNodeId,
  Count_
};

inline constexpr unsigned kAgent = 1;
inline constexpr unsigned kManager = 2;

struct FaultSpec {
  Fault fault;
  std::string_view name;
  Req req;         // the catalogue entry the switch breaks
  unsigned peers;  // kAgent, kManager or both
  std::string_view what;
};

std::span<const FaultSpec> fault_table() noexcept;
const FaultSpec& fault_spec(Fault f) noexcept;
const FaultSpec* find_fault(std::string_view name) noexcept;
// The table for one peer as text lines: "NAME  REQ-ID  what it does".
std::string list_faults(unsigned peer);

class FaultSet {
 public:
  bool has(Fault f) const noexcept { return bits_.test(static_cast<std::size_t>(f)); }
  void set(Fault f) noexcept { bits_.set(static_cast<std::size_t>(f)); }
  bool any() const noexcept { return bits_.any(); }
  // Parses the --fault arguments; returns "" or an error message.
  std::string parse(const std::vector<std::string>& names, unsigned peer);

 private:
  std::bitset<static_cast<std::size_t>(Fault::Count_)> bits_;
};

}  // namespace vsm::peers
