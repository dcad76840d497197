// SPDX-License-Identifier: GPL-2.0-or-later
// State files that scale: a snapshot (FILE, one JSON document) plus an
// append-only journal (FILE.journal, one JSON record a line) of the changes
// since the snapshot. A change costs one line, not a rewrite of the file.
//
// The state is a set of keyed JSON values. A key is either a top-level field
// of the snapshot ("node_id") or COLLECTION/ID, an element of the snapshot's
// array COLLECTION whose "id" is ID ("nodes/7"); the snapshot keeps the
// collections sorted by ID, so it reads as the programs' state files always did.
//
// Records:   {"put":"nodes/7","value":{...}}   {"erase":"nodes/7"}
// Durability: put() and erase() write the record with one write(2) and
//   fdatasync(2) it before they return, so whatever the caller does next (the
//   ACK that depends on the change) happens after the change is on disk.
// Compaction: once the journal holds more than compact_ratio times the
//   snapshot's size (and at least min_compact_bytes), and at open and close:
//   the snapshot is written to FILE.tmp, fsync'ed, renamed over FILE (atomic),
//   the folder fsync'ed, then the journal truncated. A crash at any point
//   leaves either the old snapshot with the whole journal or the new snapshot
//   with (part of) a journal whose records it already holds: replay is
//   idempotent, both restore the same state.
// Restore: snapshot, then the journal's records in order. A last line without
//   its newline (torn by a crash mid-write) is dropped with a warning naming
//   the file and line; any other line that is not a record is an error naming
//   the file and line (JournalError), nothing is guessed.
#pragma once

#include <cstddef>
#include <map>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

namespace vsm::peers {

class JournalError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct JournalOptions {
  std::size_t compact_ratio = 4;              // compact when journal > ratio x snapshot ...
  std::size_t min_compact_bytes = 64 * 1024;  // ... and > this many bytes
  bool sync = true;                           // fdatasync every record (false: tests of the format only)
  std::vector<std::string> collections;       // snapshot arrays kept by element "id" (written even if empty)
};

using JournalRecords = std::map<std::string, nlohmann::json>;

class Journal {
 public:
  // Restores FILE (+ FILE.journal) and compacts. Throws JournalError.
  Journal(std::string path, JournalOptions options);
  ~Journal();
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  const JournalRecords& records() const noexcept { return records_; }
  // Journals the change; false (nothing written) when the value is already so.
  bool put(const std::string& key, nlohmann::json value);
  bool erase(const std::string& key);
  // Writes the snapshot and empties the journal.
  void compact();

  // The snapshot document for the records (collections as sorted arrays).
  nlohmann::json document() const;
  const std::string& path() const noexcept { return path_; }
  std::string journal_path() const { return path_ + ".journal"; }
  // What restore had to say (torn last line), also logged as warnings.
  const std::vector<std::string>& warnings() const noexcept { return warnings_; }
  std::size_t snapshots_written() const noexcept { return snapshots_; }
  std::size_t journal_bytes() const noexcept { return journal_bytes_; }

  // The state FILE describes now (snapshot + journal), read only: for tools and tests.
  static nlohmann::json load(const std::string& path, const std::vector<std::string>& collections = {});

 private:
  void append(const nlohmann::json& record);
  void maybe_compact();

  std::string path_;
  JournalOptions opt_;
  JournalRecords records_;
  std::vector<std::string> warnings_;
  int fd_ = -1;
  std::size_t journal_bytes_ = 0;
  std::size_t snapshot_bytes_ = 0;
  std::size_t snapshots_ = 0;
};

}  // namespace vsm::peers
