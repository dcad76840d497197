// SPDX-License-Identifier: GPL-2.0-or-later
// One test per fault switch and peer: the faulty peer runs the service-
// mobility story against correct counterparts, and the counterparts' codec
// rules (check_message, ExchangeTracker, framing) must flag the requirement
// the switch names.
#include "common/faults.hpp"

#include <set>
#include <sstream>

#include "harness.hpp"

namespace vsm::peers::test {
namespace {

struct FaultCase {
  const FaultSpec* spec;
  unsigned peer;  // which peer runs with the fault
};

std::vector<FaultCase> all_cases() {
  std::vector<FaultCase> out;
  for (const FaultSpec& f : fault_table()) {
    // Behaviour rules are not visible in the traffic: peers_test.cpp shows their effect.
    if (requirement(f.req).scope == Scope::Behaviour) continue;
    if (f.peers & kAgent) out.push_back({&f, kAgent});
    if (f.peers & kManager) out.push_back({&f, kManager});
  }
  return out;
}

// Lines where a correct peer reports what its rules found in the other's traffic.
bool flagged(const std::string& log, std::string_view id) {
  std::istringstream in(log);
  std::string tag = "[";  // appended: g++ 12 -O3 warns falsely (-Wrestrict) on `"[" + std::string&&`
  tag.append(id).append("]");
  for (std::string line; std::getline(in, line);) {
    const bool report = line.find("peer-finding") != std::string::npos ||
                        line.find("impossible length") != std::string::npos ||
                        line.find("framing lost") != std::string::npos;
    if (report && line.find(tag) != std::string::npos) return true;
  }
  return false;
}

void PrintTo(const FaultCase& c, std::ostream* os) {
  *os << (c.peer == kAgent ? "agent " : "manager ") << c.spec->name;
}

class FaultTest : public PeerTest, public ::testing::WithParamInterface<FaultCase> {};

TEST_P(FaultTest, CounterpartFlagsTheBrokenRule) {
  const FaultCase c = GetParam();
  const std::string fault = std::string(c.spec->name);
  const std::string_view id = requirement(c.spec->req).id;
  std::vector<std::string> margs{"--plan",   VSM_STORY_PLAN, "--keepalive-interval", "0.2",
                                 "--linger", "30",           "--ack-timeout",        "1"};
  if (c.peer == kManager) margs.insert(margs.end(), {"--fault", fault});
  Process& m = start_manager(margs);
  std::vector<std::string> a1args{"--ack-timeout", "1",    "--start-delay",     "0.05",
                                  "--stop-delay",  "0.05", "--reconnect-delay", "0.2"};
  // An agent fault runs on both agents, so that every operation of the story meets it.
  if (c.peer == kAgent) a1args.insert(a1args.end(), {"--fault", fault});
  std::vector<std::string> a2args = a1args;
  Process& a1 = start_agent("agent1", a1args);
  eventually([&] { return contains(m.err(), "node 1 registered"); }, 3);
  Process& a2 = start_agent("agent2", a2args);
  auto seen = [&] {
    if (c.peer == kAgent) return flagged(m.err(), id);
    return flagged(a1.err(), id) || flagged(a2.err(), id);
  };
  bool found = eventually(seen, 8);
  if (!found && c.peer == kAgent) {
    // Some faults show only at shutdown (the De-registration).
    a1.signal(SIGTERM);
    a2.signal(SIGTERM);
    found = eventually(seen, 3);
  }
  EXPECT_TRUE(found) << "fault " << fault << " was not flagged as " << id;
  EXPECT_FALSE(m.poll().has_value() && *m.poll() > 1) << "manager crashed";
  EXPECT_FALSE(a1.poll().has_value() && *a1.poll() > 4) << "agent 1 crashed";
  EXPECT_FALSE(a2.poll().has_value() && *a2.poll() > 4) << "agent 2 crashed";
}

std::string case_name(const ::testing::TestParamInfo<FaultCase>& info) {
  std::string n = std::string(info.param.peer == kAgent ? "agent_" : "manager_") + std::string(info.param.spec->name);
  for (char& ch : n) {
    if (ch == '-') ch = '_';
  }
  return n;
}

INSTANTIATE_TEST_SUITE_P(Faults, FaultTest, ::testing::ValuesIn(all_cases()), case_name);

}  // namespace
}  // namespace vsm::peers::test

namespace vsm::peers::test {
namespace {

TEST(FaultTable, NamesAreUniqueAndEachNamesACatalogueEntry) {
  std::set<std::string_view> names;
  for (const FaultSpec& f : fault_table()) {
    EXPECT_TRUE(names.insert(f.name).second) << "duplicate fault name " << f.name;
    EXPECT_LT(static_cast<std::size_t>(f.req), kRequirementCount) << f.name;
    EXPECT_NE(f.peers, 0u) << f.name;
    EXPECT_EQ(find_fault(f.name), &f);
  }
}

// "Every rule in the codec's catalogue that a peer can break has a switch": every
// entry the codec checks in a message or an exchange is covered by at least one.
TEST(FaultTable, EveryMessageAndExchangeRuleHasASwitch) {
  for (const Requirement& r : catalogue()) {
    if (r.scope != Scope::Message && r.scope != Scope::Exchange) continue;
    bool covered = false;
    for (const FaultSpec& f : fault_table()) covered = covered || f.req == r.req;
    EXPECT_TRUE(covered) << r.id << " has no fault switch in tools/peers/common/faults.cpp";
  }
}

}  // namespace
}  // namespace vsm::peers::test
