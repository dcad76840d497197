// SPDX-License-Identifier: GPL-2.0-or-later
#include "iut.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "connection.hpp"

namespace vsm::conform {

std::vector<std::string> split_args(const std::string& cmd) {
  std::vector<std::string> out;
  std::string cur;
  bool in = false;
  char quote = 0;
  for (char c : cmd) {
    if (quote) {
      if (c == quote) {
        quote = 0;
      } else {
        cur += c;
      }
    } else if (c == '\'' || c == '"') {
      quote = c;
      in = true;
    } else if (c == ' ' || c == '\t' || c == '\n') {
      if (in) out.push_back(cur);
      cur.clear();
      in = false;
    } else {
      cur += c;
      in = true;
    }
  }
  if (in) out.push_back(cur);
  return out;
}

std::string expand(std::string t, const std::map<std::string, std::string>& vars) {
  for (const auto& [k, val] : vars) {
    const std::string key = "{" + k + "}";
    for (std::size_t p; (p = t.find(key)) != std::string::npos;) t.replace(p, key.size(), val);
  }
  return t;
}

pid_t IutProcesses::fork_exec(const std::vector<std::string>& argv) {
  if (argv.empty()) throw std::runtime_error("empty command");
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error(fmt::format("fork failed: {}", std::strerror(errno)));
  if (pid == 0) {
    setpgid(0, 0);
    const int fd = ::open(log_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
      close(fd);
    }
    const int nul = ::open("/dev/null", O_RDONLY);
    if (nul >= 0) dup2(nul, 0);
    std::vector<char*> a;
    for (const auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
    a.push_back(nullptr);
    execvp(a[0], a.data());
    fmt::print(stderr, "vsm-conform: cannot run {}: {}\n", argv[0], std::strerror(errno));
    _exit(127);
  }
  setpgid(pid, pid);
  return pid;
}

void IutProcesses::start(const std::vector<std::string>& argv) { main_ = fork_exec(argv); }
void IutProcesses::spawn(const std::vector<std::string>& argv) { extra_.push_back(fork_exec(argv)); }

bool IutProcesses::exited() {
  int status = 0;
  if (main_ > 0 && waitpid(main_, &status, WNOHANG) == main_) {
    main_ = -1;
    return true;
  }
  return main_ <= 0;
}

void IutProcesses::signal(const std::string& name) {
  if (main_ <= 0) return;
  const int sig = name == "INT" ? SIGINT : name == "HUP" ? SIGHUP : SIGTERM;
  kill(main_, sig);
}

// SIGTERM to every instance at once, the event loop runs (their De-registrations get ACKed)
// until all exited or 1.5 s passed, then SIGKILL.
void IutProcesses::stop(const WaitFn& wait) {
  std::vector<pid_t> pids = extra_;
  if (main_ > 0) pids.push_back(main_);
  extra_.clear();
  main_ = -1;
  if (pids.empty()) return;
  std::vector<bool> gone(pids.size(), false);
  for (pid_t p : pids) {
    kill(-p, SIGTERM);
    kill(p, SIGTERM);
  }
  auto all_gone = [&] {
    int status = 0;
    for (std::size_t i = 0; i < pids.size(); ++i) {
      if (!gone[i] && waitpid(pids[i], &status, WNOHANG) == pids[i]) gone[i] = true;
    }
    return std::all_of(gone.begin(), gone.end(), [](bool g) { return g; });
  };
  wait(all_gone, now_s() + 1.5);
  for (std::size_t i = 0; i < pids.size(); ++i) {
    if (gone[i]) continue;
    int status = 0;
    kill(-pids[i], SIGKILL);
    kill(pids[i], SIGKILL);
    waitpid(pids[i], &status, 0);
  }
}

std::optional<int> IutProcesses::run(const std::vector<std::string>& argv, const WaitFn& wait, double timeout) {
  const pid_t pid = fork_exec(argv);
  int status = 0;
  bool done = false;
  auto kill_it = [&] {
    kill(-pid, SIGKILL);
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
  };
  try {
    done = wait([&] { return waitpid(pid, &status, WNOHANG) == pid; }, now_s() + timeout);
  } catch (...) {
    kill_it();  // the wait gave up (the test's guard): the command does not outlive the test
    throw;
  }
  if (!done) {
    kill_it();
    return std::nullopt;
  }
  return status;
}

}  // namespace vsm::conform
