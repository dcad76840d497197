// SPDX-License-Identifier: GPL-2.0-or-later
// The scenario writer: the typed form -> YAML through yaml-cpp's emitter, in
// the layout of the bundled suites (block maps and lists down to the steps,
// each step's arguments in flow style). compile(write(x)) == x for every
// compiled x (the round-trip test holds it to that).
#include <fmt/format.h>

#include <algorithm>
#include <cctype>

#include "scenario.hpp"
#include "scenario_text.hpp"

namespace vsm::conform {

namespace {

// Text that reads back as the same string without quotes (in flow context too): words, numbers, addresses,
// sentences without YAML punctuation.
bool plain(const std::string& s) {
  if (s.empty()) return false;
  const unsigned char c0 = static_cast<unsigned char>(s[0]);
  if (!std::isalnum(c0) && c0 != '_' && c0 != '$') return false;
  if (s.back() == ' ') return false;
  for (unsigned char c : s) {
    if (!std::isalnum(c) && std::string_view("_.-/+$()' ").find(static_cast<char>(c)) == std::string_view::npos) {
      return false;
    }
  }
  std::string l;
  for (unsigned char c : s) l += static_cast<char>(std::tolower(c));
  static constexpr std::string_view kSpecial[] = {"true", "false", "yes", "no", "on", "off", "null", "y", "n"};
  return std::find(std::begin(kSpecial), std::end(kSpecial), l) == std::end(kSpecial);
}

class Writer {
 public:
  Writer(YAML::Emitter& e, VarText var) : e_(e), var_(std::move(var)) {}

  void str(const std::string& s) {
    if (plain(s)) {
      e_ << s;
    } else {
      e_ << YAML::DoubleQuoted << s;
    }
  }
  void key(const char* k) { e_ << YAML::Key << k << YAML::Value; }
  void strings(const std::vector<std::string>& v) {
    e_ << YAML::Flow << YAML::BeginSeq;
    for (const auto& s : v) str(s);
    e_ << YAML::EndSeq;
  }

  // Arg<T> as text: a literal by the field's own text function, a variable by var_.
  template <class T, class F>
  std::string arg_text(const Arg<T>& a, F text_of) const {
    if (const auto* v = std::get_if<Var>(&a)) return var_(*v);
    return text_of(std::get<T>(a));
  }
  template <class T, class F>
  void arg(const Arg<T>& a, F text_of) {
    str(arg_text(a, text_of));
  }
  template <class T>
  static std::string decimal(T v) {
    return fmt::format("{}", v);
  }
  // A predicate field that is a single value, as text; nullopt for lists and maps.
  std::optional<std::string> scalar_field(const Predicate& p, const std::string& k) const {
    if (k == "type") return arg_text(*p.type, text::message_type_text);
    if (k == "op") return arg_text(*p.op, text::operation_text);
    if (k == "subtype") return arg_text(*p.subtype, decimal<std::uint8_t>);
    if (k == "seq") return arg_text(*p.seq, decimal<std::uint32_t>);
    if (k == "code" && p.code.size() == 1) return arg_text(p.code[0], text::code_match_text);
    return std::nullopt;
  }
  void text(const Arg<std::string>& a) {
    arg(a, [](const std::string& s) { return s; });
  }
  template <class T>
  void number(const Arg<T>& a) {
    arg(a, decimal<T>);
  }
  void duration(const Arg<Duration>& a) { arg(a, text::duration_text); }
  // Optional fields: written only when set.
  template <class T>
  void num(const char* k, const std::optional<Arg<T>>& v) {
    if (!v) return;
    key(k);
    number(*v);
  }
  template <class T, class F>
  void word(const char* k, const std::optional<Arg<T>>& v, F text_of) {
    if (!v) return;
    key(k);
    arg(*v, text_of);
  }
  void text(const char* k, const std::optional<Arg<std::string>>& v) {
    if (!v) return;
    key(k);
    text(*v);
  }
  void name(const char* k, const std::optional<std::string>& v) {
    if (!v) return;
    key(k);
    str(*v);
  }
  void flag(const char* k, bool on) {
    if (!on) return;
    key(k);
    e_ << true;
  }
  // A block list of flow maps, each written by each(item).
  template <class L, class F>
  void maps(const char* k, const L& items, F each) {
    key(k);
    e_ << YAML::BeginSeq;
    for (const auto& x : items) {
      e_ << YAML::Flow << YAML::BeginMap;
      each(x);
      e_ << YAML::EndMap;
    }
    e_ << YAML::EndSeq;
  }
  void conn(const ConnArg& c) { text("conn", c); }
  void hex(const char* k, const std::vector<std::uint8_t>& b) {
    if (b.empty()) return;
    key(k);
    e_ << YAML::DoubleQuoted << text::hex_text(b);
  }
  void bindings(const Bindings& b) {
    for (const auto& [k, v] : b) {
      e_ << YAML::Key;
      str(k);
      e_ << YAML::Value;
      text(v);
    }
  }

