// SPDX-License-Identifier: GPL-2.0-or-later
#include "manager.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>

#include "../../common/cli.hpp"
#include "../common/log.hpp"
#include "transport.hpp"
#include "vsm/keywords.hpp"
#include "vsm/text.hpp"

namespace vsm::peers {

using nlohmann::json;

namespace {

std::chrono::steady_clock::duration seconds(double s) {
  return std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(s));
}

// HOST:PORT, IPv6 in brackets (the shape --listen takes).
std::string endpoint_text(const tcp::endpoint& ep) { return cli::HostPort{ep.address().to_string(), ep.port()}.text(); }

std::string vendor_text(const MessageView& m) {
  const auto v = m.find(OptType::VendorInfo, vendor_info::Message);
  return v ? std::string(v->text()) : std::string();
}

void print_line(const std::string& line) {
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

// The requirement ID a log line names, in brackets.
std::string tag(Req r) { return fmt::format("[{}]", requirement(r).id); }

constexpr std::chrono::milliseconds kAcceptBackoffFirst{100}, kAcceptBackoffMax{5000};
constexpr double kAcceptQuiet = 10;     // s without an accept error: the back-off starts again from the first step
constexpr double kProbeShare = 0.8;     // of the ACK timer: how long a claimed node's connection has to answer
constexpr double kSweepInterval = 1.0;  // s: the one timer of every deadline

}  // namespace

std::optional<bool> address_matches(const asio::ip::address& a, const std::string& entry) {
  boost::system::error_code ec;
  const auto slash = entry.find('/');
  const auto base = asio::ip::make_address(entry.substr(0, slash), ec);
  if (ec) return std::nullopt;
  if (slash == std::string::npos) return base == a;
  unsigned prefix = 0;
  const std::string p = entry.substr(slash + 1);
  if (p.empty() || p.size() > 3 || !std::all_of(p.begin(), p.end(), [](char ch) { return ch >= '0' && ch <= '9'; })) {
    return std::nullopt;
  }
  prefix = static_cast<unsigned>(std::stoul(p));
  if (prefix > (base.is_v4() ? 32u : 128u)) return std::nullopt;
  auto bytes_of = [](const asio::ip::address& x) {
    std::array<std::uint8_t, 16> b{};
    if (x.is_v4()) {
      const auto v4 = x.to_v4().to_bytes();
      std::copy(v4.begin(), v4.end(), b.begin());
    } else {
      b = x.to_v6().to_bytes();
    }
    return b;
  };
  asio::ip::address other = a;
  if (base.is_v4() && a.is_v6() && a.to_v6().is_v4_mapped()) other = a.to_v6().to_v4();
  if (base.is_v4() != other.is_v4()) return false;
  const auto x = bytes_of(base), y = bytes_of(other);
  for (unsigned i = 0; i < prefix; ++i) {
    const unsigned bit = 7 - i % 8;
    if (((x[i / 8] >> bit) & 1) != ((y[i / 8] >> bit) & 1)) return false;
  }
  return true;
}

std::optional<std::string> parse_node_allow(const std::string& entry, std::uint32_t& id, std::string& where) {
  const auto eq = entry.find('=');
  if (eq == std::string::npos || eq == 0) return "expected ID=ADDR or ID=ADDR/PREFIX";
  const std::string n = entry.substr(0, eq);
  if (n.size() > 10 || !std::all_of(n.begin(), n.end(), [](char ch) { return ch >= '0' && ch <= '9'; })) {
    return fmt::format("'{}' is not a Node ID", n);
  }
  const unsigned long long v = std::stoull(n);
  if (v == 0 || v > 0xFFFFFFFFull) return fmt::format("'{}' is not a Node ID (1 to 4294967295)", n);
  where = entry.substr(eq + 1);
  if (!address_matches(asio::ip::address_v4::loopback(), where)) {
    return fmt::format("'{}' is not an address or CIDR prefix", where);
  }
  id = static_cast<std::uint32_t>(v);
  return std::nullopt;
}

Manager::Manager(asio::io_context& io, ManagerConfig cfg)
    : io_(io),
      cfg_(std::move(cfg)),
      acceptor_(io),
      step_timer_(io),
      linger_timer_(io),
      accept_timer_(io),
      sweep_timer_(io) {
  cfg_.conn.local_role = Role::Manager;
  for (const auto& e : cfg_.node_allow) {
    std::uint32_t id = 0;
    std::string where;
    if (!parse_node_allow(e, id, where)) node_allow_.emplace(id, where);
  }
}

void Manager::start() {
  restore_state();
  const tcp::endpoint at(asio::ip::make_address(cfg_.listen_address), cfg_.port);
  transport::open(acceptor_, at.protocol(), cfg_.conn.sctp);
  acceptor_.set_option(tcp::acceptor::reuse_address(true));
  acceptor_.bind(at);
  acceptor_.listen(asio::socket_base::max_listen_connections);
  info("listening on {}", endpoint_text(acceptor_.local_endpoint()));
  accept();
  arm_sweep();
  if (cfg_.plan) {
    info("plan: {} step(s)", cfg_.plan->steps.size());
    asio::post(io_, [this] { run_step(); });
  }
}

bool Manager::allowed(const asio::ip::address& a) const {
  if (cfg_.allow.empty()) return true;
  for (const auto& entry : cfg_.allow) {
    if (address_matches(a, entry).value_or(false)) return true;
  }
  return false;
}

// --node-allow: a listed Node ID registers only from its addresses; the others from anywhere.
bool Manager::node_allowed(std::uint32_t id, const asio::ip::address& a) const {
  const auto [b, e] = node_allow_.equal_range(id);
  if (b == e) return true;
  for (auto it = b; it != e; ++it) {
    if (address_matches(a, it->second).value_or(false)) return true;
  }
  return false;
}

// A Node ID for a node that asks for one: never 0, one in use, or one --node-allow reserves.
std::uint32_t Manager::assign_id() {
  while (next_id_ == 0 || nodes_.count(next_id_) != 0 || node_allow_.count(next_id_) != 0) ++next_id_;
  return next_id_++;
}

// Out of descriptors and the like: wait 100 ms, doubling to 5 s, and say so
// once per change of the wait rather than once per attempt.
void Manager::accept_failed(const boost::system::error_code& ec) {
  ++accept_failures_;
  accept_error_at_ = io::now();
  const auto next =
      accept_backoff_.count() == 0 ? kAcceptBackoffFirst : std::min(accept_backoff_ * 2, kAcceptBackoffMax);
  if (next != accept_backoff_) {
    accept_backoff_ = next;
    warn("accept failed: {}; next attempt in {} ms{}", ec.message(), accept_backoff_.count(),
         accept_backoff_ == kAcceptBackoffMax ? " (and so on while it fails)" : "");
  }
  accept_timer_.expires_after(accept_backoff_);
  accept_timer_.async_wait([this](boost::system::error_code e) {
    if (!e && !stopping_) accept();
  });
}

void Manager::accept() {
  acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket s) {
    if (ec == asio::error::operation_aborted || stopping_) return;
    if (ec) {
      accept_failed(ec);
      return;
    }
    if (accept_backoff_.count() != 0 && io::now() - accept_error_at_ >= kAcceptQuiet) {
      info("accepting normally again ({} accept(s) failed)", accept_failures_);
      accept_backoff_ = std::chrono::milliseconds(0);
      accept_failures_ = 0;
    }
    if (cfg_.max_unregistered != 0 && unregistered_ >= cfg_.max_unregistered) {
      // Closed before anything is read: a flood of connections that never register costs a descriptor each, briefly.
      if (!at_unregistered_limit_) {
        warn("{} connection(s) have not registered (--max-unregistered {}): closing new ones at once", unregistered_,
             cfg_.max_unregistered);
        at_unregistered_limit_ = true;
      }
      ++closed_at_limit_;
      boost::system::error_code ignored;
      s.close(ignored);
      accept();
      return;
    }
    if (at_unregistered_limit_) {
      info("below --max-unregistered again: {} connection(s) were closed at once", closed_at_limit_);
      at_unregistered_limit_ = false;
      closed_at_limit_ = 0;
    }
    if (const std::string e = transport::tune(s, cfg_.conn.sctp, cfg_.conn.sctp_ppid); !e.empty()) warn("{}", e);
    auto conn = std::make_shared<Connection>(std::move(s), cfg_.conn, "");
    conn->set_label(fmt::format("node ?@{}", endpoint_text(conn->remote())));
    Connection* c = conn.get();
    debug("connection from {}", endpoint_text(conn->remote()));
    Link link;
    link.conn = conn;
    link.accepted_at = io::now();
    links_.emplace(c, std::move(link));
    ++unregistered_;
    conn->start([this, c](const MessageView& m, const FindingList& fl) { on_message(c, m, fl); },
                [this, c](const std::string& reason) { on_closed(c, reason); });
    accept();
  });
}

