// SPDX-License-Identifier: GPL-2.0-or-later
// Result outputs: console summary, JUnit XML, TAP 14, JSON; exit code rule.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include "model.hpp"

namespace vsm::conform {

struct RunMeta {
  std::string role;
  std::string implementation;
  std::string suite_hash;
  std::string tool_version;
};

// A failure that makes the run fail: MUST/FORMAT/PROFILE, or SHOULD under --strict.
bool fail_counts(const Result& r, bool strict);
// 0 all applicable passed; 1 a counted failure; 2 inconclusive/error (or nothing passed).
int exit_code(const std::vector<Result>& results, bool strict);
void print_summary(std::FILE* out, const std::vector<Result>& results, bool strict);
void write_junit(const std::string& path, const std::vector<Result>& results, const RunMeta& meta);
void write_tap(const std::string& path, const std::vector<Result>& results);  // "-" = stdout
// One self-contained HTML file: identity, profile, per-requirement verdicts, per-test ladders (inline SVG).
void write_report(const std::string& path, const std::vector<Result>& results, const RunMeta& meta,
                  const Profile& profile, const Suite& suite, bool strict);
void write_json(const std::string& path, const std::vector<Result>& results, const RunMeta& meta, int exit);

}  // namespace vsm::conform
