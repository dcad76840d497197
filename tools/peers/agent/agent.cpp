// SPDX-License-Identifier: GPL-2.0-or-later
#include "agent.hpp"

#include <fmt/format.h>

#include <cmath>
#include <cstdio>
#include <ctime>
#include <fstream>

#include "../common/log.hpp"
#include "transport.hpp"
#include "vsm/keywords.hpp"
#include "vsm/text.hpp"

namespace vsm::peers {

using nlohmann::json;

namespace {

constexpr std::string_view kStarting = kRunningStatuses[0];
constexpr std::string_view kRunning = kRunningStatuses[1];
constexpr std::string_view kTerminating = kRunningStatuses[2];
constexpr std::string_view kUnknown = kRunningStatuses[3];

std::chrono::steady_clock::duration seconds(double s) {
  return std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(s));
}

std::string decimal(double v) { return fmt::format("{:.2f}", v); }

std::optional<Option> contact_option(const std::string& text) {
  const auto a = parse_address(text);
  if (!a) return std::nullopt;
  return Option::raw(u8(OptType::SessionInfo), session_info::ContactAddress, *a);
}

NtpTime ntp_now() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return NtpTime::from_unix(ts.tv_sec, static_cast<std::uint32_t>(ts.tv_nsec));
}

// The destination's transfer endpoint from the IPv4 or IPv6 and Port options of a request.
std::optional<tcp::endpoint> transfer_endpoint(const MessageView& m) {
  const auto port = m.find(OptType::Port);
  if (!port || !port->u16()) return std::nullopt;
  if (const auto ip = m.find(OptType::IPv4); ip && ip->ipv4()) {
    return tcp::endpoint(asio::ip::address_v4(*ip->ipv4()), *port->u16());
  }
  if (const auto ip = m.find(OptType::IPv6); ip && ip->ipv6()) {
    return tcp::endpoint(asio::ip::address_v6(*ip->ipv6()), *port->u16());
  }
  return std::nullopt;
}

json session_json(const Session& s) { return json{{"uri", s.uri}, {"contact", s.contact}}; }

}  // namespace

Agent::Agent(asio::io_context& io, AgentConfig cfg)
    : io_(io),
      cfg_(std::move(cfg)),
      sampler_(cfg_.storage_path),
      reconnect_timer_(io),
      sample_timer_(io),
      node_id_(cfg_.node_id) {
  cfg_.conn.local_role = Role::Node;
}

void Agent::start() {
  const tcp::endpoint at(asio::ip::make_address(cfg_.transfer_address), cfg_.transfer_port);
  TransferLimits limits;
  limits.max_bytes = cfg_.transfer_max_bytes;
  limits.read_timeout = cfg_.conn.ack_timeout;
  transfer_ = std::make_unique<TransferServer>(
      io_, at, [this](const json& req, const tcp::endpoint& from) { return on_transfer(req, from); }, limits);
  if (!cfg_.transfer_allow.empty()) {
    policy_.emplace();
    for (const auto& a : cfg_.transfer_allow) {
      const auto c = parse_cidr(a);
      if (!c) throw std::invalid_argument(fmt::format("--transfer-allow {}: not an address or CIDR", a));
      policy_->allow(*c);
    }
  }
  info("transfer channel listening on {}:{}", transfer_->local().address().to_string(), transfer_->local().port());
  sampler_.sample();
  restore_state();
  save_state();
  connect();
  sample();
}

void Agent::connect() {
  if (stopping_) return;
  auto resolver = std::make_shared<tcp::resolver>(io_);
  resolver->async_resolve(cfg_.manager_host, std::to_string(cfg_.manager_port),
                          [this, resolver](boost::system::error_code ec, tcp::resolver::results_type results) {
                            on_resolved(ec, results);
                          });
}

void Agent::on_resolved(boost::system::error_code ec, const tcp::resolver::results_type& results) {
  if (stopping_) return;
  if (ec) {
    unreachable(fmt::format("cannot resolve {}: {}", cfg_.manager_host, ec.message()));
    schedule_reconnect();
    return;
  }
  auto sock = std::make_shared<tcp::socket>(io_);
  auto connected = [this, sock](boost::system::error_code ec2, const tcp::endpoint& ep) {
    if (stopping_) return;
    if (ec2) {
      unreachable(ec2.message());
      schedule_reconnect();
      return;
    }
    if (attempts_failed_ > 0) {
      info("connected to manager {}:{}{} after {} failed attempt{}", ep.address().to_string(), ep.port(),
           cfg_.conn.sctp ? " over SCTP" : "", attempts_failed_, attempts_failed_ == 1 ? "" : "s");
    } else {
      info("connected to manager {}:{}{}", ep.address().to_string(), ep.port(), cfg_.conn.sctp ? " over SCTP" : "");
    }
    attempts_failed_ = 0;
    unreachable_why_.clear();
    on_connected(std::move(*sock));
  };
  if (!cfg_.conn.sctp) {
    asio::async_connect(*sock, results, connected);
    return;
  }
  // async_connect over a range would reopen the socket as TCP: open it as SCTP
  // and connect to the first address.
  const tcp::endpoint ep = results.begin()->endpoint();
  try {
    transport::open(*sock, ep.protocol(), true);
  } catch (const boost::system::system_error& e) {
    unreachable(fmt::format("cannot open an SCTP socket: {}", e.what()));
    schedule_reconnect();
    return;
  }
  sock->async_connect(ep, [connected, ep](boost::system::error_code ec2) { connected(ec2, ep); });
}

void Agent::unreachable(const std::string& why) {
  constexpr auto kUnreachableReport = std::chrono::seconds(10);
  ++attempts_failed_;
  const auto now = std::chrono::steady_clock::now();
  const std::string where = cfg_.manager_host.find(':') != std::string::npos
                                ? fmt::format("[{}]:{}", cfg_.manager_host, cfg_.manager_port)
                                : fmt::format("{}:{}", cfg_.manager_host, cfg_.manager_port);
  if (why != unreachable_why_) {
    warn("cannot reach the manager at {}: {}; retrying every {}s", where, why, cfg_.reconnect_delay);
  } else if (now - unreachable_reported_ >= kUnreachableReport) {
    warn("still cannot reach the manager at {} ({} attempts): {}; retrying every {}s", where, attempts_failed_, why,
         cfg_.reconnect_delay);
  } else {
    debug("cannot reach the manager at {}: {}", where, why);
    return;
  }
  unreachable_why_ = why;
  unreachable_reported_ = now;
}

