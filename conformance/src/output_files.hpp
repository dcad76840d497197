// SPDX-License-Identifier: GPL-2.0-or-later
// The files a run writes (JUnit, JSON, TAP, HTML report, evidence, manifest):
// checked before the run starts, each written atomically (a temporary file in
// the same directory, then renamed over the path), each recorded with its
// SHA-256 and size for the manifest. SHA-256 through libgcrypt.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace vsm::conform {

// SHA-256, lower-case hex: of bytes, and of a file read in chunks (empty with `error` set on failure).
std::string sha256_hex(std::string_view bytes);
std::string sha256_file(const std::string& path, std::string& error);

struct Written {
  std::string path;  // as given on the command line (a --pcap-dir file: DIR/ID.pcapng)
  std::string kind;  // junit, json, tap, report, pcap, pcap-test, manifest
  std::string test;  // pcap-test: the test ID
  std::string sha256;
  std::uintmax_t size = 0;
};

// Before the run: can `path` be written? Its directory exists and a temporary file can be created there
// (and is removed again); `path` is not a directory. False with `error` = "PATH: reason".
bool check_output_file(const std::string& path, std::string& error);
// The same for a directory of outputs (--pcap-dir): created when its parent exists, then tried.
bool check_output_dir(const std::string& dir, std::string& error);

// Every output of a run, written through write(): the one way the runner writes a file.
class Outputs {
 public:
  // `fill` writes the temporary file whose path it is given (false with its error); then it is renamed over
  // `path` and recorded. False with `error` = "cannot write PATH: reason"; no temporary file is left behind.
  using Fill = std::function<bool(const std::string& tmp, std::string& error)>;
  bool write(const std::string& path, const std::string& kind, const Fill& fill, std::string& error,
             const std::string& test = {});
  bool write_text(const std::string& path, const std::string& kind, std::string_view text, std::string& error);
  const std::vector<Written>& written() const { return written_; }

 private:
  std::vector<Written> written_;
};

}  // namespace vsm::conform
