// SPDX-License-Identifier: GPL-2.0-or-later
// Child processes for the peer tests: stdout and stderr go to files in the
// test's directory, which the tests poll (with a deadline) for log lines.
#pragma once

#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace vsm::peers::test {

class Process {
 public:
  Process(const std::string& dir, const std::string& name, std::vector<std::string> args);
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  void signal(int sig);
  std::optional<int> poll();                // exit status once exited (128 + signal when killed)
  std::optional<int> wait(double timeout);  // nullopt on timeout
  std::string out() const;
  std::string err() const;
  const std::string& name() const { return name_; }
  pid_t pid() const { return pid_; }

 private:
  std::string name_;
  std::string out_path_;
  std::string err_path_;
  pid_t pid_ = -1;
  std::optional<int> status_;
};

// Polls cond every 20 ms until it holds or timeout seconds pass.
bool eventually(const std::function<bool()>& cond, double timeout);
std::string read_file(const std::string& path);
// A fresh directory under the system temp dir.
std::string make_temp_dir();

}  // namespace vsm::peers::test
