// SPDX-License-Identifier: GPL-2.0-or-later
// The shared command-line conventions (tools/common/cli.hpp).
#include "cli.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <sstream>

#include "vsm/version.hpp"

namespace {

using namespace vsm::cli;
namespace po = boost::program_options;

TEST(VersionText, NamesToolProjectCodecDraftAndWireshark) {
  const std::string t = version_text("vsm-test");
  EXPECT_EQ(t.rfind(std::string("vsm-test ") + std::string(project_version()) + "\n", 0), 0u) << t;
  EXPECT_NE(t.find(std::string(vsm::codec_version())), std::string::npos) << t;
  EXPECT_NE(t.find(std::string(vsm::kDraftName)), std::string::npos) << t;
  EXPECT_FALSE(project_version().empty());
  EXPECT_FALSE(wireshark_built_against().empty());
  if (wireshark_built_against() == "none") {
    EXPECT_NE(t.find("built without Wireshark"), std::string::npos) << t;
  } else {
    EXPECT_NE(t.find(std::string("built against Wireshark ") + std::string(wireshark_built_against())),
              std::string::npos)
        << t;
    EXPECT_TRUE(std::isdigit(static_cast<unsigned char>(wireshark_built_against()[0]))) << wireshark_built_against();
  }
}

TEST(HostPortParse, AcceptsNamesIpv4AndBracketedIpv6) {
  const auto a = parse_host_port("localhost:0");
  ASSERT_TRUE(a) << a.error();
  EXPECT_EQ(a->host, "localhost");
  EXPECT_EQ(a->port, 0);
  const auto b = parse_host_port("127.0.0.1:7750");
  ASSERT_TRUE(b) << b.error();
  EXPECT_EQ(b->host, "127.0.0.1");
  EXPECT_EQ(b->port, 7750);
  const auto c = parse_host_port("[::1]:65535");
  ASSERT_TRUE(c) << c.error();
  EXPECT_EQ(c->host, "::1");
  EXPECT_EQ(c->port, 65535);
  EXPECT_TRUE(c->ipv6());
  const auto d = parse_host_port("agent-1.example.org:7750");
  ASSERT_TRUE(d) << d.error();
  EXPECT_EQ(d->host, "agent-1.example.org");
}

TEST(HostPortParse, PrintsBackWhatItRead) {
  EXPECT_EQ(parse_host_port("[fe80::1]:80")->text(), "[fe80::1]:80");
  EXPECT_EQ(parse_host_port("127.0.0.1:7750")->text(), "127.0.0.1:7750");
  EXPECT_EQ(parse_host_port("localhost:0")->text(), "localhost:0");
}

TEST(HostPortParse, RefusesWrongShapesNamingTheExpectedOne) {
  for (const char* bad : {"7750", "localhost", ":7750", "127.0.0.1:", "::1:7750", "[::1]7750", "[::1:7750",
                          "[nothex]:1", "host:port", "127.0.0.1:-1", "a b:1", "999.1.1.1:1", "", "[]:1"}) {
    const auto r = parse_host_port(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_NE(r.error().find(std::string(kHostPortShape)), std::string::npos) << bad << ": " << r.error();
    EXPECT_NE(r.error().find(std::string("'") + bad + "'"), std::string::npos) << r.error();
  }
  EXPECT_NE(parse_host_port("7750").error().find("no host"), std::string::npos) << parse_host_port("7750").error();
  EXPECT_NE(parse_host_port("::1:7750").error().find("brackets"), std::string::npos);
}

TEST(HostPortParse, ChecksThePortRange) {
  const auto big = parse_host_port("127.0.0.1:65536");
  ASSERT_FALSE(big);
  EXPECT_NE(big.error().find("out of range"), std::string::npos) << big.error();
  EXPECT_FALSE(parse_host_port("127.0.0.1:99999999999999999999"));
  EXPECT_TRUE(parse_host_port("127.0.0.1:0", PortZero::Allowed));
  const auto zero = parse_host_port("127.0.0.1:0", PortZero::Refused);
  ASSERT_FALSE(zero);
  EXPECT_NE(zero.error().find("port 0"), std::string::npos) << zero.error();
  EXPECT_TRUE(parse_host_port("127.0.0.1:1", PortZero::Refused));
}

TEST(HostPortResolve, GivesNumericAddressesForNamesAndLiterals) {
  const auto lit = resolve(*parse_host_port("127.0.0.1:1"));
  ASSERT_TRUE(lit) << lit.error();
  EXPECT_EQ(*lit, std::vector<std::string>{"127.0.0.1"});
  const auto v6 = resolve(*parse_host_port("[::1]:1"));
  ASSERT_TRUE(v6) << v6.error();
  EXPECT_EQ(*v6, std::vector<std::string>{"::1"});
  const auto name = resolve(*parse_host_port("localhost:0"));
  ASSERT_TRUE(name) << name.error();
  ASSERT_FALSE(name->empty());
  for (const std::string& a : *name) EXPECT_TRUE(a == "127.0.0.1" || a == "::1") << a;
  const auto none = resolve(*parse_host_port("no-such-host.invalid:1"));  // .invalid never resolves (RFC 6761)
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().find("cannot resolve 'no-such-host.invalid'"), std::string::npos) << none.error();
}

TEST(LengthConventionParse, TakesTheCodecKeywordsAndTheOldSpellings) {
  for (const vsm::Named& c : vsm::kLengthConventions) {
    const auto r = parse_length_convention(c.keyword);
    ASSERT_TRUE(r) << c.keyword;
    EXPECT_EQ(static_cast<std::uint8_t>(*r), c.value);
    EXPECT_EQ(length_convention_word(*r), c.keyword);
  }
  EXPECT_EQ(*parse_length_convention("profile"), vsm::LengthConvention::Total4);
  EXPECT_EQ(*parse_length_convention("literal"), vsm::LengthConvention::Literal3);
  EXPECT_EQ(*parse_length_convention("total4"), vsm::LengthConvention::Total4);
  EXPECT_EQ(*parse_length_convention("literal3"), vsm::LengthConvention::Literal3);
  EXPECT_EQ(*parse_length_convention("draft-literal"), vsm::LengthConvention::Literal3);
  EXPECT_EQ(*parse_length_convention("LITERAL"), vsm::LengthConvention::Literal3);
}

TEST(LengthConventionParse, RefusesOtherWordsNamingOnlyTheCanonicalOnes) {
  const auto r = parse_length_convention("total-5");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("'total-5'"), std::string::npos) << r.error();
  EXPECT_NE(r.error().find("profile or literal"), std::string::npos) << r.error();
  EXPECT_EQ(r.error().find("total4"), std::string::npos) << r.error();
  EXPECT_FALSE(parse_length_convention(""));
  const std::string help = length_convention_help();
  EXPECT_NE(help.find("profile = "), std::string::npos) << help;
  EXPECT_NE(help.find("literal = "), std::string::npos) << help;
}

