// SPDX-License-Identifier: GPL-2.0-or-later
#include "vsm/catalogue.hpp"

#include <array>

namespace vsm {
namespace {

constexpr std::array<Requirement, kRequirementCount> kCatalogue{{
#define VSM_REQUIREMENT(n, i, sec, lvl, sc, sh, sev, t, st) \
  {.req = Req::n,                                           \
   .id = i,                                                 \
   .section = sec,                                          \
   .level = Level::lvl,                                     \
   .scope = Scope::sc,                                      \
   .title = t,                                              \
   .sentence = st,                                          \
   .shows = Shows::sh,                                      \
   .severity = severity_by(Level::lvl, SeverityRule::sev)},
#include "vsm/catalogue.def"
#undef VSM_REQUIREMENT
}};

// ---- what every row must hold, checked when the codec is built

constexpr bool starts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && s.substr(0, prefix.size()) == prefix;
}

// VSM-<section>-<NAME>: the ID names the row's section.
constexpr bool id_names_section(std::string_view id, std::string_view section) {
  return starts_with(id, "VSM-") && starts_with(id.substr(4), section) && id.size() > 5 + section.size() &&
         id[4 + section.size()] == '-';
}

#define VSM_REQUIREMENT(name, id, section, level, scope, shows, severity, title, sentence)                           \
  static_assert(id_names_section(id, section), "catalogue row " #name ": the ID must be VSM-<section>-<NAME>");      \
  static_assert(!std::string_view(title).empty() && !std::string_view(sentence).empty(),                             \
                "catalogue row " #name ": title and sentence must not be empty");                                    \
  static_assert(                                                                                                     \
      SeverityRule::severity == SeverityRule::ByLevel ||                                                             \
          severity_by(Level::level, SeverityRule::severity) != severity_by(Level::level, SeverityRule::ByLevel),     \
      "catalogue row " #name ": a severity exception must differ from the level's severity");                        \
  static_assert(Shows::shows == Shows::Nothing || Scope::scope == Scope::Message || Scope::scope == Scope::Exchange, \
                "catalogue row " #name ": only a rule the tools check has finding values to show");
#include "vsm/catalogue.def"
#undef VSM_REQUIREMENT

constexpr bool ids_unique() {
  for (std::size_t i = 0; i < kCatalogue.size(); ++i) {
    for (std::size_t j = i + 1; j < kCatalogue.size(); ++j) {
      if (kCatalogue[i].id == kCatalogue[j].id) return false;
    }
  }
  return true;
}
static_assert(ids_unique(), "two catalogue rows share an ID");

}  // namespace

std::span<const Requirement> catalogue() noexcept { return kCatalogue; }

const Requirement& requirement(Req r) noexcept {
  // Req::Count_ (the req of a default Finding) is not an entry: answer with a
  // sentinel instead of reading past the table.
  static constexpr Requirement kNone{Req::Count_,
                                     "VSM-0-NONE",
                                     "0",
                                     Level::Profile,
                                     Scope::NotObservable,
                                     "no requirement",
                                     "Not a requirement: the value of an empty finding.",
                                     Shows::Nothing,
                                     Severity::Error};
  const auto i = static_cast<std::size_t>(r);
  return i < kCatalogue.size() ? kCatalogue[i] : kNone;
}

const Requirement* find_requirement(std::string_view id) noexcept {
  for (const auto& r : kCatalogue) {
    if (r.id == id) return &r;
  }
  return nullptr;
}

std::string_view level_name(Level l) noexcept {
  switch (l) {
    case Level::Must: return "MUST";
    case Level::Should: return "SHOULD";
    case Level::Format: return "FORMAT";
    case Level::Profile: return "PROFILE";
  }
  return "?";
}

std::string_view severity_name(Severity s) noexcept {
  switch (s) {
    case Severity::Note: return "note";
    case Severity::Warning: return "warning";
    case Severity::Error: return "error";
  }
  return "?";
}

std::string_view scope_name(Scope s) noexcept {
  switch (s) {
    case Scope::Message: return "message";
    case Scope::Exchange: return "exchange";
    case Scope::Behaviour: return "behaviour";
    case Scope::NotObservable: return "not observable";
  }
  return "?";
}

Severity severity_of(Req r) noexcept { return requirement(r).severity; }

}  // namespace vsm
