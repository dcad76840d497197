// SPDX-License-Identifier: GPL-2.0-or-later
// vsm-conform: the scripted conformance runner (issue 5), its command line.
// One table of subcommands (kCommands), each with its own options, help and
// function; the conventions shared with the other programs (--version,
// HOST:PORT, length-convention words, colour, help and usage errors, exit
// statuses) come from tools/common/cli.hpp.
#include <fmt/format.h>
#include <netinet/in.h>  // before transport.hpp (linux/sctp.h)
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <boost/program_options.hpp>
#include <chrono>
#include <cstring>
#include <ctime>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>

#include "cli.hpp"
#include "executor.hpp"
#include "loadgen.hpp"
#include "model.hpp"
#include "output.hpp"
#include "output_files.hpp"
#include "pcap.hpp"
#include "scenario.hpp"
#include "transport.hpp"
#include "vsm/catalogue.hpp"
#include "vsm/version.hpp"

#ifndef VSM_CONFORM_SUITES
#define VSM_CONFORM_SUITES "conformance/suites"
#endif
#ifndef VSM_CONFORM_VERSION
#define VSM_CONFORM_VERSION "0.1.0"
#endif

namespace po = boost::program_options;
using namespace vsm::conform;
using vsm::cli::kExitFindings;
using vsm::cli::kExitIo;
using vsm::cli::kExitOk;
using vsm::cli::kExitUsage;

