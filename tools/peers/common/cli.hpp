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

// "<what> (draft-...)": the help text's summary line, the draft's name from the codec.
std::string program_summary(std::string_view what);

// Parses the command line into vm: --help prints the help (only desc's
// options), --version the version text (tools/common/cli.hpp), a bad command
// line the error and where help is. Returns the exit status when the program
// should stop (0 after --help or --version, 2 on an error).
std::optional<int> parse_command_line(int argc, char** argv, const boost::program_options::options_description& desc,
                                      boost::program_options::variables_map& vm, std::string_view program,
                                      std::string_view summary);

// HOST:PORT (a name, IPv4 or [IPv6]:PORT; port 0 only when listening); false,
// with the error naming the option and the expected shape on stderr, when it
// is not one.
bool split_host_port(const std::string& text, std::string_view option, std::string_view program, std::string& host,
                     std::uint16_t& port, bool listening);

// An output file (--state-file) that cannot be written is a usage error at
// start, not a silent loss later: false, with the reason on stderr.
bool output_writable(const std::string& path, std::string_view option, std::string_view program);

}  // namespace vsm::peers
