// SPDX-License-Identifier: GPL-2.0-or-later
// Memory given back after connections close: glibc keeps what was freed in
// its heap for the next allocation, so after thousands of connections
// closed the manager's RSS would stay where the peak was. Once 1,024 have
// closed since the last time, or the last one did, malloc_trim(0) returns
// the free pages to the system (once per event-loop turn at most).
#pragma once

#include <cstddef>

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
  static constexpr std::size_t kEvery = 1024;  // closed connections between two trims

  // A connection closed; `still_open` remain.
  void connection_closed(boost::asio::io_context& io, std::size_t still_open) {
    ++closed_;
    if (pending_ || (closed_ < kEvery && still_open != 0)) return;
    pending_ = true;
    boost::asio::post(io, [this] {
      pending_ = false;
      closed_ = 0;
      trim();
    });
  }
  static void trim() noexcept {
#if defined(__GLIBC__)
    ::malloc_trim(0);
#endif
  }

 private:
  std::size_t closed_ = 0;
  bool pending_ = false;
};

}  // namespace vsm::peers
