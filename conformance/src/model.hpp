// SPDX-License-Identifier: GPL-2.0-or-later
// The runner's data model: profiles, scenario files, test cases and results.
// Steps stay YAML nodes: they are interpreted when run (with the variables
// of the moment) and checked by the same code in a dry pass for `lint`.
#pragma once

#include <yaml-cpp/yaml.h>

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace vsm::conform {

// A scenario or profile that cannot be used (exit code 3).
struct ScenarioError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

enum class IutRole { Agent, Manager };
inline const char* role_keyword(IutRole r) { return r == IutRole::Agent ? "agent" : "manager"; }

struct Trigger {
  std::string name;
  std::string cmd;                    // run as a separate process (argv split, no shell)
  std::vector<std::string> at_start;  // appended to the IUT command line when the test starts it
  std::string signal;                 // "TERM", "INT", "HUP": sent to the IUT process
};

struct Profile {
  std::string path;
  std::string name = "unnamed implementation";
  std::string version;
  std::map<std::string, std::string> vars;  // initial scenario variables
  std::set<std::string> capabilities;       // operation and feature keywords the IUT supports
  double ack_timer = 5.0;                   // seconds: the IUT's ACK of our requests
  double negative_wait = 0.5;               // seconds: how long "nothing arrives" is watched
  double keepalive_interval = 5.0;          // seconds: manager under test, between Keep-Alives
  double start_timeout = 5.0;               // seconds for the IUT to connect / accept after start
  std::vector<std::string> start_args;      // appended to every --iut-cmd
  std::map<std::string, Trigger> triggers;
  bool second_instance = false;  // a second IUT instance can be started (MOVE/COPY destination)
  YAML::Node raw;
};

enum class Verdict { Pass, Fail, Inconclusive, Error, NA };
const char* verdict_name(Verdict v);

struct Policy {
  bool auto_ack = true;        // ACK Status-Update, De-registration and Error messages from the IUT
  bool auto_keepalive = true;  // ACK Keep-Alives (runner as Execution Node)
  bool settle_acks = true;     // at the end, wait (ACK timer) for the IUT to ACK every request we sent
};

struct TestCase {
  std::string id, title, file;
  std::vector<std::string> requirements;  // catalogue IDs verified
  std::vector<std::string> groups;
  IutRole role = IutRole::Agent;
  std::vector<std::string> capabilities;  // needed from the profile
  std::vector<std::string> tolerate;      // findings the scenario's own deliberate violation provokes
  double guard = 20.0;
  bool restarts_iut = false;  // the test ends the IUT process (NA without --iut-cmd)
  bool sctp_only = false;     // `transport: sctp`: runs only in an SCTP run (VSM-5-SCTP tests)
  Policy policy;
  YAML::Node preamble, body, postamble;
};

struct Suite {
  std::vector<TestCase> tests;
  std::map<std::string, YAML::Node> fragments;  // name -> step list
  std::vector<std::string> files;
  std::string hash;  // of the suite files' bytes
};

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

struct Result {
  const TestCase* test = nullptr;
  Verdict verdict = Verdict::Pass;
  std::string reason;                 // why not pass
  std::set<std::string> failed_reqs;  // requirement IDs the failure names
  std::vector<std::string> notes;     // further failures after the first
  double seconds = 0;
  double waited = 0;  // seconds spent in deliberate waits
  std::vector<Exchange> ladder;
};

Profile load_profile(const std::string& path);
Suite load_suites(const std::vector<std::string>& paths);  // files or directories
// Dry check of every test and fragment (keywords, step shapes, requirement IDs).
std::vector<std::string> lint(const Suite& s);
std::vector<std::string> split_args(const std::string& cmd);

}  // namespace vsm::conform