void Agent::schedule_reconnect() {
  if (stopping_) return;
  reconnect_timer_.expires_after(seconds(cfg_.reconnect_delay));
  reconnect_timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec) connect();
  });
}

void Agent::on_connected(tcp::socket s) {
  if (const std::string e = transport::tune(s, cfg_.conn.sctp, cfg_.conn.sctp_ppid); !e.empty()) warn("{}", e);
  conn_ = std::make_shared<Connection>(std::move(s), cfg_.conn, "manager");
  conn_->set_node_id(node_id_);
  std::weak_ptr<Connection> weak = conn_;
  conn_->start([this](const MessageView& m, const FindingList& fl) { on_message(m, fl); },
               [this, weak](const std::string& reason) {
                 auto c = weak.lock();
                 if (c && c == conn_) {
                   warn("connection to manager lost: {}", reason);
                   registered_ = false;
                   conn_.reset();
                   save_state();
                   if (!stopping_) schedule_reconnect();
                 }
               });
  if (cfg_.conn.faults.has(Fault::StatusUpdateFirst)) {
    Message su = status_update(0, node_id_);
    add_node_info(su, sampler_.sample(), false);
    conn_->send_request(std::move(su));
  }
  register_node();
}

void Agent::register_node() {
  if (!conn_ || stopping_) return;
  const FaultSet& f = cfg_.conn.faults;
  Message reg = registration(0, node_id_);
  if (f.has(Fault::SubtypeInRegistration)) reg.subtype = 1;
  if (f.has(Fault::RegistrationMissingNodeId)) reg.options.clear();
  // Where other agents reach this one for transfers (MOVE, COPY, MOVE_SESSION).
  const auto local = transfer_->local();
  Option ip = local.address().is_v4() ? Option::ipv4(local.address().to_v4().to_bytes())
                                      : Option::ipv6(local.address().to_v6().to_bytes());
  if (f.has(Fault::ShortIpv4)) ip.value.pop_back();
  reg.add(std::move(ip));
  Option port = Option::port(local.port());
  if (f.has(Fault::ShortPort)) port.value.insert(port.value.begin(), 2, 0);
  reg.add(std::move(port));
  add_node_info(reg, sampler_.sample(), true);
  if (f.has(Fault::UnknownNodeInfo)) reg.add(Option::node_info(99, "1"));
  if (f.has(Fault::UnknownVendorInfo)) reg.add(Option::text(OptType::VendorInfo, 7, "hello"));
  std::weak_ptr<Connection> weak = conn_;
  info("registering with Node ID {}", node_id_);
  conn_->send_request(std::move(reg), [this, weak](const MessageView* ack) {
    auto c = weak.lock();
    if (!c || c != conn_ || stopping_) return;
    if (!ack) {
      if (c->is_open()) {
        warn("no ACK to the Registration; registering again");
        register_node();
      }
      return;
    }
    const auto code = ack->header.code;
    if (code == u8(ResultCode::Successful)) {
      const auto id = ack->node_id();
      if (id && *id != 0) {
        if (node_id_ != 0 && *id != node_id_) warn("manager changed our Node ID from {} to {}", node_id_, *id);
        node_id_ = *id;
      } else {
        error("the Registration ACK assigns no Node ID; keeping {}", node_id_);
      }
      c->set_node_id(node_id_);
      registered_ = true;
      c->mark_registered();
      info("registered as node {}", node_id_);
      save_state();
      on_registered();
      return;
    }
    const auto text = ack->find(OptType::VendorInfo, vendor_info::Message);
    const std::string why = text ? std::string(text->text()) : std::string();
    if (code == u8(ResultCode::AdministrativelyProhibited)) {
      error("registration refused: {} ({})", code_name(code), why);
      stop(4);
      return;
    }
    warn("registration failed: {} ({}); retrying", code_name(code).empty() ? "unknown code" : code_name(code), why);
    reconnect_timer_.expires_after(seconds(cfg_.reconnect_delay));
    reconnect_timer_.async_wait([this](boost::system::error_code ec) {
      if (!ec) register_node();
    });
  });
}

void Agent::on_registered() {
  const FaultSet& f = cfg_.conn.faults;
  if (f.has(Fault::UnsolicitedAck)) {
    Message a(MsgType::Ack, 0x7ABCDE);
    a.add(Option::node_id(node_id_));
    conn_->send_exact(a, cfg_.conn.convention);
  }
  if (f.has(Fault::UnknownType)) {
    Message m;
    m.type = 99;
    m.add(Option::node_id(node_id_));
    conn_->send_request(std::move(m));
  }
  if (f.has(Fault::ErrorWithoutContent)) {
    Message e(MsgType::Error, 0);
    conn_->send_request(std::move(e));
  }
  if (f.has(Fault::AgentSendsKeepalive)) conn_->send_request(keep_alive(0, node_id_));
  if (f.has(Fault::RegisterTwice)) conn_->send_request(registration(0, node_id_));
  // Functions that survived a reconnection are reported again.
  for (const auto& [id, fn] : functions_) send_status_update(fn, fn.status);
}

void Agent::send_ack(Message ack) {
  if (conn_) conn_->send_ack(std::move(ack));
}

