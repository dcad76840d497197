// SPDX-License-Identifier: GPL-2.0-or-later
// The command-line conventions every program of the project shares
// (README "Command-line conventions"): the --version text, HOST:PORT,
// the length-convention words, when to colour, help and usage errors.
// Nothing here throws: a parse returns vsm::Parsed (a value or the reason).
#pragma once

#include <boost/program_options.hpp>
#include <cstdint>
#include <cstdio>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "exit_status.hpp"
#include "vsm/dictionary.hpp"
#include "vsm/keywords.hpp"

namespace vsm::cli {

// ---- --version

// The project's release (CMake project(VERSION)), e.g. "0.2.0".
std::string_view project_version() noexcept;
// The Wireshark release the build was configured against ("4.0.17"), or
// "none" when it was configured without the dissector (no libwireshark).
std::string_view wireshark_built_against() noexcept;
// What `TOOL --version` prints, lines ending in '\n':
//   vsm-replay 0.2.0
//   codec 0.2.0, draft-yokota-opsawg-virtnw-service-management-02
//   built against Wireshark 4.0.17
std::string version_text(std::string_view tool);

// ---- HOST:PORT

// The shape every address option takes, as error texts name it.
inline constexpr std::string_view kHostPortShape = "HOST:PORT, e.g. 127.0.0.1:7750 or [::1]:7750";

struct HostPort {
  std::string host;  // a name (resolved later), an IPv4 literal, or an IPv6 literal without brackets
  std::uint16_t port = 0;
  bool ipv6() const noexcept { return host.find(':') != std::string::npos; }
  std::string text() const;  // "127.0.0.1:7750", "[::1]:7750", "localhost:0"
  bool operator==(const HostPort&) const = default;
};

enum class PortZero : bool { Refused, Allowed };  // Allowed: "any free port", for what listens

// "localhost:7750", "127.0.0.1:0", "[::1]:7750", "agent-1.example:7750".
// The host is checked for its shape only (a name is resolved by whoever
// connects or binds); a bare IPv6 address must be in brackets.
vsm::Parsed<HostPort> parse_host_port(std::string_view text, PortZero zero = PortZero::Allowed);

// The numeric addresses a host names ("127.0.0.1", "::1"), in getaddrinfo's
// order (a literal gives itself), for what must bind or connect to one
// address: "cannot resolve 'nohost': Name or service not known" otherwise.
vsm::Parsed<std::vector<std::string>> resolve(const HostPort& hp);

// ---- --length-convention

// The codec's keywords (kLengthConventions: profile, literal) and, as
// aliases, the earlier spellings (kLengthConventionAliases: total4,
// literal3, total-4, draft-literal); case does not matter.
vsm::Parsed<LengthConvention> parse_length_convention(std::string_view word);
std::string_view length_convention_word(LengthConvention c) noexcept;  // "profile" or "literal"
// The option's help text: "header Length: profile (...) or literal (...)".
std::string length_convention_help();

// ---- colour

// Colour only when the stream is a terminal and NO_COLOR is unset
// (https://no-color.org: set to any non-empty value, it turns colour off).
bool use_colour(int fd) noexcept;
bool use_colour(std::FILE* stream) noexcept;

// ---- text

// "1 connection", "2 connections", "0 entries" (plural given when not word + "s").
std::string count(std::uint64_t n, std::string_view singular, std::string_view plural = {});

// A default as help prints it: 0.2 for 0.2 (the shortest text that reads
// back as the same double), 5 for 5.0, true/false.
std::string default_text(double v);
std::string default_text(bool v);
inline std::string default_text(const std::string& v) { return v; }
template <class T>
std::string default_text(const T& v) {
  return std::to_string(v);
}

// po::value(&var) with its current value as the default, printed cleanly:
//   ("ack-timeout", cli::value_with_default(&o.ack_timeout), "...")
template <class T>
boost::program_options::typed_value<T>* value_with_default(T* var) {
  return boost::program_options::value(var)->default_value(*var, default_text(*var));
}

// ---- help and usage errors

// One program or one subcommand, as help and usage errors name it.
struct CommandHelp {
  std::string tool;     // "vsm-replay"
  std::string command;  // "check"; empty for a program without subcommands
  std::string args;     // what follows the options in the usage line: "FILE"
  std::string summary;  // a paragraph: what it does
  std::string name() const { return command.empty() ? tool : tool + " " + command; }
};

// "Usage: vsm-replay check [options] FILE\n\n<summary>\n\n<options>" on out.
void print_help(std::ostream& out, const CommandHelp& cmd, const boost::program_options::options_description& visible);

// "vsm-replay check: <message>\nTry 'vsm-replay check --help'.\n" on err;
// returns kExitUsage.
int usage_error(std::ostream& err, const CommandHelp& cmd, std::string_view message);

// boost::program_options over args (without the program and subcommand
// names): every option of `all` (visible and hidden), the positional
// arguments by `positional`. Returns the error text of a bad command line
// (unknown option, missing or bad value, too many arguments), nullopt when
// vm is filled and notified.
std::optional<std::string> parse_options(const std::vector<std::string>& args,
                                         const boost::program_options::options_description& all,
                                         const boost::program_options::positional_options_description& positional,
                                         boost::program_options::variables_map& vm);

// True when args ask for help (-h, --help) or --version before any "--".
bool asks_for(const std::vector<std::string>& args, std::string_view long_name, std::string_view short_name = {});

}  // namespace vsm::cli
