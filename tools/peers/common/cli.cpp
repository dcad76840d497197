// SPDX-License-Identifier: GPL-2.0-or-later
#include "cli.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>

#include "../../common/cli.hpp"
#include "transport.hpp"
#include "vsm/version.hpp"

namespace vsm::peers {

namespace po = boost::program_options;

void add_common_options(po::options_description& desc, CommonOptions& o) {
  desc.add_options()                                                                                                //
      ("log-level", cli::value_with_default(&o.log_level), "debug, info, warn or error")                            //
      ("fault", po::value(&o.faults)->composing(), "break one rule on purpose (repeatable; see --list-faults)")     //
      ("list-faults", po::bool_switch(&o.list_faults), "print the fault switches and the requirement each breaks")  //
      ("ack-timeout", cli::value_with_default(&o.ack_timeout),
       "seconds to wait for an ACK (the ACK timer of VSM-5-ACK)")  //
      ("length-convention", cli::value_with_default(&o.length_convention),
       cli::length_convention_help().c_str())                              //
      ("transport", cli::value_with_default(&o.transport), "tcp or sctp")  //
      ("sctp-ppid", cli::value_with_default(&o.sctp_ppid),
       "SCTP payload protocol identifier of the DATA chunks sent (none is assigned to VSM)")  //
      ("max-message", cli::value_with_default(&o.max_message),
       "largest message accepted, in octets (each connection buffers twice this)");
}

std::optional<int> apply_common_options(const CommonOptions& o, std::string_view program, unsigned peer,
                                        ConnConfig& cfg) {
  const cli::CommandHelp help{std::string(program), "", "", ""};
  auto usage = [&](const std::string& why) { return std::optional<int>(cli::usage_error(std::cerr, help, why)); };
  LogLevel level = LogLevel::Info;
  if (!parse_log_level(o.log_level, level)) {
    return usage(
        std::string("--log-level: unknown log level '").append(o.log_level).append("' (debug, info, warn, error)"));
  }
  set_log(program, level);
  if (o.list_faults) {
    std::cout << list_faults(peer);
    return 0;
  }
  if (std::string err = cfg.faults.parse(o.faults, peer); !err.empty()) {
    return usage(err);
  }
  for (const auto& f : o.faults) {
    const FaultSpec* s = find_fault(f);
    warn("fault switch {} on: breaks {} ({})", s->name, requirement(s->req).id, s->what);
  }
  if (const auto conv = cli::parse_length_convention(o.length_convention)) {
    cfg.convention = *conv;
  } else {
    return usage(std::string("--length-convention: ").append(conv.error()));
  }
  if (o.ack_timeout <= 0) {
    return usage("--ack-timeout must be positive");
  }
  cfg.ack_timeout = o.ack_timeout;
  if (o.max_message < 64 || o.max_message > kMaxPdu) {
    return usage(std::string("--max-message must be between 64 and ").append(std::to_string(kMaxPdu)));
  }
  cfg.max_pdu = o.max_message;
  if (o.transport == "sctp") {
    const std::string why = transport::sctp_unavailable_reason();
    if (!why.empty()) {
      error("SCTP transport unavailable: {}", why);
      return cli::kExitUsage;
    }
    cfg.sctp = true;
    cfg.sctp_ppid = o.sctp_ppid;
  } else if (o.transport != "tcp") {
    return usage("--transport is tcp or sctp");
  }
  return std::nullopt;
}

std::string program_summary(std::string_view what) {
  std::string t(what);
  t.append(" (").append(vsm::kDraftName).append(")");
  return t;
}

std::optional<int> parse_command_line(int argc, char** argv, const po::options_description& desc, po::variables_map& vm,
                                      std::string_view program, std::string_view summary) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  const cli::CommandHelp help{std::string(program), "", "", std::string(summary)};
  if (cli::asks_for(args, "help", "h")) {
    cli::print_help(std::cout, help, desc);
    return cli::kExitOk;
  }
  if (cli::asks_for(args, "version")) {
    std::cout << cli::version_text(program);
    return cli::kExitOk;
  }
  if (auto e = cli::parse_options(args, desc, po::positional_options_description{}, vm)) {
    return cli::usage_error(std::cerr, help, *e);
  }
  return std::nullopt;
}

bool split_host_port(const std::string& text, std::string_view option, std::string_view program, std::string& host,
                     std::uint16_t& port, bool listening) {
  const auto hp = cli::parse_host_port(text, listening ? cli::PortZero::Allowed : cli::PortZero::Refused);
  if (!hp) {
    cli::usage_error(std::cerr, cli::CommandHelp{std::string(program), "", "", ""},
                     std::string(option).append(" ").append(hp.error()));
    return false;
  }
  host = hp->host;
  port = hp->port;
  return true;
}

bool output_writable(const std::string& path, std::string_view option, std::string_view program) {
  if (path.empty()) return true;
  // The files are written as PATH.tmp, then renamed: that is what must be possible.
  const std::string tmp = path + ".tmp";
  std::FILE* f = std::fopen(tmp.c_str(), "w");
  if (f == nullptr) {
    std::cerr << program << ": " << option << ": cannot write " << path << ": " << std::strerror(errno) << "\n";
    return false;
  }
  std::fclose(f);
  std::remove(tmp.c_str());
  return true;
}

}  // namespace vsm::peers
