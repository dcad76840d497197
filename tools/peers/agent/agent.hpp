// SPDX-License-Identifier: GPL-2.0-or-later
// vsm-agent: the reference Execution Node. Registers with a manager, keeps
// the Node ID it is given, answers every message with a correct ACK, reports
// the machine's resources and runs simulated Functions that the manager adds,
// deletes, queries, moves and copies between agents.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "../common/connection.hpp"
#include "../common/journal.hpp"
#include "../common/policy.hpp"
#include "../common/sysinfo.hpp"
#include "../common/transfer.hpp"

namespace vsm::peers {

struct AgentConfig {
  std::string manager_host = "127.0.0.1";
  std::uint16_t manager_port = kDefaultPort;
  std::uint32_t node_id = 0;  // provisioned ID (0: ask the manager)
  std::string transfer_address = "127.0.0.1";
  std::uint16_t transfer_port = 0;  // 0: any free port
  std::string state_file;
  std::uint64_t memory_budget = 1ull << 30;
  std::uint64_t function_memory = 64ull << 20;  // default when ADD names none (or names 0)
  std::size_t max_functions = 64;               // Functions on this node; one more gets Code 129
  std::size_t max_sessions = 100000;            // sessions over all Functions of this node; beyond: Code 129
  std::vector<std::string> transfer_allow;      // ADDR|CIDR destinations allowed (empty: the default policy)
  double transfer_window = 30;                  // seconds an announced transfer is expected
  std::size_t transfer_max_bytes = 16u << 20;   // of one incoming transfer
  double start_delay = 0.2;                     // seconds from Starting to Running
  double stop_delay = 0.2;                      // seconds from Terminating to gone
  double reconnect_delay = 0.5;
  double sample_interval = 1.0;
  double load_threshold = -1;  // < 0: off
  double mem_threshold = -1;   // fraction of memory available below which the node reports; < 0: off
  std::string storage_path = "/";
  ConnConfig conn;
};

struct Session {
  std::string uri;
  std::string contact;  // IP address as text ("" when unknown)
};

struct Function {
  std::uint32_t id = 0;
  std::string name;
  std::string state;   // the simulated service's state blob
  std::string status;  // a Running status text of the dictionary
  std::uint64_t memory = 0;
  std::uint64_t storage = 0;
  NtpTime started;
  std::vector<Session> sessions;
};

class Agent {
 public:
  Agent(asio::io_context& io, AgentConfig cfg);
  void start();
  // SIGINT/SIGTERM: De-registration, then stop.
  void shutdown();
  int exit_status() const noexcept { return exit_status_; }

 private:
  void connect();
  void on_resolved(boost::system::error_code ec, const tcp::resolver::results_type& results);
  void schedule_reconnect();
  // Says at the default log level that the manager cannot be reached and the
  // agent retries: when the error changes, else at most every kUnreachableReport.
  void unreachable(const std::string& why);
  void on_connected(tcp::socket s);
  void register_node();
  void on_registered();
  void on_message(const MessageView& m, const FindingList& findings);
  void on_operation(const MessageView& m);
  void op_add(const MessageView& m);
  void op_delete(const MessageView& m);
  void op_get(const MessageView& m);
  void op_transfer(const MessageView& m, bool move);
  void op_move_session(const MessageView& m);
  Message op_ack(const MessageView& req, ResultCode code, std::string_view status, std::string_view text);
  void send_ack(Message ack);
  void send_status_update(const Function& f, std::string_view status, std::string_view text = {});
  void add_node_info(Message& m, const Resources& r, bool full);
  std::optional<Option> node_item(std::uint8_t sub, const Resources& r);
  std::optional<Option> function_item(const Function& f, std::uint8_t sub);
  void sample();
  nlohmann::json on_transfer(const nlohmann::json& req, const tcp::endpoint& from);
  // A transfer operation naming this node as the destination, without a Port:
  // the manager announces a transfer from the source's address (PROFILE.md "Transfers").
  void op_announcement(const MessageView& m);
  // Why a transfer to `to` is refused by the policy (Code 130), or "".
  std::string refuse_destination(const asio::ip::address& to) const;
  std::uint64_t memory_used() const;
  // State file (common/journal.hpp): node fields, one record per Function.
  void restore_state();
  void save_state();  // journals what changed since the last call
  std::size_t sessions_held() const;
  // Why a Function of `memory` bytes with `sessions` sessions cannot be taken
  // in (Code 129), or "": checked arithmetic, no figure wraps.
  std::string refuse_resources(std::uint32_t fid, std::uint64_t memory, std::size_t sessions, bool new_function) const;
  void stop(int status);
  std::string status_of(std::uint32_t fid) const;

  asio::io_context& io_;
  AgentConfig cfg_;
  ResourceSampler sampler_;
  std::unique_ptr<TransferServer> transfer_;
  std::shared_ptr<Connection> conn_;
  asio::steady_timer reconnect_timer_;
  asio::steady_timer sample_timer_;
  std::uint32_t node_id_ = 0;
  bool registered_ = false;
  bool stopping_ = false;
  std::string unreachable_why_;  // the last failure reported ("" once connected)
  std::uint64_t attempts_failed_ = 0;
  std::chrono::steady_clock::time_point unreachable_reported_{};
  bool stopped_ = false;
  bool high_load_ = false;
  int exit_status_ = 0;
  std::map<std::uint32_t, Function> functions_;
  std::unique_ptr<Journal> journal_;
  // Transfers announced by the manager and not yet arrived.
  struct Expected {
    bool sessions = false;                  // MOVE_SESSION, else MOVE or COPY of `function`
    std::optional<std::uint32_t> function;  // the Function named
    asio::ip::address from;                 // the source's address
    std::chrono::steady_clock::time_point until;
  };
  std::vector<Expected> expected_;
  std::optional<TransferPolicy> policy_;  // --transfer-allow; else the default for the manager's address
};

}  // namespace vsm::peers