TEST(Colour, NeverOnAPipe) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  ::unsetenv("NO_COLOR");
  EXPECT_FALSE(use_colour(fds[1]));
  ::close(fds[0]);
  ::close(fds[1]);
}

TEST(Colour, NeverWithNoColorSetEvenOnATerminal) {
  // A pseudo-terminal stands for the user's terminal.
  const int master = ::posix_openpt(O_RDWR | O_NOCTTY);
  if (master < 0) GTEST_SKIP() << "no pseudo-terminal available (posix_openpt failed)";
  ASSERT_EQ(::grantpt(master), 0);
  ASSERT_EQ(::unlockpt(master), 0);
  const int slave = ::open(::ptsname(master), O_RDWR | O_NOCTTY);
  ASSERT_GE(slave, 0);
  ::unsetenv("NO_COLOR");
  EXPECT_TRUE(use_colour(slave));
  ::setenv("NO_COLOR", "1", 1);
  EXPECT_FALSE(use_colour(slave));
  ::setenv("NO_COLOR", "", 1);  // empty counts as unset (no-color.org)
  EXPECT_TRUE(use_colour(slave));
  ::unsetenv("NO_COLOR");
  ::close(slave);
  ::close(master);
}

TEST(Count, SaysOneThingAndManyThings) {
  EXPECT_EQ(count(1, "VSM connection"), "1 VSM connection");
  EXPECT_EQ(count(0, "VSM connection"), "0 VSM connections");
  EXPECT_EQ(count(2, "note"), "2 notes");
  EXPECT_EQ(count(1, "note"), "1 note");
  EXPECT_EQ(count(3, "entry", "entries"), "3 entries");
}

