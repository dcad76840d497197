// SPDX-License-Identifier: GPL-2.0-or-later
// Reading profiles and scenario files.
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "engine.hpp"
#include "model.hpp"
#include "vsm/catalogue.hpp"

namespace vsm::conform {

namespace fs = std::filesystem;

namespace {

std::vector<std::string> strings(const YAML::Node& n) {
  std::vector<std::string> out;
  if (!n) return out;
  if (n.IsScalar()) {
    out.push_back(n.as<std::string>());
  } else {
    for (const auto& x : n) out.push_back(x.as<std::string>());
  }
  return out;
}

void only_keys(const YAML::Node& n, std::initializer_list<const char*> keys, const std::string& where) {
  for (const auto& kv : n) {
    const auto k = kv.first.as<std::string>();
    if (std::none_of(keys.begin(), keys.end(), [&](const char* x) { return k == x; })) {
      throw ScenarioError(fmt::format("{}: unknown key '{}' at line {}", where, k, kv.first.Mark().line + 1));
    }
  }
}

// FNV-1a 64 over the bytes of every suite file, in path order.
std::uint64_t fnv(const std::string& s, std::uint64_t h) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ull;
  }
  return h;
}

}  // namespace

Profile load_profile(const std::string& path) {
  Profile p;
  p.path = path;
  YAML::Node y;
  try {
    y = YAML::LoadFile(path);
  } catch (const std::exception& e) {
    throw ScenarioError(fmt::format("profile {}: {}", path, e.what()));
  }
  try {
    only_keys(y,
              {"name", "version", "role", "vars", "capabilities", "timers", "start_args", "triggers", "second_instance",
               "notes"},
              path);
    p.raw = y;
    if (y["name"]) p.name = y["name"].as<std::string>();
    if (y["version"]) p.version = y["version"].as<std::string>();
    if (y["vars"]) {
      for (const auto& kv : y["vars"]) p.vars[kv.first.as<std::string>()] = kv.second.as<std::string>();
    }
    for (const auto& c : strings(y["capabilities"])) p.capabilities.insert(c);
    if (const auto t = y["timers"]) {
      only_keys(t, {"ack", "negative_wait", "keepalive_interval", "start"}, path + " timers");
      if (t["ack"]) p.ack_timer = t["ack"].as<double>();
      if (t["negative_wait"]) p.negative_wait = t["negative_wait"].as<double>();
      if (t["keepalive_interval"]) p.keepalive_interval = t["keepalive_interval"].as<double>();
      if (t["start"]) p.start_timeout = t["start"].as<double>();
    }
    p.start_args = strings(y["start_args"]);
    if (y["triggers"]) {
      for (const auto& kv : y["triggers"]) {
        Trigger t;
        t.name = kv.first.as<std::string>();
        only_keys(kv.second, {"cmd", "at_start", "signal"}, path + " trigger " + t.name);
        if (kv.second["cmd"]) t.cmd = kv.second["cmd"].as<std::string>();
        t.at_start = strings(kv.second["at_start"]);
        if (kv.second["signal"]) t.signal = kv.second["signal"].as<std::string>();
        p.triggers[t.name] = t;
      }
    }
    if (y["second_instance"]) p.second_instance = y["second_instance"].as<bool>();
    if (p.second_instance) p.capabilities.insert("second_instance");
  } catch (const YAML::Exception& e) {
    throw ScenarioError(fmt::format("profile {}: {}", path, e.what()));
  }
  return p;
}

