// SPDX-License-Identifier: GPL-2.0-or-later
// Logging for the reference peers: one line per event on stderr,
// "<UTC time> <program> <level>: <text>", filtered by a minimum level.
#pragma once

#include <fmt/format.h>

#include <string_view>

namespace vsm::peers {

enum class LogLevel : int { Debug = 0, Info = 1, Warn = 2, Error = 3 };

void set_log(std::string_view program, LogLevel min_level);
bool parse_log_level(std::string_view text, LogLevel& out);
bool log_enabled(LogLevel l) noexcept;
void log_line(LogLevel l, std::string_view text);

template <typename... Args>
void log(LogLevel l, fmt::format_string<Args...> f, Args&&... args) {
  if (log_enabled(l)) log_line(l, fmt::format(f, std::forward<Args>(args)...));
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
template <typename... Args>
void error(fmt::format_string<Args...> f, Args&&... args) {
  log(LogLevel::Error, f, std::forward<Args>(args)...);
}

}  // namespace vsm::peers
