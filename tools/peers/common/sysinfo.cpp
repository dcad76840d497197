// SPDX-License-Identifier: GPL-2.0-or-later
#include "sysinfo.hpp"

#include <sys/statvfs.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "connection.hpp"

namespace vsm::peers {
namespace {

double cpu_ghz() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  double mhz = 0;
  int cpus = 0;
  while (std::getline(in, line)) {
    if (line.rfind("cpu MHz", 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string::npos) mhz += std::stod(line.substr(colon + 1));
    } else if (line.rfind("processor", 0) == 0) {
      ++cpus;
    }
  }
  if (mhz == 0 && cpus > 0) return 0;  // no clock published (some virtual machines)
  return mhz / 1000.0;
}

std::uint64_t meminfo(const std::string& key) {
  std::ifstream in("/proc/meminfo");
  std::string name;
  std::uint64_t kb = 0;
  std::string unit;
  while (in >> name >> kb) {
    std::getline(in, unit);
    if (name == key + ":") return kb * 1024;
  }
  return 0;
}

std::uint64_t stat_value(const std::string& key) {
  std::ifstream in("/proc/stat");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key + " ", 0) == 0) return std::stoull(line.substr(key.size() + 1));
  }
  return 0;
}

std::uint64_t interface_bytes() {
  std::ifstream in("/proc/net/dev");
  std::string line;
  std::uint64_t total = 0;
  while (std::getline(in, line)) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon);
    name.erase(0, name.find_first_not_of(' '));
    if (name == "lo") continue;
    std::istringstream fields(line.substr(colon + 1));
    std::uint64_t v[9] = {};
    for (auto& x : v) fields >> x;
    total += v[0] + v[8];  // received bytes, transmitted bytes
  }
  return total;
}

std::uint64_t link_speeds() {
  std::uint64_t bps = 0;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/sys/class/net", ec)) {
    if (e.path().filename() == "lo") continue;
    std::ifstream in(e.path() / "speed");
    long long mbps = 0;
    if (in >> mbps && mbps > 0) bps += static_cast<std::uint64_t>(mbps) * 1000000u;
  }
  return bps;
}

}  // namespace

Resources ResourceSampler::sample() {
  Resources r;
  try {
    r.cpu_ghz = cpu_ghz();
  } catch (const std::exception&) {
    r.cpu_ghz = 0;
  }
  {
    std::ifstream in("/proc/loadavg");
    double l1 = 0;
    in >> l1;
    r.load_average = l1;
  }
  r.load_current = static_cast<double>(stat_value("procs_running"));
  r.mem_total = meminfo("MemTotal");
  r.mem_available = meminfo("MemAvailable");
  struct statvfs vfs {};
  if (statvfs(storage_path_.c_str(), &vfs) == 0) {
    r.storage_total = static_cast<std::uint64_t>(vfs.f_blocks) * vfs.f_frsize;
    r.storage_available = static_cast<std::uint64_t>(vfs.f_bavail) * vfs.f_frsize;
  }
  r.bw_total = link_speeds();
  const std::uint64_t bytes = interface_bytes();
  const double now = io::now();
  if (last_time_ >= 0 && now - last_time_ > 0.2 && bytes >= last_bytes_) {
    last_bw_ = static_cast<std::uint64_t>(static_cast<double>(bytes - last_bytes_) * 8 / (now - last_time_));
  }
  if (last_time_ < 0 || now - last_time_ > 0.2) {
    last_bytes_ = bytes;
    last_time_ = now;
  }
  r.bw_current = last_bw_;
  const std::uint64_t btime = stat_value("btime");
  r.boot_time = NtpTime::from_unix(static_cast<std::int64_t>(btime));
  const auto uptime = std::time(nullptr) - static_cast<std::time_t>(btime);
  r.bw_average = uptime > 0 ? bytes * 8 / static_cast<std::uint64_t>(uptime) : 0;
  return r;
}

}  // namespace vsm::peers
