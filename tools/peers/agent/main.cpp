// SPDX-License-Identifier: GPL-2.0-or-later
// vsm-agent: the reference Execution Node (see tools/peers/README.md).
#include <boost/program_options.hpp>
#include <iostream>

#include "../../common/cli.hpp"
#include "../common/cli.hpp"
#include "agent.hpp"

namespace po = boost::program_options;
using namespace vsm::peers;

int main(int argc, char** argv) {
  AgentConfig cfg;
  CommonOptions common;
  std::string manager = "127.0.0.1:7750";
  po::options_description desc("Options");
  desc.add_options()                //
      ("help,h", "show this help")  //
      ("manager", vsm::cli::value_with_default(&manager)->value_name("HOST:PORT"),
       "the manager's address: a name, IPv4, or [IPv6]:PORT")                                                     //
      ("node-id", po::value(&cfg.node_id)->default_value(0), "provisioned Node ID (0: the manager assigns one)")  //
      ("transfer-address", vsm::cli::value_with_default(&cfg.transfer_address),
       "IPv4 address of the agent-to-agent transfer channel (advertised in the Registration)")                     //
      ("transfer-port", po::value(&cfg.transfer_port)->default_value(0), "port of the transfer channel (0: any)")  //
      ("state-file", po::value(&cfg.state_file),
       "the agent's state: a JSON snapshot here plus a journal of changes (FILE.journal), restored at start")  //
      ("memory-budget", vsm::cli::value_with_default(&cfg.memory_budget),
       "bytes of memory the Functions may use (beyond it: Code 129)")  //
      ("function-memory", vsm::cli::value_with_default(&cfg.function_memory),
       "memory of a Function whose ADD names none or 0 (bytes)")  //
      ("max-functions", vsm::cli::value_with_default(&cfg.max_functions),
       "Functions this node holds at most (one more: Code 129)")  //
      ("max-sessions", vsm::cli::value_with_default(&cfg.max_sessions),
       "sessions this node holds at most, over all its Functions (beyond: Code 129)")  //
      ("transfer-allow", po::value(&cfg.transfer_allow)->composing()->value_name("ADDR|CIDR"),
       "a destination transfers may go to (repeatable; default: this host's addresses, loopback and the "
       "manager's /24 or /64; never unspecified, broadcast or multicast)")  //
      ("transfer-window", vsm::cli::value_with_default(&cfg.transfer_window),
       "seconds an announced transfer is expected on the transfer channel")  //
      ("transfer-max-bytes", vsm::cli::value_with_default(&cfg.transfer_max_bytes),
       "octets of one incoming transfer at most")  //
      ("start-delay", vsm::cli::value_with_default(&cfg.start_delay),
       "seconds from Starting to Running")                                                               //
      ("stop-delay", vsm::cli::value_with_default(&cfg.stop_delay), "seconds from Terminating to gone")  //
      ("reconnect-delay", vsm::cli::value_with_default(&cfg.reconnect_delay),
       "seconds between connection attempts")  //
      ("sample-interval", vsm::cli::value_with_default(&cfg.sample_interval),
       "seconds between resource samples for the thresholds")  //
      ("load-threshold", vsm::cli::value_with_default(&cfg.load_threshold),
       "1-minute load average at or above which a Status-Update is sent (negative: off)")  //
      ("mem-threshold", vsm::cli::value_with_default(&cfg.mem_threshold),
       "fraction of memory available below which a Status-Update is sent (negative: off)")  //
      ("storage-path", vsm::cli::value_with_default(&cfg.storage_path),
       "file system whose size is reported as storage");
  add_common_options(desc, common);
  po::variables_map vm;
  if (auto status = parse_command_line(argc, argv, desc, vm, "vsm-agent",
                                       program_summary("vsm-agent: the reference VSM Execution Node")))
    return *status;
  if (auto status = apply_common_options(common, "vsm-agent", kAgent, cfg.conn)) return *status;
  if (!output_writable(cfg.state_file, "--state-file", "vsm-agent")) return vsm::cli::kExitIo;
  if (!split_host_port(manager, "--manager", "vsm-agent", cfg.manager_host, cfg.manager_port, false))
    return vsm::cli::kExitUsage;
  try {
    asio::io_context io(1);
    Agent agent(io, cfg);
    asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](boost::system::error_code ec, int sig) {
      if (ec) return;
      info("signal {}: shutting down", sig);
      agent.shutdown();
      // A second signal stops at once.
      signals.async_wait([&](boost::system::error_code ec2, int) {
        if (!ec2) io.stop();
      });
    });
    agent.start();
    io.run();
    return agent.exit_status();
  } catch (const std::exception& e) {
    error("fatal: {}", e.what());
    return 1;
  }
}