NodeRecord* Manager::node(std::uint32_t id) {
  auto it = nodes_.find(id);
  return it == nodes_.end() ? nullptr : &it->second;
}

Connection* Manager::node_connection(std::uint32_t id) {
  NodeRecord* n = node(id);
  if (!n || !n->registered) return nullptr;
  auto c = n->conn.lock();
  return c && c->is_open() ? c.get() : nullptr;
}

void Manager::refuse(Connection& c, const MessageView& m, ResultCode code, const std::string& text,
                     std::optional<Req> why) {
  warn("{} refusing {}: {}{}", c.label(), summarize(m), text, why ? " " + tag(*why) : std::string());
  Message a = ack_for(m.header, code, c.node_id() != 0 ? c.node_id() : m.node_id().value_or(0));
  if (m.header.type == u8(MsgType::Operation)) a.add(Option::running_status(kRunningStatuses[3]));
  a.add(Option::vendor_info(text));
  c.send_ack(std::move(a));
}

void Manager::on_message(Connection* c, const MessageView& m, const FindingList& findings) {
  auto it = links_.find(c);
  if (it == links_.end() || !m.has_header()) return;
  Link& link = it->second;
  const Header& h = m.header;
  if (m.is_ack()) {
    debug("{} ACK seq {} matches no request of ours", c->label(), h.seq);
    return;
  }
  if (!is_known_type(h.type)) {
    refuse(*c, m, ResultCode::Failed, fmt::format("Protocol error: unknown message type {}", h.type));
    return;
  }
  if (const Finding* bad = refusing_finding(findings)) {
    refuse(*c, m, ResultCode::Failed, fmt::format("Protocol error: {}", describe(*bad)));
    return;
  }
  if (h.type == u8(MsgType::Registration)) {
    on_registration(link, m);
    return;
  }
  if (link.node_id == 0) {
    refuse(*c, m, ResultCode::Failed, "Protocol error: not registered");
    return;
  }
  NodeRecord* n = node(link.node_id);
  switch (static_cast<MsgType>(h.type)) {
    case MsgType::StatusUpdate: {
      if (n) {
        record_info(*n, m);
        note_status(*n, m);
      }
      const auto fid = m.function_id();
      const auto st = m.find(OptType::FunctionInfo, function_info::RunningStatus);
      const std::string text = vendor_text(m);
      info("status-update from node {}{}{}{}", link.node_id, fid ? fmt::format(" function {}", *fid) : "",
           st ? fmt::format(" {}", st->text()) : "", text.empty() ? "" : fmt::format(" ({})", text));
      save_node(link.node_id);  // the state before the ACK that depends on it
      if (!cfg_.conn.faults.has(Fault::NoAckStatusUpdate)) {
        c->send_ack(ack_for(h, ResultCode::Successful, link.node_id));
      }
      check_wait();
      return;
    }
    case MsgType::Deregistration: {
      if (n) {
        n->registered = false;
        n->deregistered = true;
        n->gone_at = io::now();
      }
      save_node(link.node_id);  // the state before the ACK that depends on it
      c->send_ack(ack_for(h, ResultCode::Successful, link.node_id));
      info("node {} de-registered", link.node_id);
      if (link.keepalive) link.keepalive->cancel();
      check_wait();
      return;
    }
    case MsgType::Error: {
      warn("Error from node {}: {} {}", link.node_id, code_name(h.code), vendor_text(m));
      c->send_ack(ack_for(h, ResultCode::Successful, link.node_id));
      return;
    }
    default:
      refuse(*c, m, ResultCode::Failed, fmt::format("Protocol error: {} is a Manager Node message", type_name(h.type)));
      return;
  }
}