  // ------------------------------------------------------------ messages

  void option(const OptionItem& o) {
    e_ << YAML::Flow << YAML::BeginMap;
    if (const auto* k = std::get_if<KeyedOption>(&o.what)) {
      e_ << YAML::Key;
      str(text::option_key_text(k->key));
      e_ << YAML::Value;
      text(k->value);
    } else {
      const auto& r = std::get<RawOption>(o.what);
      key("raw");
      e_ << YAML::Flow << YAML::BeginMap;
      key("type");
      number(r.type);
      key("sub");
      number(r.sub);
      if (!r.hex.empty() || !r.text) {
        key("hex");
        e_ << YAML::DoubleQuoted << text::hex_text(r.hex);
      }
      text("text", r.text);
      e_ << YAML::EndMap;
    }
    num("length", o.length);
    e_ << YAML::EndMap;
  }
  void options(const std::vector<OptionItem>& v) {
    if (v.empty()) return;
    key("options");
    e_ << YAML::Flow << YAML::BeginSeq;
    for (const auto& o : v) option(o);
    e_ << YAML::EndSeq;
  }
  void encoding(const Encoding& x) {
    num("length", x.length);
    num("length_delta", x.length_delta);
    num("truncate", x.truncate);
    hex("prepend_hex", x.prepend);
    hex("append_hex", x.append);
    flag("literal", x.literal);
  }
  void message_fields(const MessageSpec& m) {
    key("type");
    arg(m.type, text::message_type_text);
    word("op", m.op, text::operation_text);
    num("subtype", m.subtype);
    word("code", m.code, text::result_code_text);
    if (std::holds_alternative<SeqDup>(m.seq)) {
      key("seq");
      e_ << "dup";
    } else if (const auto* s = std::get_if<Arg<std::uint32_t>>(&m.seq)) {
      key("seq");
      number(*s);
    }
    name("capture_seq", m.capture_seq);
    options(m.options);
    encoding(m.encoding);
  }

  // ------------------------------------------------------------ expectations