void Agent::on_message(const MessageView& m, const FindingList& findings) {
  if (!m.has_header()) return;
  const Header& h = m.header;
  if (m.is_ack()) {
    debug("ACK seq {} matches no request of ours", h.seq);
    return;
  }
  const bool is_op = h.type == u8(MsgType::Operation);
  const Finding* bad = refusing_finding(findings);
  std::string refusal;
  if (!is_known_type(h.type)) {
    refusal = fmt::format("Protocol error: unknown message type {}", h.type);
  } else if (bad) {
    refusal = fmt::format("Protocol error: {}", describe(*bad));
  } else if (h.type == u8(MsgType::Registration) || h.type == u8(MsgType::StatusUpdate)) {
    refusal = fmt::format("Protocol error: {} is an Execution Node message", type_name(h.type));
  }
  if (!refusal.empty()) {
    warn("refusing {}: {}", summarize(m), refusal);
    if (is_op) {
      send_ack(op_ack(m, ResultCode::Failed, kUnknown, refusal));
    } else {
      Message a = ack_for(h, ResultCode::Failed, node_id_);
      a.add(Option::vendor_info(refusal));
      send_ack(std::move(a));
    }
    return;
  }
  switch (static_cast<MsgType>(h.type)) {
    case MsgType::KeepAlive: {
      if (cfg_.conn.faults.has(Fault::NoAckKeepalive)) return;
      Message a = ack_for(h, ResultCode::Successful, node_id_);
      add_node_info(a, sampler_.sample(), false);
      send_ack(std::move(a));
      return;
    }
    case MsgType::Deregistration: {
      send_ack(ack_for(h, ResultCode::Successful, node_id_));
      info("de-registered by the manager");
      registered_ = false;
      stop(0);
      return;
    }
    case MsgType::Error: {
      const auto text = m.find(OptType::VendorInfo, vendor_info::Message);
      warn("Error from the manager: {} {}", code_name(h.code), text ? text->text() : std::string_view());
      send_ack(ack_for(h, ResultCode::Successful, node_id_));
      return;
    }
    case MsgType::Operation: on_operation(m); return;
    default: break;
  }
  Message a = ack_for(h, ResultCode::Failed, node_id_);
  a.add(Option::vendor_info("Protocol error: unexpected message"));
  send_ack(std::move(a));
}

std::string Agent::status_of(std::uint32_t fid) const {
  auto it = functions_.find(fid);
  return it == functions_.end() ? std::string(kUnknown) : it->second.status;
}

Message Agent::op_ack(const MessageView& req, ResultCode code, std::string_view status, std::string_view text) {
  const FaultSet& f = cfg_.conn.faults;
  Message a = ack_for(req.header, code, node_id_);
  const std::uint8_t op = req.header.subtype;
  const OperationRules* rules = operation_rules(op);
  if (rules && rules->two_nodes && rules->function_id) {
    if (auto dst = req.node_id(1)) a.add(Option::node_id(*dst));
  }
  const bool drop_fid = op == u8(Operation::MoveSession) && f.has(Fault::MoveSessionAckNoFunctionId);
  if (auto fid = req.function_id(); fid && !drop_fid) a.add(Option::function_id(*fid));
  bool drop_status = false;
  switch (static_cast<Operation>(op)) {
    case Operation::Get: drop_status = f.has(Fault::GetAckNoStatus); break;
    case Operation::Add: drop_status = f.has(Fault::AddAckNoStatus); break;
    case Operation::Delete: drop_status = f.has(Fault::DeleteAckNoStatus); break;
    case Operation::Move: drop_status = f.has(Fault::MoveAckNoStatus); break;
    case Operation::Copy: drop_status = f.has(Fault::CopyAckNoStatus); break;
    case Operation::MoveSession: drop_status = f.has(Fault::MoveSessionAckNoStatus); break;
  }
  if (!drop_status) a.add(Option::running_status(status));
  if (!text.empty()) a.add(Option::vendor_info(text));
  return a;
}

void Agent::on_operation(const MessageView& m) {
  const std::uint8_t op = m.header.subtype;
  const auto first = m.node_id(0);
  const OperationRules* rules = operation_rules(op);
  if (first && *first != node_id_ && rules && rules->two_nodes && m.node_id(1) == node_id_ && !m.find(OptType::Port)) {
    info("announcement: {}", summarize(m));
    op_announcement(m);
    return;
  }
  if (first && *first != node_id_) {
    send_ack(
        op_ack(m, ResultCode::Failed, kUnknown, fmt::format("Node ID {} is not this node ({})", *first, node_id_)));
    return;
  }
  info("operation: {}", summarize(m));
  switch (static_cast<Operation>(op)) {
    case Operation::Get: op_get(m); return;
    case Operation::Add: op_add(m); return;
    case Operation::Delete: op_delete(m); return;
    case Operation::Move: op_transfer(m, true); return;
    case Operation::Copy: op_transfer(m, false); return;
    case Operation::MoveSession: op_move_session(m); return;
  }
}

// Saturating: memory of every Function (each admitted within the budget, so this never saturates in practice).
std::uint64_t Agent::memory_used() const {
  std::uint64_t used = 0;
  for (const auto& [id, f] : functions_) {
    if (__builtin_add_overflow(used, f.memory, &used)) return UINT64_MAX;
  }
  return used;
}

std::size_t Agent::sessions_held() const {
  std::size_t n = 0;
  for (const auto& [id, f] : functions_) n += f.sessions.size();
  return n;
}

std::string Agent::refuse_resources(std::uint32_t fid, std::uint64_t memory, std::size_t sessions,
                                    bool new_function) const {
  if (new_function && functions_.size() >= cfg_.max_functions) {
    return fmt::format("node {} holds {} Functions, the most it takes (--max-functions {})", node_id_,
                       functions_.size(), cfg_.max_functions);
  }
  const std::size_t held = sessions_held();
  if (sessions > cfg_.max_sessions - std::min(held, cfg_.max_sessions)) {
    return fmt::format("{} more session(s) exceed what node {} takes: {} held of at most {} (--max-sessions)", sessions,
                       node_id_, held, cfg_.max_sessions);
  }
  const std::uint64_t used = memory_used();
  const std::uint64_t free = cfg_.memory_budget - std::min(used, cfg_.memory_budget);
  if (memory > free) {
    return fmt::format("insufficient memory: Function {} needs {} bytes, {} of the {}-byte budget free", fid, memory,
                       free, cfg_.memory_budget);
  }
  return {};
}