void Manager::on_registration(Link& link, const MessageView& m) {
  Connection& c = *link.conn;
  const auto addr = c.remote().address();
  if (!allowed(addr) && !cfg_.conn.faults.has(Fault::AdmitEveryone)) {
    refuse(c, m, ResultCode::AdministrativelyProhibited,
           fmt::format("address {} is not in the manager's allowlist", addr.to_string()), Req::Admission);
    c.close("not admitted");
    return;
  }
  const std::uint32_t requested = m.node_id().value_or(0);
  std::uint32_t id = requested;
  if (link.node_id != 0 && (requested == 0 || requested == link.node_id)) {
    id = link.node_id;  // registering again on the same connection
  } else if (id == 0 || cfg_.conn.faults.has(Fault::ReassignNodeId)) {
    id = 0;  // assigned below, once the table has room
  } else {
    if (!node_allowed(id, addr)) {
      refuse(c, m, ResultCode::AdministrativelyProhibited,
             fmt::format("address {} may not register as node {} (--node-allow)", addr.to_string(), id),
             Req::Admission);
      return;
    }
    // The ID of a node whose connection is open: that connection is asked first (PROFILE.md "Node identity").
    if (NodeRecord* old = node(id)) {
      auto oc = old->conn.lock();
      if (oc && oc.get() != &c && oc->is_open() && old->registered) {
        const auto ol = links_.find(oc.get());
        if (probes_.count(id) != 0 || (ol != links_.end() && ol->second.deregistering)) {
          refuse(c, m, ResultCode::AdministrativelyProhibited,
                 fmt::format("node {} is registered and alive at {}", id, old->address), Req::NodeIdentity);
          return;
        }
        start_probe(link, m, id, oc);
        return;
      }
    }
  }
  if ((id == 0 || nodes_.count(id) == 0) && cfg_.max_nodes != 0 && nodes_.size() >= cfg_.max_nodes) {
    refuse(c, m, ResultCode::InsufficientResources,
           fmt::format("the node table is full: {} nodes (--max-nodes)", nodes_.size()), Req::Admission);
    return;
  }
  if (id == 0) id = assign_id();
  admit(link, m, id);
}

void Manager::start_probe(Link& link, const MessageView& m, std::uint32_t id, const std::shared_ptr<Connection>& old) {
  Probe& p = probes_[id];
  p.token = ++probe_token_;
  p.claimant = link.conn;
  p.registration.assign(m.bytes.begin(), m.bytes.end());
  p.convention = m.convention;
  const NodeRecord* n = node(id);
  info(
      "node {} is claimed by a Registration from {} while registered at {}: asking its connection with a "
      "Keep-Alive {}",
      id, endpoint_text(link.conn->remote()), n ? n->address : std::string("?"), tag(Req::NodeIdentity));
  const std::uint64_t token = p.token;
  std::weak_ptr<Connection> weak = old;
  // An ACK says the node is still there; no ACK in time, or the close, that it moved. "In time" is a share of
  // the ACK timer: the claimant's Registration waits for its own ACK meanwhile, and must get it within that timer.
  p.deadline = std::make_shared<asio::steady_timer>(io_, seconds(cfg_.conn.ack_timeout * kProbeShare));
  p.deadline->async_wait([this, id, token, weak](boost::system::error_code ec) {
    if (!ec) probe_done(id, token, false, weak);
  });
  old->send_request(keep_alive(0, id),
                    [this, id, token, weak](const MessageView* ack) { probe_done(id, token, ack != nullptr, weak); });
}

void Manager::probe_done(std::uint32_t id, std::uint64_t token, bool answered, const std::weak_ptr<Connection>& old) {
  auto it = probes_.find(id);
  if (it == probes_.end() || it->second.token != token) return;
  const Probe p = std::move(it->second);
  probes_.erase(it);
  if (p.deadline) p.deadline->cancel();
  if (stopping_) return;
  auto claimant = p.claimant.lock();
  auto link = claimant ? links_.find(claimant.get()) : links_.end();
  if (link == links_.end() || !claimant->is_open()) {
    info("node {}: its claimant went away while its connection was asked", id);
    return;
  }
  const MessageView reg = decode(p.registration, p.convention);
  NodeRecord* n = node(id);
  auto oc = old.lock();
  const bool current = n && oc && n->conn.lock() == oc;
  if (answered && current && oc->is_open()) {
    refuse(*claimant, reg, ResultCode::AdministrativelyProhibited,
           fmt::format("node {} is registered and alive at {}", id, n->address), Req::NodeIdentity);
    return;
  }
  warn("node {} moved: its connection at {} {}; the Node ID goes to {} {}", id, n ? n->address : std::string("?"),
       answered ? "is gone" : "did not answer a Keep-Alive within the ACK timer", endpoint_text(claimant->remote()),
       tag(Req::NodeIdentity));
  if (current && oc->is_open()) oc->close("node moved to a new connection");
  admit(link->second, reg, id);
}

