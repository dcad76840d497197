// SPDX-License-Identifier: GPL-2.0-or-later
// The implementation under test as processes: each instance started from
// --iut-cmd (split into argv without a shell, in a process group of its own,
// stdout and stderr appended to --iut-log), signalled by the profile's
// triggers, stopped with SIGTERM and, 1.5 s later, SIGKILL; and the profile's
// trigger commands, run to their end. Waits go through the caller's event
// loop (WaitFn), so the connections are served meanwhile: a stopping agent's
// De-registration still gets its ACK.
#pragma once

#include <sys/types.h>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace vsm::conform {

// "a 'b c' \"d\"" -> {a, b c, d}: quotes group, no shell.
std::vector<std::string> split_args(const std::string& cmd);
// Replaces every {name} of a template by the value of that variable.
std::string expand(std::string t, const std::map<std::string, std::string>& vars);

// Runs the caller's event loop until done() or the deadline (the runner's clock); false at the deadline.
using WaitFn = std::function<bool(const std::function<bool()>& done, double deadline)>;

// What an instance wrote (stdout and stderr, merged): the last few KiB, kept in memory by a reader thread
// that also appends everything to --iut-log. Shared with that thread.
struct OutputTail;

class IutProcesses {
 public:
  explicit IutProcesses(std::string log) : log_(std::move(log)) {}
  IutProcesses(const IutProcesses&) = delete;
  IutProcesses& operator=(const IutProcesses&) = delete;

  void start(const std::vector<std::string>& argv);  // the test's instance. Throws std::runtime_error
  void spawn(const std::vector<std::string>& argv);  // a further instance (a MOVE destination)
  bool running() const { return main_ > 0; }
  bool exited();  // the test's instance has ended (and is reaped)
  // How the test's instance ended ("exited with status 127", "killed by signal 9"), empty while it runs.
  std::string exit_text() const;
  // The last `lines` lines the test's instance wrote (waits briefly for its output to end once it exited).
  std::string output_tail(std::size_t lines = 6) const;
  void signal(const std::string& name);  // TERM, INT or HUP to the test's instance
  void stop(const WaitFn& wait);         // every instance: SIGTERM, the loop runs, then SIGKILL
  // A trigger command, run to its end within `timeout` s: its wait status, nullopt when it did not finish (killed).
  std::optional<int> run(const std::vector<std::string>& argv, const WaitFn& wait, double timeout);

 private:
  pid_t fork_exec(const std::vector<std::string>& argv, std::shared_ptr<OutputTail>* tail = nullptr);
  std::string log_;
  pid_t main_ = -1;
  std::optional<int> main_status_;  // wait status of the test's instance once reaped by exited()
  std::shared_ptr<OutputTail> main_tail_;
  std::vector<pid_t> extra_;
};

}  // namespace vsm::conform
