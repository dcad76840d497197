// SPDX-License-Identifier: GPL-2.0-or-later
#include "plan.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <stdexcept>

#include "vsm/dictionary.hpp"
#include "vsm/keywords.hpp"

namespace vsm::peers {
namespace {

[[noreturn]] void fail(std::size_t i, const std::string& what) {
  throw std::runtime_error(fmt::format("plan step {}: {}", i + 1, what));
}

std::uint32_t u32(const YAML::Node& n, std::size_t i, const char* key) {
  if (!n[key]) fail(i, fmt::format("'{}' missing", key));
  return n[key].as<std::uint32_t>();
}

// "node_info.mem_total", "function_info.running_status", "session_info.count".
std::pair<std::uint8_t, std::uint8_t> item(const std::string& text, std::size_t i) {
  const auto key = parse_option_keyword(text);
  if (!key) fail(i, key.error());
  if (!key->sub || !key->spec() || key->spec()->subs.empty()) {
    fail(i, fmt::format("item '{}' is not OPTION.ITEM of an information option", text));
  }
  return {key->type, *key->sub};
}

std::uint8_t expect_code(const YAML::Node& n, std::size_t i) {
  if (!n["expect"]) return 0;
  const std::string k = n["expect"].as<std::string>();
  const Named* c = find_keyword(kResultCodes, k);
  if (!c) fail(i, fmt::format("unknown expected result '{}'", k));
  return c->value;
}

Step parse_step(const YAML::Node& entry, std::size_t i, double default_timeout) {
  if (!entry.IsMap() || entry.size() != 1) fail(i, "each step is a map with one key (the step kind)");
  const std::string kind = entry.begin()->first.as<std::string>();
  const YAML::Node n = entry.begin()->second;
  Step s;
  s.timeout = n.IsMap() && n["timeout"] ? n["timeout"].as<double>() : default_timeout;
  if (kind == "sleep") {
    s.kind = Step::Kind::Sleep;
    s.seconds = n.as<double>();
    s.text = fmt::format("sleep {} s", s.seconds);
    return s;
  }
  if (!n.IsMap()) fail(i, fmt::format("'{}' takes a map", kind));
  s.expect = expect_code(n, i);
  if (kind == "wait") {
    s.kind = Step::Kind::Wait;
    if (n["registered"]) {
      s.cond = Step::Cond::Registered;
      s.node = n["registered"].as<std::uint32_t>();
      s.text = fmt::format("wait until node {} is registered", s.node);
    } else if (n["registered_count"]) {
      s.cond = Step::Cond::RegisteredCount;
      s.count = n["registered_count"].as<unsigned>();
      s.text = fmt::format("wait until {} node(s) are registered", s.count);
    } else if (n["deregistered"]) {
      s.cond = Step::Cond::Deregistered;
      s.node = n["deregistered"].as<std::uint32_t>();
      s.text = fmt::format("wait until node {} has de-registered", s.node);
    } else if (n["dead"]) {
      s.cond = Step::Cond::Dead;
      s.node = n["dead"].as<std::uint32_t>();
      s.text = fmt::format("wait until node {} is declared dead", s.node);
    } else if (n["status"]) {
      s.cond = Step::Cond::FunctionStatus;
      s.node = u32(n, i, "node");
      s.function = u32(n, i, "function");
      s.status = n["status"].as<std::string>();
      bool known = false;
      for (auto st : kRunningStatuses) known = known || st == s.status;
      if (!known) fail(i, fmt::format("unknown Running status '{}'", s.status));
      s.text = fmt::format("wait until node {} reports Function {} {}", s.node, *s.function, s.status);
    } else {
      fail(i, "wait needs registered, registered_count, deregistered, dead or status");
    }
    return s;
  }
  if (kind == "add" || kind == "delete" || kind == "get") {
    s.kind = kind == "add" ? Step::Kind::Add : kind == "delete" ? Step::Kind::Delete : Step::Kind::Get;
    s.node = u32(n, i, "node");
    if (s.kind == Step::Kind::Get) {
      s.function = n["function"] ? n["function"].as<std::uint32_t>() : 0u;
      if (n["items"]) {
        for (const auto& it : n["items"]) s.items.push_back(item(it.as<std::string>(), i));
      }
    } else {
      s.function = u32(n, i, "function");
    }
    if (n["name"]) s.name = n["name"].as<std::string>();
    if (n["memory"]) s.memory = n["memory"].as<std::string>();
    if (n["storage"]) s.storage = n["storage"].as<std::string>();
    if (n["sessions"]) {
      for (const auto& ss : n["sessions"]) {
        if (ss.IsScalar()) {
          s.sessions.push_back({ss.as<std::string>(), {}});
        } else {
          s.sessions.push_back({ss["uri"].as<std::string>(), ss["contact"] ? ss["contact"].as<std::string>() : ""});
        }
      }
    }
    s.text = fmt::format("{} node {} function {}", kind, s.node, *s.function);
    return s;
  }
  if (kind == "move" || kind == "copy" || kind == "move_session") {
    s.kind = kind == "move" ? Step::Kind::Move : kind == "copy" ? Step::Kind::Copy : Step::Kind::MoveSession;
    s.node = u32(n, i, "from");
    s.to = u32(n, i, "to");
    if (s.kind != Step::Kind::MoveSession) {
      s.function = u32(n, i, "function");
      s.text = fmt::format("{} function {} from node {} to node {}", kind, *s.function, s.node, s.to);
      return s;
    }
    if (n["function"]) s.function = n["function"].as<std::uint32_t>();
    if (n["uris"]) {
      for (const auto& u : n["uris"]) s.uris.push_back(u.as<std::string>());
    }
    if (n["ratio"]) s.ratio = n["ratio"].as<std::string>();
    if (n["count"]) s.session_count = n["count"].as<std::string>();
    if (n["all"] && n["all"].as<bool>()) s.ratio = "1";
    if (s.uris.empty() && !s.ratio && !s.session_count) fail(i, "move_session needs uris, ratio, count or all");
    s.text = fmt::format("move_session from node {} to node {}{}", s.node, s.to,
                         s.function ? fmt::format(" function {}", *s.function) : std::string());
    return s;
  }
  if (kind == "deregister") {
    s.kind = Step::Kind::Deregister;
    s.node = u32(n, i, "node");
    s.text = fmt::format("deregister node {}", s.node);
    return s;
  }
  fail(i, fmt::format("unknown step kind '{}'", kind));
}

}  // namespace

Plan load_plan(const std::string& path) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::Exception& e) {
    throw std::runtime_error(fmt::format("cannot read plan {}: {}", path, e.what()));
  }
  double timeout = 10;
  YAML::Node steps = root;
  if (root.IsMap()) {
    if (root["timeout"]) timeout = root["timeout"].as<double>();
    steps = root["steps"];
  }
  if (!steps || !steps.IsSequence()) throw std::runtime_error("plan: expected a list of steps (or a map with 'steps')");
  Plan p;
  for (std::size_t i = 0; i < steps.size(); ++i) {
    try {
      p.steps.push_back(parse_step(steps[i], i, timeout));
    } catch (const YAML::Exception& e) {
      fail(i, e.what());
    }
  }
  return p;
}

void append_steps(Plan& plan, const std::vector<std::string>& steps, double timeout) {
  for (const auto& text : steps) {
    const std::size_t i = plan.steps.size();
    try {
      plan.steps.push_back(parse_step(YAML::Load(text), i, timeout));
    } catch (const YAML::Exception& e) {
      fail(i, e.what());
    }
  }
}

}  // namespace vsm::peers