void Manager::admit(Link& link, const MessageView& m, std::uint32_t id) {
  Connection& c = *link.conn;
  const std::uint32_t requested = m.node_id().value_or(0);
  if (NodeRecord* old = node(id)) {
    auto oc = old->conn.lock();
    if (oc && oc.get() != &c && oc->is_open()) {
      // Not registered any more (de-registered) but still connected: the new Registration takes its ID.
      info("node {} registers from {}; closing its earlier connection at {}", id, endpoint_text(c.remote()),
           old->address);
      oc->close("node registered on a new connection");
    }
  }
  if (link.node_id == 0 && unregistered_ > 0) --unregistered_;
  NodeRecord& n = nodes_[id];
  const bool again = n.id == id && (n.deregistered || n.dead || !n.registered);
  n.id = id;
  n.conn = link.conn;
  n.registered = true;
  n.deregistered = false;
  n.dead = false;
  n.missed = 0;
  n.gone_at = 0;
  n.address = endpoint_text(c.remote());
  if (auto ip = m.find(OptType::IPv4); ip && ip->ipv4()) {
    n.transfer_ip = asio::ip::address_v4(*ip->ipv4());
  } else if (auto ip6 = m.find(OptType::IPv6); ip6 && ip6->ipv6()) {
    n.transfer_ip = asio::ip::address_v6(*ip6->ipv6());
  }
  if (auto port = m.find(OptType::Port)) n.transfer_port = port->u16();
  record_info(n, m);
  link.node_id = id;
  c.set_node_id(id);
  c.set_label(fmt::format("node {}", id));
  const std::uint32_t returned = cfg_.conn.faults.has(Fault::RegistrationAckNodeZero) ? 0 : id;
  if (cfg_.conn.faults.has(Fault::KeepaliveBeforeRegistrationAck)) c.send_request(keep_alive(0, id));
  save_node(id);  // the state before the ACK that depends on it: an ACKed Node ID survives a crash
  c.send_ack(ack_for(m.header, ResultCode::Successful, returned));
  c.mark_registered();
  info("node {} registered from {} ({}{}){}", id, n.address, requested == 0 ? "assigned" : "provisioned",
       n.transfer_ip && n.transfer_port
           ? fmt::format(", transfer endpoint {}:{}", n.transfer_ip->to_string(), *n.transfer_port)
           : std::string(),
       again ? " again" : "");
  on_registered(link);
  check_wait();
}

void Manager::on_registered(Link& link) {
  Connection& c = *link.conn;
  const std::uint32_t id = link.node_id;
  const FaultSet& f = cfg_.conn.faults;
  if (f.has(Fault::UnsolicitedAck)) {
    Message a(MsgType::Ack, 0x7ABCDE);
    a.add(Option::node_id(id));
    c.send_exact(a, cfg_.conn.convention);
  }
  if (f.has(Fault::UnknownType)) {
    Message m;
    m.type = 99;
    m.add(Option::node_id(id));
    c.send_request(std::move(m));
  }
  if (f.has(Fault::ErrorWithoutContent)) c.send_request(Message(MsgType::Error, 0));
  if (f.has(Fault::UnknownOperation)) {
    Message m(MsgType::Operation, 0, 99);
    m.add(Option::node_id(id));
    c.send_request(std::move(m));
  }
  if (f.has(Fault::ManagerSendsStatusUpdate)) c.send_request(status_update(0, id));
  link.deregistering = false;
  arm_keepalive(link);
}

void Manager::arm_keepalive(Link& link) {
  link.keepalive = keepalives_.schedule_after(cfg_.keepalive_interval, link.conn.get());
}

void Manager::keepalive_due(Connection* c, std::uint64_t token) {
  auto it = links_.find(c);
  if (it == links_.end() || !it->second.keepalive || it->second.keepalive->token != token) return;  // cancelled
  it->second.keepalive.reset();
  keepalive(c);
}

void Manager::stop_keepalive(Connection* c) {
  auto it = links_.find(c);
  if (it == links_.end()) return;
  it->second.deregistering = true;  // a Keep-Alive whose timer fired already is not sent either
  if (it->second.keepalive) it->second.keepalive->cancel();
}

void Manager::keepalive(Connection* c) {
  auto it = links_.find(c);
  if (it == links_.end() || stopping_) return;
  Link& link = it->second;
  NodeRecord* n = node(link.node_id);
  if (!n || !n->registered || link.deregistering || !c->is_open()) return;
  const FaultSet& f = cfg_.conn.faults;
  if (f.has(Fault::NoKeepalive)) return;
  Message ka = keep_alive(0, link.node_id);
  if (f.has(Fault::SubtypeInKeepalive)) ka.subtype = 1;
  if (f.has(Fault::KeepaliveMissingNodeId)) ka.options.clear();
  const std::uint32_t id = link.node_id;
  std::weak_ptr<Connection> weak = link.conn;
  c->send_request(std::move(ka), [this, id, weak](const MessageView* ack) {
    NodeRecord* n = node(id);
    auto conn = weak.lock();
    if (!n || !conn || n->conn.lock() != conn) return;
    if (ack) {
      n->missed = 0;
      record_info(*n, *ack);
      return;
    }
    if (!conn->is_open() || !n->registered) return;
    ++n->missed;
    warn("node {}: no ACK to a Keep-Alive ({} of {} allowed)", id, n->missed, cfg_.max_missed);
    if (n->missed >= cfg_.max_missed) {
      error("node {} declared dead after {} missed Keep-Alive ACKs", id, n->missed);
      n->dead = true;
      n->registered = false;
      conn->close("node declared dead");
      save_node(id);
      check_wait();
    }
  });
  arm_keepalive(link);
}

void Manager::record_info(NodeRecord& n, const MessageView& m) {
  for (const OptionView o : m.options()) {
    if (o.type != u8(OptType::NodeInfo)) continue;
    const SubOptionSpec* s = sub_option_spec(o.type, o.subtype);
    if (!s) continue;
    n.info[std::string(s->keyword)] = s->kind == ValueKind::NtpTime ? format_value(o) : std::string(o.text());
  }
}

