// SPDX-License-Identifier: GPL-2.0-or-later
// vsm-conform: the scripted conformance runner (issue 5).
#include <fmt/format.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <boost/program_options.hpp>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <set>

#include "executor.hpp"
#include "loadgen.hpp"
#include "model.hpp"
#include "output.hpp"
#include "pcap.hpp"
#include "scenario.hpp"
#include "transport.hpp"
#include "vsm/catalogue.hpp"

#ifndef VSM_CONFORM_SUITES
#define VSM_CONFORM_SUITES "conformance/suites"
#endif
#ifndef VSM_CONFORM_VERSION
#define VSM_CONFORM_VERSION "0.1.0"
#endif

namespace po = boost::program_options;
using namespace vsm::conform;

namespace {

constexpr int kExitUsage = 3;

void usage(std::ostream& o, const po::options_description& d) {
  o << "usage: vsm-conform run --iut agent --listen HOST:PORT [--iut-cmd 'CMD {host} {port}'] [options]\n"
       "       vsm-conform run --iut manager --connect HOST:PORT [--iut-cmd 'CMD {host} {port}'] [options]\n"
       "       vsm-conform list [--suite PATH]... [--iut ROLE]\n"
       "       vsm-conform lint [--profile FILE] FILE...\n"
       "       vsm-conform requirements [--suite PATH]...\n"
       "       vsm-conform load --connect HOST:PORT --nodes N --duration S [--rate R]\n\n"
    << d
    << "\nexit status: 0 every applicable test passed; 1 a MUST failed (or a SHOULD under --strict);\n"
       "2 inconclusive or error and no failure (or nothing applicable); 3 bad invocation or bad scenario\n";
}

bool split_host_port(const std::string& s, std::string& host, std::uint16_t& port) {
  const auto c = s.rfind(':');
  if (c == std::string::npos) return false;
  host = s.substr(0, c);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  try {
    const auto p = std::stoul(s.substr(c + 1));
    if (p > 65535) return false;
    port = static_cast<std::uint16_t>(p);
  } catch (const std::exception&) {
    return false;
  }
  return !host.empty();
}

std::vector<std::string> default_suites(const std::vector<std::string>& given) {
  return given.empty() ? std::vector<std::string>{VSM_CONFORM_SUITES} : given;
}

int cmd_requirements(const Suite& s) {
  std::map<std::string, std::vector<std::string>> cover;
  for (const auto& t : s.tests) {
    for (const auto& r : t.requirements) cover[r].push_back(t.id);
  }
  int uncovered_observable = 0;
  fmt::print("{:<30} {:<8} {:<14} {}\n", "requirement", "level", "scope", "covering tests");
  for (const auto& req : vsm::catalogue()) {
    const auto& tests = cover[std::string(req.id)];
    std::string list;
    for (const auto& t : tests) list += (list.empty() ? "" : " ") + t;
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
  return uncovered_observable ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  po::options_description opts("options");
  std::vector<std::string> suites, groups, tests, reqs, lint_files;
  std::string command, iut, listen, connect, iut_cmd, profile_path, junit, tap, json, report, pcap, shard,
      transport = "tcp", lconv = "profile", iut_log = "/dev/null", output;
  std::uint64_t seed = 1;
  std::uint32_t sctp_ppid = 0;
  double negative_wait = -1, ack_timer = -1;
  opts.add_options()("help,h", "this text")("iut", po::value(&iut), "role under test: agent | manager")(
      "listen", po::value(&listen), "HOST:PORT the runner (manager) listens on (--iut agent)")(
      "connect", po::value(&connect),
      "HOST:PORT of the manager under test (--iut manager; port 0 with --iut-cmd: pick one)")(
      "iut-cmd", po::value(&iut_cmd), "command starting the IUT for each test ({host} {port} replaced; no shell)")(
      "iut-log", po::value(&iut_log), "file receiving the IUT's stdout and stderr (default /dev/null)")(
      "profile", po::value(&profile_path), "the implementation's profile (YAML)")(
      "suite", po::value(&suites), "suite file or directory (repeatable; default: the built-in suites)")(
      "group", po::value(&groups), "run only tests of this group (repeatable)")("test", po::value(&tests),
                                                                                "run only this test ID (repeatable)")(
      "req", po::value(&reqs), "run only tests verifying this requirement ID (repeatable)")(
      "junit", po::value(&junit), "write JUnit XML")("tap", po::value(&tap), "write TAP 14 (FILE or -)")(
      "json", po::value(&json), "write JSON results")("report", po::value(&report),
                                                      "write a self-contained HTML report")(
      "pcap", po::value(&pcap), "write a pcapng evidence capture (libwiretap)")(
      "strict", "SHOULD failures fail the run")("seed", po::value(&seed), "seed of generated garbage")(
      "shard", po::value(&shard), "I/N: run the I-th of N interleaved slices of the selected tests")(
      "transport", po::value(&transport), "tcp | sctp")(
      "sctp-ppid", po::value(&sctp_ppid), "SCTP payload protocol identifier of the DATA chunks sent (default 0)")(
      "length-convention", po::value(&lconv), "profile (total - 4) | literal (total - 3)")(
      "negative-wait", po::value(&negative_wait), "override the profile's negative wait (seconds)")(
      "ack-timer", po::value(&ack_timer), "override the profile's ACK timer (seconds)")(
      "verbose,v", "print every message exchanged")("nodes", po::value<std::size_t>()->default_value(100),
                                                    "load: simulated nodes")(
      "duration", po::value<double>()->default_value(10), "load: seconds")(
      "rate", po::value<double>()->default_value(0.2), "load: Status-Updates per node per second")(
      "output,o", po::value(&output), "profile init: write the profile to FILE (default stdout)")(
      "command", po::value(&command), "")("files", po::value(&lint_files), "");
  po::positional_options_description pos;
  pos.add("command", 1).add("files", -1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(opts).positional(pos).run(), vm);
    po::notify(vm);
  } catch (const std::exception& e) {
    fmt::print(stderr, "vsm-conform: {}\n", e.what());
    return kExitUsage;
  }
  if (vm.count("help") || command.empty()) {
    usage(vm.count("help") ? std::cout : std::cerr, opts);
    return vm.count("help") ? 0 : kExitUsage;
  }
  const bool strict = vm.count("strict") > 0;
  try {
    if (command == "profile") {  // profile init --iut ROLE [-o FILE]: the commented template (scenario_profile.cpp)
      if (lint_files.size() != 1 || lint_files[0] != "init" || (iut != "agent" && iut != "manager")) {
        fmt::print(stderr, "usage: vsm-conform profile init --iut agent|manager [-o FILE]\n");
        return kExitUsage;
      }
      const Suite s = load_suites(default_suites(suites));
      const IutRole role = iut == "agent" ? IutRole::Agent : IutRole::Manager;
      if (output.empty() || output == "-") {
        write_profile_template(role, s, std::cout);
        return 0;
      }
      std::ofstream f(output);
      write_profile_template(role, s, f);
      f.close();
      if (!f) {
        fmt::print(stderr, "vsm-conform: cannot write {}\n", output);
        return 2;
      }
      fmt::print("profile: {}\n", output);
      return 0;
    }
    if (command == "lint") {
      if (lint_files.empty() && !profile_path.empty()) lint_files.push_back(VSM_CONFORM_SUITES);  // the profile alone
      if (lint_files.empty()) {
        fmt::print(stderr, "vsm-conform lint: name the scenario files\n");
        return kExitUsage;
      }
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
      for (const auto& f : lint_files) {
        std::vector<Diagnostic> d;
        const Suite s = compile_suite({f}, d, {VSM_CONFORM_SUITES});
        if (profile) {
          const auto v = check_variables(s, *profile);
          d.insert(d.end(), v.begin(), v.end());
        }
        report(d);
        if (d.empty()) fmt::print("{}: ok ({} test(s))\n", f, s.tests.size());
      }
      return problems == 0 ? 0 : kExitUsage;
    }
    if (!lint_files.empty()) {
      fmt::print(stderr, "vsm-conform: unexpected argument '{}'\n", lint_files.front());
      return kExitUsage;
    }
    Suite suite = load_suites(default_suites(suites));
    if (command == "requirements") return cmd_requirements(suite);
    if (command == "list") {
      for (const auto& t : suite.tests) {
        if (!iut.empty() && role_keyword(t.role) != iut) continue;
        std::string r, g;
        for (const auto& x : t.requirements) r += (r.empty() ? "" : ",") + x;
        for (const auto& x : t.groups) g += (g.empty() ? "" : ",") + x;
        fmt::print("{:<14} {:<8} {:<22} {}  [{}]\n", t.id, role_keyword(t.role), g, t.title, r);
      }
      return 0;
    }
    if (command == "load") {
      LoadConfig lc;
      if (connect.empty() || !split_host_port(connect, lc.host, lc.port) || lc.port == 0) {
        fmt::print(stderr, "vsm-conform load: needs --connect HOST:PORT\n");
        return kExitUsage;
      }
      lc.nodes = vm["nodes"].as<std::size_t>();
      lc.duration = vm["duration"].as<double>();
      lc.rate = vm["rate"].as<double>();
      lc.seed = seed;
      if (ack_timer > 0) lc.ack_timer = ack_timer;
      if (lconv == "literal") lc.convention = vsm::LengthConvention::Literal3;
      if (lc.nodes == 0 || lc.duration <= 0) {
        fmt::print(stderr, "vsm-conform load: --nodes and --duration must be positive\n");
        return kExitUsage;
      }
      return run_load(lc);
    }
    if (command != "run") {
      fmt::print(stderr, "vsm-conform: unknown command '{}'\n", command);
      return kExitUsage;
    }
    if (transport == "sctp") {
      if (const std::string why = vsm::transport::sctp_unavailable_reason(); !why.empty()) {
        fmt::print(stderr, "vsm-conform: SCTP transport unavailable: {}\n", why);
        return kExitUsage;
      }
    } else if (transport != "tcp") {
      fmt::print(stderr, "vsm-conform: --transport must be tcp or sctp\n");
      return kExitUsage;
    }
    if (!pcap.empty() && !pcap_available()) {
      fmt::print(stderr, "vsm-conform: --pcap: this build has no libwiretap\n");
      return kExitUsage;
    }
    RunConfig cfg;
    cfg.sctp = transport == "sctp";
    cfg.sctp_ppid = sctp_ppid;
    if (iut == "agent") {
      cfg.role = IutRole::Agent;
      if (listen.empty() || !connect.empty()) {
        fmt::print(stderr, "vsm-conform: --iut agent needs --listen HOST:PORT (and no --connect)\n");
        return kExitUsage;
      }
      if (!split_host_port(listen, cfg.host, cfg.port)) {
        fmt::print(stderr, "vsm-conform: bad --listen address '{}'\n", listen);
        return kExitUsage;
      }
    } else if (iut == "manager") {
      cfg.role = IutRole::Manager;
      if (connect.empty() || !listen.empty()) {
        fmt::print(stderr, "vsm-conform: --iut manager needs --connect HOST:PORT (and no --listen)\n");
        return kExitUsage;
      }
      if (!split_host_port(connect, cfg.host, cfg.port) || (cfg.port == 0 && iut_cmd.empty())) {
        fmt::print(stderr, "vsm-conform: bad --connect address '{}'\n", connect);
        return kExitUsage;
      }
    } else {
      fmt::print(stderr, "vsm-conform: --iut must be agent or manager\n");
      return kExitUsage;
    }
    if (lconv == "literal") {
      cfg.convention = vsm::LengthConvention::Literal3;
    } else if (lconv != "profile") {
      fmt::print(stderr, "vsm-conform: --length-convention must be profile or literal\n");
      return kExitUsage;
    }
    cfg.iut_cmd = iut_cmd;
    cfg.iut_log = iut_log;
    cfg.seed = seed;
    cfg.verbose = vm.count("verbose") > 0;
    // Without --profile: the draft's full PICS for the role (scenario_profile.cpp), said at the start.
    Profile profile = profile_path.empty() ? default_profile(cfg.role) : load_profile(profile_path);
    if (negative_wait >= 0) profile.negative_wait = negative_wait;
    if (ack_timer > 0) profile.ack_timer = ack_timer;
    for (const auto& id : reqs) {
      if (!vsm::find_requirement(id)) {
        fmt::print(stderr, "vsm-conform: unknown requirement {}\n", id);
        return kExitUsage;
      }
    }
    // Selection.
    std::vector<const TestCase*> selected;
    for (const auto& t : suite.tests) {
      if (t.role != cfg.role) continue;
      if (!tests.empty() && std::find(tests.begin(), tests.end(), t.id) == tests.end()) continue;
      if (!groups.empty() && std::none_of(groups.begin(), groups.end(), [&](const std::string& g) {
            return std::find(t.groups.begin(), t.groups.end(), g) != t.groups.end();
          })) {
        continue;
      }
      if (!reqs.empty() && std::none_of(reqs.begin(), reqs.end(), [&](const std::string& r) {
            return std::find(t.requirements.begin(), t.requirements.end(), r) != t.requirements.end();
          })) {
        continue;
      }
      selected.push_back(&t);
    }
    for (const auto& id : tests) {
      if (std::none_of(suite.tests.begin(), suite.tests.end(), [&](const TestCase& t) { return t.id == id; })) {
        fmt::print(stderr, "vsm-conform: no test {}\n", id);
        return kExitUsage;
      }
    }
    if (!shard.empty()) {
      unsigned i = 0, n = 0;
      if (std::sscanf(shard.c_str(), "%u/%u", &i, &n) != 2 || n == 0 || i == 0 || i > n) {
        fmt::print(stderr, "vsm-conform: --shard must be I/N with 1 <= I <= N\n");
        return kExitUsage;
      }
      std::vector<const TestCase*> part;
      for (std::size_t k = 0; k < selected.size(); ++k) {
        if (k % n == i - 1) part.push_back(selected[k]);
      }
      selected = part;
    }
    if (selected.empty()) {
      fmt::print(stderr, "vsm-conform: no test selected\n");
      return kExitUsage;
    }
    Executor engine(cfg, profile, suite);
    engine.open();
    fmt::print("vsm-conform {}: {} under test ({}), {} test(s), runner {} {}\n", VSM_CONFORM_VERSION, iut, profile.name,
               selected.size(), iut == "agent" ? "listening on" : "connecting to", engine.address());
    if (profile.is_default) fmt::print("{}\n", default_profile_note(cfg.role));
    // VSM-5-SCTP: a profile claims SCTP with the capability `sctp`; its SCTP tests need an SCTP run.
    if (profile.capabilities.count("sctp") && !cfg.sctp) {
      fmt::print("note: the profile claims SCTP (VSM-5-SCTP): run again with --transport sctp to test it\n");
    } else if (cfg.sctp && !profile.capabilities.count("sctp")) {
      fmt::print("note: an SCTP run, but the profile does not claim SCTP (capability sctp, VSM-5-SCTP)\n");
    }
    std::fflush(stdout);
    std::vector<Result> results;
    std::size_t k = 0;
    for (const TestCase* t : selected) {
      ++k;
      Result r = engine.run(*t);  // NA (with na_why) and "not run" after an early stop included
      std::string reqlist;
      for (const auto& x : t->requirements) reqlist += (reqlist.empty() ? "" : ",") + x;
      fmt::print("[{:>3}/{}] {:<12} {:<13} {:6.2f}s  {}  [{}]\n", k, selected.size(), verdict_name(r.verdict), t->id,
                 r.seconds, t->title, reqlist);
      if (r.verdict != Verdict::Pass) fmt::print("            reason: {}\n", r.reason);
      for (const auto& n : r.notes) fmt::print("            also: {}\n", n);
      std::fflush(stdout);
      results.push_back(std::move(r));
    }
    if (!engine.stopped().empty()) fmt::print("stopped early: {}\n", engine.stopped());
    print_summary(stdout, results, strict);
    double waited = 0, total = 0;
    for (const auto& r : results) {
      waited += r.waited;
      total += r.seconds;
    }
    fmt::print("wall time in tests {:.2f} s, of which deliberate waits {:.2f} s ({:.0f}%)\n", total, waited,
               total > 0 ? 100 * waited / total : 0.0);
    int code = exit_code(results, strict);
    RunMeta meta{iut, profile.name + (profile.version.empty() ? "" : " " + profile.version), suite.hash,
                 VSM_CONFORM_VERSION};
    if (!junit.empty()) write_junit(junit, results, meta);
    if (!tap.empty()) write_tap(tap, results);
    if (!json.empty()) write_json(json, results, meta, code);
    if (!pcap.empty()) {
      std::string error;
      if (!write_pcap(pcap, results, cfg.sctp, error)) {
        fmt::print(stderr, "vsm-conform: --pcap: {}\n", error);
        if (code == 0) code = 2;
      } else {
        fmt::print("evidence: {}\n", pcap);
      }
    }
    if (!report.empty()) {
      write_report(report, results, meta, profile, suite, strict);
      fmt::print("report: {}\n", report);
    }
    fmt::print("exit status {}\n", code);
    return code;
  } catch (const ScenarioError& e) {
    fmt::print(stderr, "vsm-conform: {}\n", e.what());
    return kExitUsage;
  } catch (const std::exception& e) {
    fmt::print(stderr, "vsm-conform: {}\n", e.what());
    return kExitUsage;
  }
}
