// SPDX-License-Identifier: GPL-2.0-or-later
// Decoding the hand-written vectors of vectors.hpp, and the decoder's
// behaviour on every kind of broken input.
#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "vectors.hpp"
#include "vsm/message.hpp"
#include "vsm/rules.hpp"
#include "vsm/samples.hpp"
#include "vsm/text.hpp"
#include "vsm/wire.hpp"

namespace vsm {
namespace {

using test::Buf;

struct Opt {
  std::uint32_t offset;
  std::uint8_t type;
  std::uint8_t sub;
  std::uint16_t length;
};

void expect_header(const MessageView& m, std::uint8_t type, std::uint8_t sub, std::uint16_t length, std::uint8_t code,
                   std::uint32_t seq) {
  ASSERT_TRUE(m.has_header());
  EXPECT_EQ(m.header.type, type);
  EXPECT_EQ(m.header.subtype, sub);
  EXPECT_EQ(m.header.length, length);
  EXPECT_EQ(m.header.code, code);
  EXPECT_EQ(m.header.seq, seq);
  EXPECT_EQ(m.declared_size, m.bytes.size());
  EXPECT_EQ(m.options_end, m.bytes.size());
}

void expect_options(const MessageView& m, const std::vector<Opt>& want) {
  std::vector<OptionView> got;
  for (const OptionView o : m.options()) got.push_back(o);
  ASSERT_EQ(got.size(), want.size());
  EXPECT_EQ(m.option_count, want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(got[i].offset, want[i].offset);
    EXPECT_EQ(got[i].type, want[i].type);
    EXPECT_EQ(got[i].subtype, want[i].sub);
    EXPECT_EQ(got[i].length, want[i].length);
    EXPECT_EQ(got[i].value.size(), want[i].length);
    EXPECT_EQ(got[i].value_offset(), want[i].offset + 4);
    // The value span points into the message at the right place.
    EXPECT_EQ(got[i].value.data(), m.bytes.data() + want[i].offset + 4);
  }
}

void expect_clean(const MessageView& m) {
  EXPECT_TRUE(m.ok()) << errc_name(m.error.code) << " at " << m.error.offset;
  EXPECT_FALSE(m.other_convention_fits);
  FindingList f;
  check_message(m, f);
  for (const auto& x : f) ADD_FAILURE() << describe(x) << " at " << x.offset;
  EXPECT_TRUE(f.empty());
}

TEST(Decode, RegistrationExposesHeaderNodeIdAndCapacity) {
  const MessageView m = decode(test::kRegistration);
  expect_header(m, 1, 0, 19, 0, 1);
  expect_options(m, {{8, 4, 0, 4}, {16, 6, 1, 3}});
  EXPECT_TRUE(m.is(MsgType::Registration));
  EXPECT_EQ(m.node_id(), 3u);
  EXPECT_EQ(m.node_id(1), std::nullopt);
  const auto cap = m.find(OptType::NodeInfo, node_info::ProcessingCapacity);
  ASSERT_TRUE(cap);
  EXPECT_EQ(cap->text(), "2.4");
  const Numeric n = cap->numeric();
  EXPECT_EQ(n.encoding, Numeric::Encoding::Text);
  EXPECT_FALSE(n.integral);
  EXPECT_DOUBLE_EQ(n.number, 2.4);
  expect_clean(m);
}

TEST(Decode, KeepAliveCarriesNodeId) {
  const MessageView m = decode(test::kKeepAlive);
  expect_header(m, 2, 0, 12, 0, 7);
  expect_options(m, {{8, 4, 0, 4}});
  EXPECT_EQ(m.node_id(), 3u);
  expect_clean(m);
}

TEST(Decode, StatusUpdateCarriesFunctionAndRunningStatus) {
  const MessageView m = decode(test::kStatusUpdate);
  expect_header(m, 4, 0, 31, 0, 2);
  expect_options(m, {{8, 4, 0, 4}, {16, 5, 0, 4}, {24, 7, 50, 7}});
  EXPECT_EQ(m.node_id(), 3u);
  EXPECT_EQ(m.function_id(), 7u);
  EXPECT_EQ(m.find(OptType::FunctionInfo, function_info::RunningStatus)->text(), "Running");
  expect_clean(m);
}

TEST(Decode, DeregistrationCarriesNodeId) {
  const MessageView m = decode(test::kDeregistration);
  expect_header(m, 5, 0, 12, 0, 3);
  expect_options(m, {{8, 4, 0, 4}});
  EXPECT_EQ(m.node_id(), 3u);
  expect_clean(m);
}

TEST(Decode, AckOfRegistrationCopiesSequenceAndCarriesCode) {
  const MessageView m = decode(test::kAckRegistration);
  expect_header(m, 6, 0, 12, 0, 1);
  expect_options(m, {{8, 4, 0, 4}});
  EXPECT_TRUE(m.is_ack());
  EXPECT_EQ(m.node_id(), 3u);
  expect_clean(m);
}

TEST(Decode, ErrorIsLocalTypeSevenWithFailureCodeAndText) {
  const MessageView m = decode(test::kError);
  expect_header(m, 7, 0, 22, 128, 4);
  expect_options(m, {{8, 9, 1, 14}});
  EXPECT_TRUE(m.is(MsgType::Error));
  EXPECT_EQ(m.find(OptType::VendorInfo, vendor_info::Message)->text(), "Protocol error");
  EXPECT_EQ(m.node_id(), std::nullopt);
  expect_clean(m);
}

TEST(Decode, GetListsWantedItemsWithLengthZero) {
  const MessageView m = decode(test::kGet);
  expect_header(m, 3, 1, 28, 0, 10);
  expect_options(m, {{8, 4, 0, 4}, {16, 5, 0, 4}, {24, 6, 11, 0}, {28, 7, 50, 0}});
  EXPECT_EQ(m.node_id(), 3u);
  EXPECT_EQ(m.function_id(), 7u);
  EXPECT_TRUE(m.find(OptType::NodeInfo, node_info::AvailableMemory)->value.empty());
  expect_clean(m);
}

TEST(Decode, GetAckReturnsItemValues) {
  const MessageView m = decode(test::kGetAck);
  expect_header(m, 6, 1, 45, 0, 10);
  expect_options(m, {{8, 4, 0, 4}, {16, 5, 0, 4}, {24, 6, 11, 10}, {38, 7, 50, 7}});
  EXPECT_EQ(m.node_id(), 3u);
  EXPECT_EQ(m.function_id(), 7u);
  const Numeric mem = m.find(OptType::NodeInfo, node_info::AvailableMemory)->numeric();
  EXPECT_EQ(mem.encoding, Numeric::Encoding::Text);
  EXPECT_TRUE(mem.integral);
  EXPECT_EQ(mem.integer, 8589934592u);
  EXPECT_EQ(m.find(OptType::FunctionInfo, function_info::RunningStatus)->text(), "Running");
  expect_clean(m);
}

TEST(Decode, AddCarriesNodeAndFunction) {
  const MessageView m = decode(test::kAdd);
  expect_header(m, 3, 2, 20, 0, 11);
  expect_options(m, {{8, 4, 0, 4}, {16, 5, 0, 4}});
  EXPECT_EQ(m.node_id(), 3u);
  EXPECT_EQ(m.function_id(), 7u);
  expect_clean(m);
}

TEST(Decode, AddAckCarriesRunningStatusStarting) {
  const MessageView m = decode(test::kAddAck);
  expect_header(m, 6, 2, 32, 0, 11);
  expect_options(m, {{8, 4, 0, 4}, {16, 5, 0, 4}, {24, 7, 50, 8}});
  EXPECT_EQ(m.node_id(), 3u);
  EXPECT_EQ(m.function_id(), 7u);
  EXPECT_EQ(m.find(OptType::FunctionInfo, function_info::RunningStatus)->text(), "Starting");
  expect_clean(m);
}

TEST(Decode, DeleteCarriesNodeAndFunction) {
  const MessageView m = decode(test::kDelete);
  expect_header(m, 3, 3, 20, 0, 13);
  expect_options(m, {{8, 4, 0, 4}, {16, 5, 0, 4}});
  EXPECT_EQ(m.node_id(), 3u);
  EXPECT_EQ(m.function_id(), 7u);
  expect_clean(m);
}

TEST(Decode, DeleteAckCarriesRunningStatusTerminating) {
  const MessageView m = decode(test::kDeleteAck);
  expect_header(m, 6, 3, 35, 0, 13);
  expect_options(m, {{8, 4, 0, 4}, {16, 5, 0, 4}, {24, 7, 50, 11}});
  EXPECT_EQ(m.node_id(), 3u);
  EXPECT_EQ(m.function_id(), 7u);
  EXPECT_EQ(m.find(OptType::FunctionInfo, function_info::RunningStatus)->text(), "Terminating");
  expect_clean(m);
}

TEST(Decode, MoveListsSourceThenDestination) {
  const MessageView m = decode(test::kMove);
  expect_header(m, 3, 4, 28, 0, 12);
  expect_options(m, {{8, 4, 0, 4}, {16, 4, 0, 4}, {24, 5, 0, 4}});
  EXPECT_EQ(m.node_id(0), 3u);
  EXPECT_EQ(m.node_id(1), 5u);
  EXPECT_EQ(m.node_id(2), std::nullopt);
  EXPECT_EQ(m.count(OptType::NodeId), 2u);
  EXPECT_EQ(m.function_id(), 7u);
  expect_clean(m);
}

TEST(Decode, MoveAckCarriesBothNodesFunctionAndStatus) {
  const MessageView m = decode(test::kMoveAck);
  expect_header(m, 6, 4, 39, 0, 12);
  expect_options(m, {{8, 4, 0, 4}, {16, 4, 0, 4}, {24, 5, 0, 4}, {32, 7, 50, 7}});
  EXPECT_EQ(m.node_id(0), 3u);
  EXPECT_EQ(m.node_id(1), 5u);
  EXPECT_EQ(m.function_id(), 7u);
  expect_clean(m);
}

TEST(Decode, CopyListsSourceThenDestination) {
  const MessageView m = decode(test::kCopy);
  expect_header(m, 3, 5, 28, 0, 14);
  expect_options(m, {{8, 4, 0, 4}, {16, 4, 0, 4}, {24, 5, 0, 4}});
  EXPECT_EQ(m.node_id(0), 3u);
  EXPECT_EQ(m.node_id(1), 5u);
  EXPECT_EQ(m.function_id(), 7u);
  expect_clean(m);
}

TEST(Decode, CopyAckCarriesBothNodesFunctionAndStatus) {
  const MessageView m = decode(test::kCopyAck);
  expect_header(m, 6, 5, 39, 0, 14);
  expect_options(m, {{8, 4, 0, 4}, {16, 4, 0, 4}, {24, 5, 0, 4}, {32, 7, 50, 7}});
  EXPECT_EQ(m.node_id(0), 3u);
  EXPECT_EQ(m.node_id(1), 5u);
  EXPECT_EQ(m.function_id(), 7u);
  EXPECT_EQ(m.find(OptType::FunctionInfo, function_info::RunningStatus)->text(), "Running");
  expect_clean(m);
}

TEST(Decode, MoveSessionCarriesNodesAndSipUri) {
  const MessageView m = decode(test::kMoveSession);
  expect_header(m, 3, 6, 45, 0, 15);
  expect_options(m, {{8, 4, 0, 4}, {16, 4, 0, 4}, {24, 8, 1, 21}});
  EXPECT_EQ(m.node_id(0), 3u);
  EXPECT_EQ(m.node_id(1), 5u);
  EXPECT_EQ(m.function_id(), std::nullopt);
  EXPECT_EQ(m.find(OptType::SessionInfo, session_info::SipUri)->text(), "sip:alice@example.com");
  expect_clean(m);
}

TEST(Decode, MoveSessionAckCarriesNodeAndStatus) {
  const MessageView m = decode(test::kMoveSessionAck);
  expect_header(m, 6, 6, 23, 0, 15);
  expect_options(m, {{8, 4, 0, 4}, {16, 7, 50, 7}});
  EXPECT_EQ(m.node_id(), 3u);
  EXPECT_EQ(m.function_id(), std::nullopt);
  EXPECT_EQ(m.find(OptType::FunctionInfo, function_info::RunningStatus)->text(), "Running");
  expect_clean(m);
}

TEST(Decode, EveryTypedOptionValueReadsBack) {
  const MessageView m = decode(test::kStatusUpdateAllTypes);
  expect_header(m, 4, 0, 105, 0, 5);
  expect_options(m, {{8, 1, 0, 4},
                     {16, 2, 0, 16},
                     {36, 3, 0, 2},
                     {42, 4, 0, 4},
                     {50, 6, 40, 8},
                     {62, 6, 10, 10},
                     {76, 7, 1, 6},
                     {86, 8, 2, 4},
                     {94, 8, 3, 3},
                     {101, 8, 4, 4}});
  EXPECT_EQ(m.find(OptType::IPv4)->ipv4(), (std::array<std::uint8_t, 4>{10, 0, 0, 1}));
  EXPECT_EQ(m.find(OptType::IPv6)->ipv6(),
            (std::array<std::uint8_t, 16>{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}));
  EXPECT_EQ(m.find(OptType::Port)->u16(), 7750u);
  EXPECT_EQ(m.node_id(), 3u);
  const auto boot = m.find(OptType::NodeInfo, node_info::BootTime)->ntp();
  ASSERT_TRUE(boot);
  EXPECT_EQ(boot->seconds, 0xeeb24960u);
  EXPECT_EQ(boot->fraction, 0x80000000u);
  EXPECT_EQ(boot->unix_seconds(), 1795672800);  // 2026-11-26T06:00:00Z
  EXPECT_EQ(boot->nanoseconds(), 500000000u);
  EXPECT_EQ(m.find(OptType::NodeInfo, node_info::TotalMemory)->numeric().integer, 8589934592u);
  EXPECT_EQ(m.find(OptType::FunctionInfo, function_info::Name)->text(), "P-CSCF");
  EXPECT_EQ(m.find(OptType::SessionInfo, session_info::ContactAddress)->ipv4(),
            (std::array<std::uint8_t, 4>{192, 0, 2, 10}));
  EXPECT_DOUBLE_EQ(m.find(OptType::SessionInfo, session_info::Ratio)->numeric().number, 0.3);
  EXPECT_EQ(m.find(OptType::SessionInfo, session_info::Count)->numeric().integer, 1000u);
  EXPECT_EQ(m.count(OptType::SessionInfo), 3u);
  expect_clean(m);
}

TEST(Decode, TypedAccessorsRefuseWrongLengths) {
  const MessageView m = decode(test::kStatusUpdateAllTypes);
  const OptionView port = *m.find(OptType::Port);
  EXPECT_EQ(port.u32(), std::nullopt);
  EXPECT_EQ(port.ipv4(), std::nullopt);
  EXPECT_EQ(port.ntp(), std::nullopt);
  const OptionView node = *m.find(OptType::NodeId);
  EXPECT_EQ(node.u16(), std::nullopt);
  EXPECT_EQ(node.ipv6(), std::nullopt);
  EXPECT_EQ(m.find(OptType::IPv6)->ipv4(), std::nullopt);
}

TEST(Decode, NumericAcceptsBinaryAndRejectsGarbage) {
  // Status-Update, Node ID 3, Node info 10 as 4-octet binary 0x00001000, Node info 11 "12ab" style garbage.
  const Buf b{0x04, 0x00, 0x00, 0x1b, 0x00, 0x00, 0x00, 0x01,  // Length 27
              0x04, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x03,  // @8
              0x06, 0x0a, 0x00, 0x04, 0x00, 0x00, 0x10, 0x00,  // @16 binary 4096
              0x06, 0x0b, 0x00, 0x03, '1',  'x',  '2'};        // @24 neither text nor binary
  const MessageView m = decode(b);
  ASSERT_TRUE(m.ok());
  const Numeric bin = m.find(OptType::NodeInfo, node_info::TotalMemory)->numeric();
  EXPECT_EQ(bin.encoding, Numeric::Encoding::Binary);
  EXPECT_TRUE(bin.integral);
  EXPECT_EQ(bin.integer, 4096u);
  EXPECT_EQ(m.find(OptType::NodeInfo, node_info::AvailableMemory)->numeric().encoding, Numeric::Encoding::Invalid);
}

TEST(Decode, SkipsUnknownOptionAndKeepsDecodingTheChain) {
  const Buf b{0x02, 0x00, 0x00, 0x12, 0x00, 0x00, 0x00, 0x07,   // Keep-Alive, Length 18
              0x63, 0x00, 0x00, 0x02, 0xaa, 0xbb,               // @8 unknown OP-Type 99, 2 octets
              0x04, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x03};  // @14 Node ID 3
  const MessageView m = decode(b);
  EXPECT_TRUE(m.ok());
  expect_options(m, {{8, 99, 0, 2}, {14, 4, 0, 4}});
  EXPECT_EQ(m.node_id(), 3u);
  EXPECT_FALSE(looks_like_vsm(b));
}

TEST(Decode, LiteralConventionReadsLengthAsTotalMinusThree) {
  const MessageView lit = decode(test::kKeepAliveLiteral, LengthConvention::Literal3);
  EXPECT_TRUE(lit.ok());
  EXPECT_EQ(lit.declared_size, 16u);
  EXPECT_EQ(lit.convention, LengthConvention::Literal3);
  EXPECT_EQ(lit.node_id(), 3u);
  EXPECT_FALSE(lit.other_convention_fits);
}

TEST(Decode, DetectsLiteralConventionUnderProfileConvention) {
  const MessageView m = decode(test::kKeepAliveLiteral);
  EXPECT_EQ(m.error.code, DecodeErrc::Truncated);
  EXPECT_EQ(m.declared_size, 17u);
  EXPECT_TRUE(m.other_convention_fits);
  // And the other way round: a profile message read under the literal convention.
  const MessageView p = decode(test::kKeepAlive, LengthConvention::Literal3);
  // 15 octets announced: the Node ID option then runs past that end.
  EXPECT_EQ(p.declared_size, 15u);
  EXPECT_EQ(p.error.code, DecodeErrc::OptionOverrun);
  EXPECT_EQ(p.error.offset, 8u);
  EXPECT_TRUE(p.other_convention_fits);
}

TEST(Decode, EveryTruncationIsAnErrorWithinTheGivenBytes) {
  for (const auto& [name, full] : test::all_vectors()) {
    for (std::size_t n = 0; n < full->size(); ++n) {
      SCOPED_TRACE(std::string(name) + " cut to " + std::to_string(n));
      // A fresh allocation of exactly n bytes, so ASan sees any read past it.
      std::unique_ptr<std::uint8_t[]> heap(new std::uint8_t[n == 0 ? 1 : n]);
      if (n) std::memcpy(heap.get(), full->data(), n);
      const Bytes cut(heap.get(), n);
      const MessageView m = decode(cut);
      ASSERT_FALSE(m.ok());
      if (n < kHeaderSize) {
        EXPECT_EQ(m.error.code, DecodeErrc::ShortHeader);
        EXPECT_EQ(m.error.offset, 0u);
        EXPECT_EQ(m.error.expected, 8u);
        EXPECT_EQ(m.error.actual, n);
        EXPECT_FALSE(m.has_header());
        EXPECT_EQ(m.options().begin(), m.options().end());
      } else {
        EXPECT_EQ(m.error.code, DecodeErrc::Truncated);
        EXPECT_EQ(m.error.offset, n);
        EXPECT_EQ(m.error.expected, full->size());
        EXPECT_EQ(m.error.actual, n);
        EXPECT_LE(m.options_end, n);
        // Header fields still readable.
        EXPECT_EQ(m.header.type, (*full)[0]);
        EXPECT_EQ(m.header.seq, decode(*full).header.seq);
      }
      // Whatever is exposed lies inside the given bytes; walking it, checking
      // it and summarizing it must stay inside them too.
      std::size_t count = 0;
      for (const OptionView o : m.options()) {
        EXPECT_LE(o.offset + o.total_size(), n);
        (void)o.text();
        (void)o.numeric();
        ++count;
      }
      EXPECT_EQ(count, m.option_count);
      FindingList f;
      check_message(m, f);
      EXPECT_TRUE(f.contains(Req::Length));
      EXPECT_FALSE(summarize(m).empty());
    }
  }
}

TEST(Decode, ShortHeaderIsReportedAtOffsetZero) {
  const Buf b{0x02, 0x00, 0x00};
  const MessageView m = decode(b);
  EXPECT_EQ(m.error.code, DecodeErrc::ShortHeader);
  EXPECT_EQ(m.error.offset, 0u);
  EXPECT_EQ(m.error.actual, 3u);
  EXPECT_FALSE(m.has_header());
}

TEST(Decode, RejectsLengthSmallerThanHeader) {
  // Length 3 announces 7 octets under the profile: less than the header.
  const Buf b{0x02, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x07, 0x04, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x03};
  const MessageView m = decode(b);
  EXPECT_EQ(m.error.code, DecodeErrc::LengthTooSmall);
  EXPECT_EQ(m.error.offset, 2u);
  EXPECT_EQ(m.error.expected, 4u);
  EXPECT_EQ(m.error.actual, 3u);
  EXPECT_EQ(m.declared_size, 0u);
  EXPECT_EQ(m.options().begin(), m.options().end());
  EXPECT_EQ(m.header.type, 2u);
  // Length 4 is the smallest possible: an 8-octet message with no options.
  const Buf min{0x02, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x07};
  EXPECT_TRUE(decode(min).ok());
  EXPECT_EQ(minimum_length_field(LengthConvention::Total4), 4u);
  EXPECT_EQ(minimum_length_field(LengthConvention::Literal3), 5u);
}

TEST(Decode, RejectsTrailingBytesAtTheDeclaredEnd) {
  Buf b = test::kKeepAlive;
  b.push_back(0x00);
  b.push_back(0x00);
  const MessageView m = decode(b);
  EXPECT_EQ(m.error.code, DecodeErrc::TrailingBytes);
  EXPECT_EQ(m.error.offset, 16u);
  EXPECT_EQ(m.error.expected, 16u);
  EXPECT_EQ(m.error.actual, 18u);
  EXPECT_EQ(m.node_id(), 3u);  // the message itself is intact
  EXPECT_FALSE(m.other_convention_fits);
}

TEST(Decode, RejectsOptionLongerThanMessage) {
  // Keep-Alive whose Node ID option says 8 octets where 4 remain.
  const Buf b{0x02, 0x00, 0x00, 0x0c, 0x00, 0x00, 0x00, 0x07, 0x04, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x03};
  const MessageView m = decode(b);
  EXPECT_EQ(m.error.code, DecodeErrc::OptionOverrun);
  EXPECT_EQ(m.error.offset, 8u);
  EXPECT_EQ(m.error.expected, 8u);
  EXPECT_EQ(m.error.actual, 4u);
  EXPECT_EQ(m.option_count, 0u);
  EXPECT_EQ(m.options_end, 8u);
  EXPECT_EQ(m.options().begin(), m.options().end());
}

TEST(Decode, RejectsOptionHeaderCutByMessageEnd) {
  // Keep-Alive with two stray octets after the Node ID, inside the Length.
  const Buf b{0x02, 0x00, 0x00, 0x0e, 0x00, 0x00, 0x00, 0x07, 0x04,
              0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x03, 0x09, 0x01};
  const MessageView m = decode(b);
  EXPECT_EQ(m.error.code, DecodeErrc::OptionHeader);
  EXPECT_EQ(m.error.offset, 16u);
  EXPECT_EQ(m.error.expected, 4u);
  EXPECT_EQ(m.error.actual, 2u);
  EXPECT_EQ(m.option_count, 1u);
  EXPECT_EQ(m.node_id(), 3u);
}

TEST(Decode, OptionLengthNearMaximumDoesNotWrap) {
  // Option Length 0xFFFF in a 16-octet message: must be an overrun, not an arithmetic wrap.
  const Buf b{0x02, 0x00, 0x00, 0x0c, 0x00, 0x00, 0x00, 0x07, 0x04, 0x00, 0xff, 0xff, 0x00, 0x00, 0x00, 0x03};
  const MessageView m = decode(b);
  EXPECT_EQ(m.error.code, DecodeErrc::OptionOverrun);
  EXPECT_EQ(m.error.expected, 0xffffu);
}

TEST(Decode, LengthArithmeticFollowsTheConvention) {
  EXPECT_EQ(declared_size(12, LengthConvention::Total4), 16u);
  EXPECT_EQ(declared_size(12, LengthConvention::Literal3), 15u);
  EXPECT_EQ(declared_size(3, LengthConvention::Total4), 0u);
  EXPECT_EQ(declared_size(4, LengthConvention::Literal3), 0u);
  EXPECT_EQ(declared_size(0xffff, LengthConvention::Total4), 0x10003u);
  EXPECT_EQ(length_field_for(16, LengthConvention::Total4), 12u);
  EXPECT_EQ(length_field_for(16, LengthConvention::Literal3), 13u);
}

TEST(Decode, EveryVectorLooksLikeVsm) {
  for (const auto& [name, bytes] : test::all_vectors()) {
    SCOPED_TRACE(name);
    EXPECT_TRUE(plausible_header(*bytes));
    EXPECT_TRUE(looks_like_vsm(*bytes));
  }
  EXPECT_TRUE(looks_like_vsm(test::kKeepAliveLiteral, LengthConvention::Literal3));
}

TEST(Decode, HeuristicRejectsImplausibleHeaders) {
  Buf b = test::kKeepAlive;
  b[0] = 0x08;  // unknown type
  EXPECT_FALSE(plausible_header(b));
  b = test::kKeepAlive;
  b[1] = 0x01;  // Sub-Type in a Keep-Alive
  EXPECT_FALSE(plausible_header(b));
  b = test::kKeepAlive;
  b[4] = 0x80;  // Code in a Keep-Alive
  EXPECT_FALSE(plausible_header(b));
  b = test::kAckRegistration;
  b[4] = 0x05;  // unknown result code
  EXPECT_FALSE(plausible_header(b));
  b = test::kMove;
  b[1] = 0x00;  // Operation without an operation
  EXPECT_FALSE(plausible_header(b));
  EXPECT_FALSE(plausible_header(Buf(test::kKeepAlive.begin(), test::kKeepAlive.begin() + 7)));
  const Buf empty_msg{0x02, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x07};
  EXPECT_FALSE(plausible_header(empty_msg));  // no option at all
  Buf truncated(test::kKeepAlive.begin(), test::kKeepAlive.begin() + 12);
  EXPECT_TRUE(plausible_header(truncated));
  EXPECT_FALSE(looks_like_vsm(truncated));
}

TEST(Decode, ErrorCodesHaveDistinctNames) {
  const DecodeErrc all[] = {DecodeErrc::None,         DecodeErrc::ShortHeader,   DecodeErrc::LengthTooSmall,
                            DecodeErrc::Truncated,    DecodeErrc::TrailingBytes, DecodeErrc::OptionHeader,
                            DecodeErrc::OptionOverrun};
  for (std::size_t i = 0; i < std::size(all); ++i) {
    EXPECT_FALSE(errc_name(all[i]).empty());
    for (std::size_t j = 0; j < i; ++j) EXPECT_NE(errc_name(all[i]), errc_name(all[j]));
  }
}

TEST(Decode, NtpTimeConvertsFromUnix) {
  const NtpTime t = NtpTime::from_unix(1795672800, 500000000);
  EXPECT_EQ(t.seconds, 0xeeb24960u);
  EXPECT_EQ(t.fraction, 0x80000000u);
  EXPECT_EQ(t.unix_seconds(), 1795672800);
  EXPECT_EQ(t.nanoseconds(), 500000000u);
}

TEST(Decode, ArbitraryBytesNeverReadOutOfBounds) {
  // A deterministic sweep of small inputs: every 1..12-octet prefix of patterns
  // with plausible and implausible Length and option Length fields.
  const std::uint8_t patterns[][12] = {
      {0x02, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x01, 0x04, 0x00, 0x00, 0x00},
      {0x03, 0x04, 0x00, 0x09, 0x00, 0x00, 0x00, 0x01, 0x04, 0x00, 0x00, 0x01},
      {0x06, 0x01, 0xff, 0xff, 0x00, 0x00, 0x00, 0x01, 0x04, 0x00, 0xff, 0xff},
      {0xff, 0xff, 0x00, 0x04, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
      {0x01, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00},
  };
  for (const auto& p : patterns) {
    for (std::size_t n = 0; n <= 12; ++n) {
      for (auto conv : {LengthConvention::Total4, LengthConvention::Literal3}) {
        std::unique_ptr<std::uint8_t[]> heap(new std::uint8_t[n == 0 ? 1 : n]);
        if (n) std::memcpy(heap.get(), p, n);
        const MessageView m = decode(Bytes(heap.get(), n), conv);
        for (const OptionView o : m.options()) EXPECT_LE(o.offset + o.total_size(), n);
        FindingList f;
        check_message(m, f);
        (void)summarize(m);
        (void)looks_like_vsm(Bytes(heap.get(), n), conv);
      }
    }
  }
}

TEST(Decode, RemembersTheIdOptionsAWalkWouldFind) {
  // node_id() and function_id() read positions that decode() notes; they must
  // name the same options as a walk, also in cut messages and wrong lengths.
  std::vector<Sample> all = typical_messages();
  for (Sample& s : broken_messages()) all.push_back(std::move(s));
  Message three_nodes = transfer(Operation::Copy, 9, 1, 2, 3);
  three_nodes.add(Option::node_id(4));
  all.push_back({"three Node IDs", three_nodes});
  Message short_id = keep_alive(5, 1);
  short_id.options.front().value.resize(2);
  all.push_back({"2-octet Node ID", short_id});
  for (const Sample& s : all) {
    const Buf full = s.message.encode(s.convention).value();
    for (std::size_t cut = 0; cut <= full.size(); ++cut) {
      const MessageView m = decode(Bytes(full.data(), cut), s.convention);
      std::vector<std::optional<std::uint32_t>> nodes;
      std::optional<std::uint32_t> function;
      bool function_seen = false;
      for (const OptionView o : m.options()) {
        if (o.is(OptType::NodeId)) nodes.push_back(o.u32());
        if (o.is(OptType::FunctionId) && !function_seen) {
          function_seen = true;
          function = o.u32();
        }
      }
      for (unsigned i = 0; i < 3; ++i) {
        EXPECT_EQ(m.node_id(i), i < nodes.size() ? nodes[i] : std::nullopt) << s.name << " cut " << cut << " #" << i;
      }
      EXPECT_EQ(m.function_id(), function) << s.name << " cut " << cut;
    }
  }
}

// A capture cut short (snapshot length): the Length field is judged against the
// message's real size, and no rule that needs the whole message applies.
TEST(Decode, MessageCutByTheCaptureIsNotMalformed) {
  for (const Sample& s : typical_messages()) {
    const Buf full = s.message.encode(s.convention).value();
    const auto size = static_cast<std::uint32_t>(full.size());
    EXPECT_FALSE(decode(Bytes(full), size, s.convention).cut()) << s.name;
    for (std::uint32_t cut = 0; cut < size; ++cut) {
      const MessageView m = decode(Bytes(full.data(), cut), size, s.convention);
      EXPECT_TRUE(m.cut()) << s.name << " cut " << cut;
      EXPECT_FALSE(m.error) << s.name << " cut " << cut << ": " << errc_name(m.error.code);
      FindingList f;
      check_message(m, f);
      EXPECT_TRUE(f.empty()) << s.name << " cut " << cut << ": " << (f.empty() ? "" : describe(f[0]));
      if (cut >= kHeaderSize) {
        EXPECT_EQ(m.header.seq, decode(full, s.convention).header.seq);
        EXPECT_NE(summarize(m).find("[cut by the capture]"), std::string::npos) << summarize(m);
      }
    }
  }
}

TEST(Decode, MessageCutByTheCaptureStillShowsWhatWasCaptured) {
  const Buf& b = test::kMove;
  const auto size = static_cast<std::uint32_t>(b.size());
  // Header and first Node ID captured, the rest not.
  const MessageView m = decode(Bytes(b.data(), kHeaderSize + 8 + 2), size);
  EXPECT_EQ(m.option_count, 1);
  EXPECT_EQ(m.node_id(0), 3u);
  EXPECT_EQ(m.node_id(1), std::nullopt);
  // A wrong Length field is still found, against the real size.
  Buf longer = b;
  longer.push_back(0);
  const MessageView t = decode(Bytes(longer.data(), 12), size + 1);
  EXPECT_EQ(t.error.code, DecodeErrc::TrailingBytes);
  EXPECT_EQ(t.error.actual, size + 1);
  FindingList f;
  check_message(t, f);
  EXPECT_TRUE(f.contains(Req::Length));
  // What the captured options break is still reported.
  Buf bad = b;
  bad[off::kCode] = 9;
  FindingList g;
  check_message(decode(Bytes(bad.data(), 10), size), g);
  EXPECT_TRUE(g.contains(Req::CodeZero));
  EXPECT_EQ(g.size(), 1u);
  // Fewer than 8 octets captured.
  EXPECT_EQ(summarize(decode(Bytes(b.data(), 3), size)),
            "Cut by the capture (3 of " + std::to_string(size) + " octets)");
}

}  // namespace
}  // namespace vsm
