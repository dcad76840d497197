// SPDX-License-Identifier: GPL-2.0-or-later
// The vsm-replay command line: decode, check and stats over a capture file;
// replay and to-scenario are in live.hpp.
#pragma once

#include <boost/program_options.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "engine.hpp"

namespace vsm::replay {

// The options that say where VSM is in a capture, shared by every command:
// --port, --auto, --ppid, --length-convention.
struct CaptureArgs {
  std::vector<unsigned> ports;
  std::vector<std::uint32_t> ppids;
  std::string convention = "profile";
};
boost::program_options::options_description capture_options(CaptureArgs& args, Options& engine);
// Fills engine from args; the error text of a bad value.
std::optional<std::string> apply_capture_options(const CaptureArgs& args, Options& engine);

// args without the program name: {"check", "--junit", "out.xml", "file.pcapng"}.
// Returns the process exit code (reader.hpp, exit_code).
int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace vsm::replay
