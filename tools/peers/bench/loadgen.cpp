// SPDX-License-Identifier: GPL-2.0-or-later
// vsm-loadgen: many simulated Execution Nodes in one process, for measuring
// how many concurrent nodes a manager holds (tools/peers/README.md, Capacity).
// Each node registers with Node ID 0 and ACKs every Keep-Alive; the program
// reports how many registered, how long it took, how many Keep-Alives were
// answered and how many connections were lost.
#include <sys/resource.h>

#include <boost/program_options.hpp>
#include <iostream>

#include "common/cli.hpp"

namespace po = boost::program_options;
using namespace vsm;
using namespace vsm::peers;

namespace {

struct Stats {
  std::size_t connected = 0;
  std::size_t registered = 0;
  std::size_t refused = 0;
  std::size_t keepalives = 0;
  std::size_t other = 0;
  std::size_t lost = 0;
  double first_start = 0;
  double all_registered = 0;
};

class Load {
 public:
  Load(asio::io_context& io, tcp::endpoint to, std::size_t nodes, std::size_t parallel, ConnConfig cfg)
      : io_(io), to_(to), nodes_(nodes), parallel_(parallel), cfg_(cfg) {
    cfg_.local_role = Role::Node;
  }

  void start() {
    stats_.first_start = io::now();
    for (std::size_t i = 0; i < parallel_ && started_ < nodes_; ++i) connect_next();
  }
  const Stats& stats() const { return stats_; }
  void stop() { stopping_ = true; }
  std::vector<std::shared_ptr<Connection>>& conns() { return conns_; }

 private:
  void connect_next() {
    if (started_ >= nodes_) return;
    ++started_;
    auto sock = std::make_shared<tcp::socket>(io_);
    sock->async_connect(to_, [this, sock](boost::system::error_code ec) {
      if (ec) {
        ++stats_.lost;
        warn("connect failed: {}", ec.message());
        connect_next();
        return;
      }
      ++stats_.connected;
      auto c = std::make_shared<Connection>(std::move(*sock), cfg_, "node");
      conns_.push_back(c);
      Connection* cp = c.get();
      c->start(
          [this, cp](const MessageView& m, const FindingList&) {
            if (m.is_ack()) return;
            if (m.is(MsgType::KeepAlive)) {
              ++stats_.keepalives;
            } else {
              ++stats_.other;
            }
            cp->send_ack(ack_for(m.header, ResultCode::Successful, cp->node_id()));
          },
          [this](const std::string&) {
            if (!stopping_) ++stats_.lost;
          });
      c->send_request(registration(0, 0), [this, cp](const MessageView* ack) {
        if (ack && ack->header.code == 0 && ack->node_id().value_or(0) != 0) {
          cp->set_node_id(*ack->node_id());
          cp->mark_registered();
          if (++stats_.registered == nodes_) stats_.all_registered = io::now();
        } else {
          ++stats_.refused;
        }
        connect_next();
      });
    });
  }

  asio::io_context& io_;
  tcp::endpoint to_;
  std::size_t nodes_;
  std::size_t parallel_;
  std::size_t started_ = 0;
  bool stopping_ = false;
  ConnConfig cfg_;
  Stats stats_;
  std::vector<std::shared_ptr<Connection>> conns_;
};

}  // namespace

int main(int argc, char** argv) {
  CommonOptions common;
  common.log_level = "warn";
  std::string manager = "127.0.0.1:7750";
  std::size_t nodes = 1000;
  std::size_t parallel = 256;
  double hold = 10;
  po::options_description desc("vsm-loadgen: many simulated Execution Nodes against one manager\n\nOptions");
  desc.add_options()                                                                          //
      ("help,h", "show this help")                                                            //
      ("manager", po::value(&manager)->default_value(manager), "manager address HOST:PORT")   //
      ("nodes", po::value(&nodes)->default_value(nodes), "number of simulated nodes")         //
      ("parallel", po::value(&parallel)->default_value(parallel), "registrations in flight")  //
      ("hold", po::value(&hold)->default_value(hold), "seconds to keep the nodes up once registered");
  add_common_options(desc, common);
  po::variables_map vm;
  if (auto status = parse_command_line(argc, argv, desc, vm, "vsm-loadgen")) return *status;
  std::string host;
  std::uint16_t port = 0;
  if (!split_host_port(manager, "--manager", "vsm-loadgen", host, port)) return 2;
  boost::system::error_code addr_ec;
  const auto address = asio::ip::make_address(host, addr_ec);
  if (addr_ec) {
    std::cerr << "vsm-loadgen: --manager needs an IP address (got '" << host << "')\n";
    return 2;
  }
  ConnConfig cfg;
  if (auto status = apply_common_options(common, "vsm-loadgen", kAgent, cfg)) return *status;
  rlimit rl{};
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  asio::io_context io(1);
  const tcp::endpoint to(address, port);
  Load load(io, to, nodes, parallel, cfg);
  asio::steady_timer report(io);
  std::function<void()> tick = [&] {
    const Stats& s = load.stats();
    std::cout << fmt::format("t={:.1f}s connected={} registered={} refused={} keepalives_acked={} lost={}\n",
                             io::now() - s.first_start, s.connected, s.registered, s.refused, s.keepalives, s.lost)
              << std::flush;
    if (s.all_registered > 0 && io::now() - s.all_registered >= hold) {
      load.stop();
      for (auto& c : load.conns()) c->close("done");
      io.stop();
      return;
    }
    report.expires_after(std::chrono::seconds(1));
    report.async_wait([&](boost::system::error_code ec) {
      if (!ec) tick();
    });
  };
  load.start();
  tick();
  io.run();
  const Stats& s = load.stats();
  std::cout << fmt::format(
      "nodes={} registered={} in {:.2f}s, keep-alives acked={}, other requests acked={}, connections lost={}\n", nodes,
      s.registered, s.all_registered > 0 ? s.all_registered - s.first_start : -1.0, s.keepalives, s.other, s.lost);
  return s.registered == nodes && s.lost == 0 ? 0 : 1;
}
