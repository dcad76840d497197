// SPDX-License-Identifier: GPL-2.0-or-later
// Memory given back after connections close: glibc keeps what was freed in
// its heap for the next allocation, so after thousands of connections
// closed the manager's RSS would stay where the peak was. Half a second
// after a connection closed (one timer for a whole burst of closes),
// malloc_trim(0) returns the free pages to the system.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>

// Boost 1.74's Asio uses std::exchange without including <utility>.
// clang-format off
#include <utility>
#include <boost/asio.hpp>
// clang-format on
#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace vsm::peers {

class MemoryTrim {
 public:
  static constexpr std::chrono::milliseconds kDelay{500};

  // A connection closed; `still_open` remain (counted for the log of whoever asks).
  void connection_closed(boost::asio::io_context& io, std::size_t still_open) {
    ++closed_;
    open_ = still_open;
    if (pending_) return;
    pending_ = true;
    if (!timer_) timer_.emplace(io);
    timer_->expires_after(kDelay);
    timer_->async_wait([this](boost::system::error_code ec) {
      pending_ = false;
      if (ec) return;
      closed_ = 0;
      trim();
    });
  }
  std::size_t closed_since_trim() const noexcept { return closed_; }
  static void trim() noexcept {
#if defined(__GLIBC__)
    ::malloc_trim(0);
#endif
  }

 private:
  std::size_t closed_ = 0, open_ = 0;
  bool pending_ = false;
  std::optional<boost::asio::steady_timer> timer_;
};

}  // namespace vsm::peers
