// SPDX-License-Identifier: GPL-2.0-or-later
// The executor: runs one compiled test case at a time against the
// implementation under test (IUT), playing the other role: the steps, the
// variables, the predicates and the verdicts. Connections come from
// connection.hpp, processes from iut.hpp; the scenario is already compiled
// (scenario.hpp): nothing here reads YAML. Every wait runs the event loop
// until the awaited event or a deadline; nothing sleeps.
#pragma once

#include <cstdint>
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
  bool sctp = false;            // talk to the implementation over SCTP instead of TCP
  std::uint32_t sctp_ppid = 0;  // PPID of the DATA chunks sent (--sctp-ppid)
  // Per test (conformance/README.md, "Bounds"): the ladder keeps at most record_messages entries and
  // record_limit octets of message bytes, then counts (Result::not_recorded); each connection's queue of
  // received messages the expectations search keeps the newest record_messages / record_limit.
  std::uint64_t record_limit = kDefaultRecordLimit;        // --record-limit BYTES
  std::uint64_t record_messages = kDefaultRecordMessages;  // --record-messages N
};

class Executor {
 public:
  Executor(RunConfig cfg, const Profile& profile, const Suite& suite);
  ~Executor();
  Executor(const Executor&) = delete;
  Executor& operator=(const Executor&) = delete;

  // Opens the listening socket (agent role). Throws std::exception.
  void open();
  std::string address() const;  // HOST:PORT actually used
  // Runs the test; an NA test is not run (verdict NA with its reason and Result::na_why), nor is any test
  // once the run stopped early (verdict Error, reason "not run: ...").
  Result run(const TestCase& tc);
  // NA reason when the profile lacks what the test needs, else empty.
  std::string not_applicable(const TestCase& tc) const;
  // Why the run stopped early (the IUT command could not start, exited at once, or the IUT never connected),
  // naming the first test that met it; empty while it runs on.
  const std::string& stopped() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vsm::conform