  void keys(const std::vector<OptKey>& v) {
    e_ << YAML::Flow << YAML::BeginSeq;
    for (const auto& k : v) str(text::option_key_text(k));
    e_ << YAML::EndSeq;
  }
  void codes(const std::vector<Arg<CodeMatch>>& v) {
    if (v.size() == 1) {
      arg(v[0], text::code_match_text);
      return;
    }
    e_ << YAML::Flow << YAML::BeginSeq;
    for (const auto& c : v) arg(c, text::code_match_text);
    e_ << YAML::EndSeq;
  }
  // One field of a predicate as its value (the key written by the caller); false when the field is unset.
  static bool has_field(const Predicate& p, const std::string& k) {
    if (k == "type") return p.type.has_value();
    if (k == "op") return p.op.has_value();
    if (k == "subtype") return p.subtype.has_value();
    if (k == "seq") return p.seq.has_value();
    if (k == "code") return !p.code.empty();
    if (k == "has") return !p.has.empty();
    if (k == "lacks") return !p.lacks.empty();
    if (k == "nonzero") return !p.nonzero.empty();
    if (k == "option") return !p.option.empty();
    if (k == "count") return !p.count.empty();
    if (k == "not") return !p.negated.empty();
    return false;
  }
  void field(const Predicate& p, const std::string& k) {
    if (k == "type") {
      arg(*p.type, text::message_type_text);
    } else if (k == "op") {
      arg(*p.op, text::operation_text);
    } else if (k == "subtype") {
      number(*p.subtype);
    } else if (k == "seq") {
      number(*p.seq);
    } else if (k == "code") {
      codes(p.code);
    } else if (k == "has" || k == "lacks" || k == "nonzero") {
      keys(k == "has" ? p.has : k == "lacks" ? p.lacks : p.nonzero);
    } else if (k == "option") {
      e_ << YAML::Flow << YAML::BeginMap;
      for (const auto& o : p.option) {
        e_ << YAML::Key;
        str(text::option_key_text(o.key));
        e_ << YAML::Value;
        if (o.any_of.size() == 1) {
          text(o.any_of[0]);
        } else {
          e_ << YAML::Flow << YAML::BeginSeq;
          for (const auto& v : o.any_of) text(v);
          e_ << YAML::EndSeq;
        }
      }
      e_ << YAML::EndMap;
    } else if (k == "count") {
      e_ << YAML::Flow << YAML::BeginMap;
      for (const auto& c : p.count) {
        e_ << YAML::Key;
        str(text::option_key_text(c.key));
        e_ << YAML::Value;
        number(c.count);
      }
      e_ << YAML::EndMap;
    } else if (k == "not") {
      e_ << YAML::Flow << YAML::BeginMap;
      predicate(p.negated[0]);
      e_ << YAML::EndMap;
    }
  }
  // The fields in the order written, then any others in the canonical order.
  static std::vector<std::string> field_order(const Predicate& p) {
    static const std::vector<std::string> kCanonical{"type",  "op",      "subtype", "seq",   "code", "has",
                                                     "lacks", "nonzero", "option",  "count", "not"};
    std::vector<std::string> out;
    for (const auto& k : p.order.keys) {
      if (has_field(p, k) && std::find(out.begin(), out.end(), k) == out.end()) out.push_back(k);
    }
    for (const auto& k : kCanonical) {
      if (has_field(p, k) && std::find(out.begin(), out.end(), k) == out.end()) out.push_back(k);
    }
    return out;
  }
  void predicate(const Predicate& p) {
    for (const auto& k : field_order(p)) {
      key(k.c_str());
      field(p, k);
    }
  }
  void expectation(const Expectation& x) {
    predicate(x.pred);
    if (!x.capture.empty()) {
      key("capture");
      e_ << YAML::Flow << YAML::BeginMap;
      for (const auto& c : x.capture) {
        e_ << YAML::Key;
        str(c.var);
        e_ << YAML::Value;
        str(text::capture_field_text(c.field));
      }
      e_ << YAML::EndMap;
    }
    name("as", x.as);
  }
  void timeout(const char* k, const std::optional<Arg<Duration>>& t) {
    if (!t) return;
    key(k);
    duration(*t);
  }

  // ------------------------------------------------------------ steps

  void step(const Step& s) {
    e_ << YAML::BeginMap << YAML::Key << step_keyword(s.what) << YAML::Value;
    std::visit([&](const auto& x) { args(x); }, s.what);
    e_ << YAML::EndMap;
  }
  void steps(const char* k, const Steps& v, bool always = false) {
    if (v.empty() && !always) return;
    key(k);
    if (v.empty()) {
      e_ << YAML::Flow << YAML::BeginSeq << YAML::EndSeq;
      return;
    }
    e_ << YAML::BeginSeq;
    for (const auto& s : v) step(s);
    e_ << YAML::EndSeq;
  }

  void open() { e_ << YAML::Flow << YAML::BeginMap; }
  void close() { e_ << YAML::EndMap; }