void Manager::note_status(NodeRecord& n, const MessageView& m) {
  const auto fid = m.function_id();
  const auto st = m.find(OptType::FunctionInfo, function_info::RunningStatus);
  if (fid && st) n.functions[*fid] = std::string(st->text());
}

void Manager::on_closed(Connection* c, const std::string& reason) {
  auto it = links_.find(c);
  if (it == links_.end()) return;
  const std::uint32_t id = it->second.node_id;
  if (it->second.keepalive) it->second.keepalive->cancel();
  if (id != 0) {
    NodeRecord* n = node(id);
    auto current = n ? n->conn.lock() : nullptr;
    if (n && (!current || current.get() == c) && !stopping_) {
      if (n->registered) warn("node {} lost: {}", id, reason);
      n->registered = false;
      if (n->gone_at == 0) n->gone_at = io::now();
    }
    info("connection of node {} closed: {}", id, reason);
  } else {
    if (unregistered_ > 0) --unregistered_;
    debug("connection {} closed: {}", c->label(), reason);
  }
  // The connection may still be on the call stack: let it go once the handler returns.
  asio::post(io_, [this, c] { links_.erase(c); });
  trim_.connection_closed(io_, links_.size() - 1);
  if (id != 0) save_node(id);
  check_wait();
}

// ---- Deadlines: one sweep a second for every connection and node ----------

void Manager::arm_sweep() {
  sweep_timer_.expires_after(seconds(kSweepInterval));
  sweep_timer_.async_wait([this](boost::system::error_code ec) {
    if (!ec && !stopping_) sweep();
  });
}

void Manager::sweep() {
  const double t = io::now();
  // A registered node hears a Keep-Alive every interval and ACKs it: never idle for less than that and its ACK timer.
  const double idle_registered = std::max(cfg_.idle_timeout, cfg_.keepalive_interval + cfg_.conn.ack_timeout);
  std::vector<std::shared_ptr<Connection>> late, idle;
  for (const auto& [c, link] : links_) {
    if (!link.conn->is_open()) continue;
    if (link.node_id == 0 && cfg_.register_timeout > 0 && t - link.accepted_at >= cfg_.register_timeout) {
      late.push_back(link.conn);
    } else if (cfg_.idle_timeout > 0 &&
               t - link.conn->last_received() >= (link.node_id == 0 ? cfg_.idle_timeout : idle_registered)) {
      idle.push_back(link.conn);
    }
  }
  // One line per sweep, not one per connection.
  if (!late.empty()) {
    warn("closing {} connection(s) not registered within {} s (--register-timeout) {}", late.size(),
         cfg_.register_timeout, tag(Req::RegisterFirst));
  }
  if (!idle.empty()) {
    warn("closing {} connection(s) that sent nothing for {} s (--idle-timeout)", idle.size(), cfg_.idle_timeout);
  }
  for (auto& c : late) c->close("not registered in time");
  for (auto& c : idle) c->close("idle");
  // De-registered, dead and lost nodes are forgotten after the grace period.
  if (cfg_.node_grace > 0) {
    std::size_t forgotten = 0;
    for (auto it = nodes_.begin(); it != nodes_.end();) {
      const NodeRecord& n = it->second;
      if (!n.registered && n.gone_at > 0 && t - n.gone_at >= cfg_.node_grace && probes_.count(it->first) == 0) {
        debug("node {} forgotten after the grace period", it->first);
        const std::uint32_t id = it->first;
        it = nodes_.erase(it);
        save_node(id);  // journals the erase
        ++forgotten;
      } else {
        ++it;
      }
    }
    if (forgotten != 0) {
      info("{} node(s) forgotten: de-registered, dead or lost for {} s (--node-grace)", forgotten, cfg_.node_grace);
    }
  }
  arm_sweep();
}

// ---- Plan -----------------------------------------------------------------

void Manager::run_step() {
  if (!cfg_.plan || stopping_) return;
  const auto& steps = cfg_.plan->steps;
  if (step_ >= steps.size()) {
    finish_plan(true);
    return;
  }
  const Step& s = steps[step_];
  step_active_ = true;
  step_started_ = io::now();
  const std::uint64_t token = ++step_token_;
  info_unlimited("step {}/{}: {}", step_ + 1, steps.size(), s.text);
  if (s.kind == Step::Kind::Sleep) {
    step_timer_.expires_after(seconds(s.seconds));
    step_timer_.async_wait([this, token](boost::system::error_code ec) {
      if (!ec && token == step_token_) step_done(true, "done");
    });
    return;
  }
  if (s.kind == Step::Kind::Wait) {
    if (wait_satisfied(s)) {
      step_done(true, "condition met");
      return;
    }
    step_timer_.expires_after(seconds(s.timeout));
    step_timer_.async_wait([this, token, timeout = s.timeout](boost::system::error_code ec) {
      if (!ec && token == step_token_) step_done(false, fmt::format("condition not met within {} s", timeout));
    });
    return;
  }
  if (auto problem = send_operation(s)) step_done(false, *problem);
}

bool Manager::wait_satisfied(const Step& s) {
  const NodeRecord* n = node(s.node);
  switch (s.cond) {
    case Step::Cond::Registered: return n && n->registered;
    case Step::Cond::RegisteredCount: {
      unsigned k = 0;
      for (const auto& [id, r] : nodes_) k += r.registered ? 1 : 0;
      return k >= s.count;
    }
    case Step::Cond::Deregistered: return n && n->deregistered;
    case Step::Cond::Dead: return n && n->dead;
    case Step::Cond::FunctionStatus: {
      if (!n) return false;
      auto f = n->functions.find(*s.function);
      return f != n->functions.end() && f->second == s.status;
    }
  }
  return false;
}

