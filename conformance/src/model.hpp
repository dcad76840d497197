// SPDX-License-Identifier: GPL-2.0-or-later
// The runner's results: verdicts, the messages of a test as evidence, and
// what a test case ended with. The scenarios themselves (profiles, files,
// test cases, steps) are in scenario.hpp.
#pragma once

#include <array>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "scenario.hpp"

namespace vsm::conform {

enum class Verdict { Pass, Fail, Inconclusive, Error, NA };
const char* verdict_name(Verdict v);

struct Endpoint {
  std::array<std::uint8_t, 16> addr{};  // IPv4 in the first 4 octets
  bool v6 = false;
  std::uint16_t port = 0;
};

struct Exchange {  // one event on the wire, for the evidence
  enum class Kind { Data, Log, Close };
  Kind kind = Kind::Data;
  double t = 0;     // steady clock, seconds since the runner started
  double wall = 0;  // UTC, seconds since 1970
  bool from_runner = false;
  std::string conn;
  std::uint64_t conn_uid = 0;  // unique over the run
  bool runner_initiated = false;
  Endpoint runner, iut;
  std::string summary;
  std::vector<std::string> findings;  // what the always-on checks said about this message
  std::vector<std::uint8_t> bytes;
};

// What a test did not keep (conformance/README.md, "Bounds"): the runner records per test at most
// --record-messages ladder entries and --record-limit octets of message bytes; beyond them it counts.
inline constexpr std::uint64_t kDefaultRecordLimit = 4u << 20;
inline constexpr std::uint64_t kDefaultRecordMessages = 10000;
// A message's decode text, a finding's text, as recorded: cut at this many octets (then "…").
inline constexpr std::size_t kSummaryCut = 400;
std::string cut_text(std::string s, std::size_t max = kSummaryCut);

struct NotRecorded {
  std::uint64_t messages = 0;  // ladder entries not recorded
  std::uint64_t bytes = 0;     // message octets in them
  std::uint64_t dropped = 0;   // received messages the expectations' queue dropped unread (oldest first)
  std::uint64_t dropped_bytes = 0;
  bool any() const { return messages != 0 || dropped != 0; }
  // "… 48 MB more not recorded (1234 messages, 50331648 bytes)"; empty when nothing was left out.
  std::string text() const;
};

struct Result {
  const TestCase* test = nullptr;
  Verdict verdict = Verdict::Pass;
  std::string reason;                 // why not pass
  std::set<std::string> failed_reqs;  // requirement IDs the failure names
  std::vector<std::string> notes;     // further failures after the first
  // Why an NA test is NA: the profile does not claim a capability (the PICS), the test needs a trigger,
  // a command (--iut-cmd) or the other transport. The report lists "not claimed" apart from the rest.
  enum class NaWhy { None, NotClaimed, NeedsTrigger, NeedsIutCmd, OtherTransport };
  NaWhy na_why = NaWhy::None;  // na_why_name(): "not claimed", "needs a trigger", ...
  bool completed = false;      // the body ran to its end (a fail then came from a check, not from stopping early)
  double seconds = 0;
  double waited = 0;  // seconds spent in deliberate waits
  std::vector<Exchange> ladder;
  std::uint64_t recorded_bytes = 0;  // message octets in the ladder
  NotRecorded not_recorded;
};

// What one test's run says of one requirement. A requirement is failed only
// where its own check or expectation failed (failed_reqs); when the test
// passed, every requirement it names passed; the other requirements of a test
// that stopped early (fail, inconclusive, error) were not reached in that run,
// while those of a test whose body ran to its end (Result::completed) and that
// failed only on checks naming other requirements passed; an NA test says NA
// of what it names.
enum class ReqOutcome { Pass, Fail, NotReached, NA };
const char* req_outcome_name(ReqOutcome o);
const char* na_why_name(Result::NaWhy w);  // "not claimed", "needs a trigger", "needs --iut-cmd", "other transport"  //
                                           // "pass", "FAIL", "not reached", "NA"
struct ReqVerdict {
  std::string id;
  ReqOutcome outcome = ReqOutcome::NotReached;
};
// Every requirement the test names, in its order, then those only its checks failed.
// Console, HTML, JSON and JUnit all read this one function.
std::vector<ReqVerdict> requirement_verdicts(const Result& r);

}  // namespace vsm::conform
