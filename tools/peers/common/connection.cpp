// SPDX-License-Identifier: GPL-2.0-or-later
#include "connection.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>

#include "log.hpp"
#include "vsm/rules.hpp"
#include "vsm/text.hpp"

namespace vsm::peers {
namespace {

const auto kStart = std::chrono::steady_clock::now();

TrackerConfig tracker_config(const ConnConfig& cfg) {
  TrackerConfig t;
  t.ack_timeout = cfg.ack_timeout;
  t.initiator_role = Role::Node;  // the Execution Node is the TCP client (PROFILE.md, Roles)
  return t;
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

double now_seconds() { return std::chrono::duration<double>(std::chrono::steady_clock::now() - kStart).count(); }

Connection::Connection(tcp::socket socket, const ConnConfig& cfg, std::string label)
    : socket_(std::move(socket)),
      cfg_(cfg),
      label_(std::move(label)),
      framer_(cfg.convention, cfg.max_pdu),
      tracker_(tracker_config(cfg)) {
  boost::system::error_code ec;
  remote_ = socket_.remote_endpoint(ec);
}

Connection::~Connection() = default;

Dir Connection::my_dir() const noexcept {
  return cfg_.local_role == Role::Node ? Dir::FromInitiator : Dir::FromResponder;
}

void Connection::start(MessageHandler on_message, CloseHandler on_close) {
  on_message_ = std::move(on_message);
  on_close_ = std::move(on_close);
  do_read();
}

void Connection::do_read() {
  if (closed_) return;
  socket_.async_read_some(
      asio::buffer(rbuf_), [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
        if (self->closed_) return;
        if (ec) {
          self->finish_close(ec == asio::error::eof ? std::string("peer closed the connection") : ec.message());
          return;
        }
        self->on_bytes(n);
        if (!self->closed_ && !self->closing_) self->do_read();
      });
}

void Connection::on_bytes(std::size_t n) {
  Bytes data(rbuf_.data(), n);
  while (!data.empty() && !closing_ && !closed_) {
    const std::size_t taken = framer_.feed(data);
    data = data.subspan(taken);
    for (;;) {
      if (closing_ || closed_) return;
      FrameResult r = framer_.next();
      if (r.status == FrameStatus::NeedMore) {
        if (taken == 0 && !data.empty()) {
          // Cannot happen with the codec's bounded buffer (it holds two maximal PDUs); never spin if it does.
          error("{} framing buffer full without a complete message; closing", label_);
          close("framing buffer full");
          return;
        }
        break;
      }
      if (r.status == FrameStatus::Error) {
        error("{} impossible length at stream offset {} [{}]: {} (announces {}); closing", label_, r.stream_offset,
              requirement(Req::Length).id, r.error, r.declared);
        // No sequence number can be trusted here: say so with an Error message, then close.
        Message e = error_message(0, ResultCode::Failed, "Protocol error: impossible Length");
        e.seq = seq_used_ ? next_seq(seq_) : 1;
        seq_ = e.seq;
        seq_used_ = true;
        write_message(e, cfg_.convention);
        close("impossible length");
        return;
      }
      on_pdu(r.pdu);
    }
  }
}

void Connection::log_findings(const FindingList& fl, bool from_peer) {
  for (const Finding& f : fl) {
    if (from_peer) {
      warn("{} peer-finding {}", label_, describe(f));
    } else {
      warn("{} self-finding {}", label_, describe(f));
    }
  }
}

void Connection::expire() {
  std::vector<EarlierFinding> out;
  tracker_.expire(now_seconds(), out);
  for (const EarlierFinding& e : out) {
    // Our request unanswered: the peer broke the rule; the peer's unanswered: we did.
    if (e.dir == my_dir()) {
      warn("{} peer-finding {}", label_, describe(e.finding));
    } else {
      warn("{} self-finding {}", label_, describe(e.finding));
    }
  }
}

void Connection::on_pdu(Bytes pdu) {
  const MessageView m = decode(pdu, cfg_.convention);
  FindingList fl;
  check_message(m, fl);
  const double now = now_seconds();
  ExchangeResult xr = tracker_.on_message(m, other(my_dir()), now, ++msg_counter_);
  if (log_enabled(LogLevel::Debug)) debug("{} <- {}", label_, summarize(m));
  log_findings(fl, true);
  log_findings(xr.findings, true);
  expire();
  // The chain fits only under the other length convention: the framing cannot be trusted any more.
  const bool framing_lost = m.error && m.other_convention_fits;

  bool handled = false;
  if (m.is_ack() && m.has_header()) {
    if (auto it = pending_.find(m.header.seq); it != pending_.end()) {
      AckHandler h = std::move(it->second.handler);
      pending_.erase(it);
      handled = true;
      if (h) h(&m);
    }
    if (cfg_.faults.has(Fault::AckAnAck) && !closed_) send_ack(ack_for(m.header, ResultCode::Successful, node_id_));
  }
  if (!handled && on_message_ && !closed_) on_message_(m, fl);
  if (framing_lost && !closed_) {
    error("{} framing lost: the peer's Length field fits only the other length convention [{}]; closing", label_,
          requirement(Req::LengthLiteral).id);
    close("framing lost");
  }
}

std::uint32_t Connection::send_request(Message m, AckHandler on_ack) {
  const FaultSet& f = cfg_.faults;
  if (!seq_used_) {
    seq_used_ = true;
    seq_ = 1;
  } else if (f.has(Fault::SeqReused)) {
    // keep the previous number
  } else if (f.has(Fault::SeqNotIncrementing)) {
    seq_ = next_seq(next_seq(seq_));
  } else {
    seq_ = next_seq(seq_);
  }
  m.seq = seq_;
  if (f.has(Fault::NonzeroCodeRequest)) m.code = u8(ResultCode::Failed);
  mutate_options(m, f);
  if (pending_.count(m.seq) != 0) {
    // Only the seq-reused fault gets here: the older request can no longer be matched.
    Pending old = std::move(pending_[m.seq]);
    pending_.erase(m.seq);
    if (old.handler) old.handler(nullptr);
  }
  if (closed_) {
    if (on_ack) on_ack(nullptr);
    return m.seq;
  }
  Pending p;
  p.handler = std::move(on_ack);
  p.timer = std::make_unique<asio::steady_timer>(socket_.get_executor());
  p.timer->expires_after(std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::chrono::duration<double>(cfg_.ack_timeout + 0.05)));
  const std::uint32_t seq = m.seq;
  p.timer->async_wait([weak = weak_from_this(), seq](boost::system::error_code ec) {
    auto self = weak.lock();
    if (ec || !self) return;
    self->expire();
    auto it = self->pending_.find(seq);
    if (it == self->pending_.end()) return;
    AckHandler h = std::move(it->second.handler);
    self->pending_.erase(it);
    if (h) h(nullptr);
  });
  pending_.emplace(seq, std::move(p));
  write_message(m, f.has(Fault::LiteralLength) ? LengthConvention::Literal3 : cfg_.convention);
  return seq;
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
  write_message(ack, f.has(Fault::LiteralLength) ? LengthConvention::Literal3 : cfg_.convention);
}

void Connection::send_exact(const Message& m, LengthConvention c) { write_message(m, c); }

void Connection::write_message(const Message& msg, LengthConvention c) {
  if (closed_) return;
  Message m = msg;
  if (cfg_.faults.has(Fault::LengthTooSmall) && registered_ && !length_fault_done_) {
    length_fault_done_ = true;
    m.length_override = 2;
  }
  std::vector<std::uint8_t> bytes = m.encode(c);
  // Self-check: our own traffic goes through the same rules and tracker as the peer's.
  const MessageView v = decode(bytes, cfg_.convention);
  FindingList fl;
  check_message(v, fl);
  ExchangeResult xr = tracker_.on_message(v, my_dir(), now_seconds(), ++msg_counter_);
  if (log_enabled(LogLevel::Debug)) debug("{} -> {}", label_, summarize(v));
  log_findings(fl, false);
  log_findings(xr.findings, false);
  outq_.push_back(std::move(bytes));
  if (!writing_) do_write();
}

void Connection::do_write() {
  if (outq_.empty() || closed_) {
    writing_ = false;
    if (closing_ && !closed_) finish_close(close_reason_);
    return;
  }
  writing_ = true;
  asio::async_write(socket_, asio::buffer(outq_.front()),
                    [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                      if (self->closed_) return;
                      if (ec) {
                        self->finish_close(ec.message());
                        return;
                      }
                      self->outq_.pop_front();
                      self->do_write();
                    });
}

void Connection::close(const std::string& reason) {
  if (closed_ || closing_) return;
  closing_ = true;
  close_reason_ = reason;
  if (!writing_) finish_close(reason);
}

void Connection::finish_close(const std::string& reason) {
  if (closed_) return;
  closed_ = true;
  closing_ = false;
  boost::system::error_code ec;
  socket_.shutdown(tcp::socket::shutdown_both, ec);
  socket_.close(ec);
  std::vector<EarlierFinding> left;
  tracker_.finish(left);
  for (const EarlierFinding& e : left) info("{} unanswered at close: {}", label_, describe(e.finding));
  auto pending = std::move(pending_);
  pending_.clear();
  for (auto& [seq, p] : pending) {
    if (p.timer) p.timer->cancel();
    if (p.handler) p.handler(nullptr);
  }
  outq_.clear();
  auto cb = std::move(on_close_);
  on_message_ = nullptr;
  if (cb) cb(reason);
}

}  // namespace vsm::peers
