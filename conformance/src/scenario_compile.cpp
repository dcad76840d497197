// SPDX-License-Identifier: GPL-2.0-or-later
// The scenario compiler: YAML (yaml-cpp, whose nodes know their line and
// column) -> the typed form of scenario.hpp. It never stops at the first
// mistake: every node it cannot use becomes a diagnostic and compiling goes
// on with the next one. Checks that need the whole suite (fragments called,
// messages kept, accept/connect and the role, variables) run on the Usage
// collected while compiling.
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "scenario.hpp"
#include "scenario_text.hpp"
#include "vsm/catalogue.hpp"

namespace vsm::conform {

namespace fs = std::filesystem;
using Keys = std::span<const std::string_view>;

std::string Diagnostic::text() const {
  if (line <= 0) return fmt::format("{}: {}", file, message);
  return fmt::format("{}:{}:{}: {}", file, line, column, message);
}

bool TestCase::operator==(const TestCase& o) const {
  return id == o.id && title == o.title && description == o.description && requirements == o.requirements &&
         groups == o.groups && role == o.role && capabilities == o.capabilities && tolerate == o.tolerate &&
         guard == o.guard && restarts_iut == o.restarts_iut && sctp_only == o.sctp_only && policy == o.policy &&
         preamble == o.preamble && body == o.body && postamble == o.postamble;
}

bool ScenarioFile::operator==(const ScenarioFile& o) const {
  return suite == o.suite && role == o.role && groups == o.groups && guard == o.guard && fragments == o.fragments &&
         tests == o.tests;
}

namespace {
// By the index of StepKind.
constexpr std::string_view kStepNames[] = {"send",        "batch",        "garbage", "ack",    "expect",  "expect_all",
                                           "expect_none", "expect_close", "wait",    "accept", "connect", "close",
                                           "reconnect",   "spawn",        "trigger", "call",   "set",     "log"};
static_assert(std::size(kStepNames) == std::variant_size_v<StepKind>);
}  // namespace

const char* step_keyword(const StepKind& s) { return kStepNames[s.index()].data(); }

namespace {

// ---------------------------------------------------------------- the keys of each map

constexpr std::string_view kFileKeys[] = {"suite", "role", "groups", "fragments", "tests", "defaults"};
constexpr std::string_view kDefaultsKeys[] = {"guard"};
constexpr std::string_view kTestKeys[] = {"id",           "title",    "requirements", "groups",       "role",
                                          "capabilities", "guard",    "policy",       "preamble",     "body",
                                          "postamble",    "tolerate", "description",  "restarts_iut", "transport"};
constexpr std::string_view kPolicyKeys[] = {"auto_ack", "auto_keepalive", "settle_acks"};
constexpr std::string_view kMessageKeys[] = {"type",       "op",      "subtype",      "code",     "seq",
                                             "options",    "length",  "length_delta", "truncate", "prepend_hex",
                                             "append_hex", "literal", "capture_seq"};
constexpr std::string_view kSendKeys[] = {"type",       "op",      "subtype",      "code",     "seq",
                                          "options",    "length",  "length_delta", "truncate", "prepend_hex",
                                          "append_hex", "literal", "capture_seq",  "conn",     "split"};
constexpr std::string_view kAckKeys[] = {"of",       "code",        "options",    "node",    "no_node_id",
                                         "seq",      "subtype",     "op",         "length",  "length_delta",
                                         "truncate", "prepend_hex", "append_hex", "literal", "conn"};
constexpr std::string_view kPredKeys[] = {"type",  "op",      "subtype", "seq",   "code", "has",
                                          "lacks", "nonzero", "option",  "count", "not"};
constexpr std::string_view kExpectKeys[] = {"type",  "op",      "subtype", "seq",     "code", "has",
                                            "lacks", "nonzero", "option",  "count",   "not",  "capture",
                                            "as",    "timeout", "conn",    "verifies"};
constexpr std::string_view kExpectItemKeys[] = {"type",    "op",     "subtype", "seq", "code",    "has", "lacks",
                                                "nonzero", "option", "count",   "not", "capture", "as"};
constexpr std::string_view kExpectAllKeys[] = {"messages", "timeout", "conn", "verifies"};
constexpr std::string_view kExpectCloseKeys[] = {"timeout", "conn", "verifies"};
constexpr std::string_view kExpectNoneKeys[] = {"type",    "op",     "subtype", "seq", "code",   "has",  "lacks",
                                                "nonzero", "option", "count",   "not", "within", "conn", "verifies"};
constexpr std::string_view kTimeoutConnKeys[] = {"timeout", "conn"};
constexpr std::string_view kConnectKeys[] = {"conn", "bind", "timeout"};
constexpr std::string_view kCloseKeys[] = {"conn", "abort"};
constexpr std::string_view kReconnectKeys[] = {"conn", "abort", "bind", "timeout"};
constexpr std::string_view kGarbageKeys[] = {"hex", "bytes", "conn"};
constexpr std::string_view kBatchKeys[] = {"messages", "conn"};
constexpr std::string_view kCallKeys[] = {"name", "args"};
constexpr std::string_view kRawKeys[] = {"type", "sub", "hex", "text"};
constexpr std::string_view kProfileKeys[] = {
    "name", "version", "role", "vars", "capabilities", "timers", "start_args", "triggers", "second_instance", "notes"};
constexpr std::string_view kTimerKeys[] = {"ack", "negative_wait", "keepalive_interval", "start"};
constexpr std::string_view kTriggerKeys[] = {"cmd", "at_start", "signal"};
constexpr std::string_view kSignals[] = {"TERM", "INT", "HUP"};

bool among(Keys keys, std::string_view k) { return std::find(keys.begin(), keys.end(), k) != keys.end(); }

// ---------------------------------------------------------------- one file

class FileCompiler {
 public:
  FileCompiler(std::string file, std::vector<Diagnostic>& diags) : file_(std::move(file)), diags_(diags) {}