void Agent::op_add(const MessageView& m) {
  const std::uint32_t fid = *m.function_id();
  if (functions_.count(fid) != 0) {
    send_ack(op_ack(m, ResultCode::Failed, status_of(fid), fmt::format("Function {} already exists", fid)));
    return;
  }
  Function fn;
  fn.id = fid;
  const auto name = m.find(OptType::FunctionInfo, function_info::Name);
  fn.name = name && name->length != 0 ? std::string(name->text()) : fmt::format("function-{}", fid);
  // No memory named, or 0: the default. A Function never costs nothing.
  fn.memory = cfg_.function_memory;
  if (auto mem = m.find(OptType::FunctionInfo, function_info::RequiredMemory)) {
    if (const Numeric n = mem->numeric(); n.encoding != Numeric::Encoding::Invalid && n.integral && n.integer != 0)
      fn.memory = n.integer;
  }
  if (auto st = m.find(OptType::FunctionInfo, function_info::RequiredStorage)) {
    if (const Numeric n = st->numeric(); n.encoding != Numeric::Encoding::Invalid && n.integral) fn.storage = n.integer;
  }
  for (const OptionView o : m.options()) {
    if (o.is(OptType::SessionInfo, session_info::SipUri)) {
      fn.sessions.push_back(Session{std::string(o.text()), {}});
    } else if (o.is(OptType::SessionInfo, session_info::ContactAddress) && !fn.sessions.empty()) {
      fn.sessions.back().contact = address_text(o.value);
    }
  }
  if (const std::string why = refuse_resources(fid, fn.memory, fn.sessions.size(), true); !why.empty()) {
    send_ack(op_ack(m, ResultCode::InsufficientResources, kUnknown, why));
    return;
  }
  fn.started = ntp_now();
  fn.state = fmt::format("{} #{} created {}.{:09}", fn.name, fid, fn.started.unix_seconds(), fn.started.nanoseconds());
  fn.status = std::string(kStarting);
  functions_[fid] = fn;
  save_state();
  send_ack(op_ack(m, ResultCode::Successful, kStarting, {}));
  auto timer = std::make_shared<asio::steady_timer>(io_, seconds(cfg_.start_delay));
  timer->async_wait([this, timer, fid](boost::system::error_code ec) {
    if (ec || stopped_) return;
    auto it = functions_.find(fid);
    if (it == functions_.end() || it->second.status != kStarting) return;
    it->second.status = std::string(kRunning);
    info("Function {} ({}) running", fid, it->second.name);
    save_state();
    if (!cfg_.conn.faults.has(Fault::NoStatusUpdateAfterAdd)) send_status_update(it->second, kRunning);
  });
}

void Agent::op_delete(const MessageView& m) {
  const std::uint32_t fid = *m.function_id();
  auto it = functions_.find(fid);
  if (it == functions_.end()) {
    send_ack(op_ack(m, ResultCode::StatusUnknown, kUnknown, fmt::format("unknown Function {}", fid)));
    return;
  }
  if (it->second.status == kTerminating) {
    send_ack(op_ack(m, ResultCode::Failed, kTerminating, fmt::format("Function {} is already terminating", fid)));
    return;
  }
  it->second.status = std::string(kTerminating);
  save_state();
  send_ack(op_ack(m, ResultCode::Successful, kTerminating, {}));
  auto timer = std::make_shared<asio::steady_timer>(io_, seconds(cfg_.stop_delay));
  timer->async_wait([this, timer, fid](boost::system::error_code ec) {
    if (ec || stopped_) return;
    auto f = functions_.find(fid);
    if (f == functions_.end()) return;
    Function gone = f->second;
    functions_.erase(f);
    info("Function {} ({}) terminated", fid, gone.name);
    save_state();
    // The Function no longer exists on this node: its status here is Unknown.
    if (!cfg_.conn.faults.has(Fault::NoStatusUpdateAfterDelete)) {
      send_status_update(gone, kUnknown, fmt::format("Function {} terminated", fid));
    }
  });
}

std::optional<Option> Agent::node_item(std::uint8_t sub, const Resources& r) {
  switch (sub) {
    case node_info::ProcessingCapacity: return Option::node_info(sub, decimal(r.cpu_ghz));
    case node_info::CurrentLoad: return Option::node_info(sub, decimal(r.load_current));
    case node_info::AverageLoad: return Option::node_info(sub, decimal(r.load_average));
    case node_info::TotalMemory: return Option::node_info(sub, std::to_string(r.mem_total));
    case node_info::AvailableMemory: return Option::node_info(sub, std::to_string(r.mem_available));
    case node_info::TotalStorage: return Option::node_info(sub, std::to_string(r.storage_total));
    case node_info::AvailableStorage: return Option::node_info(sub, std::to_string(r.storage_available));
    case node_info::TotalBandwidth: return Option::node_info(sub, std::to_string(r.bw_total));
    case node_info::CurrentBandwidth: return Option::node_info(sub, std::to_string(r.bw_current));
    case node_info::AverageBandwidth: return Option::node_info(sub, std::to_string(r.bw_average));
    case node_info::BootTime: return Option::ntp(OptType::NodeInfo, sub, r.boot_time);
    default: return std::nullopt;
  }
}

