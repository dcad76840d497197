// SPDX-License-Identifier: GPL-2.0-or-later
// The engine: runs one test case at a time against the implementation under
// test (IUT), playing the other role over real sockets. Every wait runs the
// Asio event loop until the awaited event or a deadline; nothing sleeps.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "model.hpp"
#include "vsm/dictionary.hpp"

namespace vsm::conform {

struct RunConfig {
  IutRole role = IutRole::Agent;
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;  // 0 with --iut-cmd: the runner picks a free port
  std::string iut_cmd;     // empty: the IUT is started by someone else
  std::string iut_log = "/dev/null";
  LengthConvention convention = LengthConvention::Total4;
  std::uint64_t seed = 1;
  bool verbose = false;
  bool sctp = false;  // talk to the implementation over SCTP instead of TCP
  std::uint32_t sctp_ppid = 0;  // PPID of the DATA chunks sent (--sctp-ppid)
};

class Engine {
 public:
  Engine(RunConfig cfg, const Profile& profile, const Suite& suite);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Opens the listening socket (agent role). Throws std::runtime_error.
  void open();
  std::string address() const;  // HOST:PORT actually used
  Result run(const TestCase& tc);
  // NA reason when the profile lacks what the test needs, else empty.
  std::string not_applicable(const TestCase& tc) const;

  struct Impl;  // public so that the dry pass can drive it

 private:
  std::unique_ptr<Impl> impl_;
};

// The dry pass of lint: interprets every step without I/O. Throws ScenarioError.
void dry_run(const Suite& suite, const TestCase& tc);
void dry_run_fragment(const Suite& suite, const std::string& name);

}  // namespace vsm::conform