  ScenarioFile file(const YAML::Node& y, std::map<std::string, Usage>& tests, std::map<std::string, Usage>& frags) {
    ScenarioFile f;
    f.path = file_;
    if (y.IsNull()) return f;
    if (!keys(y, kFileKeys, "scenario file")) return f;
    if (auto s = y["suite"]) f.suite = scalar(s, "suite").value_or("");
    if (auto r = y["role"]) f.role = role(r).value_or(IutRole::Agent);
    f.groups = strings(y["groups"], "groups");
    if (auto d = y["defaults"]) {
      if (keys(d, kDefaultsKeys, "defaults") && d["guard"]) f.guard = seconds(d["guard"], "guard").value_or(f.guard);
    }
    if (auto fr = y["fragments"]) {
      if (!fr.IsMap()) {
        error(fr, "fragments must be a map of name: [steps]");
      } else {
        for (const auto& kv : fr) {
          auto name = scalar(kv.first, "fragment name");
          if (!name) continue;
          Fragment g;
          g.name = *name;
          g.at = where(kv.first);
          Usage u;
          u.file = file_;
          usage_ = &u;
          g.steps = steps(kv.second, "fragment " + *name);
          usage_ = nullptr;
          if (frags.count(*name)) {
            error(kv.first, fmt::format("fragment '{}' defined twice", *name));
            continue;
          }
          frags[*name] = std::move(u);
          f.fragments.push_back(std::move(g));
        }
      }
    }
    if (auto ts = y["tests"]) {
      if (!ts.IsSequence()) {
        error(ts, "tests must be a list");
      } else {
        for (const auto& t : ts) {
          Usage u;
          u.file = file_;
          usage_ = &u;
          auto tc = test(t, f);
          usage_ = nullptr;
          if (!tc) continue;
          if (tests.count(tc->id)) {
            error(t["id"], fmt::format("test id {} used twice", tc->id));
            continue;
          }
          tests[tc->id] = std::move(u);
          f.tests.push_back(std::move(*tc));
        }
      }
    }
    return f;
  }

  Profile profile(const YAML::Node& y) {
    Profile p;
    p.path = file_;
    p.raw = y;
    if (y.IsNull() || !keys(y, kProfileKeys, "profile")) return p;
    if (auto n = y["name"]) p.name = scalar(n, "name").value_or(p.name);
    if (auto n = y["version"]) p.version = scalar(n, "version").value_or("");
    if (auto n = y["role"]) p.role = role(n);
    if (auto v = y["vars"]) {
      if (!v.IsMap()) {
        error(v, "vars must be a map of name: value");
      } else {
        for (const auto& kv : v) {
          auto k = scalar(kv.first, "variable name");
          auto val = scalar(kv.second, "variable value");
          if (k && val) p.vars[*k] = *val;
        }
      }
    }
    for (const auto& c : strings(y["capabilities"], "capabilities")) p.capabilities.insert(c);
    if (auto t = y["timers"]) {
      if (keys(t, kTimerKeys, "timers")) {
        if (t["ack"]) p.ack_timer = seconds(t["ack"], "ack").value_or(p.ack_timer);
        if (t["negative_wait"])
          p.negative_wait = seconds(t["negative_wait"], "negative_wait").value_or(p.negative_wait);
        if (t["keepalive_interval"]) {
          p.keepalive_interval = seconds(t["keepalive_interval"], "keepalive_interval").value_or(p.keepalive_interval);
        }
        if (t["start"]) p.start_timeout = seconds(t["start"], "start").value_or(p.start_timeout);
      }
    }
    p.start_args = strings(y["start_args"], "start_args");
    if (auto tr = y["triggers"]) {
      if (!tr.IsMap()) {
        error(tr, "triggers must be a map of name: {cmd | at_start | signal}");
      } else {
        for (const auto& kv : tr) {
          TriggerSpec t;
          t.name = scalar(kv.first, "trigger name").value_or("");
          if (!keys(kv.second, kTriggerKeys, "trigger " + t.name)) continue;
          if (kv.second["cmd"]) t.cmd = scalar(kv.second["cmd"], "cmd").value_or("");
          t.at_start = strings(kv.second["at_start"], "at_start");
          if (auto s = kv.second["signal"]) {
            t.signal = scalar(s, "signal").value_or("TERM");
            if (!among(kSignals, t.signal)) error(s, text::unknown("signal", t.signal, kSignals) + " (TERM, INT, HUP)");
          }
          p.triggers[t.name] = t;
        }
      }
    }
    if (auto s = y["second_instance"]) p.second_instance = boolean(s, "second_instance");
    if (p.second_instance) p.capabilities.insert("second_instance");
    return p;
  }

  void error(const YAML::Node& n, std::string msg) { error(where(n), std::move(msg)); }
  void error(Where w, std::string msg) {
    if (++errors_ > kMaxErrors) {
      if (errors_ == kMaxErrors + 1)
        diags_.push_back(Diagnostic{file_, w.line, w.column, "(further mistakes not listed)"});
      return;
    }
    diags_.push_back(Diagnostic{file_, w.line, w.column, std::move(msg)});
  }

 private:
  static Where where(const YAML::Node& n) {
    const YAML::Mark m = n.Mark();
    if (m.is_null()) return {};
    return {m.line + 1, m.column + 1};
  }

  Usage::Ref ref(std::string name, const YAML::Node& n) const { return {std::move(name), file_, where(n)}; }

  // ------------------------------------------------------------ shapes

  // n is a map whose keys are names among `allowed`, each once; false when n is no map.
  // Every map and value read counts: aliases can make a small file huge, so reading stops at kMaxNodes.
  bool spend(const YAML::Node& n) {
    if (nodes_ >= kMaxNodes) return false;
    if (++nodes_ < kMaxNodes) return true;
    error(n, "the file expands to more than a million values (aliases?): reading stops here");
    return false;
  }

  bool keys(const YAML::Node& n, Keys allowed, const std::string& what) {
    if (!spend(n)) return false;
    if (!n.IsMap()) {
      error(n, fmt::format("{} must be a map", what));
      return false;
    }
    std::set<std::string> seen;
    for (const auto& kv : n) {
      if (!kv.first.IsScalar()) {
        error(kv.first, fmt::format("{}: a key must be a name", what));
        continue;
      }
      const std::string k = kv.first.Scalar();
      if (!seen.insert(k).second) error(kv.first, fmt::format("{}: key '{}' given twice", what, k));
      if (!among(allowed, k)) error(kv.first, fmt::format("{}: {}", what, text::unknown("key", k, allowed)));
    }
    return true;
  }

  std::optional<std::string> scalar(const YAML::Node& n, std::string_view what) {
    if (!spend(n)) return std::nullopt;
    if (!n.IsScalar()) {
      error(n, fmt::format("{} must be a single value", what));
      return std::nullopt;
    }
    return n.Scalar();
  }

  std::vector<std::string> strings(const YAML::Node& n, std::string_view what) {
    std::vector<std::string> out;
    if (!n || n.IsNull()) return out;
    if (n.IsScalar()) return {n.Scalar()};
    if (!n.IsSequence()) {
      error(n, fmt::format("{} must be a list", what));
      return out;
    }
    for (const auto& x : n) {
      if (auto s = scalar(x, what)) out.push_back(*s);
    }
    return out;
  }

  bool boolean(const YAML::Node& n, std::string_view what) {
    bool b = false;
    if (!n.IsScalar() || !YAML::convert<bool>::decode(n, b)) error(n, fmt::format("{} must be true or false", what));
    return b;
  }

