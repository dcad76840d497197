// SPDX-License-Identifier: GPL-2.0-or-later
// The draft's full PICS: what a run without --profile assumes (default_profile) and the commented profile
// `vsm-conform profile init` writes (write_profile_template), both from the tables below.
#include <fmt/format.h>

#include <algorithm>

#include "scenario.hpp"

namespace vsm::conform {

namespace {

constexpr CapabilityInfo kCapabilities[] = {
    {"get", "GET (6.3.1): the node answers a GET with each item asked for", true, false, true},
    {"get", "GET (6.3.1): the manager asks a node for items with GET", false, true, true},
    {"add", "ADD (6.3.2): the node starts a Function and reports it Running", true, false, true},
    {"add", "ADD (6.3.2): the manager adds a Function on a node", false, true, true},
    {"delete", "DELETE (6.3.3): the node ends a Function and reports it", true, false, true},
    {"delete", "DELETE (6.3.3): the manager deletes a Function on a node", false, true, true},
    {"move", "MOVE (6.3.4): the node moves a Function to another node", true, false, true},
    {"move", "MOVE (6.3.4): the manager moves a Function between two nodes", false, true, true},
    {"copy", "COPY (6.3.5): the node copies a Function to another node", true, false, true},
    {"copy", "COPY (6.3.5): the manager copies a Function between two nodes", false, true, true},
    {"move_session", "MOVE_SESSION (6.3.6): the node hands sessions of a Function to another node", true, false, true},
    {"move_session", "MOVE_SESSION (6.3.6): the manager moves sessions between two nodes", false, true, true},
    {"sessions", "Session information (6.4.8): the node understands and counts sessions", true, false, true},
    {"function_stats", "per-Function statistics (section 4): GET of a Function's items", true, false, true},
    {"spontaneous_report", "a Status-Update when the running condition crosses a threshold (section 4)", true, false,
     true},
    {"admission", "admission control (section 4): the manager refuses a node it does not admit", false, true, true},
    {"keepalive", "the manager sends periodic Keep-Alives (5, 6.2.3)", false, true, true},
    {"second_instance",
     "not a protocol feature: the runner may start a second instance of the IUT (same --iut-cmd) as MOVE/COPY "
     "destination",
     true, false, true},
    {"sctp", "SCTP transport (section 5, SHOULD: optional): its tests run with --transport sctp", true, true, false},
};

constexpr VariableInfo kVariables[] = {
    {"node", IutRole::Agent, "17", "Node ID the runner (as manager) assigns to the agent at registration"},
    {"function", IutRole::Agent, "7", "Function ID the operation tests add, get, move and delete"},
    {"node_b", IutRole::Agent, "18", "Node ID the runner assigns to the second instance (transfer tests)"},
    {"peer_node", IutRole::Agent, "99", "a destination Node ID that does not exist (form-only MOVE/COPY tests)"},
    {"peer_ipv4", IutRole::Agent, "127.0.0.1", "the transfer address of that destination"},
    {"peer_port", IutRole::Agent, "9", "its port: nothing listens there, the transfer fails with a failure Code"},
    {"function", IutRole::Manager, "7", "Function ID the manager's operations (the triggers) name"},
    {"provisioned", IutRole::Manager, "4242", "a provisioned Node ID the runner registers with"},
};

constexpr TriggerInfo kTriggers[] = {
    {"deregister", IutRole::Agent, "the agent de-registers (sends De-registration)", "{signal: TERM}"},
    {"spontaneous", IutRole::Agent, "the agent, started so, soon sends a spontaneous Status-Update",
     "{at_start: [--load-threshold, \"0\"]}"},
    {"small_memory", IutRole::Agent, "the agent, started so, has too little memory for a Function of 1 GiB",
     "{at_start: [--memory-budget, \"1048576\"]}"},
    {"refuse_admission", IutRole::Manager, "the manager refuses the runner's node (Code 130)",
     "{at_start: [--allow, 10.255.255.1]}"},
    {"add", IutRole::Manager, "the manager sends ADD of $function to the first node registered",
     "{cmd: \"acme-cli add --node {node} --function {function}\"}"},
    {"get", IutRole::Manager, "the manager sends GET of $function's items to the first node registered",
     "{cmd: \"acme-cli get --node {node} --function {function}\"}"},
    {"get_node", IutRole::Manager, "the manager sends a node-level GET (Function ID 0)",
     "{cmd: \"acme-cli get --node {node}\"}"},
    {"delete", IutRole::Manager, "the manager sends DELETE of $function", "{cmd: \"acme-cli delete --node {node}\"}"},
    {"move", IutRole::Manager, "the manager moves $function from the first node to the second",
     "{cmd: \"acme-cli move --from {node} --to {node_b}\"}"},
    {"copy", IutRole::Manager, "the manager copies $function from the first node to the second",
     "{cmd: \"acme-cli copy --from {node} --to {node_b}\"}"},
    {"move_session", IutRole::Manager, "the manager moves sessions of $function from the first node to the second",
     "{cmd: \"acme-cli move-session --from {node} --to {node_b}\"}"},
    {"deregister", IutRole::Manager, "the manager de-registers the first node",
     "{cmd: \"acme-cli deregister --node {node}\"}"},
};

bool applies(const CapabilityInfo& c, IutRole r) { return r == IutRole::Agent ? c.agent : c.manager; }

std::string join(const std::vector<std::string>& v, const char* sep = ", ") {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : sep) + x;
  return s;
}

// "# text" lines of at most ~110 columns, each starting with `indent`.
void comment(std::ostream& out, const std::string& indent, const std::string& text) {
  std::string line;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find(' ', start);
    if (end == std::string::npos) end = text.size();
    const std::string word = text.substr(start, end - start);
    if (!line.empty() && indent.size() + 2 + line.size() + 1 + word.size() > 110) {
      out << indent << "# " << line << "\n";
      line.clear();
    }
    line += (line.empty() ? "" : " ") + word;
    start = end + 1;
  }
  if (!line.empty()) out << indent << "# " << line << "\n";
}