void Manager::check_wait() {
  if (!cfg_.plan || !step_active_ || step_ >= cfg_.plan->steps.size()) return;
  const Step& s = cfg_.plan->steps[step_];
  if (s.kind == Step::Kind::Wait && wait_satisfied(s)) step_done(true, "condition met");
}

void Manager::step_done(bool ok, const std::string& outcome) {
  if (!step_active_ || stopping_) return;
  step_active_ = false;
  ++step_token_;
  step_timer_.cancel();
  const auto& steps = cfg_.plan->steps;
  const double ms = (io::now() - step_started_) * 1000;
  print_line(fmt::format("step {}/{} {}: {} -> {} ({:.1f} ms)", step_ + 1, steps.size(), steps[step_].text,
                         ok ? "ok" : "FAILED", outcome, ms));
  save_state();
  if (!ok) {
    finish_plan(false);
    return;
  }
  ++step_;
  asio::post(io_, [this] { run_step(); });
}

Message Manager::build_operation(const Step& s, std::string& problem) {
  const FaultSet& f = cfg_.conn.faults;
  Message m;
  auto add_endpoint = [&](Message& msg) {
    const NodeRecord* d = node(s.to);
    if (!d || !d->transfer_ip || !d->transfer_port) {
      problem = fmt::format("node {} has no known transfer endpoint", s.to);
      return;
    }
    if (d->transfer_ip->is_v4()) {
      msg.add(Option::ipv4(d->transfer_ip->to_v4().to_bytes()));
    } else {
      msg.add(Option::ipv6(d->transfer_ip->to_v6().to_bytes()));
    }
    msg.add(Option::port(*d->transfer_port));
    if (f.has(Fault::BadIpv6Length) && s.kind != Step::Kind::MoveSession) {
      const std::uint8_t v[] = {0, 0, 0, 1};
      msg.add(Option::raw(u8(OptType::IPv6), 0, v));
    }
  };
  auto swap_nodes = [](Message& msg) {
    std::size_t a = msg.options.size(), b = msg.options.size();
    for (std::size_t i = 0; i < msg.options.size(); ++i) {
      if (msg.options[i].type != u8(OptType::NodeId)) continue;
      if (a == msg.options.size()) {
        a = i;
      } else if (b == msg.options.size()) {
        b = i;
      }
    }
    if (b < msg.options.size()) std::swap(msg.options[a], msg.options[b]);
  };
  auto drop = [](Message& msg, OptType t, unsigned index) {
    unsigned seen = 0;
    for (auto it = msg.options.begin(); it != msg.options.end(); ++it) {
      if (it->type == u8(t) && seen++ == index) {
        msg.options.erase(it);
        return;
      }
    }
  };
  switch (s.kind) {
    case Step::Kind::Add: {
      m = add_function(0, s.node, *s.function);
      if (!s.name.empty()) m.add(Option::function_info(function_info::Name, s.name));
      if (s.memory) m.add(Option::function_info(function_info::RequiredMemory, *s.memory));
      if (s.storage) m.add(Option::function_info(function_info::RequiredStorage, *s.storage));
      for (const auto& ss : s.sessions) {
        m.add(Option::session_info(session_info::SipUri, ss.uri));
        if (ss.contact.empty()) continue;
        if (const auto a = parse_address(ss.contact)) {
          m.add(Option::raw(u8(OptType::SessionInfo), session_info::ContactAddress, *a));
        } else {
          problem = fmt::format("bad contact address '{}'", ss.contact);
        }
      }
      if (f.has(Fault::OperationMissingNodeId)) drop(m, OptType::NodeId, 0);
      if (f.has(Fault::AddMissingFunctionId)) drop(m, OptType::FunctionId, 0);
      if (f.has(Fault::ShortFunctionId)) {
        for (auto& o : m.options) {
          if (o.type == u8(OptType::FunctionId)) o.value.erase(o.value.begin(), o.value.begin() + 2);
        }
      }
      break;
    }
    case Step::Kind::Delete:
      m = delete_function(0, s.node, *s.function);
      if (f.has(Fault::DeleteMissingFunctionId)) drop(m, OptType::FunctionId, 0);
      break;
    case Step::Kind::Get: {
      m = get(0, s.node, *s.function);
      auto items = s.items;
      if (items.empty()) {
        if (*s.function == 0) {
          for (const auto& spec : kNodeInfo) items.emplace_back(u8(OptType::NodeInfo), spec.sub);
        } else {
          items.emplace_back(u8(OptType::FunctionInfo), function_info::Name);
          items.emplace_back(u8(OptType::FunctionInfo), function_info::RunningStatus);
          items.emplace_back(u8(OptType::SessionInfo), session_info::Count);
        }
      }
      if (!f.has(Fault::GetNoItems)) {
        for (const auto& [t, sub] : items) {
          m.add(f.has(Fault::GetItemWithValue) ? Option::text(static_cast<OptType>(t), sub, "0")
                                               : Option::empty(static_cast<OptType>(t), sub));
        }
      }
      if (f.has(Fault::GetMissingFunctionId)) drop(m, OptType::FunctionId, 0);
      break;
    }
    case Step::Kind::Move:
    case Step::Kind::Copy: {
      const bool move = s.kind == Step::Kind::Move;
      m = transfer(move ? Operation::Move : Operation::Copy, 0, s.node, s.to, *s.function);
      add_endpoint(m);
      if (move && f.has(Fault::SwapSrcDst)) swap_nodes(m);
      if (!move && f.has(Fault::SwapSrcDstCopy)) swap_nodes(m);
      if (move && f.has(Fault::MoveMissingDestination)) drop(m, OptType::NodeId, 1);
      if (!move && f.has(Fault::CopyMissingFunctionId)) drop(m, OptType::FunctionId, 0);
      break;
    }
    case Step::Kind::MoveSession: {
      m = move_session(0, s.node, s.to);
      if (s.function) m.add(Option::function_id(*s.function));
      if (!f.has(Fault::MoveSessionMissingSessionInfo)) {
        for (const auto& u : s.uris) m.add(Option::session_info(session_info::SipUri, u));
        if (s.ratio) {
          m.add(Option::session_info(session_info::Ratio, f.has(Fault::BadSessionRatio) ? "1.5" : *s.ratio));
        } else if (f.has(Fault::BadSessionRatio)) {
          m.add(Option::session_info(session_info::Ratio, "1.5"));
        }
        if (s.session_count) m.add(Option::session_info(session_info::Count, *s.session_count));
        if (f.has(Fault::UnknownSessionInfo)) m.add(Option::session_info(99, "1"));
      }
      add_endpoint(m);
      if (f.has(Fault::SwapSrcDstMoveSession)) swap_nodes(m);
      break;
    }
    case Step::Kind::Deregister: m = deregistration(0, s.node); break;
    default: problem = "not an operation"; break;
  }
  return m;
}

