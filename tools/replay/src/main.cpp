// SPDX-License-Identifier: GPL-2.0-or-later
// vsm-replay: reads, checks and summarises captures of VSM traffic.
#include <iostream>
#include <string>
#include <vector>

#include "commands.hpp"

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  std::vector<std::string> args(argv + 1, argv + argc);
  const int rc = vsm::replay::run(args, std::cout, std::cerr);
  std::cout.flush();
  return rc;
}
