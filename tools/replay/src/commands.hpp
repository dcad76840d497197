// SPDX-License-Identifier: GPL-2.0-or-later
// The vsm-replay command line: decode, check and stats over a capture file;
// replay and to-scenario are in live.hpp.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace vsm::replay {

// args without the program name: {"check", "--junit", "out.xml", "file.pcapng"}.
// Returns the process exit code (reader.hpp, exit_code).
int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace vsm::replay
