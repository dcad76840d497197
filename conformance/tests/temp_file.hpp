// SPDX-License-Identifier: GPL-2.0-or-later
// A scenario or profile file for a unit test, removed at the end.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace vsm::conform {

class TempFile {
 public:
  explicit TempFile(const std::string& text) {
    path_ = std::filesystem::temp_directory_path() / name();
    std::ofstream(path_) << text;
  }
  ~TempFile() { std::filesystem::remove(path_); }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  std::string path() const { return path_.string(); }

 private:
  static std::string name() {
    static int n = 0;
    return "vsm-conform-unit-" + std::to_string(::getpid()) + "-" + std::to_string(++n) + ".yaml";
  }
  std::filesystem::path path_;
};

}  // namespace vsm::conform
