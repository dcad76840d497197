// SPDX-License-Identifier: GPL-2.0-or-later
// Single-message rules: every Message-scope requirement of the catalogue has a
// crafted bad message that check_message() flags with exactly that
// requirement (at the right offset), and a good counterpart that it accepts.
#include "vsm/rules.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "vectors.hpp"
#include "vsm/message.hpp"
#include "vsm/samples.hpp"
#include "vsm/text.hpp"

namespace vsm {
namespace {

using test::Buf;

Buf with(Buf b, std::size_t at, std::uint8_t v) {
  b.at(at) = v;
  return b;
}

// The first n octets of a vector with the Length field set to n - 4.
Buf prefix(const Buf& b, std::size_t n) {
  Buf r(b.begin(), b.begin() + static_cast<std::ptrdiff_t>(n));
  r[2] = static_cast<std::uint8_t>((n - 4) >> 8);
  r[3] = static_cast<std::uint8_t>(n - 4);
  return r;
}

// A Status-Update (seq 2, Node ID 3 at offset 8) with one more option at offset 16.
Buf su_with(const Option& o) {
  Message m = status_update(2, 3);
  m.add(o);
  return m.encode().value();
}
Option raw(std::uint8_t type, std::uint8_t sub, std::initializer_list<std::uint8_t> v) {
  return Option::raw(type, sub, std::vector<std::uint8_t>(v));
}

struct Case {
  std::string name;                     // behaviour, used as the test name
  Buf bad;                              // flagged with `req`
  Req req;                              // the one requirement it breaks
  std::optional<std::uint32_t> offset;  // where, when meaningful
  Buf good;                             // the counterpart: no findings
  std::vector<Req> also = {};           // further requirements the same fault necessarily breaks
  LengthConvention conv = LengthConvention::Total4;
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

std::vector<Case> cases() {
  using namespace test;
  return {
      // ---- 6.1 header
      {"FlagsUnknownMessageType", with(kKeepAlive, 0, 0x08), Req::TypeKnown, 0, kKeepAlive},
      {"FlagsMessageTypeZero", with(kKeepAlive, 0, 0x00), Req::TypeKnown, 0, kKeepAlive},
      {"FlagsNonZeroSubTypeInKeepAlive", with(kKeepAlive, 1, 0x01), Req::SubTypeZero, 1, kKeepAlive},
      {"FlagsNonZeroSubTypeInError", with(kError, 1, 0x04), Req::SubTypeZero, 1, kError},
      {"FlagsUnknownOperation", with(kAdd, 1, 0x07), Req::OperationKnown, 1, kAdd},
      {"FlagsOperationWithoutOperationCode", with(kAdd, 1, 0x00), Req::OperationKnown, 1, kAdd},
      {"FlagsAckWithUnknownOperation", with(kAckRegistration, 1, 0x09), Req::OperationKnown, 1, kAckRegistration},
      {"FlagsNonZeroCodeInRegistration", with(kRegistration, 4, 0x05), Req::CodeZero, 4, kRegistration},
      {"FlagsNonZeroCodeInOperation", with(kMove, 4, 0x80), Req::CodeZero, 4, kMove},
      {"FlagsAckWithUnknownResultCode", with(kAckRegistration, 4, 0x05), Req::AckCodeKnown, 4,
       with(kAckRegistration, 4, 130)},
      {"FlagsErrorWithCodeZero", with(kError, 4, 0x00), Req::ErrorContent, 4, kError},
      {"FlagsErrorWithUnknownCode", with(kError, 4, 0x07), Req::ErrorContent, 4, with(kError, 4, 131)},
      {"FlagsErrorWithoutVendorText", Buf{0x07, 0x00, 0x00, 0x04, 0x80, 0x00, 0x00, 0x04}, Req::ErrorContent,
       std::nullopt, kError},
      // ---- 6.1 length and options
      {"FlagsTrailingBytes",
       Buf{0x02, 0x00, 0x00, 0x0c, 0x00, 0x00, 0x00, 0x07, 0x04, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00},
       Req::Length, 2, kKeepAlive},
      {"FlagsTruncatedMessage",
       Buf(kKeepAlive.begin(), kKeepAlive.begin() + 12),
       Req::Length,
       2,
       kKeepAlive,
       {Req::KeepAliveNodeId}},
      {"FlagsLengthSmallerThanHeader", with(kKeepAlive, 3, 0x03), Req::Length, 2, kKeepAlive},
      {"FlagsShortHeader", Buf{0x02, 0x00, 0x00, 0x0c, 0x00}, Req::Length, 0, kKeepAlive},
      {"DetectsLiteralLengthConvention", kKeepAliveLiteral, Req::LengthLiteral, 2, kKeepAlive, {Req::Length}},
      {"DetectsProfileLengthUnderLiteralConvention",
       kKeepAlive,
       Req::LengthLiteral,
       2,
       kKeepAliveLiteral,
       {Req::OptionLength, Req::KeepAliveNodeId},
       LengthConvention::Literal3},
      {"FlagsOptionLongerThanMessage",
       Buf{0x02, 0x00, 0x00, 0x0c, 0x00, 0x00, 0x00, 0x07, 0x04, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x03},
       Req::OptionLength,
       8,
       kKeepAlive,
       {Req::KeepAliveNodeId}},
      {"FlagsOptionHeaderCutShort",
       Buf{0x02, 0x00, 0x00, 0x0e, 0x00, 0x00, 0x00, 0x07, 0x04, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x03, 0x09, 0x01},
       Req::OptionLength, 16, kKeepAlive},
      {"ReportsUnknownOptionAndSkipsIt", Buf{0x02, 0x00, 0x00, 0x12, 0x00, 0x00, 0x00, 0x07, 0x63, 0x00, 0x00,
                                             0x02, 0xaa, 0xbb, 0x04, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x03},
       Req::OptionKnown, 8, kKeepAlive},
      {"FlagsNonZeroSubOpTypeInNodeId", with(kKeepAlive, 9, 0x01), Req::SubOpTypeZero, 9, kKeepAlive},
      {"FlagsNonZeroSubOpTypeInPort", su_with(raw(3, 7, {0x1e, 0x46})), Req::SubOpTypeZero, 17,
       su_with(Option::port(7750))},
      // ---- 6.2 mandatory Node ID
      {"FlagsRegistrationWithoutNodeId",
       Buf{0x01, 0x00, 0x00, 0x0b, 0x00, 0x00, 0x00, 0x01, 0x06, 0x01, 0x00, 0x03, '2', '.', '4'},
       Req::RegistrationNodeId, std::nullopt, kRegistration},
      {"FlagsKeepAliveWithoutNodeId", Buf{0x02, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x07}, Req::KeepAliveNodeId,
       std::nullopt, kKeepAlive},
      {"FlagsOperationWithoutNodeId",
       Buf{0x03, 0x02, 0x00, 0x0c, 0x00, 0x00, 0x00, 0x0b, 0x05, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x07},
       Req::OperationNodeId, std::nullopt, kAdd},
      {"FlagsStatusUpdateWithoutNodeId", Buf{0x04, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x02}, Req::StatusUpdateNodeId,
       std::nullopt, kStatusUpdate},
      {"FlagsDeregistrationWithoutNodeId", Buf{0x05, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x03},
       Req::DeregistrationNodeId, std::nullopt, kDeregistration},
      {"FlagsAckWithoutNodeId", Buf{0x06, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x01}, Req::AckNodeId, std::nullopt,
       kAckRegistration},
      // ---- 6.3 operations
      {"FlagsGetWithoutFunctionId", Buf{0x03, 0x01, 0x00, 0x14, 0x00, 0x00, 0x00, 0x0a, 0x04, 0x00, 0x00, 0x04,
                                        0x00, 0x00, 0x00, 0x03, 0x06, 0x0b, 0x00, 0x00, 0x07, 0x32, 0x00, 0x00},
       Req::GetMandatory, std::nullopt, kGet},
      {"FlagsGetWithoutItemList", with(kAdd, 1, 0x01), Req::GetMandatory, std::nullopt, kGet},
      {"FlagsGetItemCarryingValue",
       Buf{0x03, 0x01, 0x00, 0x1b, 0x00, 0x00, 0x00, 0x0a, 0x04, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x03,
           0x05, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x07, 0x06, 0x0b, 0x00, 0x03, '1',  '0',  '0'},
       Req::GetZeroValues, 24, kGet},
      {"FlagsGetAckItemWithoutValue", Buf{0x06, 0x01, 0x00, 0x23, 0x00, 0x00, 0x00, 0x0a, 0x04, 0x00, 0x00, 0x04, 0x00,
                                          0x00, 0x00, 0x03, 0x05, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x07, 0x06, 0x0b,
                                          0x00, 0x00, 0x07, 0x32, 0x00, 0x07, 'R',  'u',  'n',  'n',  'i',  'n',  'g'},
       Req::GetAckOptions, 24, kGetAck},
      {"FlagsGetAckWithoutRunningStatus", prefix(kGetAck, 38), Req::GetAckOptions, std::nullopt, kGetAck},
      {"FlagsGetAckWithoutFunctionId",
       Buf{0x06, 0x01, 0x00, 0x17, 0x00, 0x00, 0x00, 0x0a, 0x04, 0x00, 0x00, 0x04, 0x00, 0x00,
           0x00, 0x03, 0x07, 0x32, 0x00, 0x07, 'R',  'u',  'n',  'n',  'i',  'n',  'g'},
       Req::GetAckOptions, std::nullopt, kGetAck},
      {"FlagsAddWithoutFunctionId", prefix(kAdd, 16), Req::AddMandatory, std::nullopt, kAdd},
      {"FlagsAddAckWithoutRunningStatus", prefix(kAddAck, 24), Req::AddAckOptions, std::nullopt, kAddAck},
      {"FlagsAddAckWithoutFunctionId",
       Buf{0x06, 0x02, 0x00, 0x18, 0x00, 0x00, 0x00, 0x0b, 0x04, 0x00, 0x00, 0x04, 0x00, 0x00,
           0x00, 0x03, 0x07, 0x32, 0x00, 0x08, 'S',  't',  'a',  'r',  't',  'i',  'n',  'g'},
       Req::AddAckOptions, std::nullopt, kAddAck},
      {"FlagsDeleteWithoutFunctionId", prefix(kDelete, 16), Req::DeleteMandatory, std::nullopt, kDelete},
      {"FlagsDeleteAckWithoutRunningStatus", prefix(kDeleteAck, 24), Req::DeleteAckOptions, std::nullopt, kDeleteAck},
      {"FlagsMoveWithoutFunctionId", prefix(kMove, 24), Req::MoveMandatory, std::nullopt, kMove},
      {"FlagsMoveWithoutDestination", Buf{0x03, 0x04, 0x00, 0x14, 0x00, 0x00, 0x00, 0x0c, 0x04, 0x00, 0x00, 0x04,
                                          0x00, 0x00, 0x00, 0x03, 0x05, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x07},
       Req::MoveMandatory, std::nullopt, kMove},
      {"FlagsMoveAckWithoutDestination",
       Buf{0x06, 0x04, 0x00, 0x1f, 0x00, 0x00, 0x00, 0x0c, 0x04, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x03, 0x05, 0x00,
           0x00, 0x04, 0x00, 0x00, 0x00, 0x07, 0x07, 0x32, 0x00, 0x07, 'R',  'u',  'n',  'n',  'i',  'n',  'g'},
       Req::MoveAckOptions, std::nullopt, kMoveAck},
      {"FlagsMoveAckWithoutRunningStatus", prefix(kMoveAck, 32), Req::MoveAckOptions, std::nullopt, kMoveAck},
      {"FlagsCopyWithoutFunctionId", prefix(kCopy, 24), Req::CopyMandatory, std::nullopt, kCopy},
      {"FlagsCopyWithOneNode", prefix(kCopy, 16), Req::CopyMandatory, std::nullopt, kCopy},
      {"FlagsCopyAckWithoutRunningStatus", prefix(kCopyAck, 32), Req::CopyAckOptions, std::nullopt, kCopyAck},
      {"FlagsMoveSessionWithoutSessionInfo", prefix(kMoveSession, 24), Req::MoveSessionMandatory, std::nullopt,
       kMoveSession},
      {"FlagsMoveSessionWithOneNode", prefix(kMoveSession, 16), Req::MoveSessionMandatory, std::nullopt, kMoveSession},
      {"FlagsMoveSessionAckWithoutRunningStatus", prefix(kMoveSessionAck, 16), Req::MoveSessionAckOptions, std::nullopt,
       kMoveSessionAck},
      // ---- 6.4 fixed lengths
      {"FlagsIpv4OptionOfThreeOctets", su_with(raw(1, 0, {10, 0, 0})), Req::Ipv4Length, 18,
       su_with(Option::ipv4({10, 0, 0, 1}))},
      {"FlagsIpv6OptionOfFourOctets", su_with(raw(2, 0, {0x20, 0x01, 0x0d, 0xb8})), Req::Ipv6Length, 18,
       su_with(Option::ipv6({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}))},
      {"FlagsPortOptionOfFourOctets", su_with(raw(3, 0, {0, 0, 0x1e, 0x46})), Req::PortLength, 18,
       su_with(Option::port(7750))},
      {"FlagsNodeIdOptionOfTwoOctets",
       Buf{0x02, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x07, 0x04, 0x00, 0x00, 0x02, 0x00, 0x03}, Req::NodeIdLength, 10,
       kKeepAlive},
      {"FlagsFunctionIdOptionOfTwoOctets", Buf{0x03, 0x02, 0x00, 0x12, 0x00, 0x00, 0x00, 0x0b, 0x04, 0x00, 0x00,
                                               0x04, 0x00, 0x00, 0x00, 0x03, 0x05, 0x00, 0x00, 0x02, 0x00, 0x07},
       Req::FunctionIdLength, 18, kAdd},
      // ---- 6.4 information items
      {"FlagsUnknownNodeInformationItem", su_with(raw(6, 99, {'1'})), Req::NodeInfoSubType, 17,
       su_with(Option::node_info(node_info::CurrentLoad, "1"))},
      {"FlagsUnknownFunctionInformationItem", su_with(raw(7, 99, {'1'})), Req::FunctionInfoSubType, 17,
       su_with(Option::function_info(function_info::CurrentLoad, "1"))},
      {"FlagsUnknownSessionInformationItem", su_with(raw(8, 99, {'1'})), Req::SessionInfoSubType, 17,
       su_with(Option::session_info(session_info::Count, "1"))},
      {"FlagsUnknownVendorInformationItem", su_with(raw(9, 2, {'x'})), Req::VendorSubType, 17,
       su_with(Option::vendor_info("x"))},
      {"FlagsNonNumericMemorySize", su_with(Option::node_info(node_info::TotalMemory, "abc")), Req::NodeInfoValue, 20,
       su_with(Option::node_info(node_info::TotalMemory, "8589934592"))},
      {"FlagsBootTimeNotEightOctets", su_with(raw(6, node_info::BootTime, {0xee, 0xb2, 0x49, 0x60})),
       Req::NodeInfoValue, 20,
       su_with(Option::ntp(OptType::NodeInfo, node_info::BootTime, NtpTime::from_unix(1795672800)))},
      {"FlagsFractionalRequiredMemory", su_with(Option::function_info(function_info::RequiredMemory, "1.5")),
       Req::FunctionInfoValue, 20, su_with(Option::function_info(function_info::RequiredMemory, "1024"))},
      {"FlagsFunctionBootTimeNotEightOctets", su_with(raw(7, function_info::BootTime, {1, 2, 3})),
       Req::FunctionInfoValue, 20,
       su_with(Option::ntp(OptType::FunctionInfo, function_info::BootTime, NtpTime::from_unix(1795672800)))},
      {"FlagsUnknownRunningStatus", su_with(Option::running_status("Sleeping")), Req::RunningStatusValue, 20,
       su_with(Option::running_status("Terminating"))},
      {"FlagsSessionRatioAboveOne", su_with(Option::session_info(session_info::Ratio, "1.5")), Req::SessionInfoValue,
       20, su_with(Option::session_info(session_info::Ratio, "0.3"))},
      {"FlagsContactAddressOfThreeOctets", su_with(raw(8, session_info::ContactAddress, {192, 0, 2})),
       Req::SessionInfoValue, 20, su_with(raw(8, session_info::ContactAddress, {192, 0, 2, 10}))},
      {"FlagsNonNumericSessionCount", su_with(Option::session_info(session_info::Count, "1e3")), Req::SessionInfoValue,
       20, su_with(Option::session_info(session_info::Count, "1000"))},
      {"NotesBinaryNumberAsNonProfileEncoding", su_with(raw(6, node_info::TotalMemory, {0x00, 0x00, 0x10, 0x00})),
       Req::ValueEncoding, 20, su_with(Option::node_info(node_info::TotalMemory, "4096"))},
  };
}

class SingleMessageRule : public ::testing::TestWithParam<Case> {};

TEST_P(SingleMessageRule, FlagsBadMessageWithExactlyItsRequirement) {
  const Case& c = GetParam();
  const FindingList f = test::findings_of(c.bad, c.conv);
  std::set<Req> got;
  for (const auto& x : f) got.insert(x.req);
  std::set<Req> want{c.req};
  want.insert(c.also.begin(), c.also.end());
  std::string text;
  for (const auto& x : f) text += describe(x) + " @" + std::to_string(x.offset) + "\n";
  EXPECT_EQ(got, want) << text;
  const Finding* hit = test::first_of(f, c.req);
  ASSERT_NE(hit, nullptr) << text;
  if (c.offset) {
    EXPECT_EQ(hit->offset, *c.offset) << text;
    EXPECT_LE(hit->offset, c.bad.size());
  }
  EXPECT_NE(std::string(hit->detail), "");
}

TEST_P(SingleMessageRule, AcceptsGoodCounterpart) {
  const Case& c = GetParam();
  const FindingList f = test::findings_of(c.good, c.conv);
  for (const auto& x : f) ADD_FAILURE() << describe(x) << " @" << x.offset;
  EXPECT_TRUE(f.empty());
}

INSTANTIATE_TEST_SUITE_P(Rules, SingleMessageRule, ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<Case>& i) { return i.param.name; });

// Requirements of Message scope that need the Execution Node's identity and so
// are checked by the exchange tracker (exchange_test.cpp covers them).
const std::set<Req> kCheckedByTracker{Req::MoveOrder, Req::CopyOrder, Req::MoveSessionOrder};

TEST(Rules, EveryMessageScopeRequirementHasACase) {
  std::set<Req> covered;
  for (const auto& c : cases()) covered.insert(c.req);
  for (const auto& r : catalogue()) {
    if (r.scope != Scope::Message || kCheckedByTracker.count(r.req)) continue;
    EXPECT_TRUE(covered.count(r.req)) << r.id << " has no failing case";
  }
}

TEST(Rules, EveryVectorPassesEveryRule) {
  for (const auto& [name, bytes] : test::all_vectors()) {
    const FindingList f = test::findings_of(*bytes);
    EXPECT_TRUE(f.empty()) << name << ": " << (f.empty() ? "" : describe(f[0]));
  }
  EXPECT_TRUE(test::findings_of(test::kKeepAliveLiteral, LengthConvention::Literal3).empty());
}

TEST(Rules, AckOfAnyCodeIsAccepted) {
  for (const auto& c : kResultCodes) {
    EXPECT_TRUE(test::findings_of(with(test::kAckRegistration, 4, c.value)).empty()) << c.name;
    EXPECT_TRUE(test::findings_of(with(test::kMoveAck, 4, c.value)).empty()) << c.name;
  }
}

TEST(Rules, FixedLengthFindingNamesExpectedAndActual) {
  const FindingList f = test::findings_of(su_with(raw(1, 0, {10, 0, 0})));
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].a, 4u);
  EXPECT_EQ(f[0].b, 3u);
  EXPECT_EQ(f[0].length, 2u);
  EXPECT_EQ(f[0].severity(), Severity::Error);
}

