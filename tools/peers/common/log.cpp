// SPDX-License-Identifier: GPL-2.0-or-later
#include "log.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>

namespace vsm::peers {
namespace {
std::string g_program = "vsm-peer";
LogLevel g_min = LogLevel::Info;

constexpr std::string_view level_text(LogLevel l) noexcept {
  switch (l) {
    case LogLevel::Debug: return "debug";
    case LogLevel::Info: return "info";
    case LogLevel::Warn: return "warn";
    case LogLevel::Error: return "error";
  }
  return "?";
}
}  // namespace

void set_log(std::string_view program, LogLevel min_level) {
  g_program = std::string(program);
  g_min = min_level;
}

bool parse_log_level(std::string_view text, LogLevel& out) {
  for (int i = 0; i <= 3; ++i) {
    if (level_text(static_cast<LogLevel>(i)) == text) {
      out = static_cast<LogLevel>(i);
      return true;
    }
  }
  return false;
}

bool log_enabled(LogLevel l) noexcept { return l >= g_min; }

void log_line(LogLevel l, std::string_view text) {
  using namespace std::chrono;
  const auto now = system_clock::now();
  const std::time_t secs = system_clock::to_time_t(now);
  const auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  const std::string line = fmt::format("{:02}:{:02}:{:02}.{:03} {} {}: {}\n", tm.tm_hour, tm.tm_min, tm.tm_sec, ms,
                                       g_program, level_text(l), text);
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

}  // namespace vsm::peers
