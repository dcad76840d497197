// SPDX-License-Identifier: GPL-2.0-or-later
#include "faults.hpp"

#include <fmt/format.h>

#include <array>

namespace vsm::peers {
namespace {

constexpr unsigned kBoth = kAgent | kManager;
using F = Fault;

constexpr std::array<FaultSpec, static_cast<std::size_t>(Fault::Count_)> kFaults{{
    {F::AckWrongSeq, "ack-wrong-seq", Req::AckSeq, kBoth, "ACKs carry a sequence number one above the request's"},
    {F::AckSubtypeNotCopied, "ack-subtype-not-copied", Req::AckSubType, kBoth,
     "ACKs carry a different Sub-Type from the request's"},
    {F::AckMissingNodeId, "ack-missing-node-id", Req::AckNodeId, kBoth, "ACKs carry no Node ID option"},
    {F::AckUnknownCode, "ack-unknown-code", Req::AckCodeKnown, kBoth, "successful ACKs carry the undefined Code 7"},
    {F::AckAnAck, "ack-an-ack", Req::AckNotAcked, kBoth, "every ACK received is ACKed"},
    {F::UnsolicitedAck, "unsolicited-ack", Req::AckUnsolicited, kBoth,
     "sends an ACK nobody asked for once the node is registered"},
    {F::NonzeroCodeRequest, "nonzero-code-request", Req::CodeZero, kBoth, "requests carry Code 128"},
    {F::SeqNotIncrementing, "seq-not-incrementing", Req::SeqIncrement, kBoth,
     "the sequence number advances by two per message"},
    {F::SeqReused, "seq-reused", Req::SeqDuplicate, kBoth, "every request reuses the previous sequence number"},
    {F::LiteralLength, "literal-length", Req::LengthLiteral, kBoth,
     "header Length written as total - 3 (the literal reading)"},
    {F::LengthTooSmall, "length-too-small", Req::Length, kBoth,
     "one message (the first after registration) with header Length 2, an impossible length"},
    {F::OptionOverrun, "option-overrun", Req::OptionLength, kBoth,
     "the last option of every request announces 8 octets more than it has"},
    {F::UnknownOption, "unknown-option", Req::OptionKnown, kBoth, "requests carry an option of OP-Type 99"},
    {F::UnknownType, "unknown-type", Req::TypeKnown, kBoth, "sends a message of Type 99 once the node is registered"},
    {F::NodeIdSubOpType, "node-id-sub-op-type", Req::SubOpTypeZero, kBoth,
     "the Node ID option of every request has Sub-OP-Type 1"},
    {F::ShortNodeId, "short-node-id", Req::NodeIdLength, kBoth, "the Node ID option of every request is 2 octets long"},
    {F::ErrorWithoutContent, "error-without-content", Req::ErrorContent, kBoth,
     "sends an Error message with Code 0 and no text once the node is registered"},
    // Execution Node
    {F::NoAckKeepalive, "no-ack-keepalive", Req::AckEveryMessage, kAgent, "Keep-Alives are never ACKed"},
    {F::SubtypeInRegistration, "subtype-in-registration", Req::SubTypeZero, kAgent, "the Registration has Sub-Type 1"},
    {F::RegistrationMissingNodeId, "registration-missing-node-id", Req::RegistrationNodeId, kAgent,
     "the Registration carries no Node ID"},
    {F::StatusUpdateMissingNodeId, "status-update-missing-node-id", Req::StatusUpdateNodeId, kAgent,
     "Status-Updates carry no Node ID"},
    {F::DeregistrationMissingNodeId, "deregistration-missing-node-id", Req::DeregistrationNodeId, kAgent,
     "the De-registration sent at shutdown carries no Node ID"},
    {F::StatusUpdateFirst, "status-update-first", Req::RegisterFirst, kAgent,
     "sends a Status-Update before the Registration"},
    {F::AgentSendsKeepalive, "agent-sends-keepalive", Req::Role, kAgent,
     "sends a Keep-Alive (a Manager message) once registered"},
    {F::GetAckNoStatus, "get-ack-no-status", Req::GetAckOptions, kAgent, "GET ACKs carry no Running status"},
    {F::AddAckNoStatus, "add-ack-no-status", Req::AddAckOptions, kAgent, "ADD ACKs carry no Running status"},
    {F::DeleteAckNoStatus, "delete-ack-no-status", Req::DeleteAckOptions, kAgent,
     "DELETE ACKs carry no Running status"},
    {F::MoveAckNoStatus, "move-ack-no-status", Req::MoveAckOptions, kAgent, "MOVE ACKs carry no Running status"},
    {F::CopyAckNoStatus, "copy-ack-no-status", Req::CopyAckOptions, kAgent, "COPY ACKs carry no Running status"},
    {F::MoveSessionAckNoStatus, "move-session-ack-no-status", Req::MoveSessionAckOptions, kAgent,
     "MOVE_SESSION ACKs carry no Running status"},
    {F::MoveSessionAckNoFunctionId, "move-session-ack-no-function-id", Req::MoveSessionAckOptions, kAgent,
     "MOVE_SESSION ACKs leave out the Function ID of the command"},
    {F::GetAckMissingItem, "get-ack-missing-item", Req::GetAckValues, kAgent,
     "GET ACKs leave out the last requested item"},
    {F::GetAckEmptyItem, "get-ack-empty-item", Req::GetAckOptions, kAgent,
     "GET ACKs return the requested items with Length 0"},
    {F::ShortPort, "short-port", Req::PortLength, kAgent, "the Registration's Port option is 4 octets long"},
    {F::ShortIpv4, "short-ipv4", Req::Ipv4Length, kAgent, "the Registration's IPv4 option is 3 octets long"},
    {F::UnknownNodeInfo, "unknown-node-info", Req::NodeInfoSubType, kAgent,
     "the Registration carries Node information item 99"},
    {F::BadNodeInfoValue, "bad-node-info-value", Req::NodeInfoValue, kAgent,
     "the Registration reports total memory as \"plenty\""},
    {F::BinaryNodeInfo, "binary-node-info", Req::ValueEncoding, kAgent,
     "the Registration reports total memory as an 8-octet binary number"},
    {F::UnknownFunctionInfo, "unknown-function-info", Req::FunctionInfoSubType, kAgent,
     "Status-Updates carry Function information item 99"},
    {F::BadFunctionInfoValue, "bad-function-info-value", Req::FunctionInfoValue, kAgent,
     "Status-Updates report the required memory as \"a lot\""},
    {F::BadRunningStatus, "bad-running-status", Req::RunningStatusValue, kAgent,
     "Status-Updates report the Running status \"Sleeping\""},
    {F::UnknownVendorInfo, "unknown-vendor-info", Req::VendorSubType, kAgent,
     "the Registration carries Vendor-specific information item 7"},
    {F::NoStatusUpdateAfterAdd, "no-status-update-after-add", Req::AddStatusUpdate, kAgent,
     "an added Function becomes Running without a Status-Update (behaviour)"},
    {F::NoStatusUpdateAfterDelete, "no-status-update-after-delete", Req::DeleteStatusUpdate, kAgent,
     "a deleted Function goes without a Status-Update (behaviour)"},
    {F::NoResourceReport, "no-resource-report", Req::ResourceReport, kAgent,
     "Registration and Keep-Alive ACKs carry no Node information (behaviour)"},
    {F::NoSpontaneousReport, "no-spontaneous-report", Req::SpontaneousReport, kAgent,
     "no Status-Update when load crosses the thresholds (behaviour)"},
    {F::RegisterTwice, "register-twice", Req::RegisterOnce, kAgent,
     "sends a second Registration on the connection once registered"},
    {F::StatusUpdateAfterDeregistration, "status-update-after-deregistration", Req::Deregistered, kAgent,
     "sends a Status-Update right behind the De-registration sent at shutdown"},
    // Manager Node
    {F::NoAckStatusUpdate, "no-ack-status-update", Req::AckEveryMessage, kManager, "Status-Updates are never ACKed"},
    {F::SwapSrcDst, "swap-src-dst", Req::MoveOrder, kManager, "MOVE lists the destination Node ID first"},
    {F::SwapSrcDstCopy, "swap-src-dst-copy", Req::CopyOrder, kManager, "COPY lists the destination Node ID first"},
    {F::SwapSrcDstMoveSession, "swap-src-dst-move-session", Req::MoveSessionOrder, kManager,
     "MOVE_SESSION lists the destination Node ID first"},
    {F::SubtypeInKeepalive, "subtype-in-keepalive", Req::SubTypeZero, kManager, "Keep-Alives have Sub-Type 1"},
    {F::KeepaliveMissingNodeId, "keepalive-missing-node-id", Req::KeepAliveNodeId, kManager,
     "Keep-Alives carry no Node ID"},
    {F::OperationMissingNodeId, "operation-missing-node-id", Req::OperationNodeId, kManager,
     "ADD operations carry no Node ID"},
    {F::GetMissingFunctionId, "get-missing-function-id", Req::GetMandatory, kManager, "GET carries no Function ID"},
    {F::GetNoItems, "get-no-items", Req::GetMandatory, kManager, "GET lists no information item"},
    {F::GetItemWithValue, "get-item-with-value", Req::GetZeroValues, kManager,
     "GET lists its items with a value instead of Length 0"},
    {F::AddMissingFunctionId, "add-missing-function-id", Req::AddMandatory, kManager, "ADD carries no Function ID"},
    {F::DeleteMissingFunctionId, "delete-missing-function-id", Req::DeleteMandatory, kManager,
     "DELETE carries no Function ID"},
    {F::MoveMissingDestination, "move-missing-destination", Req::MoveMandatory, kManager,
     "MOVE carries no destination Node ID"},
    {F::CopyMissingFunctionId, "copy-missing-function-id", Req::CopyMandatory, kManager, "COPY carries no Function ID"},
    {F::MoveSessionMissingSessionInfo, "move-session-missing-session-info", Req::MoveSessionMandatory, kManager,
     "MOVE_SESSION carries no Session information"},
    {F::UnknownOperation, "unknown-operation", Req::OperationKnown, kManager,
     "sends an Operation with Sub-Type 99 once the node is registered"},
    {F::RegistrationAckNodeZero, "registration-ack-node-zero", Req::NodeIdAssigned, kManager,
     "successful Registration ACKs return Node ID 0"},
    {F::ManagerSendsStatusUpdate, "manager-sends-status-update", Req::Role, kManager,
     "sends a Status-Update (a node message) once the node is registered"},
    {F::KeepaliveBeforeRegistrationAck, "keepalive-before-registration-ack", Req::Registered, kManager,
     "sends a Keep-Alive to a registering node before its Registration ACK"},
    {F::UnknownSessionInfo, "unknown-session-info", Req::SessionInfoSubType, kManager,
     "MOVE_SESSION carries Session information item 99"},
    {F::BadSessionRatio, "bad-session-ratio", Req::SessionInfoValue, kManager,
     "MOVE_SESSION carries the ratio \"1.5\""},
    {F::ShortFunctionId, "short-function-id", Req::FunctionIdLength, kManager, "ADD carries a 2-octet Function ID"},
    {F::BadIpv6Length, "bad-ipv6-length", Req::Ipv6Length, kManager, "MOVE and COPY carry a 4-octet IPv6 option"},
    {F::NoKeepalive, "no-keepalive", Req::KeepAlivePeriodic, kManager, "never sends a Keep-Alive (behaviour)"},
    {F::AdmitEveryone, "admit-everyone", Req::Admission, kManager,
     "admits nodes that the allowlist refuses (behaviour)"},
    {F::ReassignNodeId, "reassign-node-id", Req::NodeIdentity, kManager,
     "gives a node registering with its Node ID a new one (behaviour)"},
}};

constexpr bool table_in_order() {
  for (std::size_t i = 0; i < kFaults.size(); ++i) {
    if (static_cast<std::size_t>(kFaults[i].fault) != i) return false;
  }
  return true;
}
static_assert(table_in_order(), "kFaults rows must follow the order of enum Fault");

}  // namespace

std::span<const FaultSpec> fault_table() noexcept { return kFaults; }
const FaultSpec& fault_spec(Fault f) noexcept { return kFaults[static_cast<std::size_t>(f)]; }

const FaultSpec* find_fault(std::string_view name) noexcept {
  for (const auto& f : kFaults) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

std::string list_faults(unsigned peer) {
  std::string out;
  for (const auto& f : kFaults) {
    if ((f.peers & peer) == 0) continue;
    out += fmt::format("{:<34} {:<26} {}\n", f.name, requirement(f.req).id, f.what);
  }
  return out;
}

std::string FaultSet::parse(const std::vector<std::string>& names, unsigned peer) {
  for (const auto& n : names) {
    const FaultSpec* f = find_fault(n);
    if (!f) return fmt::format("unknown fault '{}' (see --list-faults)", n);
    if ((f->peers & peer) == 0) return fmt::format("fault '{}' does not apply to this peer", n);
    set(f->fault);
  }
  return {};
}

}  // namespace vsm::peers
