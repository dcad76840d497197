// SPDX-License-Identifier: GPL-2.0-or-later
#include "cli.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>

#include "transport.hpp"

namespace vsm::peers {

namespace po = boost::program_options;

void add_common_options(po::options_description& desc, CommonOptions& o) {
  desc.add_options()                                                                                                //
      ("log-level", po::value(&o.log_level)->default_value(o.log_level), "debug, info, warn or error")              //
      ("fault", po::value(&o.faults)->composing(), "break one rule on purpose (repeatable; see --list-faults)")     //
      ("list-faults", po::bool_switch(&o.list_faults), "print the fault switches and the requirement each breaks")  //
      ("ack-timeout", po::value(&o.ack_timeout)->default_value(o.ack_timeout),
       "seconds to wait for an ACK (the ACK timer of VSM-5-ACK)")  //
      ("length-convention", po::value(&o.length_convention)->default_value(o.length_convention),
       "header Length convention: profile (total - 4) or literal (total - 3)")           //
      ("transport", po::value(&o.transport)->default_value(o.transport), "tcp or sctp")  //
      ("sctp-ppid", po::value(&o.sctp_ppid)->default_value(o.sctp_ppid),
       "SCTP payload protocol identifier of the DATA chunks sent (none is assigned to VSM)")  //
      ("max-message", po::value(&o.max_message)->default_value(o.max_message),
       "largest message accepted, in octets (each connection buffers twice this)");
}

std::optional<int> apply_common_options(const CommonOptions& o, std::string_view program, unsigned peer,
                                        ConnConfig& cfg) {
  LogLevel level = LogLevel::Info;
  if (!parse_log_level(o.log_level, level)) {
    std::cerr << program << ": unknown log level '" << o.log_level << "'\n";
    return 2;
  }
  set_log(program, level);
  if (o.list_faults) {
    std::cout << list_faults(peer);
    return 0;
  }
  if (std::string err = cfg.faults.parse(o.faults, peer); !err.empty()) {
    std::cerr << program << ": " << err << "\n";
    return 2;
  }
  for (const auto& f : o.faults) {
    const FaultSpec* s = find_fault(f);
    warn("fault switch {} on: breaks {} ({})", s->name, requirement(s->req).id, s->what);
  }
  if (o.length_convention == "profile") {
    cfg.convention = LengthConvention::Total4;
  } else if (o.length_convention == "literal") {
    cfg.convention = LengthConvention::Literal3;
  } else {
    std::cerr << program << ": --length-convention is profile or literal\n";
    return 2;
  }
  if (o.ack_timeout <= 0) {
    std::cerr << program << ": --ack-timeout must be positive\n";
    return 2;
  }
  cfg.ack_timeout = o.ack_timeout;
  if (o.max_message < 64 || o.max_message > kMaxPdu) {
    std::cerr << program << ": --max-message must be between 64 and " << kMaxPdu << "\n";
    return 2;
  }
  cfg.max_pdu = o.max_message;
  if (o.transport == "sctp") {
    const std::string why = transport::sctp_unavailable_reason();
    if (!why.empty()) {
      error("SCTP transport unavailable: {}", why);
      return 3;
    }
    cfg.sctp = true;
    cfg.sctp_ppid = o.sctp_ppid;
  } else if (o.transport != "tcp") {
    std::cerr << program << ": --transport is tcp or sctp\n";
    return 2;
  }
  return std::nullopt;
}

std::optional<int> parse_command_line(int argc, char** argv, const po::options_description& desc, po::variables_map& vm,
                                      std::string_view program) {
  try {
    po::store(po::parse_command_line(argc, argv, desc), vm);
    po::notify(vm);
  } catch (const std::exception& e) {
    std::cerr << program << ": " << e.what() << "\n";
    return 2;
  }
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return 0;
  }
  return std::nullopt;
}

bool split_host_port(const std::string& text, std::string_view option, std::string_view program, std::string& host,
                     std::uint16_t& port) {
  const auto colon = text.rfind(':');
  unsigned long value = 0;
  bool ok = colon != std::string::npos && colon + 1 < text.size();
  if (ok) {
    const std::string digits = text.substr(colon + 1);
    ok = digits.find_first_not_of("0123456789") == std::string::npos && digits.size() <= 5;
    if (ok) value = std::stoul(digits);
    ok = ok && value <= 65535;
  }
  if (!ok) {
    std::cerr << program << ": " << option << " is HOST:PORT (got '" << text << "')\n";
    return false;
  }
  host = text.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  port = static_cast<std::uint16_t>(value);
  return true;
}

}  // namespace vsm::peers
