// SPDX-License-Identifier: GPL-2.0-or-later
#include "vsm/rules.hpp"

namespace vsm {
namespace {

//                      op  mandatory                   ack options                  order             fid  ackfid two
//                      sess  list
constexpr std::array kOperationRules{
    OperationRules{1, Req::GetMandatory, Req::GetAckOptions, Req::Count_, true, true, false, false, true},
    OperationRules{2, Req::AddMandatory, Req::AddAckOptions, Req::Count_, true, true, false, false, false},
    OperationRules{3, Req::DeleteMandatory, Req::DeleteAckOptions, Req::Count_, true, true, false, false, false},
    OperationRules{4, Req::MoveMandatory, Req::MoveAckOptions, Req::MoveOrder, true, true, true, false, false},
    OperationRules{5, Req::CopyMandatory, Req::CopyAckOptions, Req::CopyOrder, true, true, true, false, false},
    OperationRules{6, Req::MoveSessionMandatory, Req::MoveSessionAckOptions, Req::MoveSessionOrder, false, false, true,
                   true, false},
};

bool is_info(std::uint8_t type) noexcept {
  return type == u8(OptType::NodeInfo) || type == u8(OptType::FunctionInfo) || type == u8(OptType::SessionInfo);
}

Req sub_type_requirement(std::uint8_t type) noexcept {
  switch (static_cast<OptType>(type)) {
    case OptType::NodeInfo: return Req::NodeInfoSubType;
    case OptType::FunctionInfo: return Req::FunctionInfoSubType;
    case OptType::SessionInfo: return Req::SessionInfoSubType;
    case OptType::VendorInfo: return Req::VendorSubType;
    default: return Req::SubOpTypeZero;
  }
}

Req value_requirement(std::uint8_t type) noexcept {
  switch (static_cast<OptType>(type)) {
    case OptType::NodeInfo: return Req::NodeInfoValue;
    case OptType::FunctionInfo: return Req::FunctionInfoValue;
    default: return Req::SessionInfoValue;
  }
}

// The shapes of ASCII number text that need no conversion to be judged:
// digits only (at most 19, so any fits 64 bits), or digits with one dot
// inside. Anything else is left to OptionView::numeric(). Typical traffic
// is all of the first kind, and converting it was most of checking it.
enum class Digits : std::uint8_t { Integer, Decimal, Other };
Digits digits_shape(Bytes v) noexcept {
  if (v.empty() || v.size() > 64) return Digits::Other;
  unsigned dots = 0;
  for (const std::uint8_t c : v) {
    if (c == '.') {
      ++dots;
    } else if (c < '0' || c > '9') {
      return Digits::Other;
    }
  }
  if (dots == 0) return v.size() <= 19 ? Digits::Integer : Digits::Other;
  if (dots == 1 && v.front() != '.' && v.back() != '.') return Digits::Decimal;
  return Digits::Other;
}

constexpr std::array<bool, 256> kKnownCodes = [] {
  std::array<bool, 256> known{};
  for (const Named& n : kResultCodes) known[n.value] = true;
  return known;
}();

void check_value(const OptionView& o, const SubOptionSpec& spec, FindingList& out) noexcept {
  const Req req = value_requirement(o.type);
  const std::uint32_t at = o.value_offset();
  switch (spec.kind) {
    case ValueKind::Text: return;
    case ValueKind::Integer:
    case ValueKind::Decimal: {
      const bool ratio = o.type == u8(OptType::SessionInfo) && o.subtype == session_info::Ratio;
      const Digits shape = ratio ? Digits::Other : digits_shape(o.value);
      if (shape == Digits::Integer || (shape == Digits::Decimal && spec.kind == ValueKind::Decimal)) return;
      const Numeric n = o.numeric();
      if (n.encoding == Numeric::Encoding::Invalid) {
        out.add(req, at, o.length, "value is not a number");
      } else if (n.encoding == Numeric::Encoding::Binary) {
        out.add(Req::ValueEncoding, at, o.length, "binary number where the profile uses ASCII text", o.length);
      } else if (spec.kind == ValueKind::Integer && !n.integral) {
        out.add(req, at, o.length, "value is not a whole number");
      } else if (ratio && (n.number < 0 || n.number > 1)) {
        out.add(req, at, o.length, "ratio outside 0..1");
      }
      return;
    }
    case ValueKind::NtpTime:
      if (o.length != 8) out.add(req, at, o.length, "Boot time is not an 8-octet NTP timestamp", 8, o.length);
      return;
    case ValueKind::Address:
      if (o.length != 4 && o.length != 16) {
        out.add(req, at, o.length, "contact address is neither 4 nor 16 octets", o.length);
      }
      return;
    case ValueKind::RunningStatus:
      for (std::string_view s : kRunningStatuses) {
        if (o.text() == s) return;
      }
      out.add(Req::RunningStatusValue, at, o.length, "unknown Running status text");
      return;
  }
}

// What the mandatory-option rules need to know, gathered in the same pass.
// Counted through a table by OP-Type rather than a switch: the option types
// of a message vary from one option to the next, and a jump per option is
// what costs most in checking typical traffic.
struct Counts {
  enum : std::uint8_t { kNode = 1, kFunction = 2, kSession = 4, kInfo = 8 };
  static constexpr std::array<std::uint8_t, 256> kBits = [] {
    std::array<std::uint8_t, 256> b{};
    b[u8(OptType::NodeId)] = kNode;
    b[u8(OptType::FunctionId)] = kFunction;
    b[u8(OptType::SessionInfo)] = kSession | kInfo;
    b[u8(OptType::NodeInfo)] = kInfo;
    b[u8(OptType::FunctionInfo)] = kInfo;
    return b;
  }();
  unsigned node_ids = 0, function_ids = 0, sessions = 0, info_items = 0, running = 0, vendor = 0;
  void count(const OptionView& o) noexcept {
    const unsigned bits = kBits[o.type];
    node_ids += bits & kNode;
    function_ids += (bits >> 1) & 1;
    sessions += (bits >> 2) & 1;
    info_items += (bits >> 3) & 1;
    running += o.type == u8(OptType::FunctionInfo) && o.subtype == function_info::RunningStatus;
    vendor += o.type == u8(OptType::VendorInfo) && o.subtype == vendor_info::Message;
  }
};

Counts check_options(const MessageView& m, bool get_request, bool get_ack, FindingList& out) noexcept {
  Counts counts;
  for (const OptionView o : m.options()) {
    counts.count(o);
    const OptionSpec* spec = o.type != 0 && o.type <= kOptions.size() ? &kOptions[o.type - 1] : nullptr;
    if (!spec) {
      out.add(Req::OptionKnown, o.offset, o.total_size(), "unknown OP-Type skipped", o.type);
      continue;
    }
    if (spec->fixed_length != 0) {
      if (o.subtype != 0) {
        out.add(Req::SubOpTypeZero, o.offset + off::kOptSubType, 1, "Sub-OP-Type not zero", o.subtype);
      }
      if (o.length != spec->fixed_length) {
        out.add(fixed_length_requirement(o.type), o.offset + off::kOptLength, 2, "option Length wrong",
                spec->fixed_length, o.length);
      }
      continue;
    }
    const SubOptionSpec* sub = sub_option_spec(o.type, o.subtype);
    if (!sub) {
      out.add(sub_type_requirement(o.type), o.offset + off::kOptSubType, 1, "unknown Sub-OP-Type", o.subtype);
      continue;
    }
    if (get_request && is_info(o.type)) {
      if (o.length != 0) out.add(Req::GetZeroValues, o.offset, o.total_size(), "GET item carries a value", o.length);
      continue;
    }
    if (get_ack && is_info(o.type) && o.length == 0) {
      out.add(Req::GetAckOptions, o.offset, o.total_size(), "GET ACK item has no value");
      continue;
    }
    if (o.type == u8(OptType::VendorInfo)) continue;
    check_value(o, *sub, out);
  }
  return counts;
}

void check_structure(const MessageView& m, FindingList& out) noexcept {
  const DecodeError& e = m.error;
  switch (e.code) {
    case DecodeErrc::None: return;
    case DecodeErrc::ShortHeader:
      out.add(Req::Length, 0, e.actual, "message shorter than the 8-octet header", e.expected, e.actual);
      return;
    case DecodeErrc::LengthTooSmall:
      out.add(Req::Length, off::kLength, 2, "Length field smaller than the header", e.expected, e.actual);
      return;
    case DecodeErrc::Truncated:
      out.add(Req::Length, off::kLength, 2, "message shorter than Length says", e.expected, e.actual);
      break;
    case DecodeErrc::TrailingBytes:
      out.add(Req::Length, off::kLength, 2, "message longer than Length says", e.expected, e.actual);
      break;
    case DecodeErrc::OptionHeader:
      out.add(Req::OptionLength, e.offset, e.actual, "option header cut short by the message end", e.expected,
              e.actual);
      break;
    case DecodeErrc::OptionOverrun:
      out.add(Req::OptionLength, e.offset, kOptionHeaderSize, "option value runs past the message end", e.expected,
              e.actual);
      break;
  }
  if (m.other_convention_fits) {
    out.add(Req::LengthLiteral, off::kLength, 2,
            m.convention == LengthConvention::Total4 ? "sender uses the literal length convention (total - 3)"
                                                     : "sender uses the profile length convention (total - 4)",
            m.header.length);
  }
}

}  // namespace

Severity FindingList::worst() const noexcept {
  Severity s = Severity::Note;
  for (const auto& f : *this) {
    if (f.severity() > s) s = f.severity();
  }
  return s;
}

const OperationRules* operation_rules(std::uint8_t op) noexcept {
  if (op == 0 || op > kOperationRules.size()) return nullptr;
  return &kOperationRules[op - 1];
}

Req node_id_requirement(std::uint8_t type) noexcept {
  switch (static_cast<MsgType>(type)) {
    case MsgType::Registration: return Req::RegistrationNodeId;
    case MsgType::KeepAlive: return Req::KeepAliveNodeId;
    case MsgType::Operation: return Req::OperationNodeId;
    case MsgType::StatusUpdate: return Req::StatusUpdateNodeId;
    case MsgType::Deregistration: return Req::DeregistrationNodeId;
    case MsgType::Ack: return Req::AckNodeId;
    default: return Req::Count_;
  }
}

Req fixed_length_requirement(std::uint8_t type) noexcept {
  switch (static_cast<OptType>(type)) {
    case OptType::IPv4: return Req::Ipv4Length;
    case OptType::IPv6: return Req::Ipv6Length;
    case OptType::Port: return Req::PortLength;
    case OptType::NodeId: return Req::NodeIdLength;
    case OptType::FunctionId: return Req::FunctionIdLength;
    default: return Req::Count_;
  }
}

void check_message(const MessageView& m, FindingList& out) noexcept {
  check_structure(m, out);
  if (!m.has_header() || m.error.code == DecodeErrc::LengthTooSmall) return;
  const Header& h = m.header;
  if (!is_known_type(h.type)) {
    out.add(Req::TypeKnown, off::kType, 1, "unknown message type", h.type);
    return;
  }
  const bool is_op = h.type == u8(MsgType::Operation);
  const bool is_ack = h.type == u8(MsgType::Ack);
  const bool is_error = h.type == u8(MsgType::Error);

  // Sub-Type (6.1)
  if (is_op) {
    if (!is_known_operation(h.subtype)) out.add(Req::OperationKnown, off::kSubType, 1, "unknown operation", h.subtype);
  } else if (is_ack) {
    if (h.subtype != 0 && !is_known_operation(h.subtype)) {
      out.add(Req::OperationKnown, off::kSubType, 1, "unknown operation", h.subtype);
    }
  } else if (h.subtype != 0) {
    out.add(Req::SubTypeZero, off::kSubType, 1, "Sub-Type not zero", h.subtype);
  }

  // Code (6.1, 6.2.6, profile Error)
  if (is_ack) {
    if (!kKnownCodes[h.code]) out.add(Req::AckCodeKnown, off::kCode, 1, "unknown result code", h.code);
  } else if (is_error) {
    if (h.code == 0 || !kKnownCodes[h.code]) {
      out.add(Req::ErrorContent, off::kCode, 1, "Error without a failure Code", h.code);
    }
  } else if (h.code != 0) {
    out.add(Req::CodeZero, off::kCode, 1, "Code not zero", h.code);
  }

  const OperationRules* rules = (is_op || is_ack) ? operation_rules(h.subtype) : nullptr;
  const bool get_request = is_op && h.subtype == u8(Operation::Get);
  const bool get_ack = is_ack && h.subtype == u8(Operation::Get);
  const Counts n = check_options(m, get_request, get_ack, out);
  // A message cut by the capture may carry its mandatory options in the part not captured.
  if (m.cut()) return;

  // Mandatory options (6.2, 6.3)
  const Req node_req = node_id_requirement(h.type);
  if (node_req != Req::Count_ && n.node_ids == 0) out.add(node_req, 0, 0, "Node ID option missing");
  if (is_error && n.vendor == 0) out.add(Req::ErrorContent, 0, 0, "Error without a Vendor-specific message");
  if (!rules) return;
  if (is_op) {
    if (rules->two_nodes && n.node_ids < 2) {
      out.add(rules->mandatory, 0, 0, "source or destination Node ID missing", 2, n.node_ids);
    }
    if (rules->function_id && n.function_ids == 0) out.add(rules->mandatory, 0, 0, "Function ID missing");
    if (rules->session_info && n.sessions == 0) out.add(rules->mandatory, 0, 0, "Session information missing");
    if (rules->info_list && n.info_items == 0) out.add(rules->mandatory, 0, 0, "no information item listed");
  } else {
    if (rules->two_nodes && rules->function_id && n.node_ids < 2) {
      out.add(rules->ack_options, 0, 0, "source or destination Node ID missing", 2, n.node_ids);
    }
    if (rules->ack_function_id && n.function_ids == 0) out.add(rules->ack_options, 0, 0, "Function ID missing");
    if (n.running == 0) out.add(rules->ack_options, 0, 0, "Running status missing");
  }
}

}  // namespace vsm
