// SPDX-License-Identifier: GPL-2.0-or-later
// vsm-replay replay and to-scenario: a recorded conversation played against a
// live implementation over a real socket, or written as a vsm-conform scenario.
#pragma once

#include <ostream>
#include <string>
#include <vector>

namespace vsm::replay {

// args without the program name, starting with "replay" or "to-scenario". Returns the exit code.
int run_live(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace vsm::replay