  std::optional<double> seconds(const YAML::Node& n, std::string_view what) {
    auto s = scalar(n, what);
    if (!s) return std::nullopt;
    try {
      return text::seconds(*s, what);
    } catch (const text::Error& e) {
      error(n, e.what());
      return std::nullopt;
    }
  }

  std::optional<IutRole> role(const YAML::Node& n) {
    auto r = scalar(n, "role");
    if (!r) return std::nullopt;
    if (*r == "agent") return IutRole::Agent;
    if (*r == "manager") return IutRole::Manager;
    static constexpr std::string_view kRoles[] = {"agent", "manager"};
    error(n, text::unknown("role", *r, kRoles) + " (agent or manager)");
    return std::nullopt;
  }

  // A name the scenario gives (variable, kept message): a single word.
  std::optional<std::string> name(const YAML::Node& n, std::string_view what) {
    auto s = scalar(n, what);
    if (!s) return std::nullopt;
    if (s->empty() || (*s)[0] == '$') {
      error(n, fmt::format("{} '{}': give the name without $", what, *s));
      return std::nullopt;
    }
    return s;
  }

  // A field's value: `$name` (a variable) or text converted by parse (a text:: function).
  template <class T, class Parse>
  std::optional<Arg<T>> arg(const YAML::Node& n, std::string_view what, Parse parse) {
    auto s = scalar(n, what);
    if (!s) return std::nullopt;
    if (s->size() > 1 && (*s)[0] == '$') {
      if (usage_) usage_->vars.push_back(ref(s->substr(1), n));
      return Arg<T>{Var{s->substr(1)}};
    }
    try {
      return Arg<T>{static_cast<T>(parse(*s))};
    } catch (const text::Error& e) {
      error(n, e.what());
      return std::nullopt;
    }
  }
  std::optional<Arg<std::string>> text_arg(const YAML::Node& n, std::string_view what) {
    return arg<std::string>(n, what, [](const std::string& s) { return s; });
  }
  template <class T>
  std::optional<Arg<T>> number_arg(const YAML::Node& n, std::string_view what, std::uint64_t max) {
    return arg<T>(n, what, [&](const std::string& s) { return text::number_max(s, what, max); });
  }
  std::optional<Arg<Duration>> duration(const YAML::Node& n, std::string_view what, std::span<const Duration::Kind> k) {
    return arg<Duration>(n, what, [&](const std::string& s) { return text::duration(s, k); });
  }
  // Optional keys of a step: absent is nullopt (or false).
  std::optional<Arg<Duration>> timeout(const YAML::Node& a) {
    if (!a.IsMap() || !a["timeout"]) return std::nullopt;
    return duration(a["timeout"], "timeout", kTimeoutTimers);
  }
  std::optional<Arg<std::string>> text_of(const YAML::Node& a, const char* k) {
    if (!a[k]) return std::nullopt;
    return text_arg(a[k], k);
  }
  bool flag(const YAML::Node& a, const char* k) { return a[k] && boolean(a[k], k); }
  ConnArg conn(const YAML::Node& n) {
    if (!n.IsMap() || !n["conn"]) return std::nullopt;
    return text_arg(n["conn"], "conn");
  }
  Bindings bindings(const YAML::Node& n, std::string_view what, bool defines) {
    Bindings out;
    if (!n.IsMap()) {
      error(n, fmt::format("{} must be a map of name: value", what));
      return out;
    }
    for (const auto& kv : n) {
      auto k = name(kv.first, "variable");
      auto v = text_arg(kv.second, what);
      if (!k || !v) continue;
      if (defines && usage_) usage_->defines.insert(*k);
      out.emplace_back(*k, *v);
    }
    return out;
  }

  // ------------------------------------------------------------ tests

  std::optional<TestCase> test(const YAML::Node& t, const ScenarioFile& f) {
    if (!keys(t, kTestKeys, "test")) return std::nullopt;
    TestCase tc;
    tc.file = file_;
    tc.at = where(t);
    if (!t["id"] || !t["title"]) {
      error(t, "a test needs id and title");
      if (!t["id"]) return std::nullopt;
    }
    tc.id = scalar(t["id"], "id").value_or("");
    if (t["title"]) tc.title = scalar(t["title"], "title").value_or("");
    if (t["description"]) tc.description = scalar(t["description"], "description").value_or("");
    tc.requirements = requirements(t["requirements"], "requirements");
    const YAML::Node reqs = t["requirements"];
    if (!reqs || reqs.IsNull() || (reqs.IsSequence() && reqs.size() == 0)) {
      error(t, fmt::format("test {} names no requirement", tc.id));
    }
    tc.tolerate = requirements(t["tolerate"], "tolerate");
    tc.groups = f.groups;
    for (const auto& g : strings(t["groups"], "groups")) tc.groups.push_back(g);
    tc.role = f.role;
    if (t["role"]) tc.role = role(t["role"]).value_or(f.role);
    tc.capabilities = strings(t["capabilities"], "capabilities");
    tc.guard = f.guard;
    if (t["guard"]) tc.guard = seconds(t["guard"], "guard").value_or(f.guard);
    if (t["restarts_iut"]) tc.restarts_iut = boolean(t["restarts_iut"], "restarts_iut");
    if (auto tr = t["transport"]) {
      auto s = scalar(tr, "transport");
      static constexpr std::string_view kTransports[] = {"tcp", "sctp"};
      if (s && !among(kTransports, *s)) error(tr, text::unknown("transport", *s, kTransports) + " (tcp or sctp)");
      tc.sctp_only = s == "sctp";
    }
    if (auto p = t["policy"]) {
      if (keys(p, kPolicyKeys, "policy")) {
        if (p["auto_ack"]) tc.policy.auto_ack = boolean(p["auto_ack"], "auto_ack");
        if (p["auto_keepalive"]) tc.policy.auto_keepalive = boolean(p["auto_keepalive"], "auto_keepalive");
        if (p["settle_acks"]) tc.policy.settle_acks = boolean(p["settle_acks"], "settle_acks");
      }
    }
    if (t["preamble"]) tc.preamble = steps(t["preamble"], "preamble");
    if (t["body"]) {
      tc.body = steps(t["body"], "body");
    } else {
      error(t, fmt::format("test {} has no body", tc.id));
    }
    if (t["postamble"]) tc.postamble = steps(t["postamble"], "postamble");
    return tc;
  }