TEST(Rules, MandatoryNodeCountIsReported) {
  const Buf one_node{0x03, 0x04, 0x00, 0x14, 0x00, 0x00, 0x00, 0x0c, 0x04, 0x00, 0x00, 0x04,
                     0x00, 0x00, 0x00, 0x03, 0x05, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x07};
  const FindingList g = test::findings_of(one_node);
  ASSERT_EQ(g.size(), 1u);
  EXPECT_EQ(g[0].a, 2u);
  EXPECT_EQ(g[0].b, 1u);
}

TEST(Rules, SeveritiesFollowTheCatalogue) {
  EXPECT_EQ(test::findings_of(test::kKeepAliveLiteral).worst(), Severity::Error);  // the Length itself
  const FindingList lit = test::findings_of(test::kKeepAliveLiteral);
  EXPECT_EQ(test::first_of(lit, Req::LengthLiteral)->severity(), Severity::Note);
  const FindingList bin = test::findings_of(su_with(raw(6, node_info::TotalMemory, {0, 0, 0x10, 0})));
  EXPECT_EQ(bin.worst(), Severity::Note);
  const FindingList unk = test::findings_of(su_with(raw(6, 99, {'1'})));
  EXPECT_EQ(unk.worst(), Severity::Warning);
  EXPECT_EQ(FindingList{}.worst(), Severity::Note);
}

