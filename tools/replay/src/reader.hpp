// SPDX-License-Identifier: GPL-2.0-or-later
// Reads a pcap or pcapng file through libpcap and feeds every record to the
// engine. Errors name the file and the record; everything before a damaged
// record has been fed (and reported) already.
#pragma once

#include <cstdint>
#include <string>

#include "engine.hpp"
#include "exit_status.hpp"

namespace vsm::replay {

// Exit codes shared by every subcommand: the project's one scheme
// (tools/common/exit_status.hpp, README "Exit status").
namespace exit_code {
inline constexpr int kOk = cli::kExitOk;
inline constexpr int kFindings = cli::kExitFindings;  // check: error-severity findings; replay: a difference
inline constexpr int kUsage = cli::kExitUsage;        // bad command line
inline constexpr int kIo = cli::kExitIo;              // an input unreadable, an output unwritable, no VSM found
inline constexpr int kUnreadable = kIo;               // not a capture, cannot open, unsupported link type
inline constexpr int kDamaged = kIo;                  // truncated or corrupt file, or packets cut by the snap length
}  // namespace exit_code

struct ReadResult {
  int status = exit_code::kOk;  // kOk, or kIo (unreadable or damaged)
  std::string error;            // "FILE: record N: ..." when status != kOk ("standard input" for -)
  std::uint64_t records = 0;    // records read
  std::uint64_t file_bytes = 0;
  int linktype = -1;
};

struct ReadOptions {
  bool progress = false;  // a progress line on stderr (only when it is a terminal)
};

// path "-": standard input (pcap or pcapng, read as a stream).
ReadResult read_capture(const std::string& path, Engine& engine, const ReadOptions& opt = {});

}  // namespace vsm::replay