void Agent::add_node_info(Message& m, const Resources& r, bool full) {
  const FaultSet& f = cfg_.conn.faults;
  if (f.has(Fault::NoResourceReport)) return;
  for (const auto& spec : kNodeInfo) {
    const bool dynamic = spec.sub == node_info::CurrentLoad || spec.sub == node_info::AverageLoad ||
                         spec.sub == node_info::AvailableMemory || spec.sub == node_info::AvailableStorage ||
                         spec.sub == node_info::CurrentBandwidth;
    if (!full && !dynamic) continue;
    auto o = node_item(spec.sub, r);
    if (!o) continue;
    if (full && spec.sub == node_info::TotalMemory) {
      if (f.has(Fault::BadNodeInfoValue)) o = Option::node_info(spec.sub, "plenty");
      if (f.has(Fault::BinaryNodeInfo)) {
        std::vector<std::uint8_t> v(8);
        for (int i = 0; i < 8; ++i)
          v[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(r.mem_total >> (56 - 8 * i));
        o = Option::raw(u8(OptType::NodeInfo), spec.sub, v);
      }
    }
    m.add(std::move(*o));
  }
}

std::optional<Option> Agent::function_item(const Function& f, std::uint8_t sub) {
  // The simulated load follows the number of sessions a Function holds.
  const double load = static_cast<double>(f.sessions.size()) / 100.0;
  const std::uint64_t free_mem = cfg_.memory_budget - std::min(cfg_.memory_budget, memory_used());
  switch (sub) {
    case function_info::Name: return Option::function_info(sub, f.name);
    case function_info::CurrentLoad:
    case function_info::AverageLoad: return Option::function_info(sub, decimal(load));
    case function_info::RequiredMemory: return Option::function_info(sub, std::to_string(f.memory));
    case function_info::AvailableMemory: return Option::function_info(sub, std::to_string(free_mem));
    case function_info::RequiredStorage: return Option::function_info(sub, std::to_string(f.storage));
    case function_info::AvailableStorage:
      return Option::function_info(sub, std::to_string(sampler_.sample().storage_available));
    case function_info::CurrentBandwidth:
    case function_info::AverageBandwidth: return Option::function_info(sub, "0");
    case function_info::BootTime: return Option::ntp(OptType::FunctionInfo, sub, f.started);
    case function_info::RunningStatus: return Option::running_status(f.status);
    default: return std::nullopt;
  }
}

void Agent::op_get(const MessageView& m) {
  const FaultSet& flt = cfg_.conn.faults;
  const std::uint32_t fid = *m.function_id();
  const Function* fn = nullptr;
  if (fid != 0) {
    auto it = functions_.find(fid);
    if (it == functions_.end()) {
      send_ack(op_ack(m, ResultCode::StatusUnknown, kUnknown, fmt::format("unknown Function {}", fid)));
      return;
    }
    fn = &it->second;
  }
  const Resources r = sampler_.sample();
  std::size_t all_sessions = 0;
  for (const auto& [id, f] : functions_) all_sessions += f.sessions.size();
  // The sessions the request is about: the Function's, or the node's.
  std::vector<const Session*> pool;
  std::size_t uri_octets = 0, contact_octets = 0;  // what one SIP URI / Contact Address item adds to the reply
  std::vector<std::string> unknown;
  // The reply is built only while it fits in one message: past that the
  // items are counted, not built, and the request gets Code 129.
  const std::size_t limit = max_message_size(cfg_.conn.convention);
  std::size_t item_octets = 0;
  std::vector<Option> items;
  auto add = [&](Option o) {
    item_octets += o.encoded_size();
    if (item_octets <= limit) items.push_back(std::move(o));
  };
  bool pooled = false;
  for (const OptionView o : m.options()) {
    if (o.type == u8(OptType::NodeInfo)) {
      if (auto v = node_item(o.subtype, r)) add(std::move(*v));
    } else if (o.type == u8(OptType::FunctionInfo)) {
      if (fn) {
        if (auto v = function_item(*fn, o.subtype)) add(std::move(*v));
      } else if (o.subtype == function_info::RunningStatus) {
        add(Option::running_status(kRunning));
      } else {
        unknown.push_back(option_name(o.type, o.subtype));
      }
    } else if (o.type == u8(OptType::SessionInfo)) {
      if (!pooled) {
        pooled = true;
        for (const auto& [id, f] : functions_) {
          if (fn && id != fid) continue;
          for (const auto& s : f.sessions) {
            pool.push_back(&s);
            uri_octets += kOptionHeaderSize + s.uri.size();
            if (auto c = contact_option(s.contact)) contact_octets += c->encoded_size();
          }
        }
      }
      switch (o.subtype) {
        case session_info::SipUri:
          if (item_octets + uri_octets > limit) {
            item_octets += uri_octets;
          } else {
            for (const Session* s : pool) add(Option::session_info(o.subtype, s->uri));
          }
          break;
        case session_info::ContactAddress:
          if (item_octets + contact_octets > limit) {
            item_octets += contact_octets;
          } else {
            for (const Session* s : pool) {
              if (auto c = contact_option(s->contact)) add(std::move(*c));
            }
          }
          break;
        case session_info::Ratio:
          add(Option::session_info(o.subtype,
                                   decimal(all_sessions == 0 ? 0.0 : static_cast<double>(pool.size()) / all_sessions)));
          break;
        case session_info::Count: add(Option::session_info(o.subtype, std::to_string(pool.size()))); break;
        default: break;
      }
    }
  }
  const std::string_view status = fn ? std::string_view(fn->status) : kRunning;
  Message a = op_ack(m, ResultCode::Successful, status,
                     unknown.empty() ? std::string() : fmt::format("not available: {}", fmt::join(unknown, ", ")));
  if (const std::size_t reply = a.encoded_size() + item_octets; reply > limit || !a.fits(cfg_.conn.convention)) {
    // Insufficient resources: the wire cannot carry this reply (and nothing is logged as a finding of ours).
    info("GET seq {}: the reply of {} octets does not fit in one message; Code 129", m.header.seq, reply);
    send_ack(op_ack(m, ResultCode::InsufficientResources, status,
                    fmt::format("reply of {} octets exceeds the {} a VSM message can carry", reply, limit)));
    return;
  }
  if (flt.has(Fault::GetAckMissingItem) && !items.empty()) items.pop_back();
  if (flt.has(Fault::GetAckEmptyItem)) {
    for (auto& i : items) i.value.clear();
  }
  // Items go between the Function ID and the Running status.
  auto pos = a.options.begin();
  while (pos != a.options.end() && (pos->type == u8(OptType::NodeId) || pos->type == u8(OptType::FunctionId))) ++pos;
  a.options.insert(pos, items.begin(), items.end());
  send_ack(std::move(a));
}

void Agent::op_transfer(const MessageView& m, bool move) {
  const std::uint32_t dst = *m.node_id(1);
  const std::uint32_t fid = *m.function_id();
  auto it = functions_.find(fid);
  if (it == functions_.end()) {
    send_ack(op_ack(m, ResultCode::StatusUnknown, kUnknown, fmt::format("unknown Function {}", fid)));
    return;
  }
  if (dst == node_id_) {
    send_ack(op_ack(m, ResultCode::Failed, it->second.status, "source and destination are the same node"));
    return;
  }
  if (it->second.status != kRunning) {
    send_ack(op_ack(m, ResultCode::Failed, it->second.status,
                    fmt::format("Function {} is {}, not Running", fid, it->second.status)));
    return;
  }
  const auto endpoint = transfer_endpoint(m);
  if (!endpoint) {
    send_ack(op_ack(m, ResultCode::Failed, it->second.status,
                    fmt::format("no address and Port of node {}'s transfer endpoint in the request", dst)));
    return;
  }
  const tcp::endpoint to = *endpoint;
  if (const std::string why = refuse_destination(to.address()); !why.empty()) {
    warn("not transferring Function {} to node {}: {}", fid, dst, why);
    send_ack(op_ack(m, ResultCode::AdministrativelyProhibited, it->second.status, why));
    return;
  }
  const Function& fn = it->second;
  json f{{"id", fn.id},         {"name", fn.name},       {"state", fn.state},
         {"memory", fn.memory}, {"storage", fn.storage}, {"sessions", json::array()}};
  if (move) {
    for (const auto& s : fn.sessions) f["sessions"].push_back(session_json(s));
  }
  const json req{{"kind", "function"}, {"mode", move ? "move" : "copy"}, {"from_node", node_id_}, {"function", f}};
  info("{} Function {} to node {} via {}:{}", move ? "moving" : "copying", fid, dst, to.address().to_string(),
       to.port());
  Message request = Message::from(m);  // keep what the ACK needs after the transfer
  std::weak_ptr<Connection> weak = conn_;
  transfer_request(
      io_, to, req, cfg_.conn.ack_timeout / 2,
      [this, request, move, fid, dst, weak](json reply) {
        if (stopped_) return;
        auto c = weak.lock();
        const std::vector<std::uint8_t> bytes = request.encode().value();  // decoded from the wire: fits
        const MessageView rv = decode(bytes);
        const bool ok = reply.value("ok", false);
        auto f = functions_.find(fid);
        const std::string status = f == functions_.end() ? std::string(kUnknown) : f->second.status;
        if (!ok) {
          const int code = reply.value("code", 128);
          const std::string reason = reply.value("reason", std::string("transfer refused"));
          warn("transfer of Function {} to node {} failed: {}", fid, dst, reason);
          if (c && c == conn_) {
            ResultCode rc = ResultCode::Failed;
            if (code == u8(ResultCode::InsufficientResources)) rc = ResultCode::InsufficientResources;
            if (code == u8(ResultCode::StatusUnknown)) rc = ResultCode::StatusUnknown;
            send_ack(op_ack(rv, rc, status, fmt::format("node {}: {}", dst, reason)));
          }
          return;
        }
        if (move && f != functions_.end()) {
          // The destination confirmed: only now does the source let its copy go.
          info("Function {} moved to node {}; deleting the local copy", fid, dst);
          functions_.erase(f);
        } else {
          info("Function {} copied to node {}", fid, dst);
        }
        save_state();
        if (c && c == conn_) send_ack(op_ack(rv, ResultCode::Successful, kRunning, {}));
      },
      transfer_->local().address());
}

void Agent::op_move_session(const MessageView& m) {
  const std::uint32_t dst = *m.node_id(1);
  const auto fid = m.function_id();
  if (fid && functions_.count(*fid) == 0) {
    send_ack(op_ack(m, ResultCode::StatusUnknown, kUnknown, fmt::format("unknown Function {}", *fid)));
    return;
  }
  if (dst == node_id_) {
    send_ack(op_ack(m, ResultCode::Failed, fid ? status_of(*fid) : std::string(kRunning),
                    "source and destination are the same node"));
    return;
  }
  // The pool: every session of the Function when one is named, else every session of the node.
  struct Ref {
    std::uint32_t fid;
    Session s;
  };
  std::vector<Ref> pool;
  for (const auto& [id, f] : functions_) {
    if (fid && id != *fid) continue;
    for (const auto& s : f.sessions) pool.push_back(Ref{id, s});
  }
  std::vector<std::string> uris;
  std::optional<double> ratio;
  std::optional<std::uint64_t> count;
  for (const OptionView o : m.options()) {
    if (o.is(OptType::SessionInfo, session_info::SipUri)) uris.emplace_back(o.text());
    if (o.is(OptType::SessionInfo, session_info::Ratio)) ratio = o.numeric().number;
    if (o.is(OptType::SessionInfo, session_info::Count)) count = o.numeric().integer;
  }
  std::vector<Ref> chosen;
  if (!uris.empty()) {
    for (const auto& u : uris) {
      auto p = std::find_if(pool.begin(), pool.end(), [&](const Ref& r) { return r.s.uri == u; });
      if (p == pool.end()) {
        send_ack(op_ack(m, ResultCode::StatusUnknown, fid ? status_of(*fid) : std::string(kRunning),
                        fmt::format("no session {} here", u)));
        return;
      }
      chosen.push_back(*p);
    }
  } else {
    std::size_t n = pool.size();
    if (ratio) n = static_cast<std::size_t>(std::llround(*ratio * static_cast<double>(pool.size())));
    if (count) n = std::min<std::size_t>(n, *count);
    chosen.assign(pool.begin(), pool.begin() + static_cast<std::ptrdiff_t>(std::min(n, pool.size())));
  }
  const std::string status = fid ? status_of(*fid) : std::string(kRunning);
  if (chosen.empty()) {
    send_ack(op_ack(m, ResultCode::Successful, status, "no session to move"));
    return;
  }
  const auto endpoint = transfer_endpoint(m);
  if (!endpoint) {
    send_ack(op_ack(m, ResultCode::Failed, status,
                    fmt::format("no address and Port of node {}'s transfer endpoint in the request", dst)));
    return;
  }
  const tcp::endpoint to = *endpoint;
  if (const std::string why = refuse_destination(to.address()); !why.empty()) {
    warn("not moving sessions to node {}: {}", dst, why);
    send_ack(op_ack(m, ResultCode::AdministrativelyProhibited, status, why));
    return;
  }
  json list = json::array();
  for (const auto& r : chosen) {
    json s = session_json(r.s);
    s["function"] = r.fid;
    list.push_back(s);
  }
  const json req{{"kind", "sessions"}, {"from_node", node_id_}, {"sessions", list}};
  info("moving {} session(s) to node {}", chosen.size(), dst);
  Message request = Message::from(m);
  std::weak_ptr<Connection> weak = conn_;
  transfer_request(
      io_, to, req, cfg_.conn.ack_timeout / 2,
      [this, request, chosen, dst, weak](json reply) {
        if (stopped_) return;
        auto c = weak.lock();
        const std::vector<std::uint8_t> bytes = request.encode().value();  // decoded from the wire: fits
        const MessageView rv = decode(bytes);
        const auto fid = rv.function_id();
        if (!reply.value("ok", false)) {
          const int code = reply.value("code", 128);
          const std::string reason = reply.value("reason", std::string("transfer refused"));
          warn("moving sessions to node {} failed: {}", dst, reason);
          if (c && c == conn_) {
            const ResultCode rc =
                code == u8(ResultCode::StatusUnknown) ? ResultCode::StatusUnknown : ResultCode::Failed;
            send_ack(
                op_ack(rv, rc, fid ? status_of(*fid) : std::string(kRunning), fmt::format("node {}: {}", dst, reason)));
          }
          return;
        }
        for (const auto& r : chosen) {
          auto f = functions_.find(r.fid);
          if (f == functions_.end()) continue;
          std::erase_if(f->second.sessions, [&](const Session& s) { return s.uri == r.s.uri; });
        }
        info("{} session(s) moved to node {}", chosen.size(), dst);
        save_state();
        if (c && c == conn_)
          send_ack(op_ack(rv, ResultCode::Successful, fid ? status_of(*fid) : std::string(kRunning), {}));
      },
      transfer_->local().address());
}

std::string Agent::refuse_destination(const asio::ip::address& to) const {
  if (policy_) return policy_->refuse(to);
  const asio::ip::address manager = conn_ ? conn_->remote().address() : asio::ip::address();
  return TransferPolicy::defaults(manager).refuse(to);
}

void Agent::op_announcement(const MessageView& m) {
  const std::uint8_t op = m.header.subtype;
  const auto fid = m.function_id();
  const std::string status = fid ? status_of(*fid) : std::string(kRunning);
  asio::ip::address from;
  if (const auto ip = m.find(OptType::IPv4); ip && ip->ipv4()) {
    from = asio::ip::address_v4(*ip->ipv4());
  } else if (const auto ip6 = m.find(OptType::IPv6); ip6 && ip6->ipv6()) {
    from = asio::ip::address_v6(*ip6->ipv6());
  } else {
    send_ack(op_ack(m, ResultCode::Failed, status, "the announcement names no IPv4 or IPv6 address of the source"));
    return;
  }
  if (op != u8(Operation::MoveSession) && fid && functions_.count(*fid) != 0) {
    send_ack(
        op_ack(m, ResultCode::Failed, status, fmt::format("Function {} already exists on node {}", *fid, node_id_)));
    return;
  }
  const auto now = std::chrono::steady_clock::now();
  std::erase_if(expected_, [&](const Expected& e) { return e.until <= now; });
  constexpr std::size_t kMaxExpected = 64;
  if (expected_.size() >= kMaxExpected) {
    send_ack(op_ack(m, ResultCode::InsufficientResources, status,
                    fmt::format("{} transfers announced and not yet arrived: no more", expected_.size())));
    return;
  }
  expected_.push_back(Expected{op == u8(Operation::MoveSession), fid, plain(from),
                               now + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                         std::chrono::duration<double>(cfg_.transfer_window))});
  info("expecting a transfer{} from {} for {}s", fid ? fmt::format(" of Function {}", *fid) : std::string(),
       plain(from).to_string(), cfg_.transfer_window);
  send_ack(op_ack(m, ResultCode::Successful, status, {}));
}

