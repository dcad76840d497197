// SPDX-License-Identifier: GPL-2.0-or-later
// vsm-manager: the reference Manager Node (see tools/peers/README.md).
#include <sys/resource.h>

#include <boost/program_options.hpp>
#include <iostream>

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
  po::options_description desc(
      "vsm-manager: reference VSM Manager Node (draft-yokota-opsawg-virtnw-service-management-02)\n\nOptions");
  desc.add_options()                                                                                          //
      ("help,h", "show this help")                                                                            //
      ("listen", po::value(&listen)->default_value(listen), "address to listen on, HOST:PORT (port 0: any)")  //
      ("allow", po::value(&cfg.allow)->composing(),
       "admit nodes from this IPv4 address or CIDR prefix (repeatable; none given: admit everyone); others get "
       "Code 130")  //
      ("keepalive-interval", po::value(&cfg.keepalive_interval)->default_value(cfg.keepalive_interval),
       "seconds between Keep-Alives to each node")  //
      ("max-missed", po::value(&cfg.max_missed)->default_value(cfg.max_missed),
       "Keep-Alive ACKs a node may miss in a row before it is declared dead")                                       //
      ("plan", po::value(&plan_file), "YAML plan of operations to run; the exit status says whether it succeeded")  //
      ("step", po::value(&steps)->composing(),
       "one more plan step as YAML, run after the plan file's (repeatable), e.g. --step 'get: {node: 1}'")  //
      ("linger", po::value(&cfg.linger)->default_value(0), "seconds to keep serving after the plan")        //
      ("state-file", po::value(&cfg.state_file), "write the node table as JSON here on every change and at exit");
  add_common_options(desc, common);
  po::variables_map vm;
  if (auto status = parse_command_line(argc, argv, desc, vm, "vsm-manager")) return *status;
  if (auto status = apply_common_options(common, "vsm-manager", kManager, cfg.conn)) return *status;
  if (!split_host_port(listen, "--listen", "vsm-manager", cfg.listen_address, cfg.port)) return 2;
  if (cfg.keepalive_interval <= 0 || cfg.max_missed == 0) {
    std::cerr << "vsm-manager: --keepalive-interval and --max-missed must be positive\n";
    return 2;
  }
  if (!plan_file.empty() || !steps.empty()) {
    try {
      cfg.plan = plan_file.empty() ? Plan{} : load_plan(plan_file);
      append_steps(*cfg.plan, steps);
    } catch (const std::exception& e) {
      std::cerr << "vsm-manager: " << e.what() << "\n";
      return 2;
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