  std::vector<std::string> requirements(const YAML::Node& n, std::string_view what) {
    std::vector<std::string> out;
    if (!n) return out;
    const YAML::Node list = n;
    std::vector<YAML::Node> items;
    if (list.IsScalar()) {
      items.push_back(list);
    } else if (list.IsSequence()) {
      for (const auto& x : list) items.push_back(x);
    } else if (!list.IsNull()) {
      error(list, fmt::format("{} must be a list of requirement IDs", what));
    }
    static const std::vector<std::string_view> ids = [] {
      std::vector<std::string_view> v;
      for (const auto& r : catalogue()) v.push_back(r.id);
      return v;
    }();
    for (const auto& x : items) {
      auto id = scalar(x, what);
      if (!id) continue;
      if (!find_requirement(*id)) {
        error(x, text::unknown("requirement", *id, ids));
        continue;
      }
      out.push_back(*id);
    }
    return out;
  }

  // ------------------------------------------------------------ steps

  Steps steps(const YAML::Node& n, const std::string& where_) {
    Steps out;
    if (n.IsNull()) return out;
    if (!n.IsSequence()) {
      error(n, fmt::format("{} must be a list of steps", where_));
      return out;
    }
    for (const auto& s : n) {
      if (auto st = step(s)) out.push_back(std::move(*st));
    }
    return out;
  }

  std::optional<Step> step(const YAML::Node& s) {
    if (!s.IsMap() || s.size() != 1) {
      error(s, "a step is a map of one key (- send: {...})");
      return std::nullopt;
    }
    const auto kv = *s.begin();
    auto kind = scalar(kv.first, "step");
    if (!kind) return std::nullopt;
    const Where at = where(s);
    // Steps whose arguments are all optional may be written without any ("- ack:").
    const YAML::Node a = kv.second.IsNull() ? YAML::Node(YAML::NodeType::Map) : kv.second;
    const YAML::Node pos = kv.second.IsNull() ? kv.first : kv.second;
    const std::string& k = *kind;
    std::optional<StepKind> r;
    if (k == "send") {
      r = send(a, pos);
    } else if (k == "batch") {
      r = batch(a, pos);
    } else if (k == "garbage") {
      r = garbage(a, pos);
    } else if (k == "ack") {
      r = ack(a, pos);
    } else if (k == "expect") {
      if (kv.second.IsNull()) {
        error(kv.first, "expect needs what to expect (a map; {} for any message)");
      } else if (keys(a, kExpectKeys, "expect")) {
        Expect e;
        if (auto x = expectation(a)) e.what = std::move(*x);
        e.timeout = timeout(a);
        e.conn = conn(a);
        e.verifies = requirements(a["verifies"], "verifies");
        r = std::move(e);
      }
    } else if (k == "expect_all") {
      r = expect_all(a, pos);
    } else if (k == "expect_none") {
      if (keys(a, kExpectNoneKeys, "expect_none")) {
        ExpectNone e;
        e.pred = predicate(a);
        if (a["within"]) e.within = duration(a["within"], "within", kWithinTimers);
        e.conn = conn(a);
        e.verifies = requirements(a["verifies"], "verifies");
        r = std::move(e);
      }
    } else if (k == "expect_close") {
      if (keys(a, kExpectCloseKeys, "expect_close")) {
        r = ExpectClose{timeout(a), conn(a), requirements(a["verifies"], "verifies")};
      }
    } else if (k == "wait") {
      if (auto d = duration(a, "wait", kWaitTimers)) r = Wait{*d};
    } else if (k == "accept" || k == "connect") {
      const bool agent = k == "accept";
      if (keys(a, agent ? Keys(kTimeoutConnKeys) : Keys(kConnectKeys), k)) {
        if (agent) {
          r = Accept{conn(a), timeout(a)};
        } else {
          r = Connect{conn(a), text_of(a, "bind"), timeout(a)};
        }
        if (usage_) usage_->roles.emplace_back(ref(k, s), agent);
      }
    } else if (k == "close") {
      if (keys(a, kCloseKeys, "close")) r = Close{conn(a), flag(a, "abort")};
    } else if (k == "reconnect") {
      if (keys(a, kReconnectKeys, "reconnect")) {
        r = Reconnect{conn(a), flag(a, "abort"), text_of(a, "bind"), timeout(a)};
      }
    } else if (k == "spawn") {
      if (keys(a, Keys{}, "spawn")) r = Spawn{};
    } else if (k == "trigger") {
      r = trigger(a, pos);
    } else if (k == "call") {
      r = call(a, pos);
    } else if (k == "set") {
      Set x;
      x.vars = bindings(a, "set", true);
      r = std::move(x);
    } else if (k == "log") {
      if (auto t = scalar(a, "log")) r = Log{*t};
    } else {
      error(kv.first, text::unknown("step", k, kStepNames));
    }
    if (!r) return std::nullopt;
    return Step{std::move(*r), at};
  }

  // ------------------------------------------------------------ sending

  std::optional<StepKind> send(const YAML::Node& a, const YAML::Node& pos) {
    if (!keys(a, kSendKeys, "send")) return std::nullopt;
    Send s;
    auto m = message(a, pos, "send");
    if (!m) return std::nullopt;
    s.msg = std::move(*m);
    if (auto sp = a["split"]) {
      if (!sp.IsSequence()) {
        error(sp, "split must be a list of offsets");
      } else {
        s.split.emplace();
        for (const auto& x : sp) {
          if (auto v = number_arg<std::uint64_t>(x, "split offset", UINT64_MAX)) s.split->push_back(*v);
        }
      }
    }
    s.conn = conn(a);
    return s;
  }

  std::optional<MessageSpec> message(const YAML::Node& a, const YAML::Node& pos, std::string_view what) {
    MessageSpec m;
    bool ok = true;
    if (!a["type"]) {
      error(pos, fmt::format("{} needs a type", what));
      ok = false;
    } else if (auto t = arg<std::uint8_t>(a["type"], "type", text::message_type)) {
      m.type = *t;
    }
    if (a["op"]) m.op = arg<std::uint8_t>(a["op"], "op", text::operation);
    if (a["subtype"]) m.subtype = number_arg<std::uint8_t>(a["subtype"], "subtype", 255);
    if (a["code"]) m.code = arg<std::uint8_t>(a["code"], "code", text::result_code);
    if (auto q = a["seq"]) {
      auto s = scalar(q, "seq");
      if (s == "auto") {
        m.seq = SeqAuto{};
      } else if (s == "dup" || s == "duplicate") {
        m.seq = SeqDup{};
      } else if (s) {
        if (auto v = arg<std::uint32_t>(q, "seq", text::sequence)) m.seq = *v;
      }
    }
    if (auto o = a["options"]) m.options = options(o);
    m.encoding = encoding(a);
    if (auto c = a["capture_seq"]) {
      m.capture_seq = name(c, "capture_seq");
      if (m.capture_seq && usage_) usage_->defines.insert(*m.capture_seq);
    }
    if (!ok) return std::nullopt;
    return m;
  }