  void args(const Send& x) {
    open();
    conn(x.conn);
    message_fields(x.msg);
    if (x.split) {
      key("split");
      e_ << YAML::Flow << YAML::BeginSeq;
      for (const auto& c : *x.split) number(c);
      e_ << YAML::EndSeq;
    }
    close();
  }
  void args(const Batch& x) {
    open();
    conn(x.conn);
    maps("messages", x.messages, [&](const MessageSpec& m) { message_fields(m); });
    close();
  }
  void args(const Garbage& x) {
    open();
    conn(x.conn);
    if (const auto* b = std::get_if<std::vector<std::uint8_t>>(&x.bytes)) {
      key("hex");
      e_ << YAML::DoubleQuoted << text::hex_text(*b);
    } else {
      key("bytes");
      number(std::get<Arg<std::uint64_t>>(x.bytes));
    }
    close();
  }
  void args(const Ack& x) {
    open();
    conn(x.conn);
    name("of", x.of);
    word("code", x.code, text::result_code_text);
    num("node", x.node);
    flag("no_node_id", x.no_node_id);
    num("seq", x.seq);
    num("subtype", x.subtype);
    word("op", x.op, text::operation_text);
    options(x.options);
    encoding(x.encoding);
    close();
  }
  void verifies(const Verifies& v) {
    if (v.empty()) return;
    key("verifies");
    strings(v);
  }
  void args(const Expect& x) {
    open();
    conn(x.conn);
    expectation(x.what);
    timeout("timeout", x.timeout);
    verifies(x.verifies);
    close();
  }
  void args(const ExpectAll& x) {
    open();
    conn(x.conn);
    maps("messages", x.messages, [&](const Expectation& m) { expectation(m); });
    timeout("timeout", x.timeout);
    verifies(x.verifies);
    close();
  }
  void args(const ExpectNone& x) {
    open();
    conn(x.conn);
    predicate(x.pred);
    timeout("within", x.within);
    verifies(x.verifies);
    close();
  }
  // The connection steps: conn, then what each has of abort, bind and timeout.
  void connection(const ConnArg& c, bool abort, const std::optional<Arg<std::string>>& bind,
                  const std::optional<Arg<Duration>>& t) {
    open();
    conn(c);
    flag("abort", abort);
    text("bind", bind);
    timeout("timeout", t);
    close();
  }
  void args(const ExpectClose& x) {
    open();
    conn(x.conn);
    timeout("timeout", x.timeout);
    verifies(x.verifies);
    close();
  }
  void args(const Wait& x) { duration(x.how); }
  void args(const Accept& x) { connection(x.conn, false, std::nullopt, x.timeout); }
  void args(const Connect& x) { connection(x.conn, false, x.bind, x.timeout); }
  void args(const Close& x) { connection(x.conn, x.abort, std::nullopt, std::nullopt); }
  void args(const Reconnect& x) { connection(x.conn, x.abort, x.bind, x.timeout); }
  void args(const Spawn&) {
    open();
    close();
  }
  void args(const Trigger& x) {
    if (x.vars.empty()) {
      str(x.name);
      return;
    }
    open();
    key("name");
    str(x.name);
    bindings(x.vars);
    close();
  }
  void args(const Call& x) {
    if (x.args.empty()) {
      str(x.name);
      return;
    }
    open();
    key("name");
    str(x.name);
    key("args");
    open();
    bindings(x.args);
    close();
    close();
  }
  void args(const Set& x) {
    open();
    bindings(x.vars);
    close();
  }
  void args(const Log& x) { str(x.text); }

  // ------------------------------------------------------------ files