std::optional<std::string> Manager::send_operation(const Step& s) {
  Connection* c = node_connection(s.node);
  if (!c) return fmt::format("node {} is not registered", s.node);
  std::string problem;
  Message m = build_operation(s, problem);
  if (!problem.empty()) return problem;
  const std::uint64_t token = step_token_;
  const Step step = s;
  const bool transfer_step =
      s.kind == Step::Kind::Move || s.kind == Step::Kind::Copy || s.kind == Step::Kind::MoveSession;
  if (transfer_step && !announced_) {
    // Destination first (PROFILE.md "Transfers"): the same operation goes to the
    // destination with the source's address and no Port; the source gets it only
    // once the destination has ACKed it.
    Connection* dc = node_connection(s.to);
    const NodeRecord* src = node(s.node);
    if (!dc) return fmt::format("node {} is not registered", s.to);
    if (!src || !src->transfer_ip) return fmt::format("node {} has no known transfer address", s.node);
    Message a;
    if (s.kind == Step::Kind::MoveSession) {
      a = move_session(0, s.node, s.to);
      if (s.function) a.add(Option::function_id(*s.function));
      for (const auto& u : s.uris) a.add(Option::session_info(session_info::SipUri, u));
      if (s.ratio) a.add(Option::session_info(session_info::Ratio, *s.ratio));
      if (s.session_count) a.add(Option::session_info(session_info::Count, *s.session_count));
      if (s.uris.empty() && !s.ratio && !s.session_count) a.add(Option::session_info(session_info::Ratio, "1"));
    } else {
      a = transfer(s.kind == Step::Kind::Move ? Operation::Move : Operation::Copy, 0, s.node, s.to, *s.function);
    }
    if (src->transfer_ip->is_v4()) {
      a.add(Option::ipv4(src->transfer_ip->to_v4().to_bytes()));
    } else {
      a.add(Option::ipv6(src->transfer_ip->to_v6().to_bytes()));
    }
    dc->send_request(std::move(a), [this, token, step](const MessageView* ack) {
      if (token != step_token_) return;
      if (!ack) {
        step_done(false, fmt::format("no ACK to the announcement to node {}", step.to));
        return;
      }
      if (ack->header.code != u8(ResultCode::Successful)) {
        const std::string text = vendor_text(*ack);
        step_done(false, fmt::format("node {} refused the announcement: {}{}", step.to, code_name(ack->header.code),
                                     text.empty() ? std::string() : " (" + text + ")"));
        return;
      }
      announced_ = true;
      auto problem = send_operation(step);
      announced_ = false;
      if (problem) step_done(false, *problem);
    });
    return std::nullopt;
  }
  // Once its De-registration is sent, the node gets no more requests (VSM-5-DEREGISTERED), Keep-Alives included.
  if (s.kind == Step::Kind::Deregister) stop_keepalive(c);
  c->send_request(std::move(m), [this, token, step](const MessageView* ack) {
    if (step.kind == Step::Kind::Deregister && ack && ack->header.code != u8(ResultCode::Successful)) {
      // Refused: the node stays registered and is checked again.
      if (Connection* nc = node_connection(step.node)) {
        if (auto it = links_.find(nc); it != links_.end()) {
          it->second.deregistering = false;
          arm_keepalive(it->second);
        }
      }
    }
    if (token != step_token_) return;
    if (!ack) {
      step_done(false, "no ACK");
      return;
    }
    if (ack->error || ack->cut()) {
      // Its Length disagrees with what follows (or it ends inside an option): what it says cannot be trusted.
      step_done(false, fmt::format("the ACK does not decode: {} at offset {} [{}]", errc_name(ack->error.code),
                                   ack->error.offset, requirement(Req::Length).id));
      return;
    }
    const std::uint8_t code = ack->header.code;
    const auto st = ack->find(OptType::FunctionInfo, function_info::RunningStatus);
    std::string outcome = code_name(code).empty() ? fmt::format("Code {}", code) : std::string(code_name(code));
    if (st) outcome += fmt::format(" [{}]", st->text());
    if (step.kind == Step::Kind::Get) {
      for (const OptionView o : ack->options()) {
        if (o.type != u8(OptType::NodeInfo) && o.type != u8(OptType::FunctionInfo) &&
            o.type != u8(OptType::SessionInfo)) {
          continue;
        }
        if (o.is(OptType::FunctionInfo, function_info::RunningStatus)) continue;
        outcome += fmt::format(" {}={}", option_keyword(o.type, o.subtype), format_value(o));
      }
    }
    const std::string text = vendor_text(*ack);
    if (!text.empty()) outcome += fmt::format(" ({})", text);
    // What the manager now knows of the Functions.
    if (code == u8(ResultCode::Successful) && step.function) {
      NodeRecord* src = node(step.node);
      if (src && st && (step.kind == Step::Kind::Add || step.kind == Step::Kind::Delete)) {
        src->functions[*step.function] = std::string(st->text());
      }
      if (src && step.kind == Step::Kind::Move) src->functions.erase(*step.function);
    }
    if (step.kind == Step::Kind::Deregister && code == u8(ResultCode::Successful)) {
      if (NodeRecord* n = node(step.node)) {
        n->registered = false;
        n->deregistered = true;
        n->gone_at = io::now();
      }
    }
    if (code == step.expect) {
      step_done(true, outcome);
    } else {
      step_done(false, fmt::format("expected {}, got {}", code_name(step.expect), outcome));
    }
  });
  return std::nullopt;
}