std::string enables(const std::vector<std::string>& tests) {
  return tests.empty() ? "no test of this suite" : fmt::format("enables {}", join(tests));
}

}  // namespace

std::span<const CapabilityInfo> capability_table() { return kCapabilities; }
std::span<const VariableInfo> variable_table() { return kVariables; }
std::span<const TriggerInfo> trigger_table() { return kTriggers; }

Profile default_profile(IutRole role) {
  Profile p;
  p.name = "the draft's full PICS (no --profile)";
  p.role = role;
  p.is_default = true;
  for (const auto& c : kCapabilities) {
    if (!applies(c, role) || !c.assumed) continue;
    p.capabilities.insert(c.name);
    if (std::string_view(c.name) == "second_instance") p.second_instance = true;
  }
  p.vars = variables_with_defaults(p, role);
  return p;
}

std::map<std::string, std::string> variables_with_defaults(const Profile& p, IutRole role) {
  std::map<std::string, std::string> v = p.vars;
  for (const auto& d : kVariables) {
    if (d.role == role) v.emplace(d.name, d.value);  // the profile's own value wins
  }
  return v;
}

std::string default_profile_note(IutRole role) {
  std::vector<std::string> caps, vars, optional;
  for (const auto& c : kCapabilities) {
    if (!applies(c, role)) continue;
    (c.assumed ? caps : optional).push_back(c.name);
  }
  for (const auto& v : kVariables) {
    if (v.role == role) vars.push_back(fmt::format("{}={}", v.name, v.value));
  }
  return fmt::format(
      "no --profile: assuming the draft's full PICS for {} {} (capabilities {}; not assumed: {}; variables {}; "
      "no triggers); a profile narrows capabilities, sets variables, timers and triggers "
      "(vsm-conform profile init --iut {})",
      role == IutRole::Agent ? "an" : "a", role_keyword(role), join(caps, " "), join(optional, " "), join(vars, " "),
      role_keyword(role));
}

