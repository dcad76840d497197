// SPDX-License-Identifier: GPL-2.0-or-later
#include "log.hpp"

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>

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

// One template's current interval.
struct Window {
  std::chrono::steady_clock::time_point start;
  unsigned written = 0;
  std::uint64_t suppressed = 0;
  LogLevel level = LogLevel::Info;
};

// Never destroyed: the flush timer thread and atexit may use it to the end.
struct Limiter {
  std::mutex mutex;
  std::unordered_map<std::string, Window> windows;
  std::uint64_t pending = 0;  // templates with suppressed lines
  bool timer = false;
};
Limiter& limiter() {
  static Limiter* l = new Limiter;
  return *l;
}

// Under the lock: the summary of w's interval, then a fresh interval.
void close_window(const std::string& key, Window& w, std::chrono::steady_clock::time_point now) {
  if (w.suppressed > 0) {
    log_line(w.level, fmt::format("{} more like this: {}", w.suppressed, key));
    --limiter().pending;
  }
  w.start = now;
  w.written = 0;
  w.suppressed = 0;
}

void flush_due(bool all) {
  Limiter& l = limiter();
  if (l.pending == 0) return;
  const auto now = std::chrono::steady_clock::now();
  const auto interval = std::chrono::duration<double>(kLogInterval);
  for (auto& [key, w] : l.windows) {
    if (w.suppressed > 0 && (all || now - w.start >= interval)) close_window(key, w, now);
  }
}

void start_timer(Limiter& l) {
  if (l.timer) return;
  l.timer = true;
  std::thread([] {
    for (;;) {
      std::this_thread::sleep_for(std::chrono::seconds(1));
      std::lock_guard<std::mutex> g(limiter().mutex);
      flush_due(false);
    }
  }).detach();
}
}  // namespace

void set_log(std::string_view program, LogLevel min_level) {
  g_program = std::string(program);
  g_min = min_level;
  static bool registered = false;
  if (!registered) {
    registered = true;
    std::atexit([] { log_flush(true); });
  }
}

bool log_admit(LogLevel l, std::string_view key) {
  if (l == LogLevel::Debug) return true;
  Limiter& lim = limiter();
  std::lock_guard<std::mutex> g(lim.mutex);
  const auto now = std::chrono::steady_clock::now();
  flush_due(false);
  auto [it, fresh] = lim.windows.try_emplace(std::string(key));
  Window& w = it->second;
  if (fresh) w.start = now;
  if (now - w.start >= std::chrono::duration<double>(kLogInterval)) close_window(it->first, w, now);
  if (w.written < kLogBurst) {
    ++w.written;
    return true;
  }
  if (w.suppressed++ == 0) ++lim.pending;
  if (l > w.level) w.level = l;
  start_timer(lim);
  return false;
}

void log_flush(bool at_exit) {
  std::lock_guard<std::mutex> g(limiter().mutex);
  flush_due(at_exit);
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
