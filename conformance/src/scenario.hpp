// SPDX-License-Identifier: GPL-2.0-or-later
// Scenarios, compiled: the typed form of suite files and profiles, the
// compiler that reads them (YAML -> typed steps, every mistake of a file
// reported at once with its line and column) and the writer that turns the
// typed form back into YAML (vsm-replay to-scenario writes through it).
// `vsm-conform lint` is the compiler; `run` executes what it produced
// (executor.hpp), so the two cannot disagree. Nothing here does I/O beyond
// reading the files; keyword and value text goes through scenario_text.hpp.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <ostream>
#include <set>
#include <span>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

namespace vsm::conform {

// A scenario or profile that cannot be used (exit status 3): its what() lists every diagnostic, one a line.
struct ScenarioError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// One mistake in a file: "FILE:LINE:COLUMN: message" (1-based; 0 when the file as a whole is meant).
struct Diagnostic {
  std::string file;
  int line = 0;
  int column = 0;
  std::string message;
  std::string text() const;
  bool operator==(const Diagnostic&) const = default;
};

// Where something was written. Not part of the compiled form's meaning: two
// compiled forms that differ only in positions are equal.
struct Where {
  int line = 0;
  int column = 0;
  bool operator==(const Where&) const { return true; }
};

enum class IutRole { Agent, Manager };
inline const char* role_keyword(IutRole r) { return r == IutRole::Agent ? "agent" : "manager"; }

// ---------------------------------------------------------------- values

// A `$name` in a scenario: the variable's value, read when the step runs.
struct Var {
  std::string name;
  bool operator==(const Var&) const = default;
};
// A field's value: known when compiled (already of the field's type) or a variable (converted when the step runs).
template <class T>
using Arg = std::variant<T, Var>;

// `timeout`, `within`, `wait`: seconds or the profile's timer of that name.
struct Duration {
  enum class Kind : std::uint8_t { Seconds, Negative, Ack, Keepalive };
  Kind kind = Kind::Seconds;
  double seconds = 0;
  bool operator==(const Duration&) const = default;
};

// The timer keywords each kind of field takes.
// timeout (`keepalive` there: one Keep-Alive interval plus the ACK timer, the slack of a sender on time)
inline constexpr Duration::Kind kTimeoutTimers[] = {Duration::Kind::Negative, Duration::Kind::Ack,
                                                    Duration::Kind::Keepalive};
inline constexpr Duration::Kind kWithinTimers[] = {Duration::Kind::Negative};                           // within
inline constexpr Duration::Kind kWaitTimers[] = {Duration::Kind::Negative, Duration::Kind::Keepalive};  // wait

// `code` of an expectation: a Code, `any`, or `failure` (128 and above).
struct CodeMatch {
  enum class Kind : std::uint8_t { Value, Any, Failure };
  Kind kind = Kind::Value;
  std::uint8_t code = 0;
  bool operator==(const CodeMatch&) const = default;
};

// "node_id", "node_id#2" (the second Node ID), "function_info.running_status", "9.1" (numbers).
struct OptKey {
  std::uint8_t type = 0;
  std::optional<std::uint8_t> sub;
  unsigned index = 0;  // 0: the first option of that key
  bool operator==(const OptKey&) const = default;
};

// ---------------------------------------------------------------- messages to send

// `{node_id: 3}`, `{node_info.mem_total: ""}` (Length 0: a GET item), `{node_info.boot_time: now}`:
// the value as scenario text, checked against the option's kind when compiled.
struct KeyedOption {
  OptKey key;
  Arg<std::string> value;
  bool operator==(const KeyedOption&) const = default;
};
// `{raw: {type: 99, sub: 0, hex: "0102"}}` (or `text:` for the value): any option the keywords cannot say.
struct RawOption {
  Arg<std::uint8_t> type = std::uint8_t{0};
  Arg<std::uint8_t> sub = std::uint8_t{0};
  std::vector<std::uint8_t> hex;
  std::optional<Arg<std::string>> text;
  bool operator==(const RawOption&) const = default;
};
struct OptionItem {
  std::variant<KeyedOption, RawOption> what;
  std::optional<Arg<std::uint16_t>> length;  // the option's Length field, wrong on purpose
  bool operator==(const OptionItem&) const = default;
};

// How the encoded bytes of a message are spoiled on purpose.
struct Encoding {
  std::optional<Arg<std::uint16_t>> length;       // header Length field
  std::optional<Arg<std::int64_t>> length_delta;  // added to the right Length
  std::optional<Arg<std::uint64_t>> truncate;     // only the first N bytes
  std::vector<std::uint8_t> prepend, append;      // prepend_hex, append_hex
  bool literal = false;                           // the literal length convention (total - 3)
  bool operator==(const Encoding&) const = default;
};

struct SeqAuto {  // the connection's counter
  bool operator==(const SeqAuto&) const = default;
};
struct SeqDup {  // the previous number again
  bool operator==(const SeqDup&) const = default;
};
using SeqSpec = std::variant<SeqAuto, SeqDup, Arg<std::uint32_t>>;

struct MessageSpec {
  Arg<std::uint8_t> type = std::uint8_t{0};
  std::optional<Arg<std::uint8_t>> op, subtype, code;  // op and subtype both set the Sub-Type (subtype last)
  SeqSpec seq;
  std::vector<OptionItem> options;
  Encoding encoding;
  std::optional<std::string> capture_seq;  // variable receiving the number sent
  bool operator==(const MessageSpec&) const = default;
};

// ---------------------------------------------------------------- expectations

struct OptionValues {  // `option: {key: value}` or `{key: [alternatives]}`
  OptKey key;
  std::vector<Arg<std::string>> any_of;
  bool operator==(const OptionValues&) const = default;
};
struct OptionCount {  // `count: {key: N}`
  OptKey key;
  Arg<std::uint64_t> count = std::uint64_t{0};
  bool operator==(const OptionCount&) const = default;
};

struct Predicate {
  std::optional<Arg<std::uint8_t>> type, op, subtype;
  std::optional<Arg<std::uint32_t>> seq;
  std::vector<Arg<CodeMatch>> code;  // any of them; empty: any Code
  std::vector<OptKey> has, lacks, nonzero;
  std::vector<OptionValues> option;
  std::vector<OptionCount> count;
  std::vector<Predicate> negated;  // `not:` (at most one)
  // The order the fields were written in (for reasons and the writer); not part of the meaning.
  struct Order {
    std::vector<std::string> keys;
    bool operator==(const Order&) const { return true; }
  } order;
  bool operator==(const Predicate&) const = default;
};

// `capture: {var: field}`: a header field or an option's value.
struct CaptureField {
  enum class Kind : std::uint8_t { Seq, Code, Type, Subtype, Op, Option };
  Kind kind = Kind::Seq;
  OptKey key;  // Kind::Option
  bool operator==(const CaptureField&) const = default;
};
struct Capture {
  std::string var;
  CaptureField field;
  bool operator==(const Capture&) const = default;
};

struct Expectation {
  Predicate pred;
  std::vector<Capture> capture;
  std::optional<std::string> as;  // the message is kept under this name (for `ack: {of: NAME}`)
  bool operator==(const Expectation&) const = default;
};

// ---------------------------------------------------------------- steps

using ConnArg = std::optional<Arg<std::string>>;  // the connection's name; absent: "a"
using Bindings = std::vector<std::pair<std::string, Arg<std::string>>>;

struct Send {
  MessageSpec msg;
  std::optional<std::vector<Arg<std::uint64_t>>> split;  // separate writes cut at these offsets
  ConnArg conn;
  bool operator==(const Send&) const = default;
};
struct Batch {  // several messages in one write
  std::vector<MessageSpec> messages;
  ConnArg conn;
  bool operator==(const Batch&) const = default;
};
struct Garbage {  // raw bytes, or N random bytes
  std::variant<std::vector<std::uint8_t>, Arg<std::uint64_t>> bytes;
  ConnArg conn;
  bool operator==(const Garbage&) const = default;
};
struct Ack {
  std::optional<std::string> of;  // a message kept with `as`, or "last" (the default)
  std::optional<Arg<std::uint8_t>> code;
  std::vector<OptionItem> options;
  std::optional<Arg<std::uint32_t>> node;  // Node ID of the ACK
  bool no_node_id = false;
  std::optional<Arg<std::uint32_t>> seq;
  std::optional<Arg<std::uint8_t>> subtype, op;  // op last
  Encoding encoding;
  ConnArg conn;
  bool operator==(const Ack&) const = default;
};
// `verifies: [IDs]` on an expectation step: the requirements that expectation verifies. When it is not met,
// these are the requirements failed (a body expectation without `verifies` names the test's requirements; a
// preamble expectation without it names none: the test is inconclusive, its point not reached).
using Verifies = std::vector<std::string>;

struct Expect {
  Expectation what;
  std::optional<Arg<Duration>> timeout;
  ConnArg conn;
  Verifies verifies;
  bool operator==(const Expect&) const = default;
};
struct ExpectAll {
  std::vector<Expectation> messages;
  std::optional<Arg<Duration>> timeout;
  ConnArg conn;
  Verifies verifies;
  bool operator==(const ExpectAll&) const = default;
};
struct ExpectNone {
  Predicate pred;
  std::optional<Arg<Duration>> within;
  ConnArg conn;
  Verifies verifies;
  bool operator==(const ExpectNone&) const = default;
};
struct ExpectClose {
  std::optional<Arg<Duration>> timeout;
  ConnArg conn;
  Verifies verifies;
  bool operator==(const ExpectClose&) const = default;
};
struct Wait {
  Arg<Duration> how;
  bool operator==(const Wait&) const = default;
};
struct Accept {
  ConnArg conn;
  std::optional<Arg<Duration>> timeout;
  bool operator==(const Accept&) const = default;
};
struct Connect {
  ConnArg conn;
  std::optional<Arg<std::string>> bind;
  std::optional<Arg<Duration>> timeout;
  bool operator==(const Connect&) const = default;
};
struct Close {
  ConnArg conn;
  bool abort = false;  // TCP RST / SCTP ABORT instead of FIN / SHUTDOWN
  bool operator==(const Close&) const = default;
};
struct Reconnect {  // close, then accept or connect again
  ConnArg conn;
  bool abort = false;
  std::optional<Arg<std::string>> bind;
  std::optional<Arg<Duration>> timeout;
  bool operator==(const Reconnect&) const = default;
};
struct Spawn {
  bool operator==(const Spawn&) const = default;
};
struct Trigger {
  std::string name;
  Bindings vars;  // for the trigger's command template
  bool operator==(const Trigger&) const = default;
};
struct Call {
  std::string name;
  Bindings args;
  bool operator==(const Call&) const = default;
};
struct Set {
  Bindings vars;
  bool operator==(const Set&) const = default;
};
struct Log {
  std::string text;
  bool operator==(const Log&) const = default;
};

using StepKind = std::variant<Send, Batch, Garbage, Ack, Expect, ExpectAll, ExpectNone, ExpectClose, Wait, Accept,
                              Connect, Close, Reconnect, Spawn, Trigger, Call, Set, Log>;
// The step's keyword ("send", "expect_all", ...).
const char* step_keyword(const StepKind& s);

struct Step {
  StepKind what;
  Where at;
  bool operator==(const Step&) const = default;
};
using Steps = std::vector<Step>;

// ---------------------------------------------------------------- tests, files, suites

struct Policy {
  bool auto_ack = true;        // ACK Status-Update, De-registration and Error messages from the IUT
  bool auto_keepalive = true;  // ACK Keep-Alives (runner as Execution Node)
  bool settle_acks = true;     // at the end, wait (ACK timer) for the IUT to ACK every request we sent
  bool operator==(const Policy&) const = default;
};

struct TestCase {
  std::string id, title, file;
  std::string description;
  std::vector<std::string> requirements;  // catalogue IDs verified
  std::vector<std::string> groups;        // the file's, then the test's own
  IutRole role = IutRole::Agent;
  std::vector<std::string> capabilities;  // needed from the profile
  std::vector<std::string> tolerate;      // findings the scenario's own deliberate violation provokes
  double guard = 20.0;
  bool restarts_iut = false;  // the test ends the IUT process (NA without --iut-cmd)
  bool sctp_only = false;     // `transport: sctp`: runs only in an SCTP run (VSM-5-SCTP tests)
  Policy policy;
  Steps preamble, body, postamble;
  Where at;
  bool operator==(const TestCase& o) const;  // everything but `file` and positions
};

struct Fragment {
  std::string name;
  Steps steps;
  Where at;
  bool operator==(const Fragment&) const = default;
};

// One scenario file as written: what the writer writes and the compiler reads.
struct ScenarioFile {
  std::string path;
  std::string suite;  // `suite:` name, may be empty
  IutRole role = IutRole::Agent;
  std::vector<std::string> groups;
  double guard = 20.0;  // defaults.guard
  std::vector<Fragment> fragments;
  std::vector<TestCase> tests;
  bool operator==(const ScenarioFile& o) const;  // everything but `path`
};

// What a compiled test or fragment refers to, for the checks that need the whole suite (and the profile).
struct Usage {
  std::string file;  // where the test or fragment is written
  struct Ref {
    std::string name;
    std::string file;
    Where at;
  };
  std::vector<Ref> vars;                    // $name
  std::vector<Ref> calls;                   // call: NAME
  std::vector<Ref> kept;                    // ack: {of: NAME}
  std::vector<std::pair<Ref, bool>> roles;  // accept (true: agent role) / connect (false) steps
  std::set<std::string> defines;            // variables set (capture, capture_seq, set, call args)
  std::set<std::string> keeps;              // names given with `as`
};

struct Suite {
  std::vector<TestCase> tests;
  std::map<std::string, Fragment> fragments;  // name -> steps, of every file (and of the library)
  std::vector<std::string> files;
  std::vector<std::string> texts;  // the bytes of each of `files` as compiled (empty if unreadable): what is hashed
  std::map<std::string, Usage> test_usage, fragment_usage;
};

// ---------------------------------------------------------------- profiles

struct TriggerSpec {
  std::string name;
  std::string cmd;                    // run as a separate process (argv split, no shell)
  std::vector<std::string> at_start;  // appended to the IUT command line when the test starts it
  std::string signal;                 // "TERM", "INT", "HUP": sent to the IUT process
};

struct Profile {
  std::string path;
  std::string name = "unnamed implementation";
  std::string version;
  std::optional<IutRole> role;              // `role:`, when the profile says
  bool is_default = false;                  // built by default_profile(): no --profile given
  std::map<std::string, std::string> vars;  // initial scenario variables
  std::set<std::string> capabilities;       // operation and feature keywords the IUT supports
  double ack_timer = 5.0;                   // seconds: the IUT's ACK of our requests
  double negative_wait = 0.5;               // seconds: how long "nothing arrives" is watched
  double keepalive_interval = 5.0;          // seconds: manager under test, between Keep-Alives
  double start_timeout = 5.0;               // seconds for the IUT to connect / accept after start
  std::vector<std::string> start_args;      // appended to every --iut-cmd
  std::map<std::string, TriggerSpec> triggers;
  bool second_instance = false;  // a second IUT instance can be started (MOVE/COPY destination)
  YAML::Node raw;
};

// ---------------------------------------------------------------- the compiler

// Compiles scenario files (files or directories of .yaml/.yml) into one suite. Every mistake goes to diags;
// the suite is only good to run when diags stayed empty. `library`: files whose fragments the suite may call
// (lint: the built-in suites), whose tests are not taken and whose own mistakes are not reported.
Suite compile_suite(const std::vector<std::string>& paths, std::vector<Diagnostic>& diags,
                    const std::vector<std::string>& library = {});
// One file from text (`name` in the diagnostics), checked on its own.
ScenarioFile compile_text(const std::string& text, const std::string& name, std::vector<Diagnostic>& diags);
ScenarioFile compile_file(const std::string& path, std::vector<Diagnostic>& diags);
Profile compile_profile(const std::string& path, std::vector<Diagnostic>& diags);
// The variables a test (or, with nullptr, every test and fragment) uses that neither the suite nor the
// profile defines.
std::vector<Diagnostic> check_variables(const Suite& s, const Profile& p, const TestCase* only = nullptr);

// ---------------------------------------------------------------- the draft's full PICS (no --profile)

// One table is the source of the defaults: what a run without --profile assumes, what `profile init` writes.
struct CapabilityInfo {
  const char* name;
  const char* meaning;
  bool agent, manager;  // the roles it applies to
  bool assumed;         // claimed without --profile (false: the draft leaves it optional, or a harness ability)
};
struct VariableInfo {
  const char* name;
  IutRole role;
  const char* value;  // the default
  const char* meaning;
};
struct TriggerInfo {
  const char* name;
  IutRole role;
  const char* meaning;
  const char* example;  // a trigger spec, for the template's comment
};
std::span<const CapabilityInfo> capability_table();
std::span<const VariableInfo> variable_table();
std::span<const TriggerInfo> trigger_table();

// The profile a run without --profile uses: every capability the draft defines for that role, the default
// variables and timers, no trigger (a trigger is how to make one implementation act: only a profile can say).
Profile default_profile(IutRole role);
// The one line a run without --profile prints: what it assumes and what a profile can narrow.
std::string default_profile_note(IutRole role);
// A profile's variables with the defaults of its role filled in where the profile says nothing.
std::map<std::string, std::string> variables_with_defaults(const Profile& p, IutRole role);
// Variables the tests of `role` use that no test or fragment of the suite defines, each with the tests using it.
std::map<std::string, std::vector<std::string>> profile_variables(const Suite& s, IutRole role);
// `vsm-conform profile init`: a commented profile with every capability, trigger, timer and variable the suite's
// tests of that role use, what each means and which tests it enables. It compiles clean and runs.
void write_profile_template(IutRole role, const Suite& suite, std::ostream& out);

// compile_suite / compile_profile that throw ScenarioError listing every diagnostic.
Suite load_suites(const std::vector<std::string>& paths);
Profile load_profile(const std::string& path);

// Calls f(step) for every step of `steps` and, depth first, of the fragments they call.
void for_each_step(const Suite& s, const Steps& steps, const std::function<void(const Step&)>& f);

// ---------------------------------------------------------------- the writer

// The file as YAML text (yaml-cpp's emitter); `comment` lines go first as `# ` comments.
std::string write_scenario(const ScenarioFile& f, const std::string& comment = {});

// How a variable is shown: the writer writes `$name`; reasons show its value.
using VarText = std::function<std::string(const Var&)>;
// A predicate for people: "type=ack seq=5 code=[failed, status_unknown]", "any message" when it says nothing.
std::string describe(const Predicate& p, const VarText& var);

}  // namespace vsm::conform