  Encoding encoding(const YAML::Node& a) {
    Encoding e;
    if (a["length"]) e.length = number_arg<std::uint16_t>(a["length"], "length", 0xFFFF);
    if (a["length_delta"]) {
      e.length_delta = arg<std::int64_t>(a["length_delta"], "length_delta",
                                         [](const std::string& s) { return text::signed_number(s, "length_delta"); });
    }
    if (a["truncate"]) e.truncate = number_arg<std::uint64_t>(a["truncate"], "truncate", UINT64_MAX);
    e.prepend = hex(a["prepend_hex"], "prepend_hex");
    e.append = hex(a["append_hex"], "append_hex");
    if (a["literal"]) e.literal = boolean(a["literal"], "literal");
    return e;
  }

  std::vector<std::uint8_t> hex(const YAML::Node& n, std::string_view what) {
    if (!n) return {};
    auto s = scalar(n, what);
    if (!s) return {};
    try {
      return text::hex(*s);
    } catch (const text::Error& e) {
      error(n, e.what());
      return {};
    }
  }

  std::vector<OptionItem> options(const YAML::Node& n) {
    std::vector<OptionItem> out;
    if (!n.IsSequence()) {
      error(n, "options must be a list of one-key maps ([{node_id: 3}])");
      return out;
    }
    for (const auto& o : n) {
      if (auto item = option(o)) out.push_back(std::move(*item));
    }
    return out;
  }

  std::optional<OptionItem> option(const YAML::Node& n) {
    if (!n.IsMap()) {
      error(n, "an option is a one-key map ({node_id: 3})");
      return std::nullopt;
    }
    OptionItem o;
    bool have = false, ok = true;
    for (const auto& kv : n) {
      auto key = scalar(kv.first, "option");
      if (!key) {
        ok = false;
        continue;
      }
      if (*key == "length") {
        o.length = number_arg<std::uint16_t>(kv.second, "option length", 0xFFFF);
        continue;
      }
      if (have) {
        error(kv.first, "an option map names one option (and maybe its length)");
        ok = false;
        continue;
      }
      have = true;
      if (*key == "raw") {
        if (auto r = raw(kv.second)) {
          o.what = std::move(*r);
        } else {
          ok = false;
        }
        continue;
      }
      OptKey k;
      try {
        k = text::option_key(*key);
      } catch (const text::Error& e) {
        error(kv.first, e.what());
        ok = false;
        continue;
      }
      auto v = text_arg(kv.second, *key);
      if (!v) {
        ok = false;
        continue;
      }
      if (const auto* lit = std::get_if<std::string>(&*v)) {
        try {
          text::option(k, *lit);
        } catch (const text::Error& e) {
          error(kv.second, e.what());
          ok = false;
          continue;
        }
      } else if (!option_spec(k.type)) {
        error(kv.first, fmt::format("option '{}': use raw for undefined types", *key));
        ok = false;
        continue;
      }
      o.what = KeyedOption{k, *v};
    }
    if (!have) {
      error(n, "the option map names no option");
      return std::nullopt;
    }
    if (!ok) return std::nullopt;
    return o;
  }

  std::optional<RawOption> raw(const YAML::Node& r) {
    if (!keys(r, kRawKeys, "raw")) return std::nullopt;
    RawOption o;
    if (!r["type"]) {
      error(r, "raw needs a type");
      return std::nullopt;
    }
    if (auto t = number_arg<std::uint8_t>(r["type"], "raw option type", 255)) o.type = *t;
    if (r["sub"]) {
      if (auto s = number_arg<std::uint8_t>(r["sub"], "raw sub", 255)) o.sub = *s;
    }
    o.hex = hex(r["hex"], "hex");
    if (r["text"]) o.text = text_arg(r["text"], "text");
    return o;
  }

  std::optional<StepKind> batch(const YAML::Node& a, const YAML::Node& pos) {
    Batch b;
    YAML::Node list = a;
    if (a.IsMap()) {
      if (!keys(a, kBatchKeys, "batch")) return std::nullopt;
      list.reset(a["messages"]);  // (assigning a Node would overwrite the map)
      b.conn = conn(a);
    }
    if (!list || !list.IsSequence()) {
      error(pos, "batch needs a list of messages (messages: [...])");
      return std::nullopt;
    }
    for (const auto& item : list) {
      if (!keys(item, kMessageKeys, "batch message")) continue;
      if (auto m = message(item, item, "a batch message")) b.messages.push_back(std::move(*m));
    }
    return b;
  }

  std::optional<StepKind> garbage(const YAML::Node& a, const YAML::Node& pos) {
    Garbage g;
    if (!a.IsMap()) {
      if (auto n = number_arg<std::uint64_t>(a, "garbage bytes", 1u << 20)) {
        g.bytes = *n;
        return g;
      }
      return std::nullopt;
    }
    if (!keys(a, kGarbageKeys, "garbage")) return std::nullopt;
    if (a["hex"] && a["bytes"]) error(pos, "garbage takes hex or bytes, not both");
    if (a["hex"]) {
      g.bytes = hex(a["hex"], "hex");
    } else if (a["bytes"]) {
      auto n = number_arg<std::uint64_t>(a["bytes"], "garbage bytes", 1u << 20);
      if (!n) return std::nullopt;
      g.bytes = *n;
    } else {
      error(pos, "garbage needs hex: \"...\" or bytes: N");
      return std::nullopt;
    }
    g.conn = conn(a);
    return g;
  }

  std::optional<StepKind> ack(const YAML::Node& a, const YAML::Node&) {
    if (!keys(a, kAckKeys, "ack")) return std::nullopt;
    Ack k;
    if (auto of = a["of"]) {
      k.of = name(of, "of");
      if (k.of && *k.of != "last" && usage_) usage_->kept.push_back(ref(*k.of, of));
    }
    if (a["code"]) k.code = arg<std::uint8_t>(a["code"], "code", text::result_code);
    if (auto o = a["options"]) k.options = options(o);
    if (a["node"]) k.node = number_arg<std::uint32_t>(a["node"], "node", 0xFFFFFFFF);
    if (a["no_node_id"]) k.no_node_id = boolean(a["no_node_id"], "no_node_id");
    if (a["seq"]) k.seq = arg<std::uint32_t>(a["seq"], "seq", text::sequence);
    if (a["subtype"]) k.subtype = number_arg<std::uint8_t>(a["subtype"], "subtype", 255);
    if (a["op"]) k.op = arg<std::uint8_t>(a["op"], "op", text::operation);
    k.encoding = encoding(a);
    k.conn = conn(a);
    return k;
  }

  // ------------------------------------------------------------ expecting

