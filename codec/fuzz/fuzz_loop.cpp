// SPDX-License-Identifier: GPL-2.0-or-later
// The fuzz loop for compilers without libFuzzer: runs the same entry point
// over the sample messages and a fixed number of seeded random mutations of
// them (bit flips, truncation, insertion, splicing, length-field edits).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include "vsm/samples.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

int main(int argc, char** argv) {
  const unsigned long rounds = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 200000;
  const unsigned long seed = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 20261126;
  std::vector<std::vector<std::uint8_t>> seeds;
  for (const auto& s : vsm::typical_messages()) seeds.push_back(s.message.encode(s.convention).value());
  for (const auto& s : vsm::broken_messages()) seeds.push_back(s.message.encode(s.convention).value());
  std::vector<std::uint8_t> stream{0x07};
  for (const auto& s : seeds) stream.insert(stream.end(), s.begin(), s.end());
  seeds.push_back(stream);
  for (const auto& s : seeds) LLVMFuzzerTestOneInput(s.data(), s.size());

  std::mt19937_64 rng(seed);
  std::vector<std::uint8_t> buf;
  for (unsigned long i = 0; i < rounds; ++i) {
    buf = seeds[rng() % seeds.size()];
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      switch (rng() % 6) {
        case 0:
          if (!buf.empty()) buf[rng() % buf.size()] ^= static_cast<std::uint8_t>(1u << (rng() % 8));
          break;
        case 1:
          if (!buf.empty()) buf.resize(rng() % buf.size());
          break;
        case 2:
          buf.insert(buf.begin() + static_cast<long>(rng() % (buf.size() + 1)), static_cast<std::uint8_t>(rng()));
          break;
        case 3: {
          const auto& other = seeds[rng() % seeds.size()];
          const std::size_t at = rng() % (buf.size() + 1);
          buf.insert(buf.begin() + static_cast<long>(at), other.begin(), other.end());
          break;
        }
        case 4:
          if (buf.size() >= 4) {
            buf[2] = static_cast<std::uint8_t>(rng());
            buf[3] = static_cast<std::uint8_t>(rng());
          }
          break;
        default:
          if (!buf.empty()) buf[rng() % buf.size()] = static_cast<std::uint8_t>(rng());
          break;
      }
    }
    LLVMFuzzerTestOneInput(buf.data(), buf.size());
  }
  std::printf("fuzz loop: %lu mutated inputs from %zu seeds (seed %lu), no crash\n", rounds, seeds.size(), seed);
  return 0;
}
