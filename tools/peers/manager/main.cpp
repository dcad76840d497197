// SPDX-License-Identifier: GPL-2.0-or-later
// vsm-manager: the reference Manager Node (see tools/peers/README.md).
#include <sys/resource.h>

#include <boost/program_options.hpp>
#include <iostream>

#include "../../common/cli.hpp"
#include "../common/cli.hpp"
#include "manager.hpp"

namespace po = boost::program_options;
using namespace vsm::peers;

namespace {

// As many descriptors as the hard limit allows: one per node connection.
void raise_nofile() {
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return;
  if (rl.rlim_cur < rl.rlim_max) {
    const rlim_t before = rl.rlim_cur;
    rl.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) == 0) debug("RLIMIT_NOFILE raised from {} to {}", before, rl.rlim_cur);
  }
}

}  // namespace

int main(int argc, char** argv) {
  ManagerConfig cfg;
  CommonOptions common;
  std::string listen = "127.0.0.1:7750";
  std::string plan_file;
  std::vector<std::string> steps;
  po::options_description desc("Options");
  desc.add_options()                //
      ("help,h", "show this help")  //
      ("listen", vsm::cli::value_with_default(&listen)->value_name("HOST:PORT"),
       "address to listen on: a name, IPv4, or [IPv6]:PORT (port 0: any)")  //
      ("allow", po::value(&cfg.allow)->composing(),
       "admit nodes from this IPv4/IPv6 address or CIDR prefix (repeatable; none given: admit everyone); others get "
       "Code 130")  //
      ("keepalive-interval", vsm::cli::value_with_default(&cfg.keepalive_interval),
       "seconds between Keep-Alives to each node")  //
      ("max-missed", vsm::cli::value_with_default(&cfg.max_missed),
       "Keep-Alive ACKs a node may miss in a row before it is declared dead")                                       //
      ("plan", po::value(&plan_file), "YAML plan of operations to run; the exit status says whether it succeeded")  //
      ("step", po::value(&steps)->composing(),
       "one more plan step as YAML, run after the plan file's (repeatable), e.g. --step 'get: {node: 1}'")  //
      ("linger", po::value(&cfg.linger)->default_value(0), "seconds to keep serving after the plan")        //
      ("state-file", po::value(&cfg.state_file),
       "the node table: a JSON snapshot here plus a journal of changes (FILE.journal), restored at start")  //
      ("node-allow", po::value(&cfg.node_allow)->composing(),
       "ID=ADDR|CIDR: Node ID ID registers only from this IPv4/IPv6 address or prefix (repeatable); from "
       "elsewhere it gets Code 130")  //
      ("register-timeout", vsm::cli::value_with_default(&cfg.register_timeout),
       "seconds a connection may stay without a Registration before it is closed (0: no limit)")  //
      ("idle-timeout", vsm::cli::value_with_default(&cfg.idle_timeout),
       "seconds a connection may send nothing (Keep-Alive ACKs count) before it is closed (0: no limit)")  //
      ("max-unregistered", vsm::cli::value_with_default(&cfg.max_unregistered),
       "connections not registered yet; further ones are closed at once (0: no limit)")  //
      ("node-grace", vsm::cli::value_with_default(&cfg.node_grace),
       "seconds a de-registered, dead or lost node stays in the node table (0: for ever)")  //
      ("max-nodes", vsm::cli::value_with_default(&cfg.max_nodes),
       "nodes in the table; a Registration needing one more gets Code 129 (0: no limit)");
  add_common_options(desc, common);
  po::variables_map vm;
  if (auto status = parse_command_line(argc, argv, desc, vm, "vsm-manager",
                                       program_summary("vsm-manager: the reference VSM Manager Node")))
    return *status;
  if (auto status = apply_common_options(common, "vsm-manager", kManager, cfg.conn)) return *status;
  if (!output_writable(cfg.state_file, "--state-file", "vsm-manager")) return vsm::cli::kExitIo;
  if (!split_host_port(listen, "--listen", "vsm-manager", cfg.listen_address, cfg.port, true)) {
    return vsm::cli::kExitUsage;
  }
  // A name (localhost) listens on the first address it resolves to.
  if (const auto addrs = vsm::cli::resolve(vsm::cli::HostPort{cfg.listen_address, cfg.port})) {
    cfg.listen_address = addrs->front();
  } else {
    return vsm::cli::usage_error(std::cerr, {"vsm-manager", "", "", ""},
                                 std::string("--listen: ").append(addrs.error()));
  }
  if (cfg.keepalive_interval <= 0 || cfg.max_missed == 0) {
    return vsm::cli::usage_error(std::cerr, {"vsm-manager", "", "", ""},
                                 "--keepalive-interval and --max-missed must be positive");
  }
  if (cfg.register_timeout < 0 || cfg.idle_timeout < 0 || cfg.node_grace < 0) {
    return vsm::cli::usage_error(std::cerr, {"vsm-manager", "", "", ""},
                                 "--register-timeout, --idle-timeout and --node-grace must not be negative");
  }
  for (const auto& e : cfg.node_allow) {
    std::uint32_t id = 0;
    std::string where;
    if (const auto problem = parse_node_allow(e, id, where)) {
      return vsm::cli::usage_error(std::cerr, {"vsm-manager", "", "", ""},
                                   fmt::format("--node-allow {}: {}", e, *problem));
    }
  }
  if (!plan_file.empty() || !steps.empty()) {
    try {
      cfg.plan = plan_file.empty() ? Plan{} : load_plan(plan_file);
      append_steps(*cfg.plan, steps);
    } catch (const std::exception& e) {
      std::cerr << "vsm-manager: " << e.what() << "\n";
      return vsm::cli::kExitUsage;
    }
  }
  raise_nofile();
  try {
    asio::io_context io(1);
    Manager manager(io, cfg);
    asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](boost::system::error_code ec, int sig) {
      if (ec) return;
      manager.shutdown(fmt::format("signal {}", sig));
    });
    manager.start();
    io.run();
    return manager.exit_status();
  } catch (const std::exception& e) {
    error("fatal: {}", e.what());
    return 1;
  }
}