json Agent::on_transfer(const json& req, const tcp::endpoint& peer) {
  const std::string kind = req.at("kind").get<std::string>();
  const std::uint32_t from = req.value("from_node", 0u);
  {
    // Only what the manager announced: this kind, this Function, from this address, within the window.
    const bool sessions = kind == "sessions";
    std::optional<std::uint32_t> fid;
    if (!sessions && req.contains("function")) fid = req.at("function").at("id").get<std::uint32_t>();
    const asio::ip::address who = plain(peer.address());
    const auto now = std::chrono::steady_clock::now();
    std::erase_if(expected_, [&](const Expected& e) { return e.until <= now; });
    auto it = std::find_if(expected_.begin(), expected_.end(), [&](const Expected& e) {
      if (e.sessions != sessions || e.from != who) return false;
      if (sessions) {
        if (!e.function) return true;
        for (const auto& s : req.value("sessions", json::array())) {
          if (s.value("function", 0u) != *e.function) return false;
        }
        return true;
      }
      return e.function == fid;
    });
    if (it == expected_.end()) {
      warn("transfer from {} refused: none was announced", who.to_string());
      return transfer_failure(u8(ResultCode::AdministrativelyProhibited),
                              fmt::format("no transfer from {} was announced to node {}", who.to_string(), node_id_));
    }
    expected_.erase(it);
  }
  if (kind == "function") {
    const json& f = req.at("function");
    Function fn;
    fn.id = f.at("id").get<std::uint32_t>();
    if (functions_.count(fn.id) != 0) {
      return transfer_failure(128, fmt::format("Function {} already exists on node {}", fn.id, node_id_));
    }
    fn.name = f.value("name", std::string());
    fn.state = f.value("state", std::string());
    fn.memory = f.value("memory", std::uint64_t{0});
    if (fn.memory == 0) fn.memory = cfg_.function_memory;  // a Function never costs nothing
    fn.storage = f.value("storage", std::uint64_t{0});
    const json sessions = f.value("sessions", json::array());
    if (const std::string why = refuse_resources(fn.id, fn.memory, sessions.size(), true); !why.empty()) {
      return transfer_failure(u8(ResultCode::InsufficientResources), why);
    }
    for (const auto& s : sessions) {
      fn.sessions.push_back(Session{s.value("uri", std::string()), s.value("contact", std::string())});
    }
    fn.started = ntp_now();
    fn.status = std::string(kRunning);
    info("Function {} ({}) received from node {} by {} with {} session(s)", fn.id, fn.name, from,
         req.value("mode", std::string("move")), fn.sessions.size());
    functions_[fn.id] = fn;
    save_state();
    send_status_update(fn, kRunning);
    return json{{"ok", true}};
  }
  if (kind == "sessions") {
    const json& list = req.at("sessions");
    if (const std::string why = refuse_resources(0, 0, list.size(), false); !why.empty()) {
      return transfer_failure(u8(ResultCode::InsufficientResources), why);
    }
    for (const auto& s : list) {
      const auto fid = s.at("function").get<std::uint32_t>();
      if (functions_.count(fid) == 0) {
        return transfer_failure(u8(ResultCode::StatusUnknown),
                                fmt::format("unknown Function {} on node {}", fid, node_id_));
      }
    }
    for (const auto& s : list) {
      functions_[s.at("function").get<std::uint32_t>()].sessions.push_back(
          Session{s.value("uri", std::string()), s.value("contact", std::string())});
    }
    info("{} session(s) received from node {}", list.size(), from);
    save_state();
    return json{{"ok", true}};
  }
  return transfer_failure(128, "unknown transfer kind " + kind);
}