void write_profile_template(IutRole role, const Suite& suite, std::ostream& out) {
  const Profile dflt = default_profile(role);
  std::vector<const TestCase*> tests;
  for (const auto& t : suite.tests) {
    if (t.role == role) tests.push_back(&t);
  }
  auto needing_capability = [&](const std::string& c) {
    std::vector<std::string> ids;
    for (const TestCase* t : tests) {
      if (std::find(t->capabilities.begin(), t->capabilities.end(), c) != t->capabilities.end()) ids.push_back(t->id);
    }
    return ids;
  };
  std::map<std::string, std::vector<std::string>> trigger_tests;
  for (const TestCase* t : tests) {
    for (const Steps* steps : {&t->preamble, &t->body, &t->postamble}) {
      for_each_step(suite, *steps, [&](const Step& s) {
        if (const auto* tr = std::get_if<Trigger>(&s.what)) {
          auto& ids = trigger_tests[tr->name];
          if (std::find(ids.begin(), ids.end(), t->id) == ids.end()) ids.push_back(t->id);
        }
      });
    }
  }
  const char* who = role == IutRole::Agent ? "an Execution Node (agent)" : "a Manager Node";
  out << "# Profile of an implementation under test: " << who << ".\n"
      << "# Written by `vsm-conform profile init --iut " << role_keyword(role) << "`; use it with\n"
      << "#   vsm-conform run --iut " << role_keyword(role) << " ... --profile THIS_FILE\n"
      << "# As written it says what a run without --profile assumes: the draft's full PICS for this role.\n"
      << "# Narrow it to what your implementation claims: a capability left out makes the tests needing it NA\n"
      << "# (\"not claimed\", listed in the report as your PICS); a trigger added lets the tests needing it run.\n"
      << "name: my implementation\n"
      << "version: \"1.0\"\n"
      << "role: " << role_keyword(role) << "\n\n";

  comment(out, "", "Scenario variables ($name in the suite), each with its default and the tests using it.");
  out << "vars:\n";
  const auto used = profile_variables(suite, role);
  std::set<std::string> written;
  for (const auto& v : kVariables) {
    if (v.role != role) continue;
    written.insert(v.name);
    auto it = used.find(v.name);
    comment(out, "  ", fmt::format("{}; used by {}", v.meaning, it == used.end() ? "no test" : join(it->second)));
    out << "  " << v.name << ": " << v.value << "\n";
  }
  for (const auto& [name, ids] : used) {
    if (written.count(name)) continue;
    comment(out, "  ", fmt::format("no default: set it; used by {}", join(ids)));
    out << "  " << name << ": \"\"\n";
  }

  out << "\n";
  comment(out, "", "What the implementation claims (the PICS). Delete a line to say it does not.");
  out << "capabilities:\n";
  std::set<std::string> caps_written;
  for (const auto& c : kCapabilities) {
    if (!applies(c, role) || std::string_view(c.name) == "second_instance") continue;
    caps_written.insert(c.name);
    comment(out, "  ", fmt::format("{}; {}", c.meaning, enables(needing_capability(c.name))));
    out << "  " << (c.assumed ? "" : "# ") << "- " << c.name << "\n";
  }
  std::set<std::string> other_caps;
  for (const TestCase* t : tests) {
    for (const auto& c : t->capabilities) {
      if (!caps_written.count(c) && c != "second_instance") other_caps.insert(c);
    }
  }
  for (const auto& c : other_caps) {
    comment(out, "  ", fmt::format("a capability of this suite; {}", enables(needing_capability(c))));
    out << "  - " << c << "\n";
  }

  if (role == IutRole::Agent) {
    out << "\n";
    comment(out, "",
            fmt::format("The runner may start a second instance with the same --iut-cmd as MOVE/COPY destination "
                        "(needs --iut-cmd); {}",
                        enables(needing_capability("second_instance"))));
    out << "second_instance: " << (dflt.second_instance ? "true" : "false") << "\n";
  }

  out << "\n";
  comment(out, "", "Timers, in seconds.");
  out << "timers:\n";
  comment(out, "  ",
          "how long the implementation may take to ACK a request (VSM-5-ACK); the default wait of an expect");
  out << "  ack: " << dflt.ack_timer << "\n";
  comment(out, "  ", "how long 'nothing arrives' is watched (expect_none, wait: negative)");
  out << "  negative_wait: " << dflt.negative_wait << "\n";
  comment(out, "  ", "the interval between the manager's Keep-Alives (wait: keepalive)");
  out << "  keepalive_interval: " << dflt.keepalive_interval << "\n";
  comment(out, "  ",
          role == IutRole::Agent ? "how long the agent may take to connect and register after its start"
                                 : "how long the manager may take to accept connections after its start");
  out << "  start: " << dflt.start_timeout << "\n\n";

  comment(out, "", "Arguments appended to every --iut-cmd (e.g. [--log-level, warn]).");
  out << "start_args: []\n\n";

  comment(out, "",
          "Triggers: how to make the implementation act. Each is a command run at that step ({cmd: \"...\"}, "
          "{var} replaced by scenario variables), a signal to the IUT process ({signal: TERM|INT|HUP}, needs "
          "--iut-cmd) or arguments added when the runner starts the IUT ({at_start: [...]}, needs --iut-cmd). "
          "A test whose trigger is missing is NA (needs a trigger). The draft says nothing of how to provoke "
          "these, so none is assumed; uncomment and adapt:");
  std::set<std::string> trig_written;
  for (const auto& t : kTriggers) {
    if (t.role != role) continue;
    trig_written.insert(t.name);
    auto it = trigger_tests.find(t.name);
    comment(out, "  ",
            fmt::format("{}: {}; {}", t.name, t.meaning,
                        enables(it == trigger_tests.end() ? std::vector<std::string>{} : it->second)));
    out << "#   " << t.name << ": " << t.example << "\n";
  }
  for (const auto& [name, ids] : trigger_tests) {
    if (trig_written.count(name)) continue;
    comment(out, "  ", fmt::format("{}: a trigger of this suite; {}", name, enables(ids)));
    out << "#   " << name << ": {cmd: \"...\"}\n";
  }
  out << "triggers: {}\n";
}

}  // namespace vsm::conform
