// SPDX-License-Identifier: GPL-2.0-or-later
// Keywords and value text, both directions.
#include "vsm/keywords.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "vsm/message.hpp"

namespace vsm {
namespace {

using Octets = std::vector<std::uint8_t>;

// ---- header fields

TEST(Keywords, EveryHeaderTableEntryRoundTripsKeywordToValueToKeyword) {
  const struct {
    std::span<const Named> table;
    const char* noun;
  } tables[] = {{kMessageTypes, "message type"},
                {kOperations, "operation"},
                {kResultCodes, "result code"},
                {kRoles, "role"},
                {kLengthConventions, "length convention"}};
  for (const auto& t : tables) {
    for (const Named& n : t.table) {
      const auto v = parse_keyword(t.table, n.keyword, t.noun);
      ASSERT_TRUE(v) << n.keyword << ": " << v.error();
      EXPECT_EQ(*v, n.value) << n.keyword;
      EXPECT_EQ(keyword_text(t.table, *v), n.keyword);
    }
  }
  EXPECT_EQ(type_keyword(2), "keep_alive");
  EXPECT_EQ(operation_keyword(6), "move_session");
  EXPECT_EQ(code_keyword(130), "administratively_prohibited");
  EXPECT_EQ(*parse_type("status_update"), u8(MsgType::StatusUpdate));
  EXPECT_EQ(*parse_operation("copy"), u8(Operation::Copy));
  EXPECT_EQ(*parse_code("insufficient_resources"), u8(ResultCode::InsufficientResources));
}

TEST(Keywords, NumbersStandForHeaderValuesTheDictionaryLacks) {
  for (unsigned v = 0; v < 256; ++v) {
    const auto value = static_cast<std::uint8_t>(v);
    for (std::span<const Named> table : {std::span<const Named>(kMessageTypes), std::span<const Named>(kOperations),
                                         std::span<const Named>(kResultCodes)}) {
      const std::string text = keyword_text(table, value);
      const auto back = parse_keyword(table, text, "field");
      ASSERT_TRUE(back) << text << ": " << back.error();
      EXPECT_EQ(*back, value) << text;
      if (find_named(table, value) == nullptr) {
        EXPECT_EQ(text, std::to_string(v));
      }
    }
  }
  EXPECT_EQ(type_keyword(42), "42");
  EXPECT_EQ(*parse_type("42"), 42);
  EXPECT_EQ(*parse_type("0x2a"), 42);
  EXPECT_EQ(*parse_type("6"), u8(MsgType::Ack));
  char small[2];
  EXPECT_LE(keyword_text(kResultCodes, 200, small).size(), sizeof small);  // never overrun
}

TEST(Keywords, UnknownHeaderWordSuggestsTheNearMiss) {
  EXPECT_EQ(parse_type("keepalive").error(), "unknown message type 'keepalive' (did you mean keep_alive?)");
  EXPECT_EQ(parse_type("Registration").error(), "unknown message type 'Registration' (did you mean registration?)");
  EXPECT_EQ(parse_operation("mvoe").error(), "unknown operation 'mvoe' (did you mean move?)");
  EXPECT_EQ(parse_code("hello").error(),
            "unknown result code 'hello' (expected successful, failed, insufficient_resources, "
            "administratively_prohibited or status_unknown, or a number from 0 to 255)");
  EXPECT_EQ(parse_type("256").error(), "message type '256': expected a number from 0 to 255");
  EXPECT_EQ(parse_type("4x").error(), "message type '4x': expected a number from 0 to 255");
  EXPECT_FALSE(parse_type(""));
  EXPECT_FALSE(parse_type("-1"));
}

TEST(Keywords, NearestKeywordOnlySuggestsCloseWords) {
  const std::vector<std::string_view> words{"ack", "add", "send", "expect"};
  EXPECT_EQ(nearest_keyword("ak", words), "ack");
  EXPECT_EQ(nearest_keyword("ACK", words), "ack");
  EXPECT_EQ(nearest_keyword("sned", words), "send");
  EXPECT_EQ(nearest_keyword("expcet", words), "expect");
  EXPECT_EQ(nearest_keyword("xyz", words), "");
  EXPECT_EQ(nearest_keyword("", words), "");
  EXPECT_EQ(nearest_keyword(std::string(1000, 'a'), words), "");
}

// ---- option keywords

TEST(OptionKeywords, EveryDictionaryEntryRoundTripsKeywordToValueToKeyword) {
  for (const OptionSpec& o : kOptions) {
    const auto whole = parse_option_keyword(o.keyword);
    ASSERT_TRUE(whole) << o.keyword << ": " << whole.error();
    EXPECT_EQ(*whole, (OptionKey{o.type, std::nullopt})) << o.keyword;
    EXPECT_EQ(option_keyword(*whole), o.keyword);
    if (o.subs.empty()) {
      EXPECT_EQ(option_keyword(o.type, 0), o.keyword);
    }
    for (const SubOptionSpec& s : o.subs) {
      const std::string keyword = std::string(o.keyword) + "." + std::string(s.keyword);
      const auto key = parse_option_keyword(keyword);
      ASSERT_TRUE(key) << keyword << ": " << key.error();
      EXPECT_EQ(*key, (OptionKey{o.type, s.sub})) << keyword;
      EXPECT_EQ(key->sub_spec(), &s);
      EXPECT_EQ(option_keyword(o.type, s.sub), keyword);
      EXPECT_EQ(option_keyword(*key), keyword);
    }
  }
  EXPECT_EQ(option_keyword(u8(OptType::NodeInfo), node_info::AvailableMemory), "node_info.mem_available");
}

TEST(OptionKeywords, EveryTypeAndSubTypeRoundTrips) {
  for (unsigned t = 0; t < 256; ++t) {
    for (unsigned s = 0; s < 256; ++s) {
      const auto type = static_cast<std::uint8_t>(t), sub = static_cast<std::uint8_t>(s);
      const std::string keyword = option_keyword(type, sub);
      const auto key = parse_option_keyword(keyword);
      ASSERT_TRUE(key) << keyword << ": " << key.error();
      EXPECT_TRUE(key->matches(type, sub)) << keyword;
      EXPECT_EQ(option_keyword(*key), keyword);
    }
  }
}

TEST(OptionKeywords, NumbersStandForWhatTheDictionaryLacks) {
  EXPECT_EQ(option_keyword(u8(OptType::FunctionInfo), 7), "function_info.7");
  EXPECT_EQ(*parse_option_keyword("function_info.7"), (OptionKey{7, 7}));
  EXPECT_EQ(option_keyword(42, 1), "42.1");
  EXPECT_EQ(*parse_option_keyword("42.1"), (OptionKey{42, 1}));
  EXPECT_EQ(*parse_option_keyword("42"), (OptionKey{42, std::nullopt}));
  EXPECT_EQ(option_keyword(OptionKey{42, std::nullopt}), "42");
  EXPECT_EQ(option_keyword(u8(OptType::NodeId), 3), "node_id.3");
  EXPECT_EQ(*parse_option_keyword("node_id.3"), (OptionKey{4, 3}));
  // Numbers name known options too, and come back as their keywords.
  EXPECT_EQ(*parse_option_keyword("9.1"), (OptionKey{9, 1}));
  EXPECT_EQ(option_keyword(*parse_option_keyword("9.1")), "vendor.info");
  EXPECT_EQ(*parse_option_keyword("node_info.11"), (OptionKey{6, 11}));
  // A whole option matches each of its items; an item only itself.
  EXPECT_TRUE(parse_option_keyword("node_info")->matches(6, 40));
  EXPECT_FALSE(parse_option_keyword("node_info.boot_time")->matches(6, 11));
  EXPECT_FALSE(parse_option_keyword("node_info")->matches(7, 40));
}

TEST(OptionKeywords, BadKeywordsSayWhatWasExpected) {
  EXPECT_EQ(parse_option_keyword("nodeid").error(), "unknown option 'nodeid' (did you mean node_id?)");
  EXPECT_EQ(parse_option_keyword("node_info.mem_totl").error(),
            "unknown node_info item 'mem_totl' (did you mean mem_total?)");
  EXPECT_EQ(parse_option_keyword("vendor.message").error(),
            "unknown vendor item 'message' (expected info, or a Sub-OP-Type number)");
  EXPECT_EQ(parse_option_keyword("node_id.first").error(),
            "option node_id has no items: 'first' (expected a Sub-OP-Type number after the dot)");
  EXPECT_EQ(parse_option_keyword("42.x").error(),
            "option 42 has no items: 'x' (expected a Sub-OP-Type number after the dot)");
  EXPECT_EQ(parse_option_keyword("300").error(), "OP-Type '300': expected a number from 0 to 255");
  EXPECT_EQ(parse_option_keyword("node_info.300").error(),
            "Sub-OP-Type of node_info '300': expected a number from 0 to 255");
  EXPECT_EQ(parse_option_keyword("").error(),
            "unknown option '' (expected ipv4, ipv6, port, node_id, function_id, node_info, function_info, "
            "session_info or vendor, or an OP-Type number)");
  EXPECT_FALSE(parse_option_keyword("node_info."));
  EXPECT_FALSE(parse_option_keyword("node_info.mem_total.x"));
  // A reason stays short whatever the input.
  EXPECT_LT(parse_option_keyword(std::string(100000, 'x')).error().size(), 400u);
}

// ---- option values

struct Sample {
  const char* keyword;
  const char* text;
  Octets octets;
};

// One sample per syntax (several for the addresses), in the syntax's own text.
const std::vector<Sample>& samples() {
  static const std::vector<Sample> s{
      {"node_id", "3", {0, 0, 0, 3}},
      {"function_id", "4294967295", {0xff, 0xff, 0xff, 0xff}},
      {"port", "7750", {0x1e, 0x46}},
      {"ipv4", "192.0.2.1", {192, 0, 2, 1}},
      {"ipv6", "2001:db8::1", {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}},
      {"ipv6", "::ffff:192.0.2.1", {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1}},
      {"session_info.contact", "192.0.2.10", {192, 0, 2, 10}},
      {"session_info.contact", "2001:db8::4d", {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x4d}},
      {"session_info.contact", "", {}},
      {"node_info.boot_time", "1795672800", {0xee, 0xb2, 0x49, 0x60, 0, 0, 0, 0}},
      {"node_info.boot_time", "", {}},
      {"function_info.boot_time", "-2208988800", {0, 0, 0, 0, 0, 0, 0, 0}},
      {"function_info.name", "P-CSCF", {'P', '-', 'C', 'S', 'C', 'F'}},
      {"node_info.mem_total", "8589934592", {'8', '5', '8', '9', '9', '3', '4', '5', '9', '2'}},
      {"node_info.mem_total", "", {}},
      {"node_info.load_average", "0.5", {'0', '.', '5'}},
      {"function_info.running_status", "Running", {'R', 'u', 'n', 'n', 'i', 'n', 'g'}},
      {"vendor.info", "maintenance at 02:00",
       Octets(std::string_view("maintenance at 02:00").begin(), std::string_view("maintenance at 02:00").end())},
      {"node_info.99", "0a0001", {0x0a, 0x00, 0x01}},
      {"42.1", "deadbeef", {0xde, 0xad, 0xbe, 0xef}},
      {"42.1", "", {}},
  };
  return s;
}

TEST(OptionValues, EverySyntaxRoundTripsTextToOctetsToText) {
  std::set<ValueSyntax> seen;
  for (const Sample& s : samples()) {
    const auto key = parse_option_keyword(s.keyword);
    ASSERT_TRUE(key) << s.keyword;
    const std::uint8_t type = key->type, sub = key->sub.value_or(0);
    seen.insert(value_syntax(type, sub));
    const auto octets = parse_value(type, sub, s.text);
    ASSERT_TRUE(octets) << s.keyword << " " << s.text << ": " << octets.error();
    EXPECT_EQ(*octets, s.octets) << s.keyword << " " << s.text;
    EXPECT_TRUE(value_fits(type, sub, *octets)) << s.keyword << " " << s.text;
    EXPECT_EQ(value_text(type, sub, *octets), s.text) << s.keyword;
  }
  EXPECT_EQ(seen.size(), 8u);  // every ValueSyntax
}

// Every item of the dictionary takes a value of its syntax, through a whole
// encoded message and back.
TEST(OptionValues, EveryDictionaryItemRoundTripsThroughAMessage) {
  const auto sample_text = [](ValueSyntax s) -> std::string {
    switch (s) {
      case ValueSyntax::Number32: return "7";
      case ValueSyntax::Port: return "9900";
      case ValueSyntax::IPv4: return "10.0.0.1";
      case ValueSyntax::IPv6: return "fe80::1";
      case ValueSyntax::Address: return "2001:db8::2";
      case ValueSyntax::Text: return "Running";
      case ValueSyntax::NtpTime: return "0";
      case ValueSyntax::Hex: return "00ff";
    }
    return "";
  };
  std::vector<std::pair<std::uint8_t, std::uint8_t>> items;
  for (const OptionSpec& o : kOptions) {
    if (o.subs.empty()) items.emplace_back(o.type, 0);
    for (const SubOptionSpec& s : o.subs) items.emplace_back(o.type, s.sub);
  }
  Message m = status_update(1, 3);
  for (auto [type, sub] : items) {
    const auto v = parse_value(type, sub, sample_text(value_syntax(type, sub)));
    ASSERT_TRUE(v) << option_keyword(type, sub) << ": " << v.error();
    m.add(Option::raw(type, sub, *v));
  }
  const auto bytes = m.encode().value();
  const MessageView view = decode(bytes);
  ASSERT_TRUE(view.ok());
  std::size_t i = 0;
  for (const OptionView o : view.options()) {
    if (i == 0) {  // status_update's own Node ID
      ++i;
      continue;
    }
    const auto [type, sub] = items[i - 1];
    EXPECT_EQ(o.type, type);
    EXPECT_EQ(value_text(o), sample_text(value_syntax(type, sub))) << option_keyword(type, sub);
    ++i;
  }
  EXPECT_EQ(i, items.size() + 1);
}

TEST(OptionValues, OctetsThatDoNotFitTheirSyntaxAreHex) {
  const Octets three{10, 0, 1};
  EXPECT_FALSE(value_fits(u8(OptType::NodeId), 0, three));
  EXPECT_EQ(value_text(u8(OptType::NodeId), 0, three), "0a0001");
  EXPECT_EQ(value_text(u8(OptType::IPv6), 0, three), "0a0001");
  EXPECT_FALSE(value_fits(u8(OptType::Port), 0, Octets{}));
  EXPECT_EQ(value_text(u8(OptType::Port), 0, Octets{}), "");
  const Octets binary{0x00, 0x00, 0x10, 0x00};  // a binary-encoded number: not text
  EXPECT_FALSE(value_fits(u8(OptType::NodeInfo), node_info::TotalMemory, binary));
  EXPECT_EQ(value_text(u8(OptType::NodeInfo), node_info::TotalMemory, binary), "00001000");
  const Octets seven(7, 1);
  EXPECT_FALSE(value_fits(u8(OptType::NodeInfo), node_info::BootTime, seven));
  EXPECT_EQ(value_text(u8(OptType::NodeInfo), node_info::BootTime, seven), "01010101010101");
  EXPECT_FALSE(value_fits(u8(OptType::SessionInfo), session_info::ContactAddress, three));
  EXPECT_TRUE(value_fits(42, 0, three));
  EXPECT_EQ(value_syntax(u8(OptType::NodeInfo), 99), ValueSyntax::Hex);
  EXPECT_EQ(value_syntax(u8(OptType::NodeId), 3), ValueSyntax::Number32);  // the Sub-OP-Type does not change it
}

TEST(OptionValues, BadTextSaysWhatWasExpected) {
  const auto error = [](const char* keyword, const char* text) {
    const auto key = parse_option_keyword(keyword);
    const auto v = parse_value(key->type, key->sub.value_or(0), text);
    return v ? std::string("(parsed)") : v.error();
  };
  EXPECT_EQ(error("node_id", "abc"), "node_id value 'abc': expected a decimal number from 0 to 4294967295");
  EXPECT_EQ(error("node_id", ""), "node_id value '': expected a decimal number from 0 to 4294967295");
  EXPECT_EQ(error("function_id", "4294967296"),
            "function_id value '4294967296': expected a decimal number from 0 to 4294967295");
  EXPECT_EQ(error("port", "70000"), "port value '70000': expected a port number from 0 to 65535");
  EXPECT_EQ(error("ipv4", "10.0.0"), "ipv4 value '10.0.0': expected an IPv4 address such as 192.0.2.1");
  EXPECT_EQ(error("ipv4", "2001:db8::1"), "ipv4 value '2001:db8::1': expected an IPv4 address such as 192.0.2.1");
  EXPECT_EQ(error("ipv6", "2001:db8:::1"), "ipv6 value '2001:db8:::1': expected an IPv6 address such as 2001:db8::1");
  EXPECT_EQ(error("session_info.contact", "nowhere"),
            "session_info.contact value 'nowhere': expected an IPv4 or IPv6 address such as 192.0.2.1 or "
            "2001:db8::1");
  EXPECT_EQ(error("node_info.boot_time", "yesterday"),
            "node_info.boot_time value 'yesterday': expected Unix seconds (-2208988800 to 2085978495) or a UTC "
            "time YYYY-MM-DDTHH:MM:SSZ");
  EXPECT_NE(error("node_info.boot_time", "2026-02-30T00:00:00Z"), "(parsed)");
  EXPECT_NE(error("node_info.boot_time", "2085978496"), "(parsed)");
  EXPECT_NE(error("node_info.boot_time", "-2208988801"), "(parsed)");
  EXPECT_EQ(error("42.1", "abc"),
            "42.1 value 'abc': expected pairs of hex digits (spaces or colons between them allowed)");
  EXPECT_EQ(error("node_info.99", "xy"),
            "node_info.99 value 'xy': expected pairs of hex digits (spaces or colons between them allowed)");
  // Text takes any text: the rules judge the value on the wire.
  EXPECT_EQ(error("node_info.mem_total", "lots"), "(parsed)");
  EXPECT_LT(error("port", std::string(100000, '9').c_str()).size(), 200u);
}

TEST(OptionValues, TimeReadsUnixSecondsAndUtcText) {
  const auto utc = parse_time("2026-11-26T06:00:00Z");
  ASSERT_TRUE(utc) << utc.error();
  EXPECT_EQ(utc->unix_seconds(), 1795672800);
  EXPECT_EQ(time_text(*utc), "2026-11-26T06:00:00Z");
  EXPECT_EQ(parse_time("1795672800")->seconds, utc->seconds);
  EXPECT_EQ(parse_time("-2208988800")->seconds, 0u);
  EXPECT_EQ(parse_time("2085978495")->seconds, 0xFFFFFFFFu);
  EXPECT_EQ(time_text(*parse_time("2085978495")), "2036-02-07T06:28:15Z");
  EXPECT_EQ(parse_time("2036-02-07T06:28:15Z")->seconds, 0xFFFFFFFFu);
  EXPECT_FALSE(parse_time("2036-02-07T06:28:16Z"));
  EXPECT_FALSE(parse_time("2024-02-29T24:00:00Z"));
  EXPECT_TRUE(parse_time("2024-02-29T23:59:59Z"));
  EXPECT_FALSE(parse_time("2023-02-29T00:00:00Z"));
  EXPECT_FALSE(parse_time("2026-11-26 06:00:00Z"));
  EXPECT_FALSE(parse_time("0x10"));
  EXPECT_FALSE(parse_time("-"));
  EXPECT_EQ(parse_time("now").error(),
            "time 'now': expected Unix seconds (-2208988800 to 2085978495) or a UTC time YYYY-MM-DDTHH:MM:SSZ");
}

TEST(OptionValues, HexTakesSeparatorsBetweenPairs) {
  EXPECT_EQ(*parse_hex("0a:00 01"), (Octets{0x0a, 0x00, 0x01}));
  EXPECT_EQ(*parse_hex("DEADbeef"), (Octets{0xde, 0xad, 0xbe, 0xef}));
  EXPECT_EQ(*parse_hex(""), Octets{});
  EXPECT_EQ(parse_hex("0a0").error(), "hex '0a0': expected pairs of hex digits (the last digit has no pair)");
  EXPECT_FALSE(parse_hex("0 a"));  // a separator inside a pair
  EXPECT_FALSE(parse_hex("0x0a"));
  EXPECT_EQ(hex_text(Octets{0x00, 0xff, 0x10}), "00ff10");
  EXPECT_EQ(hex_text(Octets{}), "");
}

TEST(OptionValues, AddressesBothWays) {
  EXPECT_EQ(*parse_address("192.0.2.1"), (Octets{192, 0, 2, 1}));
  EXPECT_EQ(parse_address("2001:db8::1")->size(), 16u);
  EXPECT_EQ(address_text(*parse_address("2001:0DB8:0000::0001")), "2001:db8::1");
  EXPECT_EQ(address_text(Octets{1, 2, 3}), "");
  EXPECT_FALSE(parse_address("192.0.2.1%eth0"));
  EXPECT_FALSE(parse_address(std::string(100, '1')));
  char small[4];
  EXPECT_EQ(address_text(Octets{192, 0, 2, 1}, small), "192.");
}

TEST(Numbers, DecimalOrHexUpToTheLimit) {
  EXPECT_EQ(*parse_number("0", 10, "n"), 0u);
  EXPECT_EQ(*parse_number("10", 10, "n"), 10u);
  EXPECT_EQ(*parse_number("0xA", 10, "n"), 10u);
  EXPECT_EQ(*parse_number("18446744073709551615", UINT64_MAX, "n"), UINT64_MAX);
  EXPECT_FALSE(parse_number("18446744073709551616", UINT64_MAX, "n"));
  EXPECT_EQ(parse_number("11", 10, "count").error(), "count '11': expected a number from 0 to 10");
  EXPECT_FALSE(parse_number("0x", 10, "n"));
  EXPECT_FALSE(parse_number("+1", 10, "n"));
  EXPECT_FALSE(parse_number(" 1", 10, "n"));
}

}  // namespace
}  // namespace vsm