void Agent::send_status_update(const Function& f, std::string_view status, std::string_view text) {
  if (!conn_ || !registered_) return;
  const FaultSet& flt = cfg_.conn.faults;
  Message su = status_update(0, node_id_);
  if (flt.has(Fault::StatusUpdateMissingNodeId)) su.options.clear();
  su.add(Option::function_id(f.id));
  su.add(Option::function_info(function_info::Name, f.name));
  su.add(Option::running_status(flt.has(Fault::BadRunningStatus) ? std::string_view("Sleeping") : status));
  if (flt.has(Fault::BadFunctionInfoValue)) su.add(Option::function_info(function_info::RequiredMemory, "a lot"));
  if (flt.has(Fault::UnknownFunctionInfo)) su.add(Option::function_info(99, "1"));
  if (!text.empty()) su.add(Option::vendor_info(text));
  conn_->send_request(std::move(su));
}

void Agent::sample() {
  if (stopped_) return;
  if (cfg_.load_threshold >= 0 || cfg_.mem_threshold >= 0) {
    const Resources r = sampler_.sample();
    const bool load_high = cfg_.load_threshold >= 0 && r.load_average >= cfg_.load_threshold;
    const bool mem_low = cfg_.mem_threshold >= 0 && r.mem_total != 0 &&
                         static_cast<double>(r.mem_available) / static_cast<double>(r.mem_total) < cfg_.mem_threshold;
    const bool high = load_high || mem_low;
    if (high != high_load_ && conn_ && registered_ && !cfg_.conn.faults.has(Fault::NoSpontaneousReport)) {
      high_load_ = high;
      const std::string text =
          high ? fmt::format("load above threshold (load {:.2f}, memory available {})", r.load_average, r.mem_available)
               : fmt::format("load back below threshold (load {:.2f})", r.load_average);
      info("spontaneous Status-Update: {}", text);
      Message su = status_update(0, node_id_);
      if (cfg_.conn.faults.has(Fault::StatusUpdateMissingNodeId)) su.options.clear();
      add_node_info(su, r, false);
      su.add(Option::vendor_info(text));
      conn_->send_request(std::move(su));
    }
  }
  sample_timer_.expires_after(seconds(cfg_.sample_interval));
  sample_timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec) sample();
  });
}