TEST(Help, PrintsDefaultsAsTyped) {
  double interval = 0.2;
  double timeout = 5.0;
  std::size_t size = 65539;
  std::string word = "profile";
  po::options_description d("Options");
  d.add_options()("interval", value_with_default(&interval), "seconds")("timeout", value_with_default(&timeout), "s")(
      "size", value_with_default(&size), "octets")("word", value_with_default(&word), "a word");
  std::ostringstream out;
  print_help(out, CommandHelp{"vsm-test", "run", "FILE", "Runs a test."}, d);
  const std::string t = out.str();
  EXPECT_EQ(t.rfind("Usage: vsm-test run [options] FILE\n\nRuns a test.\n", 0), 0u) << t;
  EXPECT_NE(t.find("(=0.2)"), std::string::npos) << t;
  EXPECT_EQ(t.find("0.2000"), std::string::npos) << t;
  EXPECT_NE(t.find("(=5)"), std::string::npos) << t;
  EXPECT_NE(t.find("(=65539)"), std::string::npos) << t;
  EXPECT_NE(t.find("(=profile)"), std::string::npos) << t;
  EXPECT_EQ(default_text(0.1 + 0.2), "0.30000000000000004");  // shortest exact text, not rounded away
}

TEST(UsageError, NamesTheCommandAndWhereHelpIsAndReturnsTwo) {
  std::ostringstream err;
  EXPECT_EQ(usage_error(err, CommandHelp{"vsm-test", "check", "", ""}, "unknown option --x"), 2);
  EXPECT_EQ(err.str(), "vsm-test check: unknown option --x\nTry 'vsm-test check --help'.\n");
  std::ostringstream err2;
  EXPECT_EQ(usage_error(err2, CommandHelp{"vsm-agent", "", "", ""}, "bad"), kExitUsage);
  EXPECT_EQ(err2.str(), "vsm-agent: bad\nTry 'vsm-agent --help'.\n");
}

TEST(ParseOptions, ReturnsTheErrorInsteadOfThrowing) {
  std::string file;
  int n = 0;
  po::options_description all;
  all.add_options()("n", po::value(&n))("file", po::value(&file));
  po::positional_options_description pos;
  pos.add("file", 1);
  {
    po::variables_map vm;
    EXPECT_EQ(parse_options({"--n", "3", "a.pcap"}, all, pos, vm), std::nullopt);
    EXPECT_EQ(n, 3);
    EXPECT_EQ(file, "a.pcap");
  }
  {
    po::variables_map vm;
    const auto e = parse_options({"--bogus"}, all, pos, vm);
    ASSERT_TRUE(e);
    EXPECT_NE(e->find("bogus"), std::string::npos) << *e;
  }
  {
    po::variables_map vm;
    EXPECT_EQ(parse_options({"a", "b"}, all, pos, vm), std::optional<std::string>("too many arguments"));
  }
  {
    po::variables_map vm;
    EXPECT_TRUE(parse_options({"--n", "x"}, all, pos, vm));
  }
}

TEST(AsksFor, FindsHelpAndVersionBeforeTheEndOfOptions) {
  EXPECT_TRUE(asks_for({"check", "-h"}, "help", "h"));
  EXPECT_TRUE(asks_for({"--help"}, "help", "h"));
  EXPECT_FALSE(asks_for({"--", "--help"}, "help", "h"));
  EXPECT_TRUE(asks_for({"--version"}, "version"));
  EXPECT_FALSE(asks_for({"--versions"}, "version"));
  EXPECT_FALSE(asks_for({"-hx"}, "help", "h"));
}

}  // namespace
