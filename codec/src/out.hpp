// SPDX-License-Identifier: GPL-2.0-or-later
// Private to the codec: appends text to a caller's fixed buffer, silently
// cutting at its end; never allocates. Shared by text.cpp and keywords.cpp.
#pragma once

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <span>
#include <string_view>

namespace vsm::detail {

class Out {
 public:
  explicit Out(std::span<char> buf) : buf_(buf) {}
  template <typename... Args>
  void put(fmt::format_string<Args...> f, Args&&... args) noexcept {
    if (len_ >= buf_.size()) return;
    auto r = fmt::format_to_n(buf_.data() + len_, buf_.size() - len_, f, std::forward<Args>(args)...);
    len_ += std::min<std::size_t>(r.size, buf_.size() - len_);
  }
  // Plain appends for the hot path (the dissector's Info column).
  void str(std::string_view s) noexcept {
    const std::size_t n = std::min(s.size(), buf_.size() - len_);
    std::copy_n(s.data(), n, buf_.data() + len_);
    len_ += n;
  }
  void num(std::uint64_t v) noexcept {
    auto r = std::to_chars(buf_.data() + len_, buf_.data() + buf_.size(), v);
    if (r.ec == std::errc{}) len_ = static_cast<std::size_t>(r.ptr - buf_.data());
  }
  void signed_num(std::int64_t v) noexcept {
    auto r = std::to_chars(buf_.data() + len_, buf_.data() + buf_.size(), v);
    if (r.ec == std::errc{}) len_ = static_cast<std::size_t>(r.ptr - buf_.data());
  }
  std::string_view view() const noexcept { return {buf_.data(), len_}; }

 private:
  std::span<char> buf_;
  std::size_t len_ = 0;
};

}  // namespace vsm::detail
