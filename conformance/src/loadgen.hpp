// SPDX-License-Identifier: GPL-2.0-or-later
// `vsm-conform load`: many simulated Execution Nodes against one manager.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "vsm/dictionary.hpp"
#include "vsm/keywords.hpp"

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
  // Local addresses the connections are bound to before connecting, in
  // turn (each address has its own ephemeral ports: many of them stay clear
  // of port exhaustion); empty: the system picks.
  std::vector<std::string> sources;
};

// --sources: N (127.0.0.1 to 127.0.0.N), A (one IPv4 address) or A-B (IPv4
// addresses A to B); the addresses, or what is wrong.
Parsed<std::vector<std::string>> parse_sources(const std::string& text);

// Prints a live progress line (stderr) and the results (stdout); 0 when every
// node registered, none was lost, every request was ACKed and nothing broke a rule.
int run_load(const LoadConfig& cfg);

}  // namespace vsm::conform