TEST(Rules, LiteralDetectionNamesTheConventionTheSenderUses) {
  const FindingList a = test::findings_of(test::kKeepAliveLiteral);
  EXPECT_NE(std::string(test::first_of(a, Req::LengthLiteral)->detail).find("literal"), std::string::npos);
  const FindingList b = test::findings_of(test::kKeepAlive, LengthConvention::Literal3);
  EXPECT_NE(std::string(test::first_of(b, Req::LengthLiteral)->detail).find("profile"), std::string::npos);
  // A message that is simply too long is not mistaken for the other convention.
  Buf trailing = test::kKeepAlive;
  trailing.push_back(0);
  EXPECT_FALSE(test::findings_of(trailing).contains(Req::LengthLiteral));
}

TEST(Rules, ManyFaultsNeverOverflowTheFindingList) {
  Message m = status_update(2, 3);
  for (int i = 0; i < 40; ++i) m.add(raw(6, 99, {'1'}));
  const Buf b = m.encode().value();
  FindingList f;
  check_message(decode(b), f);
  EXPECT_EQ(f.size(), FindingList::kCapacity);
  EXPECT_EQ(f.dropped(), 40 - FindingList::kCapacity);
  f.clear();
  EXPECT_TRUE(f.empty());
  EXPECT_EQ(f.dropped(), 0u);
}

