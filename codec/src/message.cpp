// SPDX-License-Identifier: GPL-2.0-or-later
#include "vsm/message.hpp"

#include <algorithm>

namespace vsm {
namespace {

void put16(std::vector<std::uint8_t>& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v));
}
void put32(std::vector<std::uint8_t>& out, std::uint32_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 24));
  out.push_back(static_cast<std::uint8_t>(v >> 16));
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v));
}
std::vector<std::uint8_t> be32_bytes(std::uint32_t v) {
  std::vector<std::uint8_t> out;
  out.reserve(4);
  put32(out, v);
  return out;
}

}  // namespace

Option Option::node_id(std::uint32_t id) { return {u8(OptType::NodeId), 0, be32_bytes(id), {}}; }
Option Option::function_id(std::uint32_t id) { return {u8(OptType::FunctionId), 0, be32_bytes(id), {}}; }
Option Option::ipv4(std::array<std::uint8_t, 4> addr) { return {u8(OptType::IPv4), 0, {addr.begin(), addr.end()}, {}}; }
Option Option::ipv6(const std::array<std::uint8_t, 16>& addr) {
  return {u8(OptType::IPv6), 0, {addr.begin(), addr.end()}, {}};
}
Option Option::port(std::uint16_t port) {
  return {u8(OptType::Port), 0, {static_cast<std::uint8_t>(port >> 8), static_cast<std::uint8_t>(port)}, {}};
}
Option Option::text(OptType type, std::uint8_t sub, std::string_view t) {
  return {u8(type), sub, {t.begin(), t.end()}, {}};
}
Option Option::ntp(OptType type, std::uint8_t sub, NtpTime t) {
  Option o{u8(type), sub, {}, {}};
  o.value.reserve(8);
  put32(o.value, t.seconds);
  put32(o.value, t.fraction);
  return o;
}
Option Option::empty(OptType type, std::uint8_t sub) { return {u8(type), sub, {}, {}}; }
Option Option::raw(std::uint8_t type, std::uint8_t sub, std::span<const std::uint8_t> value) {
  return {type, sub, {value.begin(), value.end()}, {}};
}

static std::optional<std::uint32_t> value32(const Option& o) {
  if (o.value.size() != 4) return std::nullopt;
  return (std::uint32_t{o.value[0]} << 24) | (std::uint32_t{o.value[1]} << 16) | (std::uint32_t{o.value[2]} << 8) |
         o.value[3];
}

std::optional<std::uint32_t> Message::node_id(unsigned index) const {
  for (const auto& o : options) {
    if (o.type == u8(OptType::NodeId) && o.value.size() == 4) {
      if (index == 0) return value32(o);
      --index;
    }
  }
  return std::nullopt;
}

std::optional<std::uint32_t> Message::function_id() const {
  const Option* o = find(OptType::FunctionId);
  return o ? value32(*o) : std::nullopt;
}

const Option* Message::find(OptType t, std::optional<std::uint8_t> sub) const {
  for (const auto& o : options) {
    if (o.type == u8(t) && (!sub || o.subtype == *sub)) return &o;
  }
  return nullptr;
}

std::size_t Message::encoded_size() const {
  std::size_t n = kHeaderSize;
  for (const auto& o : options) n += kOptionHeaderSize + o.value.size();
  return n;
}

std::string_view describe(EncodeError e) noexcept {
  switch (e) {
    case EncodeError::TooLarge: return "message longer than its Length field can describe";
    case EncodeError::OptionTooLarge: return "option value longer than its Length field can describe";
  }
  return "cannot encode";
}

std::optional<EncodeError> Message::encode_error(LengthConvention c) const {
  for (const auto& o : options) {
    if (!o.length_override && o.value.size() > kMaxOptionValue) return EncodeError::OptionTooLarge;
  }
  if (!length_override && encoded_size() > max_message_size(c)) return EncodeError::TooLarge;
  return std::nullopt;
}