  std::optional<Expectation> expectation(const YAML::Node& a) {
    Expectation e;
    e.pred = predicate(a);
    if (auto c = a["capture"]) {
      if (!c.IsMap()) {
        error(c, "capture must be a map of variable: field");
      } else {
        for (const auto& kv : c) {
          auto var = name(kv.first, "variable");
          auto f = scalar(kv.second, "capture field");
          if (!var || !f) continue;
          try {
            e.capture.push_back(Capture{*var, text::capture_field(*f)});
            if (usage_) usage_->defines.insert(*var);
          } catch (const text::Error& x) {
            error(kv.second, x.what());
          }
        }
      }
    }
    if (auto as = a["as"]) {
      e.as = name(as, "as");
      if (e.as && usage_) usage_->keeps.insert(*e.as);
    }
    return e;
  }

  // depth: of `not:` in `not:` (an alias can make it endless).
  Predicate predicate(const YAML::Node& p, int depth = 0) {
    Predicate r;
    for (const auto& kv : p) {
      if (!kv.first.IsScalar()) continue;
      const std::string k = kv.first.Scalar();
      if (!among(kPredKeys, k)) continue;
      r.order.keys.push_back(k);
      const YAML::Node v = kv.second;
      if (k == "type") {
        r.type = arg<std::uint8_t>(v, "type", text::message_type);
      } else if (k == "op") {
        r.op = arg<std::uint8_t>(v, "op", text::operation);
      } else if (k == "subtype") {
        r.subtype = number_arg<std::uint8_t>(v, "subtype", 255);
      } else if (k == "seq") {
        r.seq = arg<std::uint32_t>(v, "seq", text::sequence);
      } else if (k == "code") {
        for (const auto& c : v.IsSequence() ? std::vector<YAML::Node>(v.begin(), v.end()) : std::vector{v}) {
          if (auto m = arg<CodeMatch>(c, "code", text::code_match)) r.code.push_back(*m);
        }
      } else if (k == "has" || k == "lacks" || k == "nonzero") {
        auto& list = k == "has" ? r.has : k == "lacks" ? r.lacks : r.nonzero;
        if (!v.IsSequence() && !v.IsScalar()) {
          error(v, fmt::format("{} must be a list of option keys", k));
          continue;
        }
        for (const auto& x : v.IsSequence() ? std::vector<YAML::Node>(v.begin(), v.end()) : std::vector{v}) {
          if (auto key = option_key(x)) list.push_back(*key);
        }
      } else if (k == "option") {
        if (!v.IsMap()) {
          error(v, "option must be a map of option key: value (or [values])");
          continue;
        }
        for (const auto& o : v) {
          auto key = option_key(o.first);
          if (!key) continue;
          OptionValues ov{*key, {}};
          const YAML::Node vals = o.second;
          for (const auto& x :
               vals.IsSequence() ? std::vector<YAML::Node>(vals.begin(), vals.end()) : std::vector{vals}) {
            auto val = text_arg(x, "option value");
            if (!val) continue;
            if (const auto* lit = std::get_if<std::string>(&*val)) {
              try {
                text::expected_value(*key, *lit);
              } catch (const text::Error& e) {
                error(x, e.what());
                continue;
              }
            }
            ov.any_of.push_back(*val);
          }
          r.option.push_back(std::move(ov));
        }
      } else if (k == "count") {
        if (!v.IsMap()) {
          error(v, "count must be a map of option key: N");
          continue;
        }
        for (const auto& o : v) {
          auto key = option_key(o.first);
          auto n = number_arg<std::uint64_t>(o.second, "count", UINT64_MAX);
          if (key && n) r.count.push_back(OptionCount{*key, *n});
        }
      } else if (k == "not") {
        if (depth >= 8) {
          error(v, "not: nested more than 8 deep");
        } else if (keys(v, kPredKeys, "not")) {
          r.negated.push_back(predicate(v, depth + 1));
        }
      }
    }
    return r;
  }

  std::optional<OptKey> option_key(const YAML::Node& n) {
    auto s = scalar(n, "option key");
    if (!s) return std::nullopt;
    try {
      return text::option_key(*s);
    } catch (const text::Error& e) {
      error(n, e.what());
      return std::nullopt;
    }
  }

  std::optional<StepKind> expect_all(const YAML::Node& a, const YAML::Node& pos) {
    if (!keys(a, kExpectAllKeys, "expect_all")) return std::nullopt;
    ExpectAll e;
    const YAML::Node list = a["messages"];
    if (!list || !list.IsSequence()) {
      error(pos, "expect_all needs messages: [...]");
      return std::nullopt;
    }
    for (const auto& item : list) {
      if (!keys(item, kExpectItemKeys, "expect_all message")) continue;
      if (auto x = expectation(item)) e.messages.push_back(std::move(*x));
    }
    e.timeout = timeout(a);
    e.conn = conn(a);
    e.verifies = requirements(a["verifies"], "verifies");
    return e;
  }

  // ------------------------------------------------------------ the rest

  // trigger: NAME or {name: NAME, var: value...}.
  std::optional<StepKind> trigger(const YAML::Node& a, const YAML::Node& pos) {
    Trigger t;
    if (a.IsScalar()) {
      t.name = a.Scalar();
      return t;
    }
    if (!a.IsMap() || !a["name"]) {
      error(pos, "trigger needs a name (trigger: NAME or {name: NAME, var: value})");
      return std::nullopt;
    }
    t.name = scalar(a["name"], "name").value_or("");
    for (const auto& kv : a) {
      auto k = scalar(kv.first, "variable");
      if (!k || *k == "name") continue;
      if (auto v = text_arg(kv.second, *k)) t.vars.emplace_back(*k, *v);
    }
    return t;
  }

  // call: NAME or {name: NAME, args: {var: value}}.
  std::optional<StepKind> call(const YAML::Node& a, const YAML::Node& pos) {
    Call c;
    YAML::Node at = a;
    if (a.IsScalar()) {
      c.name = a.Scalar();
    } else {
      if (!keys(a, kCallKeys, "call")) return std::nullopt;
      if (!a["name"]) {
        error(pos, "call needs a name (call: NAME or {name: NAME, args: {...}})");
        return std::nullopt;
      }
      at.reset(a["name"]);
      c.name = scalar(a["name"], "name").value_or("");
      if (a["args"]) c.args = bindings(a["args"], "args", true);
    }
    if (usage_) usage_->calls.push_back(ref(c.name, at));
    return c;
  }

