// SPDX-License-Identifier: GPL-2.0-or-later
// Logging for the reference peers: one line per event on stderr,
// "<UTC time> <program> <level>: <text>", filtered by a minimum level.
// Rate-limited per message template (the format string): at most
// kLogBurst lines of one template per kLogInterval; the rest are counted and
// one summary line "N more like this: <template>" follows per interval (at the
// next line logged after the interval, on a one-second timer, or at exit).
// Debug lines are not limited (they are asked for).
#pragma once

#include <fmt/format.h>

#include <string_view>

namespace vsm::peers {

enum class LogLevel : int { Debug = 0, Info = 1, Warn = 2, Error = 3 };

void set_log(std::string_view program, LogLevel min_level);
bool parse_log_level(std::string_view text, LogLevel& out);
bool log_enabled(LogLevel l) noexcept;
void log_line(LogLevel l, std::string_view text);  // not limited

inline constexpr unsigned kLogBurst = 10;
inline constexpr double kLogInterval = 10.0;  // seconds
// Whether a line of this template may be written now (counts it otherwise).
bool log_admit(LogLevel l, std::string_view key);
// Writes the summaries of the intervals that are over (all of them: at_exit).
void log_flush(bool at_exit = false);

template <typename... Args>
void log(LogLevel l, fmt::format_string<Args...> f, Args&&... args) {
  const fmt::string_view key = f;
  if (log_enabled(l) && log_admit(l, std::string_view(key.data(), key.size()))) {
    log_line(l, fmt::format(f, std::forward<Args>(args)...));
  }
}
template <typename... Args>
void debug(fmt::format_string<Args...> f, Args&&... args) {
  log(LogLevel::Debug, f, std::forward<Args>(args)...);
}
template <typename... Args>
void info(fmt::format_string<Args...> f, Args&&... args) {
  log(LogLevel::Info, f, std::forward<Args>(args)...);
}
template <typename... Args>
void warn(fmt::format_string<Args...> f, Args&&... args) {
  log(LogLevel::Warn, f, std::forward<Args>(args)...);
}
// Info that is never rate-limited: lines whose number the operator controls (a plan's steps).
template <typename... Args>
void info_unlimited(fmt::format_string<Args...> f, Args&&... args) {
  if (log_enabled(LogLevel::Info)) log_line(LogLevel::Info, fmt::format(f, std::forward<Args>(args)...));
}
template <typename... Args>
void error(fmt::format_string<Args...> f, Args&&... args) {
  log(LogLevel::Error, f, std::forward<Args>(args)...);
}

}  // namespace vsm::peers
