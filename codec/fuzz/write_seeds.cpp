// SPDX-License-Identifier: GPL-2.0-or-later
// Writes the sample messages as a libFuzzer seed corpus into the folder given.
#include <cstdio>
#include <fstream>
#include <string>

#include "vsm/samples.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  int n = 0;
  auto write = [&](const vsm::Sample& s) {
    const auto bytes = s.message.encode(s.convention).value();
    std::ofstream out(std::string(argv[1]) + "/seed-" + std::to_string(n++), std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    if (!out) {
      std::fprintf(stderr, "cannot write seeds into %s\n", argv[1]);
      std::exit(1);
    }
  };
  for (const auto& s : vsm::typical_messages()) write(s);
  for (const auto& s : vsm::broken_messages()) write(s);
  std::printf("%d seeds written to %s\n", n, argv[1]);
  return 0;
}
