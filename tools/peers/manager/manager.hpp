// SPDX-License-Identifier: GPL-2.0-or-later
// vsm-manager: the reference Manager Node. Admits Execution Nodes by an
// allowlist, assigns and tracks Node IDs, checks nodes with Keep-Alives and
// runs a plan of operations against them.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "../common/connection.hpp"
#include "../common/journal.hpp"
#include "fifo_timer.hpp"
#include "memory_trim.hpp"
#include "plan.hpp"
#include "vsm/catalogue.hpp"

namespace vsm::peers {

struct ManagerConfig {
  std::string listen_address = "127.0.0.1";
  std::uint16_t port = kDefaultPort;
  std::vector<std::string> allow;  // addresses or CIDR prefixes admitted; empty: everyone
  double keepalive_interval = 5.0;
  unsigned max_missed = 3;
  std::optional<Plan> plan;
  double linger = 0;  // seconds to keep serving after the plan
  std::string state_file;
  // Limits (tools/peers/README.md): seconds, counts; 0 turns one off.
  double register_timeout = 10;         // a connection that has not registered by then is closed
  double idle_timeout = 30;             // a connection that sent no octet for that long is closed
  std::size_t max_unregistered = 256;   // connections not registered yet; further accepts are closed at once
  double node_grace = 60;               // de-registered, dead and lost nodes are forgotten after it
  std::size_t max_nodes = 200000;       // node table size; a Registration needing one more gets Code 129
  std::vector<std::string> node_allow;  // "ID=ADDR|CIDR": Node ID ID registers only from there (repeatable)
  ConnConfig conn;
};

// An address against "ADDR" or "ADDR/PREFIX" (IPv4 or IPv6). nullopt: the entry is not one.
std::optional<bool> address_matches(const asio::ip::address& a, const std::string& entry);
// "ID=ADDR|CIDR" of --node-allow; an error text when it is not one.
std::optional<std::string> parse_node_allow(const std::string& entry, std::uint32_t& id, std::string& where);

struct NodeRecord {
  std::uint32_t id = 0;
  std::weak_ptr<Connection> conn;
  bool registered = false;
  bool deregistered = false;
  bool dead = false;
  std::string address;
  std::optional<asio::ip::address> transfer_ip;
  std::optional<std::uint16_t> transfer_port;
  unsigned missed = 0;
  double gone_at = 0;  // io::now() when it de-registered, died or was lost (0: registered); forgotten after the grace
  std::map<std::uint32_t, std::string> functions;  // Function ID -> last Running status heard
  std::map<std::string, std::string> info;         // last Node information reported, by keyword
};

class Manager {
 public:
  Manager(asio::io_context& io, ManagerConfig cfg);
  void start();
  void shutdown(const std::string& why);
  int exit_status() const noexcept { return exit_status_; }

 private:
  struct Link {
    std::shared_ptr<Connection> conn;
    std::uint32_t node_id = 0;
    std::optional<FifoTimer<Connection*>::Handle> keepalive;  // the next Keep-Alive, on keepalives_
    bool deregistering = false;  // the manager's De-registration waits for its ACK: no Keep-Alive
    double accepted_at = 0;      // io::now() of the accept: the registration deadline counts from it
  };
  // A Registration claiming the Node ID of a node whose connection is open:
  // the old connection is asked (Keep-Alive) before the ID changes hands.
  struct Probe {
    std::uint64_t token = 0;
    std::weak_ptr<Connection> claimant;
    std::vector<std::uint8_t> registration;  // the claimant's Registration as received
    LengthConvention convention = LengthConvention::Total4;
    std::shared_ptr<asio::steady_timer> deadline;  // within the claimant's own ACK timer
  };
  void accept();
  void on_message(Connection* c, const MessageView& m, const FindingList& findings);
  void on_registration(Link& link, const MessageView& m);
  void admit(Link& link, const MessageView& m, std::uint32_t id);
  void start_probe(Link& link, const MessageView& m, std::uint32_t id, const std::shared_ptr<Connection>& old);
  void probe_done(std::uint32_t id, std::uint64_t token, bool answered, const std::weak_ptr<Connection>& old);
  bool node_allowed(std::uint32_t id, const asio::ip::address& a) const;
  std::uint32_t assign_id();
  void accept_failed(const boost::system::error_code& ec);
  void arm_sweep();
  void sweep();
  void on_registered(Link& link);
  void arm_keepalive(Link& link);
  void stop_keepalive(Connection* c);
  void on_closed(Connection* c, const std::string& reason);
  void keepalive(Connection* c);
  void keepalive_due(Connection* c, std::uint64_t token);
  void refuse(Connection& c, const MessageView& m, ResultCode code, const std::string& text,
              std::optional<Req> why = std::nullopt);
  bool allowed(const asio::ip::address& a) const;
  void record_info(NodeRecord& n, const MessageView& m);
  void note_status(NodeRecord& n, const MessageView& m);
  NodeRecord* node(std::uint32_t id);
  Connection* node_connection(std::uint32_t id);
  // Plan
  void run_step();
  void step_done(bool ok, const std::string& outcome);
  void check_wait();
  bool wait_satisfied(const Step& s);
  std::optional<std::string> send_operation(const Step& s);
  bool announced_ = false;  // the running transfer step's destination has ACKed its announcement
  Message build_operation(const Step& s, std::string& problem);
  void finish_plan(bool ok);
  // State file (common/journal.hpp): the node table, one record per node.
  void restore_state();
  void save_state();                 // every node (rare events: plan steps, exit)
  void save_node(std::uint32_t id);  // one node: before the ACK that depends on it

  asio::io_context& io_;
  ManagerConfig cfg_;
  tcp::acceptor acceptor_;
  std::unordered_map<Connection*, Link> links_;
  // Every node's Keep-Alive on one timer (they share the interval), and the memory given back after closes.
  FifoTimer<Connection*> keepalives_{io_, [this](Connection* c, std::uint64_t token) { keepalive_due(c, token); }};
  MemoryTrim trim_;
  std::map<std::uint32_t, NodeRecord> nodes_;
  std::unique_ptr<Journal> journal_;
  std::uint32_t next_id_ = 1;
  std::multimap<std::uint32_t, std::string> node_allow_;  // --node-allow, by Node ID
  std::unordered_map<std::uint32_t, Probe> probes_;       // by the claimed Node ID
  std::uint64_t probe_token_ = 0;
  std::size_t unregistered_ = 0;  // links without a Node ID
  bool at_unregistered_limit_ = false;
  std::size_t closed_at_limit_ = 0;
  std::chrono::milliseconds accept_backoff_{0};  // 0: accepting normally
  double accept_error_at_ = 0;
  std::size_t accept_failures_ = 0;
  bool stopping_ = false;
  int exit_status_ = 0;
  // Plan state
  std::size_t step_ = 0;
  bool step_active_ = false;
  double step_started_ = 0;
  std::uint64_t step_token_ = 0;
  asio::steady_timer step_timer_;
  asio::steady_timer linger_timer_;
  asio::steady_timer accept_timer_;  // the accept back-off
  asio::steady_timer sweep_timer_;   // every deadline: one sweep a second
};

}  // namespace vsm::peers
