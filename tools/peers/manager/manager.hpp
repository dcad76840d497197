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
#include "plan.hpp"

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
  ConnConfig conn;
};

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
    std::unique_ptr<asio::steady_timer> keepalive;
    bool deregistering = false;  // the manager's De-registration waits for its ACK: no Keep-Alive
  };
  void accept();
  void on_message(Connection* c, const MessageView& m, const FindingList& findings);
  void on_registration(Link& link, const MessageView& m);
  void on_registered(Link& link);
  void arm_keepalive(Link& link);
  void stop_keepalive(Connection* c);
  void on_closed(Connection* c, const std::string& reason);
  void keepalive(Connection* c);
  void refuse(Connection& c, const MessageView& m, ResultCode code, const std::string& text);
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
  void save_state();

  asio::io_context& io_;
  ManagerConfig cfg_;
  tcp::acceptor acceptor_;
  std::unordered_map<Connection*, Link> links_;
  std::map<std::uint32_t, NodeRecord> nodes_;
  std::uint32_t next_id_ = 1;
  bool stopping_ = false;
  int exit_status_ = 0;
  // Plan state
  std::size_t step_ = 0;
  bool step_active_ = false;
  double step_started_ = 0;
  std::uint64_t step_token_ = 0;
  asio::steady_timer step_timer_;
  asio::steady_timer linger_timer_;
};

}  // namespace vsm::peers