namespace {

std::string function_key(std::uint32_t id) { return fmt::format("functions/{}", id); }

json function_json(const Function& f) {
  json ss = json::array();
  for (const auto& s : f.sessions) ss.push_back(session_json(s));
  return json{{"id", f.id},         {"name", f.name},       {"status", f.status}, {"state", f.state},
              {"memory", f.memory}, {"storage", f.storage}, {"sessions", ss}};
}

}  // namespace

// The Functions (and their sessions) the agent had ACKed, and its Node ID
// unless one is provisioned. A Function that was Starting is Running now; one
// that was Terminating is gone (its DELETE was ACKed).
void Agent::restore_state() {
  if (cfg_.state_file.empty()) return;
  journal_ = std::make_unique<Journal>(cfg_.state_file, JournalOptions{.collections = {"functions"}});
  const auto& r = journal_->records();
  if (auto it = r.find("node_id"); it != r.end() && it->second.is_number_unsigned() && cfg_.node_id == 0) {
    node_id_ = it->second.get<std::uint32_t>();
  }
  for (const auto& [key, v] : r) {
    if (key.rfind("functions/", 0) != 0 || !v.is_object()) continue;
    Function f;
    f.id = v.value("id", 0u);
    f.name = v.value("name", std::string());
    f.state = v.value("state", std::string());
    f.status = v.value("status", std::string(kRunning));
    f.memory = v.value("memory", std::uint64_t{0});
    f.storage = v.value("storage", std::uint64_t{0});
    f.started = ntp_now();
    if (auto ss = v.find("sessions"); ss != v.end() && ss->is_array()) {
      for (const auto& s : *ss) {
        if (s.is_object())
          f.sessions.push_back(Session{s.value("uri", std::string()), s.value("contact", std::string())});
      }
    }
    if (f.status == kTerminating) continue;
    if (f.status == kStarting) f.status = std::string(kRunning);
    functions_[f.id] = std::move(f);
  }
  if (!functions_.empty() || node_id_ != cfg_.node_id) {
    info("state restored from {}: node {}, {} Function(s)", cfg_.state_file, node_id_, functions_.size());
  }
}

void Agent::save_state() {
  if (!journal_) return;
  // Only what changed is journaled.
  journal_->put("node_id", node_id_);
  journal_->put("registered", registered_);
  journal_->put("stopped", stopped_);
  for (const auto& [id, f] : functions_) journal_->put(function_key(id), function_json(f));
  std::vector<std::string> gone;
  for (const auto& [key, v] : journal_->records()) {
    if (key.rfind("functions/", 0) == 0 && functions_.count(v.value("id", 0u)) == 0) gone.push_back(key);
  }
  for (const auto& key : gone) journal_->erase(key);
}

void Agent::shutdown() {
  if (stopping_) return;
  if (!conn_ || !registered_) {
    info("shutting down (not registered)");
    stop(exit_status_);
    return;
  }
  info("shutting down: sending De-registration");
  Message d = deregistration(0, node_id_);
  if (cfg_.conn.faults.has(Fault::DeregistrationMissingNodeId)) d.options.clear();
  stopping_ = true;
  // Nothing more after the De-registration (VSM-5-DEREGISTERED): no Status-Update of a Function booting meanwhile.
  registered_ = false;
  conn_->send_request(std::move(d), [this](const MessageView* ack) {
    if (ack) {
      info("de-registered: {}", code_name(ack->header.code));
    } else {
      warn("no ACK to the De-registration");
    }
    registered_ = false;
    stop(exit_status_);
  });
  if (cfg_.conn.faults.has(Fault::StatusUpdateAfterDeregistration)) conn_->send_request(status_update(0, node_id_));
}

void Agent::stop(int status) {
  if (stopped_) return;
  stopping_ = true;
  stopped_ = true;
  exit_status_ = status;
  reconnect_timer_.cancel();
  sample_timer_.cancel();
  if (transfer_) transfer_->stop();
  if (conn_) {
    auto c = conn_;
    conn_.reset();
    c->close("agent stopping");
  }
  save_state();
  if (journal_) journal_->compact();  // at exit the state file alone holds the state
  // Let queued writes (the last ACK) go out, then end the event loop.
  auto t = std::make_shared<asio::steady_timer>(io_, std::chrono::milliseconds(50));
  t->async_wait([this, t](boost::system::error_code) { io_.stop(); });
}

}  // namespace vsm::peers
