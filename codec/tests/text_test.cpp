// SPDX-License-Identifier: GPL-2.0-or-later
// Text for people: summaries, finding descriptions, option values.
#include "vsm/text.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <array>
#include <string>

#include "vectors.hpp"
#include "vsm/message.hpp"

namespace vsm {
namespace {

using test::Buf;

std::string sum(const Buf& b) { return summarize(decode(b)); }

TEST(Text, SummarizesEveryMessageType) {
  EXPECT_EQ(sum(test::kRegistration), "Registration seq=1 node 3");
  EXPECT_EQ(sum(test::kKeepAlive), "Keep-Alive seq=7 node 3");
  EXPECT_EQ(sum(test::kStatusUpdate), "Status-Update seq=2 node 3 function 7 [Running]");
  EXPECT_EQ(sum(test::kDeregistration), "De-registration seq=3 node 3");
  EXPECT_EQ(sum(test::kAckRegistration), "Ack seq=1 Successful node 3");
  EXPECT_EQ(sum(test::kError), "Error seq=4 Failed");
}

TEST(Text, SummarizesEveryOperationAndItsAck) {
  EXPECT_EQ(sum(test::kGet), "Operation GET seq=10 node 3 function 7");
  EXPECT_EQ(sum(test::kGetAck), "Ack GET seq=10 Successful node 3 function 7 [Running]");
  EXPECT_EQ(sum(test::kAdd), "Operation ADD seq=11 node 3 function 7");
  EXPECT_EQ(sum(test::kAddAck), "Ack ADD seq=11 Successful node 3 function 7 [Starting]");
  EXPECT_EQ(sum(test::kDelete), "Operation DELETE seq=13 node 3 function 7");
  EXPECT_EQ(sum(test::kDeleteAck), "Ack DELETE seq=13 Successful node 3 function 7 [Terminating]");
  EXPECT_EQ(sum(test::kMove), "Operation MOVE seq=12 node 3 -> 5 function 7");
  EXPECT_EQ(sum(test::kMoveAck), "Ack MOVE seq=12 Successful node 3 -> 5 function 7 [Running]");
  EXPECT_EQ(sum(test::kCopy), "Operation COPY seq=14 node 3 -> 5 function 7");
  EXPECT_EQ(sum(test::kCopyAck), "Ack COPY seq=14 Successful node 3 -> 5 function 7 [Running]");
  EXPECT_EQ(sum(test::kMoveSession), "Operation MOVE_SESSION seq=15 node 3 -> 5");
  EXPECT_EQ(sum(test::kMoveSessionAck), "Ack MOVE_SESSION seq=15 Successful node 3 [Running]");
}

TEST(Text, SummarizesCodesAndUnknownValues) {
  Buf ack = test::kAckRegistration;
  ack[4] = 130;
  EXPECT_EQ(sum(ack), "Ack seq=1 Administratively prohibited node 3");
  ack[4] = 5;
  EXPECT_EQ(sum(ack), "Ack seq=1 5 node 3");
  Buf unknown = test::kKeepAlive;
  unknown[0] = 42;
  EXPECT_EQ(sum(unknown), "Unknown type 42 seq=7 node 3");
  Buf op = test::kAdd;
  op[1] = 9;
  EXPECT_EQ(sum(op), "Operation op=9 seq=11 node 3 function 7");
  Buf reg = test::kRegistration;
  reg[4] = 1;  // Code where it must be zero is shown
  EXPECT_EQ(sum(reg), "Registration seq=1 1 node 3");
  EXPECT_EQ(sum(Buf(test::kKeepAlive.begin(), test::kKeepAlive.begin() + 12)), "Keep-Alive seq=7 [malformed]");
  EXPECT_EQ(sum(Buf{0x02, 0x00, 0x00}), "Malformed (3 octets)");
  EXPECT_EQ(sum(Buf{}), "Malformed (0 octets)");
}

TEST(Text, SummaryIntoSmallBufferIsCutNotOverrun) {
  char buf[12];
  const MessageView m = decode(test::kMoveAck);
  const std::string_view v = summarize(m, std::span<char>(buf, 10));
  EXPECT_EQ(v, "Ack MOVE s");
  EXPECT_EQ(v.data(), buf);
  EXPECT_EQ(summarize(m, std::span<char>(buf, 0)), "");
}

TEST(Text, DescribeStartsWithTheRequirementId) {
  for (const auto& r : catalogue()) {
    Finding f;
    f.req = r.req;
    const std::string d = describe(f);
    // Built by appending: g++ 12 at -O3 reports a false -Wrestrict inside
    // libstdc++ for `"literal" + std::string&&` (GCC bug 105329).
    std::string head = "[";
    head.append(r.id).append("] ");
    EXPECT_EQ(d.substr(0, head.size()), head) << d;
    EXPECT_NE(d.find(r.title), std::string::npos) << d;  // no detail: the title
  }
}

TEST(Text, DescribesFindingsWithTheirValues) {
  const FindingList len =
      test::findings_of(Buf{0x02, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x07, 0x04, 0x00, 0x00, 0x02, 0x00, 0x03});
  ASSERT_EQ(len.size(), 1u);
  EXPECT_EQ(describe(len[0]), "[VSM-6.4.4-LENGTH] option Length wrong (expected 4, got 2)");
  Buf sub = test::kKeepAlive;
  sub[1] = 1;
  const FindingList s = test::findings_of(sub);
  ASSERT_EQ(s.size(), 1u);
  EXPECT_EQ(describe(s[0]), "[VSM-6.1-SUBTYPE-ZERO] Sub-Type not zero (1)");
  Finding order{Req::MoveOrder, 0, 0, 5, 3, 0, "destination Node ID before source"};
  EXPECT_EQ(describe(order), "[VSM-6.3.4-ORDER] destination Node ID before source (first 5, second 3)");
  Finding seq{Req::SeqDuplicate, 5, 3, 9, 0, 0, "sequence number repeated"};
  EXPECT_EQ(describe(seq), "[VSM-6.1-SEQ-DUPLICATE] sequence number repeated (seq 9)");
  Finding lit = *test::first_of(test::findings_of(test::kKeepAliveLiteral), Req::LengthLiteral);
  EXPECT_EQ(describe(lit), "[VSM-6.1-LENGTH-LITERAL] sender uses the literal length convention (total - 3)");
}

TEST(Text, DescribeIntoSmallBufferIsCutNotOverrun) {
  char buf[8];
  Finding f{Req::AckSeq, 5, 3, 1, 2, 0, "ACK sequence number matches no message waiting for an ACK"};
  EXPECT_EQ(describe(f, buf), "[VSM-6.2");
}

TEST(Text, FormatsEveryTypedOptionValue) {
  const MessageView m = decode(test::kStatusUpdateAllTypes);
  ASSERT_TRUE(m.ok());
  std::vector<std::string> got;
  for (const OptionView o : m.options()) got.push_back(format_value(o));
  const std::vector<std::string> want{
      "10.0.0.1",       "2001:db8::1", "7750",       "3",       "2026-11-26T06:00:00Z",
      "\"8589934592\"", "\"P-CSCF\"",  "192.0.2.10", "\"0.3\"", "\"1000\"",
  };
  EXPECT_EQ(got, want);
  EXPECT_EQ(format_value(*decode(test::kMove).find(OptType::FunctionId)), "7");
  EXPECT_EQ(format_value(*decode(test::kError).find(OptType::VendorInfo)), "\"Protocol error\"");
  EXPECT_EQ(format_value(*decode(test::kMoveSession).find(OptType::SessionInfo)), "\"sip:alice@example.com\"");
}

TEST(Text, FormatsEmptyBinaryAndIpv6ContactValues) {
  EXPECT_EQ(format_value(*decode(test::kGet).find(OptType::NodeInfo)), "(empty)");
  Message m = status_update(2, 3);
  const std::uint8_t bin[] = {0x00, 0x00, 0x10, 0x00};
  m.add(Option::raw(u8(OptType::NodeInfo), node_info::TotalMemory, bin));
  const std::uint8_t v6[] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xab, 0xcd};
  m.add(Option::raw(u8(OptType::SessionInfo), session_info::ContactAddress, v6));
  const std::uint8_t odd_ipv4[] = {10, 0, 1};
  m.add(Option::raw(u8(OptType::IPv4), 0, odd_ipv4));
  const Buf b = m.encode().value();
  const MessageView v = decode(b);
  EXPECT_EQ(format_value(*v.find(OptType::NodeInfo)), "0x00001000");
  EXPECT_EQ(format_value(*v.find(OptType::SessionInfo)), "2001:db8::abcd");
  EXPECT_EQ(format_value(*v.find(OptType::IPv4)), "0x0a0001");
}

// The IPv6 option's text, through the whole encode/decode/format path.
std::string ipv6_text(const std::array<std::uint8_t, 16>& a) {
  Message m = registration(1, 3);
  m.add(Option::ipv6(a));
  const Buf b = m.encode().value();
  const MessageView v = decode(b);
  const auto o = v.find(OptType::IPv6);
  return o ? format_value(*o) : std::string("(no option)");
}

std::array<std::uint8_t, 16> groups(std::initializer_list<std::uint16_t> g) {
  std::array<std::uint8_t, 16> a{};
  std::size_t i = 0;
  for (std::uint16_t x : g) {
    a[i++] = static_cast<std::uint8_t>(x >> 8);
    a[i++] = static_cast<std::uint8_t>(x);
  }
  return a;
}

TEST(Text, Ipv6AddressesInRfc5952Form) {
  // 4.1 no leading zeros; 4.3 lower case.
  EXPECT_EQ(ipv6_text(groups({0x2001, 0x0db8, 0x00aa, 0x0001, 0x0002, 0x0003, 0x0004, 0xABCD})),
            "2001:db8:aa:1:2:3:4:abcd");
  // 4.2.1 the longest run of zero groups is "::"; the draft's own example.
  EXPECT_EQ(ipv6_text(groups({0x2001, 0x0db8, 0, 0, 0, 0, 0, 3})), "2001:db8::3");
  // 4.2.2 a single zero group is not compressed.
  EXPECT_EQ(ipv6_text(groups({0x2001, 0x0db8, 0, 1, 1, 1, 1, 1})), "2001:db8:0:1:1:1:1:1");
  // 4.2.3 the longest run wins, and the first one on a tie.
  EXPECT_EQ(ipv6_text(groups({0x2001, 0, 0, 1, 0, 0, 0, 1})), "2001:0:0:1::1");
  EXPECT_EQ(ipv6_text(groups({0x2001, 0x0db8, 0, 0, 1, 0, 0, 1})), "2001:db8::1:0:0:1");
  // Runs at either end, and the all-zero and loopback addresses.
  EXPECT_EQ(ipv6_text(groups({0xfe80, 0, 0, 0, 0, 0, 0, 0})), "fe80::");
  EXPECT_EQ(ipv6_text(groups({0, 0, 0x0db8, 1, 2, 3, 4, 5})), "::db8:1:2:3:4:5");
  EXPECT_EQ(ipv6_text(groups({0, 0, 0, 0, 0, 0, 0, 0})), "::");
  EXPECT_EQ(ipv6_text(groups({0, 0, 0, 0, 0, 0, 0, 1})), "::1");
  // 5: an IPv4-mapped address ends in a dotted quad.
  EXPECT_EQ(ipv6_text(groups({0, 0, 0, 0, 0, 0xffff, 0xc000, 0x0201})), "::ffff:192.0.2.1");
  // The session contact address uses the same text.
  Message m = status_update(2, 3);
  m.add(Option::raw(u8(OptType::SessionInfo), session_info::ContactAddress,
                    groups({0x2001, 0x0db8, 0, 0, 0, 0, 0, 0x4d})));
  const Buf b = m.encode().value();
  EXPECT_EQ(format_value(*decode(b).find(OptType::SessionInfo)), "2001:db8::4d");
}

// Wireshark prints its IPv6 fields with the C library's inet_ntop: the codec's
// option labels must read the same for every pattern of zero groups.
TEST(Text, Ipv6TextMatchesInetNtopForEveryZeroGroupPattern) {
  for (unsigned mask = 0; mask < 256; ++mask) {
    for (std::uint16_t value : {std::uint16_t{1}, std::uint16_t{0x0a0b}, std::uint16_t{0xffff}}) {
      std::array<std::uint8_t, 16> a{};
      for (unsigned i = 0; i < 8; ++i) {
        if (mask & (1u << i)) {
          const std::uint16_t g = static_cast<std::uint16_t>(value + i);
          a[2 * i] = static_cast<std::uint8_t>(g >> 8);
          a[2 * i + 1] = static_cast<std::uint8_t>(g);
        }
      }
      char want[INET6_ADDRSTRLEN];
      ASSERT_NE(inet_ntop(AF_INET6, a.data(), want, sizeof want), nullptr);
      EXPECT_EQ(ipv6_text(a), want) << "zero-group mask " << mask << ", value " << value;
    }
  }
}

TEST(Text, FormatValueIntoSmallBufferIsCutNotOverrun) {
  char buf[5];
  const MessageView m = decode(test::kError);
  EXPECT_EQ(format_value(*m.find(OptType::VendorInfo), buf), "\"Prot");
}

TEST(Text, NamesOptionsAndTypes) {
  EXPECT_EQ(option_name(4, 0), "Node ID");
  EXPECT_EQ(option_name(6, node_info::AvailableMemory), "Node information / Available memory size");
  EXPECT_EQ(option_name(7, function_info::RunningStatus), "Function information / Running status");
  EXPECT_EQ(option_name(6, 99), "Node information / unknown item 99");
  EXPECT_EQ(option_name(99, 0), "Unknown option 99");
  EXPECT_EQ(type_label(3), "Operation");
  EXPECT_EQ(type_label(7), "Error (local Type 7)");
  EXPECT_EQ(type_label(42), "Unknown (42)");
}

}  // namespace
}  // namespace vsm