namespace {

void load_file(const std::string& path, Suite& s) {
  YAML::Node y;
  try {
    y = YAML::LoadFile(path);
  } catch (const std::exception& e) {
    throw ScenarioError(fmt::format("{}: {}", path, e.what()));
  }
  try {
    only_keys(y, {"suite", "role", "groups", "fragments", "tests", "defaults"}, path);
    IutRole role = IutRole::Agent;
    if (y["role"]) {
      const auto r = y["role"].as<std::string>();
      if (r != "agent" && r != "manager") throw ScenarioError(fmt::format("{}: role must be agent or manager", path));
      role = r == "agent" ? IutRole::Agent : IutRole::Manager;
    }
    const auto file_groups = strings(y["groups"]);
    double guard = 20;
    Policy pol;
    if (const auto d = y["defaults"]) {
      if (d["guard"]) guard = d["guard"].as<double>();
    }
    if (y["fragments"]) {
      for (const auto& kv : y["fragments"]) {
        const auto name = kv.first.as<std::string>();
        if (s.fragments.count(name)) throw ScenarioError(fmt::format("{}: fragment '{}' defined twice", path, name));
        s.fragments[name] = kv.second;
      }
    }
    if (y["tests"]) {
      for (const auto& t : y["tests"]) {
        only_keys(t,
                  {"id", "title", "requirements", "groups", "role", "capabilities", "guard", "policy", "preamble",
                   "body", "postamble", "tolerate", "description", "restarts_iut", "transport"},
                  path);
        TestCase tc;
        tc.file = path;
        if (!t["id"] || !t["title"])
          throw ScenarioError(fmt::format("{}: test at line {} needs id and title", path, t.Mark().line + 1));
        tc.id = t["id"].as<std::string>();
        tc.title = t["title"].as<std::string>();
        tc.requirements = strings(t["requirements"]);
        tc.groups = file_groups;
        for (const auto& g : strings(t["groups"])) tc.groups.push_back(g);
        tc.role = role;
        if (t["role"]) tc.role = t["role"].as<std::string>() == "manager" ? IutRole::Manager : IutRole::Agent;
        tc.capabilities = strings(t["capabilities"]);
        tc.tolerate = strings(t["tolerate"]);
        tc.restarts_iut = t["restarts_iut"] && t["restarts_iut"].as<bool>();
        if (t["transport"]) {
          const std::string tr = t["transport"].as<std::string>();
          if (tr != "sctp" && tr != "tcp")
            throw ScenarioError(fmt::format("{}: test {}: transport is tcp or sctp", path, tc.id));
          tc.sctp_only = tr == "sctp";
        }
        tc.guard = t["guard"] ? t["guard"].as<double>() : guard;
        tc.policy = pol;
        if (const auto p = t["policy"]) {
          only_keys(p, {"auto_ack", "auto_keepalive", "settle_acks"}, tc.id + " policy");
          if (p["auto_ack"]) tc.policy.auto_ack = p["auto_ack"].as<bool>();
          if (p["auto_keepalive"]) tc.policy.auto_keepalive = p["auto_keepalive"].as<bool>();
          if (p["settle_acks"]) tc.policy.settle_acks = p["settle_acks"].as<bool>();
        }
        if (t["preamble"]) tc.preamble = t["preamble"];
        if (t["body"]) tc.body = t["body"];
        if (t["postamble"]) tc.postamble = t["postamble"];
        if (!tc.body) throw ScenarioError(fmt::format("{}: test {} has no body", path, tc.id));
        for (const auto& r : tc.requirements) {
          if (!find_requirement(r))
            throw ScenarioError(fmt::format("{}: test {}: unknown requirement {}", path, tc.id, r));
        }
        for (const auto& r : tc.tolerate) {
          if (!find_requirement(r))
            throw ScenarioError(fmt::format("{}: test {}: unknown requirement {}", path, tc.id, r));
        }
        if (tc.requirements.empty()) throw ScenarioError(fmt::format("{}: test {} names no requirement", path, tc.id));
        for (const auto& other : s.tests) {
          if (other.id == tc.id) throw ScenarioError(fmt::format("{}: test id {} used twice", path, tc.id));
        }
        s.tests.push_back(std::move(tc));
      }
    }
  } catch (const YAML::Exception& e) {
    throw ScenarioError(fmt::format("{}: {}", path, e.what()));
  }
}

}  // namespace

Suite load_suites(const std::vector<std::string>& paths) {
  Suite s;
  std::vector<std::string> files;
  for (const auto& p : paths) {
    if (fs::is_directory(p)) {
      std::vector<std::string> here;
      for (const auto& e : fs::directory_iterator(p)) {
        const auto ext = e.path().extension();
        if (ext == ".yaml" || ext == ".yml") here.push_back(e.path().string());
      }
      std::sort(here.begin(), here.end());
      files.insert(files.end(), here.begin(), here.end());
    } else if (fs::exists(p)) {
      files.push_back(p);
    } else {
      throw ScenarioError(fmt::format("no such suite file or directory: {}", p));
    }
  }
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (const auto& f : files) {
    load_file(f, s);
    std::ifstream in(f, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    h = fnv(ss.str(), h);
  }
  s.files = files;
  s.hash = fmt::format("fnv1a64:{:016x}", h);
  return s;
}

std::vector<std::string> lint(const Suite& s) {
  std::vector<std::string> problems;
  for (const auto& t : s.tests) {
    try {
      dry_run(s, t);
    } catch (const std::exception& e) {
      problems.push_back(fmt::format("{}: test {}: {}", t.file, t.id, e.what()));
    }
  }
  for (const auto& [name, n] : s.fragments) {
    try {
      dry_run_fragment(s, name);
    } catch (const std::exception& e) {
      problems.push_back(fmt::format("fragment {}: {}", name, e.what()));
    }
  }
  return problems;
}

}  // namespace vsm::conform