  std::string file_;
  std::vector<Diagnostic>& diags_;
  Usage* usage_ = nullptr;
  static constexpr std::size_t kMaxNodes = 1'000'000, kMaxErrors = 1000;
  std::size_t nodes_ = 0, errors_ = 0;
};

// ---------------------------------------------------------------- files

bool read_text(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::stringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return !in.bad();
}

// Parses YAML text; a syntax error is a diagnostic and yields no node.
std::optional<YAML::Node> parse(const std::string& text, const std::string& name, std::vector<Diagnostic>& diags) {
  try {
    return YAML::Load(text);
  } catch (const YAML::Exception& e) {
    diags.push_back(Diagnostic{name, e.mark.is_null() ? 0 : e.mark.line + 1, e.mark.is_null() ? 0 : e.mark.column + 1,
                               "YAML: " + e.msg});
    return std::nullopt;
  }
}

ScenarioFile compile_one(const std::string& text, const std::string& name, std::vector<Diagnostic>& diags,
                         std::map<std::string, Usage>& tests, std::map<std::string, Usage>& frags) {
  auto y = parse(text, name, diags);
  if (!y) {
    ScenarioFile f;
    f.path = name;
    return f;
  }
  return FileCompiler(name, diags).file(*y, tests, frags);
}

std::vector<std::string> expand(const std::vector<std::string>& paths, std::vector<Diagnostic>& diags) {
  std::vector<std::string> files;
  for (const auto& p : paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      std::vector<std::string> here;
      for (const auto& e : fs::directory_iterator(p, ec)) {
        const auto ext = e.path().extension();
        if (ext == ".yaml" || ext == ".yml") here.push_back(e.path().string());
      }
      std::sort(here.begin(), here.end());
      files.insert(files.end(), here.begin(), here.end());
    } else if (fs::exists(p, ec)) {
      files.push_back(p);
    } else {
      diags.push_back(Diagnostic{p, 0, 0, "no such suite file or directory"});
    }
  }
  return files;
}

std::vector<std::string_view> names_of(const std::map<std::string, Fragment>& m) {
  std::vector<std::string_view> v;
  for (const auto& [k, f] : m) v.push_back(k);
  return v;
}

Diagnostic at(const Usage::Ref& r, std::string msg) {
  return Diagnostic{r.file, r.at.line, r.at.column, std::move(msg)};
}

void dedupe(std::vector<Diagnostic>& d) {
  std::vector<Diagnostic> out;
  for (auto& x : d) {
    if (std::find(out.begin(), out.end(), x) == out.end()) out.push_back(std::move(x));
  }
  d = std::move(out);
}

// Walks a test's usage and, depth first, that of the fragments it calls (each once).
void reachable(const Suite& s, const Usage& u, std::set<std::string>& seen, std::vector<const Usage*>& out) {
  out.push_back(&u);
  for (const auto& c : u.calls) {
    if (!seen.insert(c.name).second) continue;
    if (auto it = s.fragment_usage.find(c.name); it != s.fragment_usage.end()) reachable(s, it->second, seen, out);
  }
}

// Fragments calling themselves, through others or too deep.
void check_calls(const Suite& s, const std::string& name, std::vector<std::string>& path,
                 std::vector<Diagnostic>& diags) {
  auto it = s.fragment_usage.find(name);
  if (it == s.fragment_usage.end()) return;
  for (const auto& c : it->second.calls) {
    if (std::find(path.begin(), path.end(), c.name) != path.end()) {
      std::string chain;
      for (const auto& p : path) chain += p + " -> ";
      diags.push_back(at(c, fmt::format("fragment '{}' calls itself ({}{})", c.name, chain, c.name)));
      continue;
    }
    if (path.size() >= 8) {
      diags.push_back(at(c, "fragments call each other more than 8 deep"));
      continue;
    }
    path.push_back(c.name);
    check_calls(s, c.name, path, diags);
    path.pop_back();
  }
}

void check_suite(const Suite& s, const std::set<std::string>& own_fragments, std::vector<Diagnostic>& diags) {
  std::vector<Diagnostic> d;
  const auto frag_names = names_of(s.fragments);
  auto check_refs = [&](const Usage& u) {
    for (const auto& c : u.calls) {
      if (!s.fragments.count(c.name)) d.push_back(at(c, text::unknown("fragment", c.name, frag_names)));
    }
  };
  for (const auto& [name, u] : s.fragment_usage) {
    if (!own_fragments.count(name)) continue;
    check_refs(u);
    std::vector<std::string> path{name};
    check_calls(s, name, path, d);
  }
  for (const auto& t : s.tests) {
    auto it = s.test_usage.find(t.id);
    if (it == s.test_usage.end()) continue;
    check_refs(it->second);
    std::set<std::string> seen;
    std::vector<const Usage*> all;
    reachable(s, it->second, seen, all);
    std::set<std::string> keeps;
    for (const Usage* u : all) keeps.insert(u->keeps.begin(), u->keeps.end());
    const std::vector<std::string_view> keep_names(keeps.begin(), keeps.end());
    for (const Usage* u : all) {
      for (const auto& [r, agent_step] : u->roles) {
        if (agent_step && t.role == IutRole::Manager) {
          d.push_back(at(r, fmt::format("accept is for an agent under test; test {} has a manager under test "
                                        "(use connect)",
                                        t.id)));
        } else if (!agent_step && t.role == IutRole::Agent) {
          d.push_back(at(r, fmt::format("connect is for a manager under test; test {} has an agent under test "
                                        "(use accept)",
                                        t.id)));
        }
      }
      for (const auto& k : u->kept) {
        if (keeps.count(k.name)) continue;
        const std::string near = text::nearest(k.name, keep_names);
        d.push_back(at(k, fmt::format("ack of '{}': no expectation of test {} keeps a message by that name "
                                      "(as: {}){}",
                                      k.name, t.id, k.name, near.empty() ? "" : " (did you mean " + near + "?)")));
      }
    }
  }
  dedupe(d);
  diags.insert(diags.end(), d.begin(), d.end());
}

// Each file's diagnostics in the order of their lines; files keep the order they came in.
void sort_by_position(std::vector<Diagnostic>& d) {
  std::vector<std::string> files;
  for (const auto& x : d) {
    if (std::find(files.begin(), files.end(), x.file) == files.end()) files.push_back(x.file);
  }
  std::stable_sort(d.begin(), d.end(), [&](const Diagnostic& a, const Diagnostic& b) {
    const auto fa = std::find(files.begin(), files.end(), a.file) - files.begin();
    const auto fb = std::find(files.begin(), files.end(), b.file) - files.begin();
    return std::tie(fa, a.line, a.column) < std::tie(fb, b.line, b.column);
  });
}

std::string join(const std::vector<Diagnostic>& d) {
  std::string s;
  for (const auto& x : d) {
    if (!s.empty()) s += '\n';
    s += x.text();  // appended: g++ 12 -O3 warns wrongly (-Wrestrict) on "..." + string
  }
  return s;
}

}  // namespace

