// SPDX-License-Identifier: GPL-2.0-or-later
// Typical messages of every type and operation, well formed per the profile,
// and a few deliberately broken ones. Shared by the demo, the fuzz seeds and
// the benchmark so that all three speak of the same traffic.
#pragma once

#include <string_view>
#include <vector>

#include "vsm/message.hpp"

namespace vsm {

struct Sample {
  std::string_view name;
  Message message;
  Role sender = Role::Unknown;  // who sends it in a session (typical messages)
  LengthConvention convention = LengthConvention::Total4;
};

// One of each message and operation, with its mandatory options and the
// usual additional ones, in the order a session would send them.
std::vector<Sample> typical_messages();
// Messages that break one rule each (named after the rule they break).
std::vector<Sample> broken_messages();

}  // namespace vsm
