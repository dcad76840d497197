// SPDX-License-Identifier: GPL-2.0-or-later
// The requirement catalogue and the protocol dictionary.
#include "vsm/catalogue.hpp"

#include <gtest/gtest.h>

#include <cctype>
#include <map>
#include <regex>
#include <set>
#include <string>

#include "vsm/dictionary.hpp"
#include "vsm/rules.hpp"
#include "vsm/text.hpp"

namespace vsm {
namespace {

TEST(Catalogue, HasOneEntryPerRequirementInEnumOrder) {
  const auto cat = catalogue();
  ASSERT_EQ(cat.size(), kRequirementCount);
  for (std::size_t i = 0; i < cat.size(); ++i) {
    EXPECT_EQ(static_cast<std::size_t>(cat[i].req), i) << cat[i].id;
    EXPECT_EQ(&requirement(cat[i].req), &cat[i]);
  }
}

TEST(Catalogue, IdsAreUniqueAndNameTheirSection) {
  const std::regex form(R"(VSM-([4-6](\.[0-9]+)*)-([A-Z0-9]+(-[A-Z0-9]+)*))");
  std::set<std::string_view> ids;
  for (const auto& r : catalogue()) {
    const std::string id(r.id);
    std::smatch m;
    ASSERT_TRUE(std::regex_match(id, m, form)) << id;
    EXPECT_EQ(m[1].str(), r.section) << id;
    EXPECT_TRUE(ids.insert(r.id).second) << "duplicate " << id;
  }
}

TEST(Catalogue, EveryEntryHasTitleAndSentence) {
  for (const auto& r : catalogue()) {
    EXPECT_FALSE(r.title.empty()) << r.id;
    EXPECT_FALSE(r.sentence.empty()) << r.id;
    EXPECT_GT(r.sentence.size(), r.title.size() / 2) << r.id;
  }
}

TEST(Catalogue, ShouldEntriesQuoteAShouldSentence) {
  std::size_t shoulds = 0;
  for (const auto& r : catalogue()) {
    if (r.level != Level::Should) continue;
    ++shoulds;
    EXPECT_NE(r.sentence.find("SHOULD"), std::string_view::npos) << r.id;
  }
  EXPECT_GE(shoulds, 5u);  // section 4: 2, section 5: 3
}

TEST(Catalogue, MustEntriesQuoteAMustSentenceOrAnOptionList) {
  for (const auto& r : catalogue()) {
    if (r.level != Level::Must) continue;
    const bool must = r.sentence.find("MUST") != std::string_view::npos;
    const bool options = r.sentence.find("options") != std::string_view::npos;
    EXPECT_TRUE(must || options) << r.id << ": " << r.sentence;
  }
}

TEST(Catalogue, FindRequirementRoundTrips) {
  for (const auto& r : catalogue()) {
    const Requirement* found = find_requirement(r.id);
    ASSERT_NE(found, nullptr) << r.id;
    EXPECT_EQ(found->req, r.req);
    EXPECT_EQ(found, &r);
  }
  EXPECT_EQ(find_requirement("VSM-6.2.6-ACK-SEQ")->req, Req::AckSeq);
  EXPECT_EQ(find_requirement("VSM-6.3.4-ORDER")->req, Req::MoveOrder);
  EXPECT_EQ(find_requirement("VSM-9-NOPE"), nullptr);
  EXPECT_EQ(find_requirement(""), nullptr);
  EXPECT_EQ(find_requirement("vsm-6.2.6-ack-seq"), nullptr);
}

TEST(Catalogue, SeverityFollowsLevel) {
  for (const auto& r : catalogue()) {
    const Severity s = severity_of(r.req);
    if (r.req == Req::LengthLiteral || r.req == Req::ValueEncoding) {
      EXPECT_EQ(s, Severity::Note) << r.id;
    } else if (r.level == Level::Should) {
      EXPECT_EQ(s, Severity::Warning) << r.id;
    } else if (r.level == Level::Must) {
      EXPECT_EQ(s, Severity::Error) << r.id;
    } else {
      EXPECT_NE(s, Severity::Note) << r.id;
    }
  }
}

// describe() and severity_of() read the row: every row has a text form and a
// severity, and the exceptions to the level's severity are the listed ones.
TEST(Catalogue, EveryRowGivesItsFindingsTextAndSeverity) {
  std::map<Req, Severity> exceptions;
  for (const auto& r : catalogue()) {
    std::string head = "[";  // appended, not operator+: g++ 12 -O3 warns wrongly (-Wrestrict) on "..." + string
    head.append(r.id).append("] ").append(r.title);
    const std::string text = describe(Finding{r.req, 0, 0, 5, 3, 0, ""});
    EXPECT_EQ(text.substr(0, head.size()), head) << r.id;
    if (r.shows == Shows::Nothing) {
      EXPECT_EQ(text, head) << r.id;
    } else {
      EXPECT_GT(text.size(), head.size() + 3) << r.id;
      EXPECT_EQ(text.substr(head.size(), 2), " (") << r.id;
      EXPECT_EQ(text.back(), ')') << r.id;
    }
    EXPECT_EQ(severity_of(r.req), r.severity) << r.id;
    EXPECT_EQ(Finding{r.req}.severity(), r.severity) << r.id;
    if (r.severity != severity_by(r.level, SeverityRule::ByLevel)) exceptions[r.req] = r.severity;
  }
  const std::map<Req, Severity> want{
      {Req::LengthLiteral, Severity::Note},          {Req::ValueEncoding, Severity::Note},
      {Req::OptionKnown, Severity::Warning},         {Req::NodeInfoSubType, Severity::Warning},
      {Req::FunctionInfoSubType, Severity::Warning}, {Req::SessionInfoSubType, Severity::Warning},
      {Req::VendorSubType, Severity::Warning},       {Req::SeqIncrement, Severity::Warning},
  };
  EXPECT_EQ(exceptions, want);
}

TEST(Catalogue, EachShowsFormWritesTheFindingsValues) {
  EXPECT_EQ(describe(Finding{Req::Length, 0, 0, 12, 11, 0, ""}),
            "[VSM-6.1-LENGTH] Length matches the message (expected 12, got 11)");
  EXPECT_EQ(describe(Finding{Req::TypeKnown, 0, 0, 42, 0, 0, ""}), "[VSM-6.1-TYPE] known message type (42)");
  EXPECT_EQ(describe(Finding{Req::AckSeq, 0, 0, 9, 0, 0, ""}),
            "[VSM-6.2.6-ACK-SEQ] Ack copies the sequence number (seq 9)");
  EXPECT_EQ(describe(Finding{Req::AckEveryMessage, 0, 0, 9, 2, 0, ""}),
            "[VSM-5-ACK] every message is ACKed (Keep-Alive seq 9)");
  EXPECT_EQ(describe(Finding{Req::AckEveryMessage, 0, 0, 9, 99, 0, ""}),
            "[VSM-5-ACK] every message is ACKed (message seq 9)");
  EXPECT_EQ(describe(Finding{Req::CopyOrder, 0, 0, 5, 3, 0, ""}),
            "[VSM-6.3.5-ORDER] COPY lists source before destination (first 5, second 3)");
  EXPECT_EQ(describe(Finding{Req::Role, 0, 0, 1, 2, 0, ""}),
            "[VSM-5-ROLE] message sent by the role that owns it (Registration from the Manager Node)");
  EXPECT_EQ(describe(Finding{Req::Tcp, 0, 0, 1, 2, 0, "no TCP"}), "[VSM-5-TCP] no TCP");
}

TEST(Catalogue, LevelScopeAndSeverityHaveNames) {
  std::set<std::string_view> names;
  for (Level l : {Level::Must, Level::Should, Level::Format, Level::Profile}) names.insert(level_name(l));
  EXPECT_EQ(names, (std::set<std::string_view>{"MUST", "SHOULD", "FORMAT", "PROFILE"}));
  names.clear();
  for (Scope s : {Scope::Message, Scope::Exchange, Scope::Behaviour, Scope::NotObservable}) {
    names.insert(scope_name(s));
  }
  EXPECT_EQ(names.size(), 4u);
  EXPECT_EQ(names.count("?"), 0u);
  EXPECT_EQ(severity_name(Severity::Note), "note");
  EXPECT_EQ(severity_name(Severity::Warning), "warning");
  EXPECT_EQ(severity_name(Severity::Error), "error");
}

TEST(Catalogue, RuleTablesPointAtCheckableEntries) {
  auto checkable = [](Req r) {
    const Scope s = requirement(r).scope;
    return s == Scope::Message || s == Scope::Exchange;
  };
  for (std::uint8_t op = 1; op <= 6; ++op) {
    const OperationRules* o = operation_rules(op);
    ASSERT_NE(o, nullptr);
    EXPECT_TRUE(checkable(o->mandatory)) << requirement(o->mandatory).id;
    EXPECT_TRUE(checkable(o->ack_options)) << requirement(o->ack_options).id;
    if (o->order != Req::Count_) {
      EXPECT_TRUE(checkable(o->order)) << requirement(o->order).id;
    }
    EXPECT_EQ(requirement(o->mandatory).section, requirement(o->ack_options).section);
  }
  for (std::uint8_t t = 1; t <= 6; ++t) EXPECT_TRUE(checkable(node_id_requirement(t)));
  for (std::uint8_t t = 1; t <= 5; ++t) {
    const Req r = fixed_length_requirement(t);
    ASSERT_NE(r, Req::Count_);
    EXPECT_EQ(requirement(r).section, option_spec(t)->section);
  }
}

TEST(Catalogue, SectionsFourToSixAreAllRepresented) {
  std::set<std::string> top;
  for (const auto& r : catalogue()) top.insert(std::string(r.section.substr(0, 1)));
  EXPECT_EQ(top, (std::set<std::string>{"4", "5", "6"}));
}

// ---- the dictionary the catalogue's sentences refer to

TEST(Dictionary, NamesAndKeywordsAreUniquePerTable) {
  auto check = [](std::span<const Named> table, const char* what) {
    std::set<std::string_view> names, keywords;
    std::set<int> values;
    for (const auto& n : table) {
      EXPECT_TRUE(names.insert(n.name).second) << what << " " << n.name;
      EXPECT_TRUE(keywords.insert(n.keyword).second) << what << " " << n.keyword;
      EXPECT_TRUE(values.insert(n.value).second) << what << " " << int{n.value};
      for (char c : n.keyword) EXPECT_TRUE(std::islower(static_cast<unsigned char>(c)) || c == '_') << n.keyword;
      EXPECT_EQ(find_named(table, n.value), &n);
      EXPECT_EQ(find_keyword(table, n.keyword), &n);
    }
  };
  check(kMessageTypes, "type");
  check(kOperations, "operation");
  check(kResultCodes, "code");
  check(kRoles, "role");
  check(kLengthConventions, "length convention");
}

// The words of the tools' --length-convention options and the dissector's preference.
TEST(Dictionary, NamesTheLengthConventions) {
  ASSERT_NE(find_keyword(kLengthConventions, "profile"), nullptr);
  ASSERT_NE(find_keyword(kLengthConventions, "literal"), nullptr);
  EXPECT_EQ(find_keyword(kLengthConventions, "profile")->value, static_cast<std::uint8_t>(LengthConvention::Total4));
  EXPECT_EQ(find_keyword(kLengthConventions, "literal")->value, static_cast<std::uint8_t>(LengthConvention::Literal3));
  EXPECT_EQ(find_keyword(kLengthConventions, "total-4"), nullptr);
}

// Each old spelling stands for the convention whose keyword it names, and none is a keyword itself.
TEST(Dictionary, OldLengthConventionSpellingsNameTheConventionTheyStandFor) {
  for (const Named& a : kLengthConventionAliases) {
    const Named* c = find_keyword(kLengthConventions, a.name);
    ASSERT_NE(c, nullptr) << a.keyword;
    EXPECT_EQ(c->value, a.value) << a.keyword;
    EXPECT_EQ(find_keyword(kLengthConventions, a.keyword), nullptr) << a.keyword;
  }
  EXPECT_NE(find_keyword(kLengthConventionAliases, "draft-literal"), nullptr);
  EXPECT_NE(find_keyword(kLengthConventionAliases, "total4"), nullptr);
}

TEST(Dictionary, MatchesTheDraftsNumbers) {
  EXPECT_EQ(type_name(1), "Registration");
  EXPECT_EQ(type_name(6), "Ack");
  EXPECT_EQ(type_name(7), "Error");
  EXPECT_EQ(type_name(8), "");
  EXPECT_EQ(operation_name(6), "MOVE_SESSION");
  EXPECT_EQ(operation_name(0), "");
  EXPECT_EQ(code_name(129), "Insufficient resources");
  EXPECT_EQ(code_name(1), "");
  EXPECT_EQ(role_name(Role::Manager), "Manager Node");
  for (std::uint8_t t = 1; t <= 9; ++t) {
    const OptionSpec* o = option_spec(t);
    ASSERT_NE(o, nullptr);
    EXPECT_EQ(option_spec(o->keyword), o);
    EXPECT_EQ(o->section, "6.4." + std::to_string(t));
  }
  EXPECT_EQ(option_spec(std::uint8_t{0}), nullptr);
  EXPECT_EQ(option_spec(std::uint8_t{10}), nullptr);
  EXPECT_EQ(option_spec(1)->fixed_length, 4);
  EXPECT_EQ(option_spec(2)->fixed_length, 16);
  EXPECT_EQ(option_spec(3)->fixed_length, 2);
  EXPECT_EQ(option_spec(4)->fixed_length, 4);
  EXPECT_EQ(option_spec(5)->fixed_length, 4);
  for (std::uint8_t t = 6; t <= 9; ++t) EXPECT_EQ(option_spec(t)->fixed_length, 0) << int{t};
  EXPECT_EQ(sub_option_spec(6, 40)->kind, ValueKind::NtpTime);
  EXPECT_EQ(sub_option_spec(7, 40)->kind, ValueKind::NtpTime);
  EXPECT_EQ(sub_option_spec(7, 50)->kind, ValueKind::RunningStatus);
  EXPECT_EQ(sub_option_spec(8, 2)->kind, ValueKind::Address);
  EXPECT_EQ(sub_option_spec(7, 30), nullptr);  // Function information has no 30
  EXPECT_EQ(sub_option_spec(6, 50), nullptr);
  EXPECT_EQ(sub_option_spec(4, 0), nullptr);
}

TEST(Dictionary, RolesFollowSectionFive) {
  EXPECT_EQ(sender_role(u8(MsgType::Registration)), Role::Node);
  EXPECT_EQ(sender_role(u8(MsgType::StatusUpdate)), Role::Node);
  EXPECT_EQ(sender_role(u8(MsgType::KeepAlive)), Role::Manager);
  EXPECT_EQ(sender_role(u8(MsgType::Operation)), Role::Manager);
  EXPECT_EQ(sender_role(u8(MsgType::Deregistration)), Role::Unknown);
  EXPECT_EQ(sender_role(u8(MsgType::Ack)), Role::Unknown);
  EXPECT_EQ(sender_role(u8(MsgType::Error)), Role::Unknown);
}

// A default Finding names Req::Count_; describing or grading it must not read
// past the catalogue.
TEST(Catalogue, EmptyFindingIsDescribedWithoutReadingPastTheCatalogue) {
  const Finding f;
  EXPECT_EQ(f.req, Req::Count_);
  EXPECT_EQ(requirement(Req::Count_).req, Req::Count_);
  EXPECT_EQ(find_requirement(requirement(Req::Count_).id), nullptr);
  EXPECT_EQ(f.severity(), Severity::Error);
  EXPECT_FALSE(requirement(Req::Count_).id.empty());
}

}  // namespace
}  // namespace vsm
