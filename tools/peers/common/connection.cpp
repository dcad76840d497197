// SPDX-License-Identifier: GPL-2.0-or-later
#include "connection.hpp"

#include <algorithm>

#include "log.hpp"
#include "vsm/rules.hpp"
#include "vsm/text.hpp"

namespace vsm::peers {
namespace {

io::IoConfig io_config(const ConnConfig& cfg) {
  io::IoConfig c;
  c.session.local_role = cfg.local_role;
  c.session.initiator = cfg.local_role == Role::Node;  // the Execution Node is the TCP client (PROFILE.md, Roles)
  c.session.convention = cfg.convention;
  c.session.max_pdu = cfg.max_pdu;
  c.session.ack_timeout = cfg.ack_timeout;
  c.sctp = cfg.sctp;
  return c;
}

// Applies the option-level request faults shared by both peers.
void mutate_options(Message& m, const FaultSet& f) {
  if (f.has(Fault::NodeIdSubOpType) || f.has(Fault::ShortNodeId)) {
    for (auto& o : m.options) {
      if (o.type != u8(OptType::NodeId)) continue;
      if (f.has(Fault::NodeIdSubOpType)) o.subtype = 1;
      if (f.has(Fault::ShortNodeId) && o.value.size() > 2) o.value.erase(o.value.begin(), o.value.begin() + 2);
      break;
    }
  }
  if (f.has(Fault::UnknownOption)) {
    const std::uint8_t v[] = {'x'};
    m.add(Option::raw(99, 0, v));
  }
  if (f.has(Fault::OptionOverrun) && !m.options.empty()) {
    auto& last = m.options.back();
    last.length_override = static_cast<std::uint16_t>(last.value.size() + 8);
  }
}

}  // namespace

const Finding* refusing_finding(const FindingList& fl) noexcept {
  for (const Finding& f : fl) {
    if (f.severity() != Severity::Error) continue;
    if (f.req == Req::SubTypeZero || f.req == Req::CodeZero || f.req == Req::SubOpTypeZero) continue;
    return &f;
  }
  return nullptr;
}

Connection::Connection(tcp::socket socket, const ConnConfig& cfg, std::string label)
    : cfg_(cfg), label_(std::move(label)), io_(std::make_shared<io::SessionIo>(std::move(socket), io_config(cfg))) {}

// The handlers hold this object until the adapter reports the close (and lets them go).
void Connection::start(MessageHandler on_message, CloseHandler on_close) {
  on_message_ = std::move(on_message);
  on_close_ = std::move(on_close);
  auto self = shared_from_this();
  io_->start({[self](const SessionEvent& e) { self->handle(e, nullptr); },
              [self](const EarlierFinding& f) { self->log_earlier(f); },
              [self](const std::string& reason) {
                auto cb = std::move(self->on_close_);
                self->on_message_ = nullptr;
                if (cb) cb(reason);
              }});
}

// Our request unanswered: the peer broke the rule; the peer's unanswered: we
// did. A request replaced by one with its sequence number: its sender did.
void Connection::log_earlier(const EarlierFinding& f) {
  if (f.why == EarlierFinding::Why::End) {
    info("{} unanswered at close: {}", label_, describe(f.finding));
    return;
  }
  const bool ours = f.dir == io_->session().local_dir();
  const bool peer_broke = f.why == EarlierFinding::Why::Replaced ? !ours : ours;
  warn("{} {}-finding {}", label_, peer_broke ? "peer" : "self", describe(f.finding));
}

void Connection::handle(const SessionEvent& e, const AckHandler* on_ack) {
  if (e.kind == EventKind::EndedInsideMessage) {
    info("{} closed inside a message: {} octet(s) at stream offset {} never completed", label_, e.message.bytes.size(),
         e.stream_offset);
    return;
  }
  if (e.kind == EventKind::FramingError) {
    impossible_length(e.stream_offset, e.error, e.declared);
    return;
  }
  const MessageView& m = e.message;
  if (m.error.code == DecodeErrc::LengthTooSmall) {
    // Over SCTP the chunk ends such a message: answered as the stream's framing error.
    impossible_length(e.stream_offset, errc_name(m.error.code), m.header.length);
    return;
  }
  if (log_enabled(LogLevel::Debug)) debug("{} <- {}", label_, summarize(m));
  for (const Finding& f : e.findings) warn("{} peer-finding {}", label_, describe(f));
  for (const EarlierFinding& f : e.earlier) log_earlier(f);
  // The chain fits only under the other length convention: the framing cannot be trusted any more.
  const bool framing_lost = m.error && m.other_convention_fits;
  if (on_ack != nullptr) {
    if (*on_ack) (*on_ack)(&m);
  } else if (!(m.is_ack() && e.request) && on_message_ && is_open()) {
    // A request, or an ACK that answers none of ours: with the message's own findings (the tracker's are logged).
    FindingList own;
    for (std::size_t i = 0; i < e.message_findings; ++i) own.add(e.findings[i]);
    on_message_(m, own);
  }
  if (m.is_ack() && cfg_.faults.has(Fault::AckAnAck) && is_open()) {
    send_ack(ack_for(m.header, ResultCode::Successful, node_id_));
  }
  if (framing_lost && is_open()) {
    error("{} framing lost: the peer's Length field fits only the other length convention [{}]; closing", label_,
          requirement(Req::LengthLiteral).id);
    close("framing lost");
  }
}

// A Length smaller than the header (or, at the close, a stream ended inside a message).
void Connection::impossible_length(std::uint64_t offset, std::string_view what, std::uint32_t declared) {
  if (!is_open()) {
    info("{} the connection ended inside a message at stream offset {}", label_, offset);
    return;
  }
  error("{} impossible length at stream offset {} [{}]: {} (announces {}); closing", label_, offset,
        requirement(Req::Length).id, what, declared);
  // No sequence number of the peer's can be trusted here: say so with an Error message, then close.
  sent(io_->send(error_message(0, ResultCode::Failed, "Protocol error: impossible Length")));
  close("impossible length");
}

// What every request and ACK of ours goes through: the literal-length fault
// writes the Length field as total - 3.
void Connection::prepare(Message& m) {
  if (cfg_.faults.has(Fault::LiteralLength) && !m.length_override && m.fits(LengthConvention::Literal3)) {
    m.length_override = length_field_for(m.encoded_size(), LengthConvention::Literal3);
  }
  spoil_once(m);
}

// length-too-small: the first message after registration, whatever it is, gets Length 2.
void Connection::spoil_once(Message& m) {
  if (cfg_.faults.has(Fault::LengthTooSmall) && registered_ && !length_fault_done_) {
    length_fault_done_ = true;
    m.length_override = 2;
  }
}

// Our own traffic went through the same rules and tracker as the peer's.
void Connection::sent(const Sent& s) {
  if (s.error) {
    error("{} not sent [{}]: a message of {} octets exceeds the {} a VSM message can carry ({})", label_,
          requirement(Req::Length).id, s.size, max_message_size(cfg_.convention), describe(*s.error));
    return;
  }
  if (log_enabled(LogLevel::Debug) && !s.bytes.empty()) {
    debug("{} -> {}", label_, summarize(decode(s.bytes, cfg_.convention)));
  }
  for (const Finding& f : s.findings) warn("{} self-finding {}", label_, describe(f));
  for (const EarlierFinding& f : s.earlier) log_earlier(f);
}

std::uint32_t Connection::send_request(Message m, AckHandler on_ack) {
  const FaultSet& f = cfg_.faults;
  SeqMode mode = SeqMode::Assign;
  if (last_seq_ && (f.has(Fault::SeqReused) || f.has(Fault::SeqNotIncrementing))) {
    mode = SeqMode::AsGiven;
    m.seq = f.has(Fault::SeqReused) ? *last_seq_ : next_seq(next_seq(*last_seq_));
  }
  if (f.has(Fault::NonzeroCodeRequest)) m.code = u8(ResultCode::Failed);
  mutate_options(m, f);
  prepare(m);
  io::SessionIo::AckHandler wrapped;
  if (on_ack) {
    wrapped = [self = shared_from_this(), on_ack = std::move(on_ack)](const SessionEvent* e) {
      if (e == nullptr) {
        on_ack(nullptr);
      } else {
        self->handle(*e, &on_ack);
      }
    };
  }
  const Sent& s = io_->send(std::move(m), std::move(wrapped), mode);
  sent(s);
  if (s.error) return 0;
  last_seq_ = s.seq;
  return s.seq;
}

void Connection::send_ack(Message ack) {
  const FaultSet& f = cfg_.faults;
  if (f.has(Fault::AckWrongSeq)) ack.seq = next_seq(ack.seq);
  if (f.has(Fault::AckSubtypeNotCopied)) {
    // Another operation of the dictionary than the one the request carried.
    const auto ops = static_cast<std::uint8_t>(kOperations.size());
    ack.subtype = ack.subtype == 0 ? u8(Operation::Get) : static_cast<std::uint8_t>(ack.subtype % ops + 1);
  }
  if (f.has(Fault::AckMissingNodeId)) {
    std::erase_if(ack.options, [](const Option& o) { return o.type == u8(OptType::NodeId); });
  }
  if (f.has(Fault::AckUnknownCode) && ack.code == 0) ack.code = 7;
  prepare(ack);
  sent(io_->send(std::move(ack)));
}

void Connection::send_exact(const Message& msg, LengthConvention c) {
  Message m = msg;
  spoil_once(m);
  Encoded e = m.encode(c);
  if (!e) {
    Sent refused;
    refused.error = e.error();
    refused.size = e.size();
    sent(refused);
    return;
  }
  sent(io_->send_bytes(std::move(e).value()));
}

}  // namespace vsm::peers
