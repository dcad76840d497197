// SPDX-License-Identifier: GPL-2.0-or-later
// Command-line options that both peers share, and the SCTP availability check.
#pragma once

#include <boost/program_options.hpp>
#include <optional>
#include <string>
#include <vector>

#include "connection.hpp"
#include "log.hpp"

namespace vsm::peers {

struct CommonOptions {
  std::string log_level = "info";
  std::vector<std::string> faults;
  bool list_faults = false;
  double ack_timeout = 5.0;
  std::string length_convention = "profile";
  std::string transport = "tcp";
  std::uint32_t sctp_ppid = 0;
  std::size_t max_message = kMaxPdu;
};

void add_common_options(boost::program_options::options_description& desc, CommonOptions& o);

// Validates the common options and fills the connection configuration.
// Returns an exit status when the program should stop (help, list, error).
std::optional<int> apply_common_options(const CommonOptions& o, std::string_view program, unsigned peer,
                                        ConnConfig& cfg);

// Parses the command line into vm, printing --help or the error. Returns the
// exit status when the program should stop (0 after --help, 2 on an error).
std::optional<int> parse_command_line(int argc, char** argv, const boost::program_options::options_description& desc,
                                      boost::program_options::variables_map& vm, std::string_view program);

// Splits "HOST:PORT" or "[IPV6]:PORT"; false (with a message on stderr naming
// the option) when it is neither.
bool split_host_port(const std::string& text, std::string_view option, std::string_view program, std::string& host,
                     std::uint16_t& port);

}  // namespace vsm::peers
