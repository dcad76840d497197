// SPDX-License-Identifier: GPL-2.0-or-later
// The manager's plan file: a YAML list of operations and waits, run in order.
// The format is described in tools/peers/README.md.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace vsm::peers {

struct SessionSpec {
  std::string uri;
  std::string contact;  // IP address text, may be empty
};

struct Step {
  enum class Kind { Wait, Add, Delete, Get, Move, Copy, MoveSession, Deregister, Sleep };
  enum class Cond { Registered, RegisteredCount, FunctionStatus, Deregistered, Dead };
  Kind kind = Kind::Sleep;
  std::string text;  // what the step does, for the step lines
  double timeout = 10;
  Cond cond = Cond::Registered;
  std::uint32_t node = 0;  // target, or source for move/copy/move_session
  std::uint32_t to = 0;    // destination
  std::optional<std::uint32_t> function;
  std::string status;  // FunctionStatus wait: Running status text
  unsigned count = 0;  // RegisteredCount
  std::string name;
  std::optional<std::string> memory;
  std::optional<std::string> storage;
  std::vector<SessionSpec> sessions;
  std::vector<std::pair<std::uint8_t, std::uint8_t>> items;  // GET: (OP-Type, Sub-OP-Type)
  std::vector<std::string> uris;
  std::optional<std::string> ratio;
  std::optional<std::string> session_count;
  std::uint8_t expect = 0;  // result Code the step expects
  double seconds = 0;       // Sleep
};

struct Plan {
  std::vector<Step> steps;
};

// Throws std::runtime_error naming the step and what is wrong.
Plan load_plan(const std::string& path);
// Steps given one by one as YAML text ("add: {node: 1, function: 7}"), appended to `plan`.
void append_steps(Plan& plan, const std::vector<std::string>& steps, double timeout = 10);

}  // namespace vsm::peers
