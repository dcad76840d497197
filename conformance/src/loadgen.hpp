// SPDX-License-Identifier: GPL-2.0-or-later
// `vsm-conform load`: many simulated Execution Nodes against one manager.
#pragma once

#include <cstdint>
#include <string>

#include "vsm/dictionary.hpp"

namespace vsm::conform {

struct LoadConfig {
  std::string host = "127.0.0.1";
  std::uint16_t port = kDefaultPort;
  std::size_t nodes = 100;
  double duration = 10;  // seconds
  double rate = 0.2;     // Status-Updates per node per second
  double ack_timer = 5;  // seconds: a request without ACK by then is unanswered
  LengthConvention convention = LengthConvention::Total4;
  std::uint64_t seed = 1;
};

// Prints a live progress line (stderr) and the results (stdout); 0 when every
// node registered, none was lost, every request was ACKed and nothing broke a rule.
int run_load(const LoadConfig& cfg);

}  // namespace vsm::conform