std::optional<EncodeError> Message::encode_to(std::vector<std::uint8_t>& out, LengthConvention c) const {
  if (auto e = encode_error(c)) return e;
  const std::size_t total = encoded_size();
  // Grow geometrically: a reserve of exactly what one more message needs
  // would copy the whole buffer for every message appended to it.
  if (out.capacity() - out.size() < total) out.reserve(std::max(out.size() + total, 2 * out.capacity()));
  out.push_back(type);
  out.push_back(subtype);
  put16(out, length_override ? *length_override : length_field_for(total, c));
  out.push_back(code);
  out.push_back(static_cast<std::uint8_t>(seq >> 16));
  out.push_back(static_cast<std::uint8_t>(seq >> 8));
  out.push_back(static_cast<std::uint8_t>(seq));
  for (const auto& o : options) {
    out.push_back(o.type);
    out.push_back(o.subtype);
    put16(out, o.length_override ? *o.length_override : static_cast<std::uint16_t>(o.value.size()));
    out.insert(out.end(), o.value.begin(), o.value.end());
  }
  return std::nullopt;
}

Encoded Message::encode(LengthConvention c) const {
  std::vector<std::uint8_t> out;
  if (auto e = encode_to(out, c)) return Encoded(*e, encoded_size());
  return Encoded(std::move(out));
}

Message Message::from(const MessageView& view) {
  Message m;
  m.type = view.header.type;
  m.subtype = view.header.subtype;
  m.code = view.header.code;
  m.seq = view.header.seq;
  for (const OptionView o : view.options()) m.add(Option::raw(o.type, o.subtype, o.value));
  return m;
}

static Message with_node(MsgType t, std::uint32_t seq, std::uint32_t node_id, std::uint8_t sub = 0) {
  Message m(t, seq, sub);
  m.add(Option::node_id(node_id));
  return m;
}

Message registration(std::uint32_t seq, std::uint32_t node_id) {
  return with_node(MsgType::Registration, seq, node_id);
}
Message keep_alive(std::uint32_t seq, std::uint32_t node_id) { return with_node(MsgType::KeepAlive, seq, node_id); }
Message status_update(std::uint32_t seq, std::uint32_t node_id) {
  return with_node(MsgType::StatusUpdate, seq, node_id);
}
Message deregistration(std::uint32_t seq, std::uint32_t node_id) {
  return with_node(MsgType::Deregistration, seq, node_id);
}
Message operation(Operation op, std::uint32_t seq, std::uint32_t node_id) {
  return with_node(MsgType::Operation, seq, node_id, u8(op));
}
Message get(std::uint32_t seq, std::uint32_t node_id, std::uint32_t function_id) {
  Message m = operation(Operation::Get, seq, node_id);
  m.add(Option::function_id(function_id));
  return m;
}
Message add_function(std::uint32_t seq, std::uint32_t node_id, std::uint32_t function_id) {
  Message m = operation(Operation::Add, seq, node_id);
  m.add(Option::function_id(function_id));
  return m;
}
Message delete_function(std::uint32_t seq, std::uint32_t node_id, std::uint32_t function_id) {
  Message m = operation(Operation::Delete, seq, node_id);
  m.add(Option::function_id(function_id));
  return m;
}
Message transfer(Operation op, std::uint32_t seq, std::uint32_t src, std::uint32_t dst, std::uint32_t function_id) {
  Message m = operation(op, seq, src);
  m.add(Option::node_id(dst));
  m.add(Option::function_id(function_id));
  return m;
}
Message move_session(std::uint32_t seq, std::uint32_t src, std::uint32_t dst) {
  Message m = operation(Operation::MoveSession, seq, src);
  m.add(Option::node_id(dst));
  return m;
}
Message error_message(std::uint32_t seq, ResultCode code, std::string_view text) {
  Message m(MsgType::Error, seq);
  m.code = u8(code);
  m.add(Option::vendor_info(text));
  return m;
}
Message ack_for(const Header& request, ResultCode code, std::uint32_t node_id) {
  // Sub-Type is defined only for Operation and Ack (6.1): copying an undefined one would echo garbage.
  Message m(MsgType::Ack, request.seq, carries_operation(request.type) ? request.subtype : 0);
  m.code = u8(code);
  m.add(Option::node_id(node_id));
  return m;
}

}  // namespace vsm
