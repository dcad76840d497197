// SPDX-License-Identifier: GPL-2.0-or-later
// Result outputs: console summary, JUnit XML, TAP 14, JSON, the HTML report,
// the manifest; the exit code rule. Each writer renders text; the files are
// written by Outputs (output_files.hpp), atomically.
#pragma once

#include <cstdio>
#include <string>
#include <vector>

#include "model.hpp"
#include "output_files.hpp"

namespace vsm::conform {

struct InputFile {  // a suite file or the profile, as the report names it
  std::string path;
  std::string sha256;
};

struct RunMeta {
  std::string role;            // agent | manager
  std::string implementation;  // the profile's name and version
  std::string suite_hash;      // "sha256:" over the suite files' bytes, in order
  std::string tool_version;
  std::string codec_version;
  std::string draft;
  std::string started;  // UTC, ISO 8601 (2026-12-02T04:05:06Z)
  std::string host;
  double duration = 0;  // seconds, wall clock of the whole run
  std::string command_line;
  std::vector<InputFile> suite_files;
  InputFile profile;  // path empty: no --profile
  std::string profile_version;
  std::string suite_version;     // what identifies the suite: the built-in suites of this tool, or --suite files
  std::vector<Written> written;  // the outputs written before the report (evidence first)
  std::string report_path;       // the HTML report (links to evidence are relative to its directory)
  bool strict = false;
};

// A failure that makes the run fail: MUST/FORMAT/PROFILE, or SHOULD under --strict.
bool fail_counts(const Result& r, bool strict);
// vsm::cli exit statuses: 0 all applicable passed; 1 a counted failure; 3 inconclusive/error (or nothing passed).
int exit_code(const std::vector<Result>& results, bool strict);

// Per requirement over the whole run: what the tests that name it say (requirement_verdicts).
struct ReqSummary {
  int pass = 0, fail = 0, not_reached = 0, na = 0;
  std::string text(bool should, bool strict) const;  // FAIL, FAIL (SHOULD), not reached, pass, NA
};
void print_summary(std::FILE* out, const std::vector<Result>& results, bool strict);

std::string junit_xml(const std::vector<Result>& results, const RunMeta& meta);
std::string tap_text(const std::vector<Result>& results);
std::string json_text(const std::vector<Result>& results, const RunMeta& meta, int exit);
// One self-contained HTML page: identity and hashes, verdict banner, per-requirement results,
// per-test ladders (inline SVG) with the failing message marked, NA split by reason.
std::string report_html(const std::vector<Result>& results, const RunMeta& meta, const Profile& profile,
                        const Suite& suite, int exit);
// Every output written, with SHA-256 and size, and the run's inputs.
std::string manifest_json(const RunMeta& meta, const std::vector<Written>& outputs, int exit);

}  // namespace vsm::conform
