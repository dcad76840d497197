// SPDX-License-Identifier: GPL-2.0-or-later
// Reads a pcap or pcapng file through libpcap and feeds every record to the
// engine. Errors name the file and the record; everything before a damaged
// record has been fed (and reported) already.
#pragma once

#include <cstdint>
#include <string>

#include "engine.hpp"

namespace vsm::replay {

// Exit codes shared by every subcommand.
namespace exit_code {
inline constexpr int kOk = 0;
inline constexpr int kFindings = 1;    // check: error-severity findings
inline constexpr int kUsage = 2;       // bad command line
inline constexpr int kUnreadable = 3;  // not a capture, cannot open, unsupported link type
inline constexpr int kDamaged = 4;     // truncated or corrupt file, or packets cut by the snap length
}  // namespace exit_code

struct ReadResult {
  int status = exit_code::kOk;  // kOk, kUnreadable or kDamaged
  std::string error;            // "FILE: record N: ..." when status != kOk
  std::uint64_t records = 0;    // records read
  std::uint64_t file_bytes = 0;
  int linktype = -1;
};

struct ReadOptions {
  bool progress = false;  // a progress line on stderr (only when it is a terminal)
};

ReadResult read_capture(const std::string& path, Engine& engine, const ReadOptions& opt = {});

}  // namespace vsm::replay