namespace {

constexpr const char* kTool = "vsm-conform";
using Args = std::vector<std::string>;

// ---------------------------------------------------------------- helpers shared by the subcommands

vsm::cli::CommandHelp help_of(const std::string& command, const std::string& args, const std::string& summary) {
  return vsm::cli::CommandHelp{kTool, command, args, summary};
}

// Parses a subcommand's arguments: -h/--help prints its help (visible options only) and returns 0 through `done`;
// a bad command line is a usage error (2). nullopt: go on with vm filled.
std::optional<int> parse(const vsm::cli::CommandHelp& help, const po::options_description& visible,
                         const po::options_description& hidden, const po::positional_options_description& positional,
                         const Args& args, po::variables_map& vm) {
  if (vsm::cli::asks_for(args, "help", "h")) {
    vsm::cli::print_help(std::cout, help, visible);
    return kExitOk;
  }
  po::options_description all;
  all.add(visible).add(hidden);
  if (auto error = vsm::cli::parse_options(args, all, positional, vm)) {
    return vsm::cli::usage_error(std::cerr, help, *error);
  }
  return std::nullopt;
}

std::vector<std::string> default_suites(const std::vector<std::string>& given) {
  return given.empty() ? std::vector<std::string>{VSM_CONFORM_SUITES} : given;
}

void add_suite_option(po::options_description& d, std::vector<std::string>& suites) {
  d.add_options()("suite", po::value(&suites)->value_name("PATH"),
                  "suite file or directory (repeatable; default: the built-in suites)");
}

// --listen / --connect: HOST:PORT (names, [v6]:port), resolved to a numeric address.
bool host_port(const vsm::cli::CommandHelp& help, const char* option, const std::string& text, std::string& host,
               std::uint16_t& port, int& exit_status) {
  auto hp = vsm::cli::parse_host_port(text, vsm::cli::PortZero::Allowed);
  if (!hp) {
    exit_status = vsm::cli::usage_error(std::cerr, help, fmt::format("--{}: {}", option, hp.error()));
    return false;
  }
  // A name to the first numeric address it resolves to: the sockets take it, and so does {host} of --iut-cmd.
  auto addresses = vsm::cli::resolve(*hp);
  if (!addresses) {
    exit_status = vsm::cli::usage_error(std::cerr, help, fmt::format("--{} {}: {}", option, text, addresses.error()));
    return false;
  }
  host = addresses->front();
  port = hp->port;
  return true;
}

std::string read_file(const std::string& path, bool& ok) {
  std::ifstream in(path, std::ios::binary);
  ok = static_cast<bool>(in);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::string utc_now_iso() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string host_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "unknown";
  return buf;
}

std::string shell_quote(const std::string& a) {
  if (!a.empty() && a.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./:=@,+") ==
                        std::string::npos) {
    return a;
  }
  std::string q = "'";
  for (const char c : a) {
    if (c == '\'') {
      q += "'\\''";
    } else {
      q += c;
    }
  }
  q += '\'';
  return q;
}

// A test ID as a file name: letters, digits, '.', '_' and '-' kept, anything else '_'.
std::string file_name_of(const std::string& id) {
  std::string s = id;
  for (char& c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') c = '_';
  }
  return s;
}

// ---------------------------------------------------------------- lint

int cmd_lint(const Args& args) {
  const auto help = help_of("lint", "FILE...",
                            "Compiles scenario files without running them and prints every mistake, "
                            "FILE:LINE:COLUMN: message.\nExit status 0 no mistake, 1 mistakes, 2 bad invocation.");
  std::string profile_path;
  std::vector<std::string> files;
  po::options_description visible("lint options"), hidden;
  visible.add_options()("help,h", "this text")("profile", po::value(&profile_path)->value_name("FILE"),
                                               "check the files' variables against this profile, and the profile");
  hidden.add_options()("files", po::value(&files));
  po::positional_options_description pos;
  pos.add("files", -1);
  po::variables_map vm;
  if (auto done = parse(help, visible, hidden, pos, args, vm)) return *done;
  if (files.empty() && !profile_path.empty()) files.push_back(VSM_CONFORM_SUITES);  // the profile alone
  if (files.empty()) return vsm::cli::usage_error(std::cerr, help, "name the scenario files (or --profile FILE)");
  // lint is the compiler: every mistake of every file, with its line and column. Each file is compiled with
  // the built-in fragments available, so it may call them; with --profile, its variables are checked too.
  std::size_t problems = 0;
  auto report = [&](const std::vector<Diagnostic>& d) {
    for (const auto& x : d) fmt::print(stderr, "{}\n", x.text());
    problems += d.size();
  };
  std::optional<Profile> profile;
  if (!profile_path.empty()) {
    std::vector<Diagnostic> d;
    profile = compile_profile(profile_path, d);
    report(d);
  }
  for (const auto& f : files) {
    std::vector<Diagnostic> d;
    const Suite s = compile_suite({f}, d, {VSM_CONFORM_SUITES});
    if (profile) {
      const auto v = check_variables(s, *profile);
      d.insert(d.end(), v.begin(), v.end());
    }
    report(d);
    if (d.empty()) fmt::print("{}: ok ({} test(s))\n", f, s.tests.size());
  }
  return problems == 0 ? kExitOk : kExitFindings;
}

// ---------------------------------------------------------------- list, requirements

int cmd_list(const Args& args) {
  const auto help = help_of("list", "", "Every test: ID, role, groups, title, requirements.");
  std::vector<std::string> suites;
  std::string iut;
  po::options_description visible("list options"), hidden;
  visible.add_options()("help,h", "this text")("iut", po::value(&iut)->value_name("ROLE"),
                                               "only the tests of this role under test: agent | manager");
  add_suite_option(visible, suites);
  po::variables_map vm;
  if (auto done = parse(help, visible, hidden, {}, args, vm)) return *done;
  if (!iut.empty() && iut != "agent" && iut != "manager") {
    return vsm::cli::usage_error(std::cerr, help, fmt::format("--iut must be agent or manager, not '{}'", iut));
  }
  const Suite suite = load_suites(default_suites(suites));
  for (const auto& t : suite.tests) {
    if (!iut.empty() && role_keyword(t.role) != iut) continue;
    std::string r, g;
    for (const auto& x : t.requirements) (r.empty() ? r : r += ",") += x;
    for (const auto& x : t.groups) (g.empty() ? g : g += ",") += x;
    fmt::print("{:<14} {:<8} {:<22} {}  [{}]\n", t.id, role_keyword(t.role), g, t.title, r);
  }
  return kExitOk;
}

// ---------------------------------------------------------------- profile init

int cmd_profile(const Args& args) {
  const auto help = help_of("profile", "init --iut agent|manager [-o FILE]",
                            "Writes a commented profile: every capability, trigger, timer and variable of the role "
                            "under test, with what it means and which tests it enables.");
  std::vector<std::string> suites, words;
  std::string iut, output;
  po::options_description visible("profile options"), hidden;
  visible.add_options()("help,h", "this text")("iut", po::value(&iut)->value_name("ROLE"),
                                               "the role under test: agent | manager")(
      "output,o", po::value(&output)->value_name("FILE"), "write the profile to FILE (default: standard output)");
  add_suite_option(visible, suites);
  hidden.add_options()("words", po::value(&words));
  po::positional_options_description pos;
  pos.add("words", -1);
  po::variables_map vm;
  if (auto done = parse(help, visible, hidden, pos, args, vm)) return *done;
  if (words.size() != 1 || words[0] != "init") return vsm::cli::usage_error(std::cerr, help, "the subcommand is init");
  if (iut != "agent" && iut != "manager") {
    return vsm::cli::usage_error(std::cerr, help, "--iut agent or --iut manager is needed");
  }
  const Suite s = load_suites(default_suites(suites));
  const IutRole role = iut == "agent" ? IutRole::Agent : IutRole::Manager;
  std::ostringstream text;
  write_profile_template(role, s, text);
  if (output.empty() || output == "-") {
    std::cout << text.str();
    return kExitOk;
  }
  std::string error;
  Outputs out;
  if (!out.write_text(output, "profile", text.str(), error)) {
    fmt::print(stderr, "vsm-conform profile: {}\n", error);
    return kExitIo;
  }
  fmt::print("profile: {}\n", output);
  return kExitOk;
}

int cmd_requirements(const Args& args) {
  const auto help = help_of("requirements", "",
                            "The requirement catalogue with the tests covering each entry.\n"
                            "Exit status 1 if an entry of scope Message or Exchange has no test.");
  std::vector<std::string> suites;
  po::options_description visible("requirements options"), hidden;
  visible.add_options()("help,h", "this text");
  add_suite_option(visible, suites);
  po::variables_map vm;
  if (auto done = parse(help, visible, hidden, {}, args, vm)) return *done;
  const Suite s = load_suites(default_suites(suites));
  std::map<std::string, std::vector<std::string>> cover;
  for (const auto& t : s.tests) {
    for (const auto& r : t.requirements) cover[r].push_back(t.id);
  }
  int uncovered_observable = 0;
  fmt::print("{:<30} {:<8} {:<14} {}\n", "requirement", "level", "scope", "covering tests");
  for (const auto& req : vsm::catalogue()) {
    const auto& tests = cover[std::string(req.id)];
    std::string list;
    for (const auto& t : tests) (list.empty() ? list : list += " ") += t;
    const bool observable = req.scope == vsm::Scope::Message || req.scope == vsm::Scope::Exchange;
    if (tests.empty()) {
      list = observable                               ? "UNCOVERED"
             : req.scope == vsm::Scope::NotObservable ? "(not observable on the wire)"
                                                      : "(no test)";
      if (observable) ++uncovered_observable;
    }
    fmt::print("{:<30} {:<8} {:<14} {}\n", req.id, vsm::level_name(req.level), vsm::scope_name(req.scope), list);
  }
  fmt::print("\n{} catalogue entries, {} test(s); uncovered entries of scope Message/Exchange: {}\n",
             vsm::catalogue().size(), s.tests.size(), uncovered_observable);
  return uncovered_observable ? kExitFindings : kExitOk;
}

// ---------------------------------------------------------------- load

int cmd_load(const Args& args) {
  const auto help = help_of("load", "",
                            "N simulated Execution Nodes register with the manager at --connect, ACK what it sends "
                            "and send Status-Updates.\nExit status 0 when every node registered and nothing was "
                            "lost, unanswered or wrong, else 1.");
  LoadConfig lc;
  std::string connect, lconv = "profile", sources;
  po::options_description visible("load options"), hidden;
  visible.add_options()("help,h", "this text")("connect", po::value(&connect)->value_name("HOST:PORT"),
                                               "the manager under load (required)")(
      "nodes", vsm::cli::value_with_default(&lc.nodes)->value_name("N"), "simulated nodes")(
      "duration", vsm::cli::value_with_default(&lc.duration)->value_name("S"), "seconds")(
      "rate", vsm::cli::value_with_default(&lc.rate)->value_name("R"), "Status-Updates per node per second")(
      "ack-timer", vsm::cli::value_with_default(&lc.ack_timer)->value_name("S"),
      "seconds until a request counts as unanswered")("seed", vsm::cli::value_with_default(&lc.seed)->value_name("N"),
                                                      "seed of the Status-Update gaps")(
      "sources", po::value(&sources)->value_name("A[-B]|N"),
      "bind the connections in turn to these local IPv4 addresses (N: 127.0.0.1 to 127.0.0.N; A-B: a range), "
      "each with its own ephemeral ports")("length-convention",
                                           vsm::cli::value_with_default(&lconv)->value_name("WORD"),
                                           vsm::cli::length_convention_help().c_str());
  po::variables_map vm;
  if (auto done = parse(help, visible, hidden, {}, args, vm)) return *done;
  if (connect.empty()) return vsm::cli::usage_error(std::cerr, help, "needs --connect HOST:PORT");
  int status = kExitUsage;
  if (!host_port(help, "connect", connect, lc.host, lc.port, status)) return status;
  if (lc.port == 0) return vsm::cli::usage_error(std::cerr, help, "--connect: port 0 is not a manager's port");
  auto lc_word = vsm::cli::parse_length_convention(lconv);
  if (!lc_word) return vsm::cli::usage_error(std::cerr, help, "--length-convention: " + lc_word.error());
  lc.convention = *lc_word;
  if (!sources.empty()) {
    auto list = parse_sources(sources);
    if (!list) return vsm::cli::usage_error(std::cerr, help, "--sources: " + list.error());
    boost::system::error_code ec;
    boost::asio::ip::make_address_v4(lc.host, ec);
    if (ec) {
      return vsm::cli::usage_error(std::cerr, help, "--sources: the manager's address must be IPv4");
    }
    lc.sources = *list;
  }
  if (lc.nodes == 0 || lc.duration <= 0) {
    return vsm::cli::usage_error(std::cerr, help, "--nodes and --duration must be positive");
  }
  return run_load(lc);
}

// ---------------------------------------------------------------- run

// The verdict word on the console, coloured on a terminal (padded first: the escapes take no column).
std::string verdict_text(Verdict v, bool colour) {
  const std::string word = fmt::format("{:<12}", verdict_name(v));
  if (!colour) return word;
  const char* c = v == Verdict::Pass ? "32" : v == Verdict::Fail ? "31" : v == Verdict::NA ? "90" : "33";
  return fmt::format("\033[{}m{}\033[0m", c, word);
}

// An earlier run's --json output: the IDs of the tests that failed, ended in error or were inconclusive.
bool failed_tests_of(const std::string& path, const std::string& role, std::set<std::string>& ids, std::string& error) {
  bool ok = false;
  const std::string text = read_file(path, ok);
  if (!ok) {
    error = fmt::format("{}: {}", path, std::strerror(errno));
    return false;
  }
  try {
    const auto j = nlohmann::json::parse(text);
    if (j.value("tool", "") != kTool || !j.contains("tests")) {
      error = fmt::format("{}: not the --json output of vsm-conform run", path);
      return false;
    }
    if (const std::string r = j.value("role_under_test", ""); !r.empty() && r != role) {
      error = fmt::format("{}: a run with the {} under test, not the {}", path, r, role);
      return false;
    }
    for (const auto& t : j.at("tests")) {
      const std::string v = t.at("verdict").get<std::string>();
      if (v == verdict_name(Verdict::Fail) || v == verdict_name(Verdict::Error) ||
          v == verdict_name(Verdict::Inconclusive)) {
        ids.insert(t.at("id").get<std::string>());
      }
    }
  } catch (const std::exception& e) {
    error = fmt::format("{}: {}", path, e.what());
    return false;
  }
  return true;
}

struct RunOptions {
  std::vector<std::string> suites, groups, tests, reqs;
  std::string iut, listen, connect, iut_cmd, profile_path, junit, tap, json, report, pcap, pcap_dir, manifest,
      rerun_failed, shard, transport = "tcp", lconv = "profile", iut_log = "/dev/null";
  std::uint64_t seed = 1;
  std::uint32_t sctp_ppid = 0;
  std::uint64_t record_limit = kDefaultRecordLimit, record_messages = kDefaultRecordMessages;
  double negative_wait = -1, ack_timer = -1;
  bool strict = false, verbose = false, quiet = false;
};

int cmd_run(const Args& args) {
  const auto help = help_of(
      "run", "",
      "Runs the suites' tests against the implementation under test (IUT), playing the other role.\n"
      "  vsm-conform run --iut agent --listen HOST:PORT [--iut-cmd 'CMD {host} {port}'] [options]\n"
      "  vsm-conform run --iut manager --connect HOST:PORT [--iut-cmd 'CMD {host} {port}'] [options]\n"
      "Exit status: 0 every applicable test passed; 1 a test failed on a MUST, FORMAT or PROFILE requirement\n"
      "(a SHOULD under --strict); 2 bad invocation, bad scenario or profile, an output that cannot be written;\n"
      "3 no failure but an inconclusive or error verdict, or nothing passed.");
  RunOptions o;
  po::options_description iut("implementation under test"), select("selection"), outputs("outputs"),
      wire("timing and wire"), console("console"), hidden;
  iut.add_options()("iut", po::value(&o.iut)->value_name("ROLE"), "role under test: agent | manager (required)")(
      "listen", po::value(&o.listen)->value_name("HOST:PORT"),
      "where the runner (the manager) listens, --iut agent (port 0: any free port)")(
      "connect", po::value(&o.connect)->value_name("HOST:PORT"),
      "the manager under test, --iut manager (port 0 with --iut-cmd: the runner picks one)")(
      "iut-cmd", po::value(&o.iut_cmd)->value_name("'CMD ARGS'"),
      "command starting the IUT for each test ({host} {port} replaced; no shell)")(
      "iut-log", vsm::cli::value_with_default(&o.iut_log)->value_name("FILE"),
      "file receiving the IUT's stdout and stderr")("profile", po::value(&o.profile_path)->value_name("FILE"),
                                                    "the implementation's profile (YAML; default: the draft's full "
                                                    "PICS)");
  add_suite_option(select, o.suites);
  select.add_options()("group", po::value(&o.groups)->value_name("G"), "only tests of this group (repeatable)")(
      "test", po::value(&o.tests)->value_name("ID"), "only this test (repeatable)")(
      "req", po::value(&o.reqs)->value_name("REQ-ID"), "only tests verifying this requirement (repeatable)")(
      "rerun-failed", po::value(&o.rerun_failed)->value_name("RESULT.json"),
      "only the tests that failed, ended in error or were inconclusive in this earlier --json output")(
      "shard", po::value(&o.shard)->value_name("I/N"), "the I-th of N interleaved slices of the selected tests");
  outputs.add_options()("junit", po::value(&o.junit)->value_name("FILE"), "write JUnit XML")(
      "tap", po::value(&o.tap)->value_name("FILE|-"), "write TAP 14 (-: stdout, the console lines go to stderr)")(
      "json", po::value(&o.json)->value_name("FILE"), "write JSON results (input of --rerun-failed)")(
      "report", po::value(&o.report)->value_name("FILE.html"),
      "write a self-contained HTML report (and FILE.html.manifest.json unless --manifest)")(
      "pcap", po::value(&o.pcap)->value_name("FILE.pcapng"), "write one pcapng evidence capture of the run")(
      "pcap-dir", po::value(&o.pcap_dir)->value_name("DIR"), "write one pcapng per test, DIR/TEST-ID.pcapng")(
      "manifest", po::value(&o.manifest)->value_name("FILE.json"),
      "write the manifest: every output with its SHA-256 and size")(
      "record-limit", vsm::cli::value_with_default(&o.record_limit)->value_name("BYTES"),
      "per test, record at most BYTES of message bytes; beyond, count them (\"... 48 MB more not recorded\")")(
      "record-messages", vsm::cli::value_with_default(&o.record_messages)->value_name("N"),
      "per test, record at most N messages; beyond, count them");
  wire.add_options()("transport", vsm::cli::value_with_default(&o.transport)->value_name("tcp|sctp"), "tcp | sctp")(
      "sctp-ppid", vsm::cli::value_with_default(&o.sctp_ppid)->value_name("N"),
      "SCTP payload protocol identifier of the DATA chunks")("length-convention",
                                                             vsm::cli::value_with_default(&o.lconv)->value_name("WORD"),
                                                             vsm::cli::length_convention_help().c_str())(
      "negative-wait", po::value(&o.negative_wait)->value_name("S"), "override the profile's negative wait (seconds)")(
      "ack-timer", po::value(&o.ack_timer)->value_name("S"), "override the profile's ACK timer (seconds)")(
      "seed", vsm::cli::value_with_default(&o.seed)->value_name("N"), "seed of generated garbage")(
      "strict", po::bool_switch(&o.strict), "SHOULD failures fail the run");
  console.add_options()("help,h", "this text")("verbose,v", po::bool_switch(&o.verbose),
                                               "print every message exchanged")(
      "quiet,q", po::bool_switch(&o.quiet), "no console lines (errors still on stderr)");
  po::options_description visible;
  visible.add(iut).add(select).add(outputs).add(wire).add(console);
  po::variables_map vm;
  if (auto done = parse(help, visible, hidden, {}, args, vm)) return *done;
  auto usage = [&](const std::string& m) { return vsm::cli::usage_error(std::cerr, help, m); };

  // ---- the command line's own checks
  if (o.transport == "sctp") {
    if (const std::string why = vsm::transport::sctp_unavailable_reason(); !why.empty()) {
      fmt::print(stderr, "vsm-conform: SCTP transport unavailable: {}\n", why);
      return kExitUsage;
    }
  } else if (o.transport != "tcp") {
    return usage("--transport must be tcp or sctp");
  }
  RunConfig cfg;
  cfg.sctp = o.transport == "sctp";
  cfg.sctp_ppid = o.sctp_ppid;
  if (o.record_messages == 0) return usage("--record-messages must be at least 1");
  cfg.record_limit = o.record_limit;
  cfg.record_messages = o.record_messages;
  int status = kExitUsage;
  if (o.iut == "agent") {
    cfg.role = IutRole::Agent;
    if (o.listen.empty() || !o.connect.empty()) return usage("--iut agent needs --listen HOST:PORT (and no --connect)");
    if (!host_port(help, "listen", o.listen, cfg.host, cfg.port, status)) return status;
  } else if (o.iut == "manager") {
    cfg.role = IutRole::Manager;
    if (o.connect.empty() || !o.listen.empty()) {
      return usage("--iut manager needs --connect HOST:PORT (and no --listen)");
    }
    if (!host_port(help, "connect", o.connect, cfg.host, cfg.port, status)) return status;
    if (cfg.port == 0 && o.iut_cmd.empty()) return usage("--connect: port 0 needs --iut-cmd (the runner picks one)");
  } else {
    return usage(o.iut.empty() ? "needs --iut agent|manager" : "--iut must be agent or manager, not '" + o.iut + "'");
  }
  auto convention = vsm::cli::parse_length_convention(o.lconv);
  if (!convention) return usage("--length-convention: " + convention.error());
  cfg.convention = *convention;
  if ((!o.pcap.empty() || !o.pcap_dir.empty()) && !pcap_available()) {
    fmt::print(stderr, "vsm-conform: --pcap/--pcap-dir: this build has no libwiretap\n");
    return kExitUsage;
  }
  for (const auto& id : o.reqs) {
    if (!vsm::find_requirement(id)) return usage(fmt::format("--req: unknown requirement {}", id));
  }
  unsigned shard_i = 0, shard_n = 0;
  if (!o.shard.empty() && (std::sscanf(o.shard.c_str(), "%u/%u", &shard_i, &shard_n) != 2 || shard_n == 0 ||
                           shard_i == 0 || shard_i > shard_n)) {
    return usage("--shard must be I/N with 1 <= I <= N");
  }

  // ---- every output is checked before anything runs (directory exists, a file can be created there)
  if (o.manifest.empty() && !o.report.empty()) o.manifest = o.report + ".manifest.json";
  {
    std::vector<std::pair<std::string, std::string>> files{
        {"junit", o.junit}, {"json", o.json}, {"report", o.report}, {"pcap", o.pcap}, {"manifest", o.manifest}};
    if (o.tap != "-") files.emplace_back("tap", o.tap);
    std::set<std::string> seen;
    for (const auto& [option, path] : files) {
      if (path.empty()) continue;
      if (!seen.insert(path).second) return usage(fmt::format("--{} {}: another output has that path", option, path));
      std::string error;
      if (!check_output_file(path, error)) {
        fmt::print(stderr, "vsm-conform: --{}: {}\n", option, error);
        return kExitIo;
      }
    }
    std::string error;
    if (!o.pcap_dir.empty() && !check_output_dir(o.pcap_dir, error)) {
      fmt::print(stderr, "vsm-conform: --pcap-dir: {}\n", error);
      return kExitIo;
    }
    if (o.iut_log != "/dev/null" && !check_output_file(o.iut_log, error)) {
      fmt::print(stderr, "vsm-conform: --iut-log: {}\n", error);
      return kExitIo;
    }
  }

  // ---- suite, profile, selection
  Suite suite = load_suites(default_suites(o.suites));
  cfg.iut_cmd = o.iut_cmd;
  cfg.iut_log = o.iut_log;
  cfg.seed = o.seed;
  cfg.verbose = o.verbose;
  // Without --profile: the draft's full PICS for the role (scenario_profile.cpp), said at the start.
  Profile profile = o.profile_path.empty() ? default_profile(cfg.role) : load_profile(o.profile_path);
  if (o.negative_wait >= 0) profile.negative_wait = o.negative_wait;
  if (o.ack_timer > 0) profile.ack_timer = o.ack_timer;
  for (const auto& id : o.tests) {
    if (std::none_of(suite.tests.begin(), suite.tests.end(), [&](const TestCase& t) { return t.id == id; })) {
      return usage(fmt::format("--test: no test {}", id));
    }
  }
  std::optional<std::set<std::string>> rerun;
  if (!o.rerun_failed.empty()) {
    std::set<std::string> ids;
    std::string error;
    if (!failed_tests_of(o.rerun_failed, o.iut, ids, error)) {
      fmt::print(stderr, "vsm-conform: --rerun-failed: {}\n", error);
      return kExitIo;
    }
    for (const auto& id : ids) {
      if (std::none_of(suite.tests.begin(), suite.tests.end(), [&](const TestCase& t) { return t.id == id; })) {
        return usage(fmt::format("--rerun-failed: {} names test {}, which the suites do not have", o.rerun_failed, id));
      }
    }
    if (ids.empty()) {
      if (!o.quiet)
        fmt::print("vsm-conform: {} has no failed, error or inconclusive test: nothing to rerun\n", o.rerun_failed);
      return kExitOk;
    }
    rerun = std::move(ids);
  }
  auto any_of = [](const std::vector<std::string>& want, const std::vector<std::string>& have) {
    return std::any_of(want.begin(), want.end(),
                       [&](const std::string& w) { return std::find(have.begin(), have.end(), w) != have.end(); });
  };
  std::vector<const TestCase*> selected;
  for (const auto& t : suite.tests) {
    if (t.role != cfg.role) continue;
    if (!o.tests.empty() && std::find(o.tests.begin(), o.tests.end(), t.id) == o.tests.end()) continue;
    if (!o.groups.empty() && !any_of(o.groups, t.groups)) continue;
    if (!o.reqs.empty() && !any_of(o.reqs, t.requirements)) continue;
    if (rerun && !rerun->count(t.id)) continue;
    selected.push_back(&t);
  }
  if (shard_n) {
    std::vector<const TestCase*> part;
    for (std::size_t k = 0; k < selected.size(); ++k) {
      if (k % shard_n == shard_i - 1) part.push_back(selected[k]);
    }
    selected = part;
  }
  if (selected.empty()) return usage("no test selected");

  // ---- the run. Console lines on stdout, on stderr when TAP goes to stdout, none with --quiet.
  std::FILE* con = o.tap == "-" ? stderr : stdout;
  const bool colour = vsm::cli::use_colour(con);
  auto say = [&](const std::string& line) {
    if (o.quiet) return;
    std::fputs(line.c_str(), con);
    std::fflush(con);
  };
  const auto t_start = std::chrono::steady_clock::now();
  RunMeta meta;
  meta.started = utc_now_iso();
  meta.host = host_name();
  Executor engine(cfg, profile, suite);
  engine.open();
  say(fmt::format("vsm-conform {}: {} under test ({}), {} test(s), runner {} {}\n", VSM_CONFORM_VERSION, o.iut,
                  profile.name, selected.size(), o.iut == "agent" ? "listening on" : "connecting to",
                  engine.address()));
  if (profile.is_default) say(default_profile_note(cfg.role) + "\n");
  // VSM-5-SCTP: a profile claims SCTP with the capability `sctp`; its SCTP tests need an SCTP run.
  if (profile.capabilities.count("sctp") && !cfg.sctp) {
    say("note: the profile claims SCTP (VSM-5-SCTP): run again with --transport sctp to test it\n");
  } else if (cfg.sctp && !profile.capabilities.count("sctp")) {
    say("note: an SCTP run, but the profile does not claim SCTP (capability sctp, VSM-5-SCTP)\n");
  }
  std::vector<Result> results;
  std::size_t k = 0;
  for (const TestCase* t : selected) {
    ++k;
    Result r = engine.run(*t);  // NA (with na_why) and "not run" after an early stop included
    std::string reqlist;
    for (const auto& x : t->requirements) (reqlist.empty() ? reqlist : reqlist += ",") += x;
    std::string line = fmt::format("[{:>3}/{}] {} {:<13} {:6.2f}s  {}  [{}]\n", k, selected.size(),
                                   verdict_text(r.verdict, colour), t->id, r.seconds, t->title, reqlist);
    if (r.verdict != Verdict::Pass) line += fmt::format("            reason: {}\n", r.reason);
    for (const auto& n : r.notes) line += fmt::format("            also: {}\n", n);
    if (r.not_recorded.any()) line += fmt::format("            {}\n", r.not_recorded.text());
    say(line);
    results.push_back(std::move(r));
  }
  if (!engine.stopped().empty()) say(fmt::format("stopped early: {}\n", engine.stopped()));
  if (!o.quiet) print_summary(con, results, o.strict);
  double waited = 0, total = 0;
  for (const auto& r : results) {
    waited += r.waited;
    total += r.seconds;
  }
  say(fmt::format("wall time in tests {:.2f} s, of which deliberate waits {:.2f} s ({:.0f}%)\n", total, waited,
                  total > 0 ? 100 * waited / total : 0.0));
  int code = exit_code(results, o.strict);

  // ---- what the outputs say of the run
  meta.duration = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
  meta.role = o.iut;
  meta.implementation = profile.name + (profile.version.empty() ? "" : " " + profile.version);
  meta.tool_version = VSM_CONFORM_VERSION;
  meta.codec_version = std::string(vsm::codec_version());
  meta.draft = std::string(vsm::kDraftName);
  meta.strict = o.strict;
  meta.report_path = o.report;
  meta.suite_version = o.suites.empty() ? fmt::format("the built-in suites of vsm-conform {}", VSM_CONFORM_VERSION)
                                        : std::string("suite files given with --suite");
  std::string all_suite_bytes;
  for (std::size_t i = 0; i < suite.files.size(); ++i) {  // the bytes the compiler read, not a second reading
    meta.suite_files.push_back({suite.files[i], sha256_hex(suite.texts[i])});
    all_suite_bytes += suite.texts[i];
  }
  meta.suite_hash = "sha256:" + sha256_hex(all_suite_bytes);
  if (!o.profile_path.empty()) {
    std::string error;
    meta.profile = {o.profile_path, sha256_file(o.profile_path, error)};
    meta.profile_version = profile.version;
  }
  meta.command_line = "vsm-conform run";
  for (const auto& a : args) (meta.command_line += ' ') += shell_quote(a);

  // ---- the outputs, each written atomically; a failure is exit status 2 with the reason
  Outputs out;
  bool io_failed = false;
  auto failed = [&](const std::string& option, const std::string& error) {
    fmt::print(stderr, "vsm-conform: --{}: {}\n", option, error);
    io_failed = true;
  };
  std::string error;
  if (!o.pcap.empty()) {
    std::vector<const Result*> all;
    for (const auto& r : results) all.push_back(&r);
    if (out.write(
            o.pcap, "pcap", [&](const std::string& tmp, std::string& e) { return write_pcap(tmp, all, cfg.sctp, e); },
            error)) {
      say(fmt::format("evidence: {}\n", o.pcap));
    } else {
      failed("pcap", error);
    }
  }
  if (!o.pcap_dir.empty()) {
    std::size_t files = 0;
    for (const auto& r : results) {
      if (r.verdict == Verdict::NA) continue;  // nothing exchanged
      const std::string path = o.pcap_dir + "/" + file_name_of(r.test->id) + ".pcapng";
      const std::vector<const Result*> one{&r};
      if (out.write(
              path, "pcap-test",
              [&](const std::string& tmp, std::string& e) { return write_pcap(tmp, one, cfg.sctp, e); }, error,
              r.test->id)) {
        ++files;
      } else {
        failed("pcap-dir", error);
      }
    }
    say(fmt::format("evidence per test: {} file(s) in {}\n", files, o.pcap_dir));
  }
  if (!o.junit.empty() && !out.write_text(o.junit, "junit", junit_xml(results, meta), error)) failed("junit", error);
  if (!o.json.empty() && !out.write_text(o.json, "json", json_text(results, meta, code), error)) failed("json", error);
  if (o.tap == "-") {
    std::fputs(tap_text(results).c_str(), stdout);
    std::fflush(stdout);
  } else if (!o.tap.empty() && !out.write_text(o.tap, "tap", tap_text(results), error)) {
    failed("tap", error);
  }
  if (!o.report.empty()) {
    meta.written = out.written();
    if (out.write_text(o.report, "report", report_html(results, meta, profile, suite, code), error)) {
      say(fmt::format("report: {}\n", o.report));
    } else {
      failed("report", error);
    }
  }
  if (!o.manifest.empty()) {
    const auto written = out.written();
    if (out.write_text(o.manifest, "manifest", manifest_json(meta, written, code), error)) {
      say(fmt::format("manifest: {}\n", o.manifest));
    } else {
      failed("manifest", error);
    }
  }
  if (io_failed) code = kExitIo;
  say(fmt::format("exit status {}\n", code));
  return code;
}

// ---------------------------------------------------------------- the subcommands

struct Command {
  const char* name;
  const char* summary;
  int (*run)(const Args& args);
};

// Another subcommand: a function taking its arguments (after the subcommand's name), declaring its own
// options and help through parse(), and a line here.
constexpr Command kCommands[] = {
    {"run", "run the tests against an implementation (agent or manager)", cmd_run},
    {"list", "list the tests: ID, role, groups, title, requirements", cmd_list},
    {"lint", "compile scenario files (and a profile) and print every mistake", cmd_lint},
    {"profile", "profile init: write a commented profile of every capability, trigger, timer and variable",
     cmd_profile},
    {"requirements", "the requirement catalogue and the tests covering each entry", cmd_requirements},
    {"load", "load mode: N simulated nodes against a manager", cmd_load},
};

void print_usage(std::ostream& out) {
  out << "Usage: vsm-conform COMMAND [options]\n       vsm-conform COMMAND --help\n       vsm-conform --version\n\n"
         "Conformance runner for "
      << vsm::kDraftName << ".\n\nCommands:\n";
  for (const auto& c : kCommands) out << fmt::format("  {:<14} {}\n", c.name, c.summary);
  out << "\nExit status: 0 ok; 1 a test failed (run), mistakes (lint), an uncovered entry (requirements);\n"
         "2 bad invocation, bad scenario or profile, an output that cannot be written;\n"
         "3 (run) no failure but an inconclusive or error verdict, or nothing passed.\n";
}

}  // namespace