  void test(const TestCase& t, const ScenarioFile& f) {
    e_ << YAML::BeginMap;
    key("id");
    str(t.id);
    key("title");
    str(t.title);
    if (!t.description.empty()) {
      key("description");
      str(t.description);
    }
    // The file's groups come first in a test's groups; the test writes only its own.
    std::vector<std::string> own = t.groups;
    if (std::equal(f.groups.begin(), f.groups.end(), own.begin(),
                   own.begin() + std::min(own.size(), f.groups.size())) &&
        own.size() >= f.groups.size()) {
      own.erase(own.begin(), own.begin() + static_cast<std::ptrdiff_t>(f.groups.size()));
    }
    if (!own.empty()) {
      key("groups");
      strings(own);
    }
    key("requirements");
    strings(t.requirements);
    if (t.role != f.role) {
      key("role");
      e_ << role_keyword(t.role);
    }
    if (!t.capabilities.empty()) {
      key("capabilities");
      strings(t.capabilities);
    }
    if (!t.tolerate.empty()) {
      key("tolerate");
      strings(t.tolerate);
    }
    if (t.guard != f.guard) {
      key("guard");
      e_ << text::number_text(t.guard);
    }
    flag("restarts_iut", t.restarts_iut);
    if (t.sctp_only) {
      key("transport");
      e_ << "sctp";
    }
    const Policy d;
    if (!(t.policy == d)) {
      key("policy");
      open();
      if (t.policy.auto_ack != d.auto_ack) {
        key("auto_ack");
        e_ << t.policy.auto_ack;
      }
      if (t.policy.auto_keepalive != d.auto_keepalive) {
        key("auto_keepalive");
        e_ << t.policy.auto_keepalive;
      }
      if (t.policy.settle_acks != d.settle_acks) {
        key("settle_acks");
        e_ << t.policy.settle_acks;
      }
      close();
    }
    steps("preamble", t.preamble);
    steps("body", t.body, true);
    steps("postamble", t.postamble);
    e_ << YAML::EndMap;
  }

  void file(const ScenarioFile& f) {
    e_ << YAML::BeginMap;
    if (!f.suite.empty()) {
      key("suite");
      str(f.suite);
    }
    key("role");
    e_ << role_keyword(f.role);
    if (!f.groups.empty()) {
      key("groups");
      strings(f.groups);
    }
    key("defaults");
    e_ << YAML::BeginMap;
    key("guard");
    e_ << text::number_text(f.guard);
    e_ << YAML::EndMap;
    if (!f.fragments.empty()) {
      key("fragments");
      e_ << YAML::BeginMap;
      for (const auto& g : f.fragments) {
        e_ << YAML::Key;
        str(g.name);
        e_ << YAML::Value;
        if (g.steps.empty()) {
          e_ << YAML::Flow << YAML::BeginSeq << YAML::EndSeq;
          continue;
        }
        e_ << YAML::BeginSeq;
        for (const auto& s : g.steps) step(s);
        e_ << YAML::EndSeq;
      }
      e_ << YAML::EndMap;
    }
    key("tests");
    e_ << YAML::BeginSeq;
    for (const auto& t : f.tests) test(t, f);
    e_ << YAML::EndSeq;
    e_ << YAML::EndMap;
  }

 private:
  YAML::Emitter& e_;
  VarText var_;
};

std::string dollar(const Var& v) { return "$" + v.name; }

}  // namespace

std::string write_scenario(const ScenarioFile& f, const std::string& comment) {
  YAML::Emitter e;
  std::size_t from = 0;
  while (from < comment.size()) {
    auto nl = comment.find('\n', from);
    if (nl == std::string::npos) nl = comment.size();
    e << YAML::Comment(comment.substr(from, nl - from)) << YAML::Newline;
    from = nl + 1;
  }
  Writer(e, dollar).file(f);
  if (!e.good()) throw ScenarioError("cannot write the scenario: " + e.GetLastError());
  return std::string(e.c_str()) + "\n";
}

std::string describe(const Predicate& p, const VarText& var) {
  std::string s;
  for (const auto& k : Writer::field_order(p)) {
    YAML::Emitter e;
    Writer w(e, var);
    std::string v;
    if (auto one = w.scalar_field(p, k)) {
      v = *one;
    } else {
      e << YAML::Flow;
      w.field(p, k);
      v = e.c_str();
    }
    s += (s.empty() ? "" : " ") + k + "=" + v;
  }
  return s.empty() ? "any message" : s;
}

}  // namespace vsm::conform