TEST(Rules, OperationTableFollowsSectionSixThree) {
  for (std::uint8_t op = 1; op <= 6; ++op) {
    const OperationRules* r = operation_rules(op);
    ASSERT_NE(r, nullptr);
    EXPECT_EQ(r->op, op);
    EXPECT_EQ(r->two_nodes, has_src_dst(op));
    EXPECT_EQ(r->order != Req::Count_, has_src_dst(op));
  }
  EXPECT_EQ(operation_rules(0), nullptr);
  EXPECT_EQ(operation_rules(7), nullptr);
  EXPECT_TRUE(operation_rules(1)->info_list);
  EXPECT_TRUE(operation_rules(6)->session_info);
  EXPECT_FALSE(operation_rules(6)->function_id);
  EXPECT_EQ(operation_rules(4)->order, Req::MoveOrder);
  EXPECT_EQ(operation_rules(5)->order, Req::CopyOrder);
  EXPECT_EQ(operation_rules(6)->order, Req::MoveSessionOrder);
  EXPECT_EQ(node_id_requirement(1), Req::RegistrationNodeId);
  EXPECT_EQ(node_id_requirement(6), Req::AckNodeId);
  EXPECT_EQ(node_id_requirement(7), Req::Count_);
  EXPECT_EQ(fixed_length_requirement(4), Req::NodeIdLength);
  EXPECT_EQ(fixed_length_requirement(6), Req::Count_);
}

TEST(Rules, TypicalSamplesPassEveryRule) {
  for (const Sample& sample : typical_messages()) {
    const Buf b = sample.message.encode(sample.convention).value();
    const FindingList f = test::findings_of(b, sample.convention);
    EXPECT_TRUE(f.empty()) << sample.name << ": " << (f.empty() ? "" : describe(f[0]));
  }
}

TEST(Rules, EveryBrokenSampleBreaksTheRuleItIsNamedAfter) {
  for (const Sample& sample : broken_messages()) {
    const std::string_view id = sample.name.substr(0, sample.name.find(':'));
    const Requirement* r = find_requirement(id);
    ASSERT_NE(r, nullptr) << sample.name;
    // Broken samples are sent in their own convention and read under the profile's.
    const FindingList f = test::findings_of(sample.message.encode(sample.convention).value());
    EXPECT_TRUE(f.contains(r->req)) << sample.name;
  }
}

}  // namespace
}  // namespace vsm
