// SPDX-License-Identifier: GPL-2.0-or-later
#include "iut.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <thread>

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

struct OutputTail {
  static constexpr std::size_t kKeep = 8192;
  std::mutex m;
  std::condition_variable cv;
  std::string text;
  bool eof = false;
};

namespace {

// Reads the instance's output to its end: everything to the log (when there is one), the tail kept.
void read_output(int fd, int log_fd, std::shared_ptr<OutputTail> tail) {
  char buf[4096];
  while (true) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (log_fd >= 0) {
      for (ssize_t off = 0; off < n;) {
        const ssize_t w = ::write(log_fd, buf + off, static_cast<std::size_t>(n - off));
        if (w <= 0) break;
        off += w;
      }
    }
    std::lock_guard<std::mutex> lock(tail->m);
    tail->text.append(buf, static_cast<std::size_t>(n));
    if (tail->text.size() > 2 * OutputTail::kKeep) tail->text.erase(0, tail->text.size() - OutputTail::kKeep);
  }
  ::close(fd);
  if (log_fd >= 0) ::close(log_fd);
  std::lock_guard<std::mutex> lock(tail->m);
  tail->eof = true;
  tail->cv.notify_all();
}

}  // namespace

pid_t IutProcesses::fork_exec(const std::vector<std::string>& argv, std::shared_ptr<OutputTail>* tail) {
  if (argv.empty()) throw std::runtime_error("empty command");
  std::vector<char*> a;  // built before fork: the child only calls exec
  for (const auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
  a.push_back(nullptr);
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) throw std::runtime_error(fmt::format("pipe failed: {}", std::strerror(errno)));
  const pid_t pid = fork();
  if (pid < 0) {
    ::close(out[0]);
    ::close(out[1]);
    throw std::runtime_error(fmt::format("fork failed: {}", std::strerror(errno)));
  }
  if (pid == 0) {
    setpgid(0, 0);
    dup2(out[1], 1);
    dup2(out[1], 2);
    const int nul = ::open("/dev/null", O_RDONLY);
    if (nul >= 0) dup2(nul, 0);
    execvp(a[0], a.data());
    fmt::print(stderr, "vsm-conform: cannot run {}: {}\n", argv[0], std::strerror(errno));
    _exit(127);
  }
  setpgid(pid, pid);
  ::close(out[1]);
  const int log_fd = log_ == "/dev/null" ? -1 : ::open(log_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  auto t = std::make_shared<OutputTail>();
  std::thread(read_output, out[0], log_fd, t).detach();
  if (tail) *tail = std::move(t);
  return pid;
}

void IutProcesses::start(const std::vector<std::string>& argv) {
  main_status_.reset();
  main_tail_.reset();
  main_ = fork_exec(argv, &main_tail_);
}
void IutProcesses::spawn(const std::vector<std::string>& argv) { extra_.push_back(fork_exec(argv)); }

std::string IutProcesses::exit_text() const {
  if (!main_status_) return {};
  const int st = *main_status_;
  if (WIFEXITED(st)) return fmt::format("exited with status {}", WEXITSTATUS(st));
  if (WIFSIGNALED(st)) return fmt::format("killed by signal {}", WTERMSIG(st));
  return fmt::format("ended (wait status {})", st);
}

std::string IutProcesses::output_tail(std::size_t lines) const {
  if (!main_tail_) return {};
  std::unique_lock<std::mutex> lock(main_tail_->m);
  if (main_status_) {  // it ended: its output ends too, unless a child of it still holds the pipe
    main_tail_->cv.wait_for(lock, std::chrono::milliseconds(300), [&] { return main_tail_->eof; });
  }
  std::vector<std::string> all;
  std::size_t from = 0;
  const std::string& t = main_tail_->text;
  while (from < t.size()) {
    std::size_t end = t.find('\n', from);
    if (end == std::string::npos) end = t.size();
    std::string line = t.substr(from, end - from);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty()) all.push_back(std::move(line));
    from = end + 1;
  }
  std::string out;
  for (std::size_t i = all.size() > lines ? all.size() - lines : 0; i < all.size(); ++i) {
    out += (out.empty() ? "" : " | ") + all[i];
  }
  return out;
}

bool IutProcesses::exited() {
  int status = 0;
  if (main_ > 0 && waitpid(main_, &status, WNOHANG) == main_) {
    main_ = -1;
    main_status_ = status;
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
