// SPDX-License-Identifier: GPL-2.0-or-later
// Shared fixture of the peer tests: a temporary directory, the manager and
// agents as child processes, and their logs printed when a test fails.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <iostream>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "process.hpp"

namespace vsm::peers::test {

class PeerTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = make_temp_dir(); }
  void TearDown() override {
    for (auto& p : procs_) p->signal(SIGKILL);
    if (HasFailure()) {
      for (auto& p : procs_) {
        std::cout << "----- " << p->name() << " stdout\n"
                  << p->out() << "----- " << p->name() << " stderr\n"
                  << p->err();
      }
      std::cout << "(files kept in " << dir_ << ")\n";
    } else {
      std::error_code ec;
      std::filesystem::remove_all(dir_, ec);
    }
    procs_.clear();
  }

  std::string path(const std::string& name) const { return dir_ + "/" + name; }

  Process& spawn(const std::string& name, std::vector<std::string> args) {
    procs_.push_back(std::make_unique<Process>(dir_, name, std::move(args)));
    return *procs_.back();
  }

  // Starts the manager on a free port and returns the port it reports.
  Process& start_manager(std::vector<std::string> extra, std::string name = "manager",
                         std::string listen = "127.0.0.1:0") {
    std::vector<std::string> args{VSM_MANAGER_BIN, "--listen", listen, "--state-file", path(name + ".json")};
    args.insert(args.end(), extra.begin(), extra.end());
    Process& m = spawn(name, args);
    const std::regex re("listening on 127\\.0\\.0\\.1:([0-9]+)");
    std::smatch match;
    std::string err;
    const bool up = eventually(
        [&] {
          err = m.err();
          return std::regex_search(err, match, re) || m.poll().has_value();
        },
        10);
    if (up && std::regex_search(err, match, re)) port_ = std::stoi(match[1].str());
    EXPECT_NE(port_, 0) << "manager did not report its port";
    return m;
  }

  Process& start_agent(const std::string& name, std::vector<std::string> extra) {
    std::vector<std::string> args{VSM_AGENT_BIN, "--manager", "127.0.0.1:" + std::to_string(port_), "--state-file",
                                  path(name + ".json")};
    args.insert(args.end(), extra.begin(), extra.end());
    return spawn(name, args);
  }

  static bool contains(const std::string& text, const std::string& what) {
    return text.find(what) != std::string::npos;
  }

  std::string dir_;
  int port_ = 0;
  std::vector<std::unique_ptr<Process>> procs_;
};

}  // namespace vsm::peers::test
