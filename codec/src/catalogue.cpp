// SPDX-License-Identifier: GPL-2.0-or-later
#include "vsm/catalogue.hpp"

#include <array>

namespace vsm {
namespace {

using L = Level;
using S = Scope;

constexpr std::array<Requirement, kRequirementCount> kCatalogue{{
    // ---- Section 4: service mobility requirements
    {Req::ResourceReport, "VSM-4-RESOURCE-REPORT", "4", L::Must, S::Behaviour, "node reports its resources",
     "The Execution Node MUST be able to report the available resources (e.g., CPU or memory usage) of its own "
     "to the Manager Node."},
    {Req::FunctionStats, "VSM-4-FUNCTION-STATS", "4", L::Should, S::Behaviour, "node reports per-Function resources",
     "The Execution Node SHOULD be able to obtain statistics on how much resources are consumed by each Function "
     "and to report them to the Manager Node."},
    {Req::SpontaneousReport, "VSM-4-SPONTANEOUS-REPORT", "4", L::Should, S::Behaviour,
     "node reports spontaneously on its running condition",
     "The Execution Node SHOULD be able to spontaneously report to the Manager Node according to the running "
     "condition of its own."},
    {Req::NodeIdentity, "VSM-4-NODE-IDENTITY", "4", L::Must, S::Behaviour, "manager tracks a node by its Node ID",
     "The Manager Node MUST be able to identify and keep track of the Execution Node wherever it moves (a unique "
     "identifier independent of the physical address)."},
    {Req::UniqueIds, "VSM-4-UNIQUE-IDS", "4", L::Must, S::Behaviour, "sessions and Functions uniquely identified",
     "Each session and Function MUST be uniquely identified and manipulated by the Manager Node regardless of the "
     "hardware unit(s) providing resources."},
    {Req::SecureReliable, "VSM-4-SECURE-RELIABLE", "4", L::Must, S::NotObservable,
     "secure and reliable manager-node communication",
     "Security and reliability in communications between the Manager Node and Execution Node MUST be provided."},
    {Req::Admission, "VSM-4-ADMISSION", "4", L::Must, S::Behaviour, "manager controls admission (Code 130)",
     "The Manager Node MUST be able to control the admission of information exchange between Execution Nodes; "
     "the profile refuses admission with ACK Code 130 Administratively prohibited."},
    {Req::ExistingMechanisms, "VSM-4-EXISTING-MECHANISMS", "4", L::Should, S::NotObservable,
     "existing security and reliability mechanisms considered",
     "Existing architectures and mechanisms (e.g., AAA, IPsec, reliable transport protocols) SHOULD be taken into "
     "consideration for early adoption and deployment."},
    // ---- Section 5: protocol operations
    {Req::Discovery, "VSM-5-DISCOVERY", "5", L::Should, S::NotObservable, "manager discovered via Information Server",
     "If the IP address of the Manager Node is not known, the Information Server SHOULD be used for its discovery."},
    {Req::KeepAlivePeriodic, "VSM-5-KEEPALIVE", "5", L::Should, S::Behaviour, "manager sends periodic Keep-Alives",
     "The Manager Node SHOULD periodically check the status of each registered Execution Node by sending the "
     "Keep-Alive message."},
    {Req::AckEveryMessage, "VSM-5-ACK", "5", L::Must, S::Exchange, "every message is ACKed",
     "For each message, the recipient MUST send back the ACK message."},
    {Req::Tcp, "VSM-5-TCP", "5", L::Must, S::Behaviour, "TCP supported",
     "The Manager Node and Execution Node MUST support TCP."},
    {Req::Sctp, "VSM-5-SCTP", "5", L::Should, S::Behaviour, "SCTP supported",
     "The Manager Node and Execution Node SHOULD support SCTP."},
    {Req::RegisterFirst, "VSM-5-REGISTER-FIRST", "5", L::Profile, S::Exchange,
     "Registration is the node's first message",
     "When the Execution Node boots up, it registers itself with the Manager Node by sending the Registration "
     "message; the profile requires it to be the node's first message on a connection."},
    {Req::Role, "VSM-5-ROLE", "5", L::Profile, S::Exchange, "message sent by the role that owns it",
     "Registration and Status-Update are sent by the Execution Node, Keep-Alive and Operation by the Manager Node; "
     "De-registration, Ack and Error by either."},
    {Req::AckNotAcked, "VSM-5-ACK-NOT-ACKED", "5", L::Profile, S::Exchange, "an ACK is never ACKed",
     "The ACK responds to the other messages; the profile never acknowledges an ACK."},
    {Req::ErrorMessage, "VSM-5-ERROR", "5", L::Profile, S::Behaviour, "Error message (local Type 7)",
     "The Error message is asynchronously sent by either node to notify the peer of an error condition; the draft "
     "gives it no Type code and the profile assigns 7 locally."},
    {Req::ErrorContent, "VSM-5-ERROR-CONTENT", "5", L::Profile, S::Message, "Error carries a failure Code and text",
     "The profile's Error message carries a failure Code (128-131) and a Vendor-specific information message "
     "(9/1)."},
    {Req::NodeIdAssigned, "VSM-5-NODE-ID-ASSIGNED", "5", L::Profile, S::Exchange,
     "manager returns the assigned Node ID",
     "Node IDs are provided and managed by the Manager Node: a successful Registration ACK carries the Node ID "
     "assigned to the node (never 0)."},
    // ---- Section 6.1: common header and option format
    {Req::TypeKnown, "VSM-6.1-TYPE", "6.1", L::Format, S::Message, "known message type",
     "Type is one of Registration (1), Keep-alive (2), Operation (3), Status-Update (4), De-registration (5), "
     "Ack (6), and the profile's Error (7)."},
    {Req::SubTypeZero, "VSM-6.1-SUBTYPE-ZERO", "6.1", L::Must, S::Message, "Sub-Type zero outside Operation and Ack",
     "If the Type value is not 3 (Operation) or 6 (Ack), the Sub-Type value MUST be zero."},
    {Req::SubTypeIgnored, "VSM-6.1-SUBTYPE-IGNORED", "6.1", L::Must, S::Behaviour,
     "receiver ignores Sub-Type outside Operation and Ack",
     "If the Type value is not 3 (Operation) or 6 (Ack), the Sub-Type MUST be ignored by the receiver."},
    {Req::OperationKnown, "VSM-6.1-OPERATION", "6.1", L::Format, S::Message, "known operation in Sub-Type",
     "For Operation and Ack the Sub-Type is the operation command: GET (1), ADD (2), DELETE (3), MOVE (4), "
     "COPY (5), MOVE_SESSION (6); an Ack of a message without an operation copies 0."},
    {Req::Length, "VSM-6.1-LENGTH", "6.1", L::Format, S::Message, "Length matches the message",
     "Length is the length of the whole message; the profile reads it as total length - 4 and the options must "
     "fill exactly that."},
    {Req::LengthLiteral, "VSM-6.1-LENGTH-LITERAL", "6.1", L::Profile, S::Message,
     "sender uses the literal length convention",
     "Read literally, Length excludes only the Type and Length fields (total - 3); the profile uses total - 4 and "
     "reports a sender that follows the literal reading."},
    {Req::CodeZero, "VSM-6.1-CODE-ZERO", "6.1", L::Must, S::Message, "Code zero outside Ack",
     "For messages other than Ack, the Code field MUST be filled with zero (the profile's Error carries its failure "
     "Code here)."},
    {Req::CodeIgnored, "VSM-6.1-CODE-IGNORED", "6.1", L::Must, S::Behaviour, "receiver ignores Code outside Ack",
     "For messages other than Ack, the Code field MUST be ignored by the receiver."},
    {Req::SeqIncrement, "VSM-6.1-SEQ-INCREMENT", "6.1", L::Profile, S::Exchange, "sequence number increments",
     "Each sender keeps its own 24-bit sequence number per connection, incremented by one for each non-ACK "
     "message and wrapping from 0xFFFFFF to 0."},
    {Req::SeqDuplicate, "VSM-6.1-SEQ-DUPLICATE", "6.1", L::Profile, S::Exchange,
     "sequence number not reused while outstanding",
     "The sequence number lets the sender match a returned ACK with its command, so a sender never reuses one that "
     "is still waiting for its ACK."},
    {Req::OptionLength, "VSM-6.1-OPTION-LENGTH", "6.1", L::Format, S::Message, "option fits in the message",
     "The option Length is the length of the value; every option header and value lies inside the message."},
    {Req::OptionKnown, "VSM-6.1-OPTION-TYPE", "6.1", L::Format, S::Message, "known OP-Type",
     "OP-Type is one of the option types of section 6.4; unknown ones are skipped by their Length."},
    {Req::SubOpTypeZero, "VSM-6.1-SUB-OP-TYPE-ZERO", "6.1", L::Must, S::Message, "Sub-OP-Type zero if not defined",
     "Sub-OP-Type MUST be set to zero if not defined."},
    // ---- Section 6.2: control messages
    {Req::RegistrationNodeId, "VSM-6.2.1-NODE-ID", "6.2.1", L::Must, S::Message, "Registration carries Node ID",
     "REGISTRATION (Type 1) mandatory options: Node ID."},
    {Req::KeepAliveNodeId, "VSM-6.2.2-NODE-ID", "6.2.2", L::Must, S::Message, "Keep-Alive carries Node ID",
     "KEEP-ALIVE (Type 2) mandatory options: Node ID."},
    {Req::OperationNodeId, "VSM-6.2.3-NODE-ID", "6.2.3", L::Must, S::Message, "Operation carries Node ID",
     "OPERATION (Type 3) mandatory options: Node ID."},
    {Req::StatusUpdateNodeId, "VSM-6.2.4-NODE-ID", "6.2.4", L::Must, S::Message, "Status-Update carries Node ID",
     "STATUS-UPDATE (Type 4) mandatory options: Node ID."},
    {Req::DeregistrationNodeId, "VSM-6.2.5-NODE-ID", "6.2.5", L::Must, S::Message, "De-registration carries Node ID",
     "DE-REGISTRATION (Type 5) mandatory options: Node ID."},
    {Req::AckNodeId, "VSM-6.2.6-NODE-ID", "6.2.6", L::Must, S::Message, "Ack carries Node ID",
     "ACK (Type 6) mandatory options: Node ID."},
    {Req::AckSeq, "VSM-6.2.6-ACK-SEQ", "6.2.6", L::Must, S::Exchange, "Ack copies the sequence number",
     "Sequence number: MUST be copied from the corresponding control message."},
    {Req::AckSubType, "VSM-6.2.6-ACK-SUBTYPE", "6.2.6", L::Must, S::Exchange, "Ack copies the Sub-Type",
     "Sub-Type: MUST be copied from the corresponding control message."},
    {Req::AckCodeKnown, "VSM-6.2.6-ACK-CODE", "6.2.6", L::Format, S::Message, "known result code",
     "Code: result code for the requested operation: 0 Successful, 128 Failed, 129 Insufficient resources, 130 "
     "Administratively prohibited, 131 Status unknown."},
    {Req::AckUnsolicited, "VSM-6.2.6-ACK-UNSOLICITED", "6.2.6", L::Profile, S::Exchange,
     "Ack answers an outstanding message",
     "An ACK answers a control message: its sequence number matches a message of the peer still waiting for its "
     "ACK."},
    // ---- Section 6.3: operation commands
    {Req::GetMandatory, "VSM-6.3.1-MANDATORY", "6.3.1", L::Must, S::Message, "GET carries its mandatory options",
     "GET (Sub-Type 1) mandatory options: Node ID, Function ID, list of options (with zero values in the value "
     "field)."},
    {Req::GetZeroValues, "VSM-6.3.1-ZERO-VALUES", "6.3.1", L::Must, S::Message, "GET lists items with empty values",
     "The GET list of options carries zero values; the profile encodes each wanted item as an option of Length 0."},
    {Req::GetAckOptions, "VSM-6.3.1-ACK-OPTIONS", "6.3.1", L::Must, S::Message, "GET ACK carries its options",
     "Expected options in the GET ACK: Node ID, Function ID, list of options (with non-zero values), Result Code, "
     "Running Status."},
    {Req::GetAckValues, "VSM-6.3.1-ACK-VALUES", "6.3.1", L::Must, S::Exchange, "GET ACK returns the requested items",
     "The GET ACK returns the listed options with non-zero values."},
    {Req::AddMandatory, "VSM-6.3.2-MANDATORY", "6.3.2", L::Must, S::Message, "ADD carries its mandatory options",
     "ADD (Sub-Type 2) mandatory options: Node ID, Function ID."},
    {Req::AddAckOptions, "VSM-6.3.2-ACK-OPTIONS", "6.3.2", L::Must, S::Message, "ADD ACK carries its options",
     "Expected options in the ADD ACK: Node ID, Function ID, Result Code, Running Status."},
    {Req::AddStatusUpdate, "VSM-6.3.2-STATUS-UPDATE", "6.3.2", L::Profile, S::Behaviour,
     "Status-Update when the added Function has booted",
     "When the function has successfully booted up, the Execution Node sends a Status-update message to the "
     "Manager Node."},
    {Req::DeleteMandatory, "VSM-6.3.3-MANDATORY", "6.3.3", L::Must, S::Message, "DELETE carries its mandatory options",
     "DELETE (Sub-Type 3) mandatory options: Node ID, Function ID."},
    {Req::DeleteAckOptions, "VSM-6.3.3-ACK-OPTIONS", "6.3.3", L::Must, S::Message, "DELETE ACK carries its options",
     "Expected options in the DELETE ACK: Node ID, Function ID, Result Code, Running Status."},
    {Req::DeleteStatusUpdate, "VSM-6.3.3-STATUS-UPDATE", "6.3.3", L::Profile, S::Behaviour,
     "Status-Update when the deleted Function has terminated",
     "When termination is completed, the Execution Node sends a Status-update message to the Manager Node."},
    {Req::MoveMandatory, "VSM-6.3.4-MANDATORY", "6.3.4", L::Must, S::Message, "MOVE carries its mandatory options",
     "MOVE (Sub-Type 4) mandatory options: Source Node ID, Destination Node ID, Function ID."},
    {Req::MoveAckOptions, "VSM-6.3.4-ACK-OPTIONS", "6.3.4", L::Must, S::Message, "MOVE ACK carries its options",
     "Expected options in the MOVE ACK: Source Node ID, Destination Node ID, Function ID, Result Code, Running "
     "Status."},
    {Req::MoveOrder, "VSM-6.3.4-ORDER", "6.3.4", L::Must, S::Exchange, "MOVE lists source before destination",
     "The source Node ID and destination Node ID MUST be listed in this order."},
    {Req::CopyMandatory, "VSM-6.3.5-MANDATORY", "6.3.5", L::Must, S::Message, "COPY carries its mandatory options",
     "COPY (Sub-Type 5) mandatory options: Source Node ID, Destination Node ID, Function ID."},
    {Req::CopyAckOptions, "VSM-6.3.5-ACK-OPTIONS", "6.3.5", L::Must, S::Message, "COPY ACK carries its options",
     "Expected options in the COPY ACK: Source Node ID, Destination Node ID, Function ID, Result Code, Running "
     "Status."},
    {Req::CopyOrder, "VSM-6.3.5-ORDER", "6.3.5", L::Must, S::Exchange, "COPY lists source before destination",
     "The source Node ID and destination Node ID MUST be listed in this order."},
    {Req::MoveSessionMandatory, "VSM-6.3.6-MANDATORY", "6.3.6", L::Must, S::Message,
     "MOVE_SESSION carries its mandatory options",
     "MOVE_SESSION (Sub-Type 6) mandatory options: Source Node ID, Destination Node ID, Session information."},
    {Req::MoveSessionAckOptions, "VSM-6.3.6-ACK-OPTIONS", "6.3.6", L::Must, S::Message,
     "MOVE_SESSION ACK carries its options",
     "Expected options in the MOVE_SESSION ACK: Function ID if specified in the command, Result Code, Running "
     "Status."},
    {Req::MoveSessionOrder, "VSM-6.3.6-ORDER", "6.3.6", L::Must, S::Exchange,
     "MOVE_SESSION lists source before destination",
     "The source Node ID and destination Node ID MUST be listed in this order."},
    // ---- Section 6.4: option values
    {Req::Ipv4Length, "VSM-6.4.1-LENGTH", "6.4.1", L::Format, S::Message, "IPv4 address option is 4 octets",
     "IPv4 address: OP-Type 1, Length 4."},
    {Req::Ipv6Length, "VSM-6.4.2-LENGTH", "6.4.2", L::Format, S::Message, "IPv6 address option is 16 octets",
     "IPv6 address: OP-Type 2, Length 16."},
    {Req::PortLength, "VSM-6.4.3-LENGTH", "6.4.3", L::Format, S::Message, "Port number option is 2 octets",
     "Port number: OP-Type 3, Length 2."},
    {Req::NodeIdLength, "VSM-6.4.4-LENGTH", "6.4.4", L::Format, S::Message, "Node ID option is 4 octets",
     "Node ID: OP-Type 4, Length 4."},
    {Req::FunctionIdLength, "VSM-6.4.5-LENGTH", "6.4.5", L::Format, S::Message, "Function ID option is 4 octets",
     "Function ID: OP-Type 5, Length 4."},
    {Req::NodeInfoSubType, "VSM-6.4.6-SUB-OP-TYPE", "6.4.6", L::Format, S::Message, "known Node information item",
     "Node information Sub-OP-Types: 1, 2, 3, 10, 11, 20, 21, 30, 31, 32, 40."},
    {Req::NodeInfoValue, "VSM-6.4.6-VALUE", "6.4.6", L::Profile, S::Message, "Node information value well formed",
     "Node information values are ASCII numbers, Boot time an 8-octet NTP timestamp."},
    {Req::FunctionInfoSubType, "VSM-6.4.7-SUB-OP-TYPE", "6.4.7", L::Format, S::Message,
     "known Function information item", "Function information Sub-OP-Types: 1, 2, 3, 10, 11, 20, 21, 31, 32, 40, 50."},
    {Req::FunctionInfoValue, "VSM-6.4.7-VALUE", "6.4.7", L::Profile, S::Message,
     "Function information value well formed",
     "Function information values are ASCII text or numbers, Boot time an 8-octet NTP timestamp."},
    {Req::RunningStatusValue, "VSM-6.4.7-RUNNING-STATUS", "6.4.7", L::Format, S::Message, "known Running status",
     "Running status is \"Starting\", \"Running\", \"Terminating\" or \"Unknown\"."},
    {Req::SessionInfoSubType, "VSM-6.4.8-SUB-OP-TYPE", "6.4.8", L::Format, S::Message, "known Session information item",
     "Session information Sub-OP-Types: 1 SIP URI, 2 Contact address, 3 ratio, "
     "4 number of sessions."},
    {Req::SessionInfoValue, "VSM-6.4.8-VALUE", "6.4.8", L::Profile, S::Message, "Session information value well formed",
     "SIP URI is text, Contact address 4 or 16 octets, ratio a decimal from 0 to 1, number of sessions a decimal "
     "integer."},
    {Req::SessionUnderstood, "VSM-6.4.8-UNDERSTOOD", "6.4.8", L::Must, S::Behaviour,
     "Session information understood by both sides",
     "The Session information value MUST be understood by both the manager and execution nodes."},
    {Req::VendorSubType, "VSM-6.4.9-SUB-OP-TYPE", "6.4.9", L::Format, S::Message,
     "known Vendor-specific information item", "Vendor-specific information Sub-OP-Types: 1 Information message."},
    {Req::VendorUnderstood, "VSM-6.4.9-UNDERSTOOD", "6.4.9", L::Must, S::Behaviour,
     "Vendor-specific information understood by both sides",
     "The Vendor-specific information value MUST be understood by both the Manager and Execution Nodes."},
    {Req::ValueEncoding, "VSM-6.4-ENCODING", "6.4", L::Profile, S::Message, "numeric item in the profile's encoding",
     "The profile encodes numeric information items as ASCII text; a binary big-endian value of 1, 2, 4 or 8 "
     "octets is accepted and reported."},
}};

constexpr bool catalogue_in_order() {
  for (std::size_t i = 0; i < kCatalogue.size(); ++i) {
    if (static_cast<std::size_t>(kCatalogue[i].req) != i) return false;
  }
  return true;
}
static_assert(catalogue_in_order(), "kCatalogue rows must follow the order of enum Req");

}  // namespace

std::span<const Requirement> catalogue() noexcept { return kCatalogue; }

const Requirement& requirement(Req r) noexcept {
  // Req::Count_ (the req of a default Finding) is not an entry: answer with a
  // sentinel instead of reading past the table.
  static constexpr Requirement kNone{Req::Count_,
                                     "VSM-0-NONE",
                                     "0",
                                     Level::Profile,
                                     Scope::NotObservable,
                                     "no requirement",
                                     "Not a requirement: the value of an empty finding."};
  const auto i = static_cast<std::size_t>(r);
  return i < kCatalogue.size() ? kCatalogue[i] : kNone;
}

const Requirement* find_requirement(std::string_view id) noexcept {
  for (const auto& r : kCatalogue) {
    if (r.id == id) return &r;
  }
  return nullptr;
}

std::string_view level_name(Level l) noexcept {
  switch (l) {
    case Level::Must: return "MUST";
    case Level::Should: return "SHOULD";
    case Level::Format: return "FORMAT";
    case Level::Profile: return "PROFILE";
  }
  return "?";
}

std::string_view severity_name(Severity s) noexcept {
  switch (s) {
    case Severity::Note: return "note";
    case Severity::Warning: return "warning";
    case Severity::Error: return "error";
  }
  return "?";
}

std::string_view scope_name(Scope s) noexcept {
  switch (s) {
    case Scope::Message: return "message";
    case Scope::Exchange: return "exchange";
    case Scope::Behaviour: return "behaviour";
    case Scope::NotObservable: return "not observable";
  }
  return "?";
}

Severity severity_of(Req r) noexcept {
  switch (r) {
    case Req::LengthLiteral:
    case Req::ValueEncoding: return Severity::Note;
    case Req::OptionKnown:
    case Req::NodeInfoSubType:
    case Req::FunctionInfoSubType:
    case Req::SessionInfoSubType:
    case Req::VendorSubType:
    case Req::SeqIncrement: return Severity::Warning;
    default: break;
  }
  return requirement(r).level == Level::Should ? Severity::Warning : Severity::Error;
}

}  // namespace vsm
