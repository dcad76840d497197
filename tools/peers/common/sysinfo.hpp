// SPDX-License-Identifier: GPL-2.0-or-later
// Real resources of the machine the agent runs on, from /proc, /sys and
// statvfs, in the units of the draft's Node information items (6.4.6).
#pragma once

#include <cstdint>
#include <string>

#include "vsm/wire.hpp"

namespace vsm::peers {

struct Resources {
  double cpu_ghz = 0;           // sum of the clock of every processor
  double load_current = 0;      // processes running or runnable now
  double load_average = 0;      // 1-minute load average
  std::uint64_t mem_total = 0;  // bytes
  std::uint64_t mem_available = 0;
  std::uint64_t storage_total = 0;  // bytes, of the file system holding the storage path
  std::uint64_t storage_available = 0;
  std::uint64_t bw_total = 0;    // bps: sum of the link speeds of the non-loopback interfaces (0 when unknown)
  std::uint64_t bw_current = 0;  // bps over the last sampling interval
  std::uint64_t bw_average = 0;  // bps since boot
  NtpTime boot_time;
};

class ResourceSampler {
 public:
  explicit ResourceSampler(std::string storage_path = "/") : storage_path_(std::move(storage_path)) {}
  Resources sample();

 private:
  std::string storage_path_;
  std::uint64_t last_bytes_ = 0;
  double last_time_ = -1;
  std::uint64_t last_bw_ = 0;
};

}  // namespace vsm::peers