void Manager::finish_plan(bool ok) {
  const std::size_t n = cfg_.plan->steps.size();
  print_line(ok ? fmt::format("plan succeeded: {} step(s)", n)
                : fmt::format("plan FAILED at step {} of {}", step_ + 1, n));
  exit_status_ = ok ? 0 : 1;
  step_ = n;
  save_state();
  if (cfg_.linger > 0) {
    linger_timer_.expires_after(seconds(cfg_.linger));
    linger_timer_.async_wait([this](boost::system::error_code ec) {
      if (!ec) shutdown("plan finished");
    });
  } else {
    shutdown("plan finished");
  }
}

namespace {

std::string node_key(std::uint32_t id) { return fmt::format("nodes/{}", id); }

json node_json(const NodeRecord& n) {
  json fs = json::object();
  for (const auto& [fid, st] : n.functions) fs[std::to_string(fid)] = st;
  json node{{"id", n.id},     {"registered", n.registered}, {"deregistered", n.deregistered},
            {"dead", n.dead}, {"address", n.address},       {"functions", fs},
            {"info", n.info}};
  if (n.transfer_ip && n.transfer_port) {
    node["transfer"] = fmt::format("{}:{}", n.transfer_ip->to_string(), *n.transfer_port);
  }
  return node;
}

}  // namespace

// The node table as it was: every node known, none connected (its registration
// ended with the old process), its Node ID kept so it is never handed out again.
void Manager::restore_state() {
  if (cfg_.state_file.empty()) return;
  journal_ = std::make_unique<Journal>(cfg_.state_file, JournalOptions{.collections = {"nodes"}});
  for (const auto& [key, v] : journal_->records()) try {
      if (key.rfind("nodes/", 0) != 0 || !v.is_object()) continue;
      NodeRecord n;
      n.id = v.value("id", 0u);
      if (n.id == 0) continue;
      n.deregistered = v.value("deregistered", false);
      n.dead = v.value("dead", false);
      n.address = v.value("address", std::string());
      if (auto fs = v.find("functions"); fs != v.end() && fs->is_object()) {
        for (auto it = fs->begin(); it != fs->end(); ++it) {
          if (it->is_string()) n.functions[static_cast<std::uint32_t>(std::stoul(it.key()))] = it->get<std::string>();
        }
      }
      if (auto in = v.find("info"); in != v.end() && in->is_object()) {
        for (auto it = in->begin(); it != in->end(); ++it) {
          if (it->is_string()) n.info[it.key()] = it->get<std::string>();
        }
      }
      if (auto t = v.find("transfer"); t != v.end() && t->is_string()) {
        const std::string text = t->get<std::string>();
        const auto colon = text.rfind(':');
        boost::system::error_code ec;
        const auto ip = asio::ip::make_address(text.substr(0, colon), ec);
        if (colon != std::string::npos && !ec) {
          n.transfer_ip = ip;
          n.transfer_port = static_cast<std::uint16_t>(std::stoul(text.substr(colon + 1)));
        }
      }
      n.gone_at = io::now();  // not connected: forgotten after --node-grace unless it registers again
      nodes_[n.id] = n;
    } catch (const std::exception& e) {  // a number that does not parse: that record is left out, said where
      warn("state file {}: record {} left out: {}", cfg_.state_file, key, e.what());
    }
  if (!nodes_.empty()) info("state restored from {}: {} node(s), none connected", cfg_.state_file, nodes_.size());
  save_state();  // "registered" now says false: the old connections are gone
}

void Manager::save_node(std::uint32_t id) {
  if (!journal_) return;
  auto it = nodes_.find(id);
  if (it == nodes_.end()) {
    journal_->erase(node_key(id));
  } else {
    journal_->put(node_key(id), node_json(it->second));
  }
}

void Manager::save_state() {
  if (!journal_) return;
  // Only what changed is journaled.
  for (const auto& [id, n] : nodes_) journal_->put(node_key(id), node_json(n));
  std::vector<std::string> gone;
  for (const auto& [key, v] : journal_->records()) {
    if (key.rfind("nodes/", 0) == 0 && nodes_.count(v.value("id", 0u)) == 0) gone.push_back(key);
  }
  for (const auto& key : gone) journal_->erase(key);
}

void Manager::shutdown(const std::string& why) {
  if (stopping_) return;
  if (cfg_.plan && step_ < cfg_.plan->steps.size()) {
    print_line(fmt::format("plan interrupted at step {} of {}", step_ + 1, cfg_.plan->steps.size()));
    exit_status_ = 1;
  }
  info("shutting down: {}", why);
  stopping_ = true;
  step_timer_.cancel();
  linger_timer_.cancel();
  accept_timer_.cancel();
  sweep_timer_.cancel();
  boost::system::error_code ec;
  acceptor_.close(ec);
  std::vector<std::shared_ptr<Connection>> conns;
  for (auto& [c, link] : links_) {
    if (link.keepalive) link.keepalive->cancel();
    conns.push_back(link.conn);
  }
  for (auto& c : conns) c->close("manager stopping");
  save_state();
  if (journal_) journal_->compact();  // at exit the state file alone holds the state
  auto t = std::make_shared<asio::steady_timer>(io_, std::chrono::milliseconds(100));
  t->async_wait([this, t](boost::system::error_code) { io_.stop(); });
}

}  // namespace vsm::peers
