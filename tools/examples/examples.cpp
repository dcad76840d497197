// SPDX-License-Identifier: GPL-2.0-or-later
// vsm-examples: builds the codec's sample messages, decodes them again and
// prints what a reader of the wire would see: the summary line, every
// option with its offset and value, and the findings of the rules. With
// --broken it shows the deliberately broken samples and what catches them.
#include <fmt/format.h>

#include <cstring>
#include <string>

#include "vsm/exchange.hpp"
#include "vsm/rules.hpp"
#include "vsm/samples.hpp"
#include "vsm/text.hpp"

namespace {

std::string hex(vsm::Bytes b) {
  std::string s;
  for (std::size_t i = 0; i < b.size(); ++i) s += fmt::format("{}{:02x}", i && i % 4 == 0 ? " " : "", b[i]);
  return s;
}

void show(const vsm::Sample& s, vsm::ExchangeTracker* tracker, std::uint64_t id) {
  const auto bytes = s.message.encode(s.convention).value();  // the samples are small
  const vsm::MessageView m = vsm::decode(bytes);
  fmt::print("{:>3}  {}\n     {}\n     {}\n", id, s.name, vsm::summarize(m), hex(bytes));
  for (const vsm::OptionView o : m.options()) {
    fmt::print("       @{:<3} {:<48} len {:<3} {}\n", o.offset, vsm::option_name(o.type, o.subtype), o.length,
               vsm::format_value(o));
  }
  vsm::FindingList findings;
  vsm::check_message(m, findings);
  if (tracker) {
    // The Execution Node opened the connection (PROFILE.md).
    const bool from_node = s.sender == vsm::Role::Node;
    const auto r = tracker->on_message(m, from_node ? vsm::Dir::FromInitiator : vsm::Dir::FromResponder,
                                       static_cast<double>(id) * 0.001, id);
    for (const auto& f : r.findings) findings.add(f);
    if (r.request) fmt::print("       answers message {} ({:.3f} ms later)\n", r.request->id, r.response_time * 1e3);
  }
  for (const auto& f : findings) {
    fmt::print("       {:<7} {}\n", vsm::severity_name(f.severity()), vsm::describe(f));
  }
  if (findings.empty()) fmt::print("       no findings\n");
}

}  // namespace

int main(int argc, char** argv) {
  const bool broken = argc > 1 && std::strcmp(argv[1], "--broken") == 0;
  if (argc > 1 && !broken) {
    fmt::print(stderr, "usage: {} [--broken]\n", argv[0]);
    return 2;
  }
  std::uint64_t id = 1;
  if (!broken) {
    fmt::print("Typical VSM messages, built with the codec and decoded again (profile length convention):\n\n");
    vsm::ExchangeTracker tracker;
    for (const auto& s : vsm::typical_messages()) show(s, &tracker, id++);
    std::vector<vsm::EarlierFinding> late;
    tracker.finish(late);
    for (const auto& e : late) fmt::print("end: {}\n", vsm::describe(e.finding));
  } else {
    fmt::print("Broken VSM messages and what the codec's rules say of them:\n\n");
    for (const auto& s : vsm::broken_messages()) show(s, nullptr, id++);
  }
  return 0;
}