int main(int argc, char** argv) {
  const Args all(argv + 1, argv + argc);
  if (all.empty()) {
    print_usage(std::cerr);
    return kExitUsage;
  }
  const std::string& first = all.front();
  if (first == "--version" || first == "-V") {
    std::cout << vsm::cli::version_text(kTool);
    return kExitOk;
  }
  if (first == "-h" || first == "--help" || first == "help") {
    if (first == "help" && all.size() > 1) {
      for (const auto& c : kCommands) {
        if (all[1] == c.name) return c.run({"--help"});
      }
    }
    print_usage(std::cout);
    return kExitOk;
  }
  const Command* cmd = nullptr;
  for (const auto& c : kCommands) {
    if (first == c.name) cmd = &c;
  }
  if (!cmd) {
    std::cerr << fmt::format("vsm-conform: unknown command '{}'\nTry 'vsm-conform --help'.\n", first);
    return kExitUsage;
  }
  try {
    return cmd->run(Args(all.begin() + 1, all.end()));
  } catch (const ScenarioError& e) {  // a suite or profile that does not compile
    fmt::print(stderr, "vsm-conform {}: {}\n", cmd->name, e.what());
    return kExitUsage;
  } catch (const std::exception& e) {
    fmt::print(stderr, "vsm-conform {}: {}\n", cmd->name, e.what());
    return kExitUsage;
  }
}
