// SPDX-License-Identifier: GPL-2.0-or-later
// Many deadlines on one asio timer, for deadlines set in the order they run
// out: every Keep-Alive of the manager waits the same interval, so a
// deadline set later never runs out sooner. A deque of (deadline, key,
// token) keeps them: scheduling and expiry are O(1) and cost 24 octets per
// node, where an asio::steady_timer per node costs its own timer-queue
// entry and handler. A deadline set out of order (the interval changed) is
// put in its place, in O(n). Cancelling is the caller's: the callback gets
// the token, which the caller compares with the one it keeps (Handle).
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>

// Boost 1.74's Asio uses std::exchange without including <utility>.
// clang-format off
#include <utility>
#include <boost/asio.hpp>
// clang-format on

namespace vsm::peers {

template <class Key>
class FifoTimer {
 public:
  using Clock = std::chrono::steady_clock;
  // What the caller keeps of a scheduled deadline: the callback's token is
  // this one while it is wanted; cancel() makes it match none.
  struct Handle {
    std::uint64_t token = 0;
    void cancel() noexcept { token = 0; }
  };
  using Due = std::function<void(Key key, std::uint64_t token)>;

  FifoTimer(boost::asio::io_context& io, Due due) : timer_(io), due_(std::move(due)) {}
  FifoTimer(const FifoTimer&) = delete;
  FifoTimer& operator=(const FifoTimer&) = delete;

  Handle schedule_after(double seconds, Key key) {
    const Clock::time_point at =
        Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
    const Entry e{at, key, ++tokens_};
    if (queue_.empty() || !(at < queue_.back().at)) {
      queue_.push_back(e);
    } else {
      queue_.insert(
          std::upper_bound(queue_.begin(), queue_.end(), e, [](const Entry& a, const Entry& b) { return a.at < b.at; }),
          e);
    }
    arm();
    return Handle{e.token};
  }
  std::size_t size() const noexcept { return queue_.size(); }
  void cancel_all() {
    queue_.clear();
    boost::system::error_code ec;
    timer_.cancel();
    armed_.reset();
  }

 private:
  struct Entry {
    Clock::time_point at;
    Key key;
    std::uint64_t token;
  };
  void arm() {
    if (queue_.empty() || (armed_ && !(queue_.front().at < *armed_))) return;
    armed_ = queue_.front().at;
    timer_.expires_at(*armed_);
    timer_.async_wait([this](boost::system::error_code ec) {
      if (ec) return;  // re-armed for an earlier deadline, or cancelled
      armed_.reset();
      fire();
    });
  }
  void fire() {
    // A millisecond of slack: deadlines that close run in one wake-up.
    const Clock::time_point now = Clock::now() + std::chrono::milliseconds(1);
    while (!queue_.empty() && queue_.front().at <= now) {
      const Entry e = queue_.front();
      queue_.pop_front();
      due_(e.key, e.token);  // may schedule more
    }
    if (queue_.empty()) queue_.shrink_to_fit();
    arm();
  }

  boost::asio::steady_timer timer_;
  Due due_;
  std::deque<Entry> queue_;
  std::optional<Clock::time_point> armed_;
  std::uint64_t tokens_ = 0;
};

}  // namespace vsm::peers