ScenarioFile compile_text(const std::string& text, const std::string& name, std::vector<Diagnostic>& diags) {
  std::map<std::string, Usage> tests, frags;
  return compile_one(text, name, diags, tests, frags);
}

ScenarioFile compile_file(const std::string& path, std::vector<Diagnostic>& diags) {
  std::string text;
  if (!read_text(path, text)) {
    diags.push_back(Diagnostic{path, 0, 0, "cannot read the file"});
    ScenarioFile f;
    f.path = path;
    return f;
  }
  return compile_text(text, path, diags);
}

Suite compile_suite(const std::vector<std::string>& paths, std::vector<Diagnostic>& diags,
                    const std::vector<std::string>& library) {
  Suite s;
  s.files = expand(paths, diags);
  std::set<std::string> own;
  for (const auto& path : s.files) {
    std::string& text = s.texts.emplace_back();
    if (!read_text(path, text)) {
      diags.push_back(Diagnostic{path, 0, 0, "cannot read the file"});
      continue;
    }
    ScenarioFile f = compile_one(text, path, diags, s.test_usage, s.fragment_usage);
    for (auto& g : f.fragments) {
      own.insert(g.name);
      s.fragments[g.name] = std::move(g);
    }
    for (auto& t : f.tests) s.tests.push_back(std::move(t));
  }
  // The library's fragments, where the suite has none of that name; its mistakes are its own.
  std::vector<Diagnostic> ignored;
  for (const auto& path : expand(library, ignored)) {
    std::string text;
    if (!read_text(path, text)) continue;
    std::map<std::string, Usage> tests, frags;
    ScenarioFile f = compile_one(text, path, ignored, tests, frags);
    for (auto& g : f.fragments) {
      if (s.fragments.count(g.name)) continue;
      s.fragment_usage[g.name] = std::move(frags[g.name]);
      s.fragments[g.name] = std::move(g);
    }
  }
  check_suite(s, own, diags);
  sort_by_position(diags);
  return s;
}

Profile compile_profile(const std::string& path, std::vector<Diagnostic>& diags) {
  std::string text;
  Profile p;
  p.path = path;
  if (!read_text(path, text)) {
    diags.push_back(Diagnostic{path, 0, 0, "cannot read the profile"});
    return p;
  }
  auto y = parse(text, path, diags);
  if (!y) return p;
  std::vector<Diagnostic> d;
  Profile p2 = FileCompiler(path, d).profile(*y);
  sort_by_position(d);
  diags.insert(diags.end(), d.begin(), d.end());
  return p2;
}

std::vector<Diagnostic> check_variables(const Suite& s, const Profile& p, const TestCase* only) {
  // Defined: by the profile, by any test or fragment of the suite's files, by library fragments its tests call.
  std::set<std::string> defined{"sent_seq"};
  for (const auto& [k, v] : p.vars) defined.insert(k);
  std::set<std::string> seen;
  std::vector<const Usage*> used;
  for (const auto& [k, u] : s.test_usage) reachable(s, u, seen, used);
  for (const auto& [k, u] : s.fragment_usage) {
    if (std::find(s.files.begin(), s.files.end(), u.file) != s.files.end()) used.push_back(&u);
  }
  for (const Usage* u : used) defined.insert(u->defines.begin(), u->defines.end());
  const std::vector<std::string_view> names(defined.begin(), defined.end());
  std::vector<Diagnostic> d;
  auto check = [&](const Usage& root) {
    std::set<std::string> seen;
    std::vector<const Usage*> all;
    reachable(s, root, seen, all);
    for (const Usage* u : all) {
      for (const auto& v : u->vars) {
        if (defined.count(v.name)) continue;
        const std::string near = text::nearest(v.name, names);
        d.push_back(at(v, fmt::format("unknown variable ${}: neither the suite nor the profile defines it{}", v.name,
                                      near.empty() ? "" : " (did you mean $" + near + "?)")));
      }
    }
  };
  for (const auto& t : s.tests) {
    if (only && only->id != t.id) continue;
    if (p.role && *p.role != t.role) continue;  // a profile of the other role says nothing of this test
    // The runner fills in the defaults of the test's role (variable_table) where the profile says nothing.
    std::set<std::string> saved = defined;
    for (const auto& v : variable_table()) {
      if (v.role == t.role) defined.insert(v.name);
    }
    if (auto it = s.test_usage.find(t.id); it != s.test_usage.end()) check(it->second);
    defined = std::move(saved);
  }
  dedupe(d);
  sort_by_position(d);
  return d;
}

std::map<std::string, std::vector<std::string>> profile_variables(const Suite& s, IutRole role) {
  std::set<std::string> defined{"sent_seq"};
  {
    std::set<std::string> seen;
    std::vector<const Usage*> used;
    for (const auto& t : s.tests) {  // what the tests of this role set themselves (captures, set, call args)
      if (auto it = s.test_usage.find(t.id); t.role == role && it != s.test_usage.end()) {
        reachable(s, it->second, seen, used);
      }
    }
    for (const Usage* u : used) defined.insert(u->defines.begin(), u->defines.end());
  }
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& t : s.tests) {
    if (t.role != role) continue;
    auto it = s.test_usage.find(t.id);
    if (it == s.test_usage.end()) continue;
    std::set<std::string> seen;
    std::vector<const Usage*> all;
    reachable(s, it->second, seen, all);
    for (const Usage* u : all) {
      for (const auto& v : u->vars) {
        if (defined.count(v.name)) continue;
        auto& tests = out[v.name];
        if (std::find(tests.begin(), tests.end(), t.id) == tests.end()) tests.push_back(t.id);
      }
    }
  }
  return out;
}

Suite load_suites(const std::vector<std::string>& paths) {
  std::vector<Diagnostic> d;
  Suite s = compile_suite(paths, d);
  if (!d.empty()) throw ScenarioError(join(d));
  return s;
}

Profile load_profile(const std::string& path) {
  std::vector<Diagnostic> d;
  Profile p = compile_profile(path, d);
  if (!d.empty()) throw ScenarioError(join(d));
  return p;
}

void for_each_step(const Suite& s, const Steps& steps, const std::function<void(const Step&)>& f) {
  const std::function<void(const Steps&, int)> walk = [&](const Steps& list, int depth) {
    for (const Step& st : list) {
      f(st);
      if (const auto* c = std::get_if<Call>(&st.what); c && depth < 8) {
        if (auto it = s.fragments.find(c->name); it != s.fragments.end()) walk(it->second.steps, depth + 1);
      }
    }
  };
  walk(steps, 0);
}

}  // namespace vsm::conform
