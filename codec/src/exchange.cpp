// SPDX-License-Identifier: GPL-2.0-or-later
#include "vsm/exchange.hpp"

#include <array>

namespace vsm {

static_assert(kNodeInfo.size() + kFunctionInfo.size() + kSessionInfo.size() <= 32,
              "information items must fit the wanted_items mask");

namespace {

// Bit of each information item, by option type (Node, Function, Session
// information) and Sub-OP-Type, numbered in dictionary order.
constexpr std::array<std::array<std::uint32_t, 256>, 3> kInfoBits = [] {
  std::array<std::array<std::uint32_t, 256>, 3> bits{};
  std::uint32_t n = 0;
  for (const auto& opt : kOptions) {
    if (opt.type < u8(OptType::NodeInfo) || opt.type > u8(OptType::SessionInfo)) continue;
    for (const auto& s : opt.subs) bits[opt.type - u8(OptType::NodeInfo)][s.sub] = 1u << n++;
  }
  return bits;
}();

}  // namespace

std::uint32_t info_item_bit(std::uint8_t type, std::uint8_t sub) noexcept {
  if (type < u8(OptType::NodeInfo) || type > u8(OptType::SessionInfo)) return 0;
  return kInfoBits[type - u8(OptType::NodeInfo)][sub];
}

EarlierFinding ExchangeTracker::unacked(const PendingRequest& p, std::size_t dir, EarlierFinding::Why why,
                                        const char* text) noexcept {
  return EarlierFinding{
      Finding{Req::AckEveryMessage, 0, 0, p.seq, p.type, p.id, text}, p.id, static_cast<Dir>(dir), p.seq, p.type, why};
}

void ExchangeTracker::on_message(const MessageView& m, Dir dir, double time, std::uint64_t id, ExchangeResult& r) {
  r.request.reset();
  r.response_time = 0;
  r.earlier.clear();
  // A message of unknown type still carries a sequence number and is answered
  // (with Code 128): it is tracked like any other non-ACK message.
  if (!m.has_header() || m.error.code == DecodeErrc::LengthTooSmall) return;
  const std::size_t d = idx(dir);
  const std::uint8_t type = m.header.type;
  const Role expected = sender_role(type);
  // A message already reported for its sender or its place (wrong role, not
  // the Registration that comes first) is not judged by the state rules too.
  bool judged = false;
  if (expected != Role::Unknown) {
    if (roles_[d] == Role::Unknown) {
      roles_[d] = expected;
      roles_[1 - d] = opposite(expected);
    } else if (roles_[d] != expected) {
      r.findings.add(Finding{Req::Role, off::kType, 1, type, static_cast<std::uint32_t>(roles_[d]), 0,
                             "message type not sent by this role"});
      judged = true;
    }
  }
  // The node may have to ACK a manager that spoke first: only its own first
  // message that is not an ACK must be the Registration.
  if (type != u8(MsgType::Ack) && !first_request_seen_[d]) {
    first_request_seen_[d] = true;
    if (cfg_.saw_connection_start && roles_[d] == Role::Node && type != u8(MsgType::Registration)) {
      r.findings.add(Req::RegisterFirst, off::kType, 1, "Execution Node's first message is not a Registration", type);
      judged = true;
    }
  }
  if (type == u8(MsgType::Ack)) {
    on_ack(m, dir, time, r);
  } else {
    if (!judged) check_state(type, d, id, r);
    on_request(m, dir, time, id, r);
  }
}

// PROFILE.md, "Registration state". Each side's messages are judged in the
// order it sent them, so a request that crosses the other side's
// De-registration on the wire is not that side's fault; a request that
// follows its own message (its own Registration ACK, its own De-registration
// or the ACK of the peer's) is.
void ExchangeTracker::check_state(std::uint8_t type, std::size_t d, std::uint64_t id, ExchangeResult& r) noexcept {
  // ACKs, the Error message and unknown types may come in any state.
  if (type < u8(MsgType::Registration) || type > u8(MsgType::Deregistration)) return;
  const auto flag = [&](Req req, std::uint64_t ref, const char* text) {
    r.findings.add(Finding{req, off::kType, 1, type, static_cast<std::uint32_t>(roles_[d]), ref, text});
  };
  const bool reg = type == u8(MsgType::Registration);
  const bool dereg = type == u8(MsgType::Deregistration);
  switch (reg_) {
    case RegState::Unknown:
      // Mid-connection: a Registration or a De-registration says where it is only once ACKed (or begins one).
      if (dereg) {
        reg_ = RegState::Deregistering;
        dereg_dir_ = static_cast<std::uint8_t>(d);
        dereg_ref_ = id;
      }
      return;
    case RegState::None:
      if (reg) {
        reg_ = RegState::Pending;
        reg_ref_ = id;
      } else {
        flag(Req::Registered, reg_ref_, "request on a connection whose node is not registered");
      }
      return;
    case RegState::Pending:
      // A repeated Registration is a retry of the one waiting (after the node's ACK timer): not a second one.
      if (!reg) flag(Req::Registered, reg_ref_, "request before the Registration was ACKed");
      return;
    case RegState::Registered:
      if (reg) {
        flag(Req::RegisterOnce, reg_ref_, "Registration from a node already registered on this connection");
      } else if (dereg) {
        reg_ = RegState::Deregistering;
        dereg_dir_ = static_cast<std::uint8_t>(d);
        dereg_ref_ = id;
      }
      return;
    case RegState::Deregistering:
      // The other side may not have seen the De-registration yet: only its sender is judged.
      if (d == dereg_dir_) flag(Req::Deregistered, dereg_ref_, "request after its own De-registration");
      return;
    case RegState::Deregistered:
      flag(Req::Deregistered, dereg_ref_, "request after the De-registration was ACKed");
      return;
  }
}

void ExchangeTracker::on_state_ack(const PendingRequest& p, std::uint8_t code) noexcept {
  const bool ok = code == u8(ResultCode::Successful);
  if (p.type == u8(MsgType::Registration)) {
    // The manager's answer decides, whatever came before (a Registration that
    // broke a state rule was reported once, on itself).
    if (ok && reg_ != RegState::Deregistering) {
      reg_ = RegState::Registered;
      reg_ref_ = p.id;
    } else if (!ok && reg_ == RegState::Pending) {
      reg_ = RegState::None;  // refused: the node may register again
      reg_ref_ = p.id;
    }
  } else if (reg_ == RegState::Deregistering) {
    // (A De-registration sent while not registered was reported on itself and changes nothing.)
    if (ok) {
      reg_ = RegState::Deregistered;
      dereg_ref_ = p.id;
    } else {
      reg_ = RegState::Registered;  // refused: the registration stands
    }
  }
}

void ExchangeTracker::on_request(const MessageView& m, Dir dir, double time, std::uint64_t id, ExchangeResult& r) {
  const std::size_t d = idx(dir);
  const Header& h = m.header;
  bool repeated = false;
  if (last_seq_[d]) {
    if (h.seq == *last_seq_[d]) {
      repeated = true;
      r.findings.add(Req::SeqDuplicate, off::kSeq, 3, "sequence number repeated", h.seq);
    } else if (h.seq != ((*last_seq_[d] + 1) & kSeqMask)) {
      r.findings.add(Req::SeqIncrement, off::kSeq, 3, "sequence number did not increment by one",
                     (*last_seq_[d] + 1) & kSeqMask, h.seq);
    }
  }
  last_seq_[d] = h.seq;
  auto& pend = pending_[d];
  if (PendingRequest* it = pend.find(h.seq)) {
    if (!repeated) {
      r.findings.add(Finding{Req::SeqDuplicate, off::kSeq, 3, h.seq, 0, it->id,
                             "sequence number of a message still waiting for its ACK"});
    }
    // Its ACK can no longer be told from the new message's: it was never ACKed.
    r.earlier.add(unacked(*it, d, EarlierFinding::Why::Replaced,
                          "never ACKed: replaced by a message with the same sequence number"));
    pend.erase(it);
  }
  if (pend.size() >= cfg_.max_outstanding) {
    while (!order_[d].empty()) {
      auto [seq, oid] = order_[d].front();
      order_[d].pop_front();
      PendingRequest* it = pend.find(seq);
      if (it != nullptr && it->id == oid) {
        r.earlier.add(unacked(*it, d, EarlierFinding::Why::Dropped,
                              "dropped from tracking: too many messages waiting for an ACK"));
        pend.erase(it);
        break;
      }
    }
  }

  PendingRequest p;
  p.id = id;
  p.time = time;
  p.seq = h.seq;
  p.type = h.type;
  p.subtype = h.subtype;
  if (auto f = m.function_id()) {
    p.has_function_id = true;
    p.function_id = *f;
  }
  const bool is_op = h.type == u8(MsgType::Operation);
  if (is_op && h.subtype == u8(Operation::Get)) {
    for (const OptionView o : m.options()) p.wanted_items |= info_item_bit(o.type, o.subtype);
  }
  if (h.type == u8(MsgType::Registration) && !node_id_) {
    if (auto n = m.node_id(); n && *n != 0) node_id_ = *n;
  }
  if (is_op && node_id_) {
    const OperationRules* rules = operation_rules(h.subtype);
    if (rules && rules->two_nodes) {
      auto src = m.node_id(0);
      auto dst = m.node_id(1);
      // Second Node ID this node and no Port: the destination-first announcement
      // of the profile ("Transfers" in PROFILE.md), not a swapped pair.
      if (src && dst && *src != *node_id_ && *dst == *node_id_ && m.find(OptType::Port)) {
        r.findings.add(rules->order, 0, 0, "destination Node ID before source", *src, *dst);
      }
    }
  }
  pend.insert(p);
  order_[d].emplace_back(h.seq, id);
}

void ExchangeTracker::on_ack(const MessageView& m, Dir dir, double time, ExchangeResult& r) {
  const std::size_t d = idx(dir);
  const std::size_t req_dir = 1 - d;
  const Header& h = m.header;
  auto& pend = pending_[req_dir];
  PendingRequest* it = pend.find(h.seq);
  if (it == nullptr) {
    if (answered_[req_dir].contains(h.seq)) {
      r.findings.add(Req::AckUnsolicited, off::kSeq, 3, "repeated ACK of a message already ACKed", h.seq);
    } else if (acks_sent_[req_dir].contains(h.seq)) {
      r.findings.add(Req::AckNotAcked, off::kType, 1, "ACK answers an ACK", h.seq);
    } else if (!pend.empty()) {
      std::uint32_t oldest = 0;
      const ArrivalQueue& ord = order_[req_dir];
      for (std::size_t i = 0; i < ord.size(); ++i) {
        const PendingRequest* p = pend.find(ord[i].first);
        if (p != nullptr && p->id == ord[i].second) {
          oldest = ord[i].first;
          break;
        }
      }
      r.findings.add(Req::AckSeq, off::kSeq, 3, "ACK sequence number matches no message waiting for an ACK", h.seq,
                     oldest);
    } else {
      r.findings.add(Req::AckUnsolicited, off::kSeq, 3, "ACK without a message waiting for it", h.seq);
    }
  } else {
    const PendingRequest p = *it;
    pend.erase(it);
    answered_[req_dir].add(h.seq);
    r.request = p;
    r.response_time = time - p.time;
    // A Type without Sub-Type (6.1) may be answered with Sub-Type 0 (what vsm::ack_for does) or a copy.
    if (h.subtype != p.subtype && (carries_operation(p.type) || h.subtype != 0)) {
      r.findings.add(Finding{Req::AckSubType, off::kSubType, 1, p.subtype, h.subtype, p.id, "Sub-Type not copied"});
    }
    if (p.type == u8(MsgType::Registration) || p.type == u8(MsgType::Deregistration)) on_state_ack(p, h.code);
    if (p.type == u8(MsgType::Registration) && h.code == u8(ResultCode::Successful)) {
      auto n = m.node_id();
      if ((!n || *n == 0) && !m.cut()) {
        r.findings.add(Finding{Req::NodeIdAssigned, 0, 0, 0, 0, p.id, "Registration ACK assigns no Node ID"});
      } else {
        node_id_ = *n;
      }
    }
    if (p.type == u8(MsgType::Operation) && p.subtype == u8(Operation::MoveSession) && p.has_function_id &&
        !m.function_id() && !m.cut()) {
      r.findings.add(Finding{Req::MoveSessionAckOptions, 0, 0, p.function_id, 0, p.id,
                             "Function ID of the command missing from the ACK"});
    }
    if (p.wanted_items != 0 && h.code == u8(ResultCode::Successful) && !m.cut()) {
      std::uint32_t got = 0;
      for (const OptionView o : m.options()) {
        if (o.length != 0) got |= info_item_bit(o.type, o.subtype);
      }
      const std::uint32_t missing = p.wanted_items & ~got;
      if (missing != 0) {
        r.findings.add(Finding{Req::GetAckValues, 0, 0, missing, 0, p.id, "requested item missing from the GET ACK"});
      }
    }
    // Drop stale entries at the front of the expiry queue.
    auto& ord = order_[req_dir];
    while (!ord.empty()) {
      const PendingRequest* f = pend.find(ord.front().first);
      if (f != nullptr && f->id == ord.front().second) break;
      ord.pop_front();
    }
  }
  acks_sent_[d].add(h.seq);
}

void ExchangeTracker::expire(double now, std::vector<EarlierFinding>& out) {
  for (std::size_t d = 0; d < 2; ++d) {
    auto& ord = order_[d];
    auto& pend = pending_[d];
    while (!ord.empty()) {
      PendingRequest* it = pend.find(ord.front().first);
      if (it == nullptr || it->id != ord.front().second) {
        ord.pop_front();
        continue;
      }
      if (now - it->time <= cfg_.ack_timeout) break;
      out.push_back(unacked(*it, d, EarlierFinding::Why::Timer, "no ACK within the ACK timer"));
      pend.erase(it);
      ord.pop_front();
    }
  }
}

void ExchangeTracker::finish(std::vector<EarlierFinding>& out) {
  for (std::size_t d = 0; d < 2; ++d) {
    const ArrivalQueue& ord = order_[d];
    for (std::size_t i = 0; i < ord.size(); ++i) {
      const PendingRequest* it = pending_[d].find(ord[i].first);
      if (it != nullptr && it->id == ord[i].second)
        out.push_back(unacked(*it, d, EarlierFinding::Why::End, "never ACKed"));
    }
    pending_[d].clear();
    order_[d].clear();
  }
}

}  // namespace vsm
