// SPDX-License-Identifier: GPL-2.0-or-later
#include "journal.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "log.hpp"

namespace vsm::peers {
namespace {

using nlohmann::json;

// Text from the wire may be any bytes: never let a dump fail on it.
std::string dump(const json& j, int indent = -1) { return j.dump(indent, ' ', false, json::error_handler_t::replace); }

std::string errno_text() { return std::strerror(errno); }

bool read_whole(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream s;
  s << in.rdbuf();
  out = s.str();
  return true;
}

std::string element_id(const json& e) {
  if (!e.is_object()) return {};
  auto it = e.find("id");
  if (it == e.end()) return {};
  if (it->is_number_unsigned() || it->is_number_integer()) return std::to_string(it->get<long long>());
  if (it->is_string()) return it->get<std::string>();
  return {};
}

bool is_collection(const json& v, const std::string& name, const std::vector<std::string>& collections) {
  if (!v.is_array()) return false;
  if (std::find(collections.begin(), collections.end(), name) != collections.end()) return true;
  return !v.empty() && std::all_of(v.begin(), v.end(), [](const json& e) { return !element_id(e).empty(); });
}

void unpack(const json& doc, const std::vector<std::string>& collections, JournalRecords& out) {
  for (auto it = doc.begin(); it != doc.end(); ++it) {
    if (is_collection(*it, it.key(), collections)) {
      for (const json& e : *it) {
        const std::string id = element_id(e);
        if (!id.empty()) out[it.key() + "/" + id] = e;
      }
    } else {
      out[it.key()] = *it;
    }
  }
}

json pack(const JournalRecords& records, const std::vector<std::string>& collections) {
  json doc = json::object();
  for (const auto& c : collections) doc[c] = json::array();
  std::map<std::string, std::vector<std::pair<std::string, const json*>>> arrays;
  for (const auto& [key, value] : records) {
    const auto slash = key.find('/');
    if (slash == std::string::npos) {
      doc[key] = value;
    } else {
      arrays[key.substr(0, slash)].emplace_back(key.substr(slash + 1), &value);
    }
  }
  for (auto& [name, elems] : arrays) {
    // By ID: numerically when the IDs are numbers (2 before 10).
    std::sort(elems.begin(), elems.end(), [](const auto& a, const auto& b) {
      if (a.first.size() != b.first.size()) return a.first.size() < b.first.size();
      return a.first < b.first;
    });
    json& arr = doc[name];
    arr = json::array();
    for (const auto& e : elems) arr.push_back(*e.second);
  }
  return doc;
}

// Applies one journal line; an error text when the line is not a record.
std::string apply(const std::string& line, JournalRecords& records) {
  json r = json::parse(line, nullptr, false);
  if (r.is_discarded()) return "not JSON";
  if (!r.is_object()) return "not a JSON object";
  if (auto p = r.find("put"); p != r.end() && p->is_string() && r.contains("value")) {
    records[p->get<std::string>()] = std::move(r["value"]);
    return {};
  }
  if (auto e = r.find("erase"); e != r.end() && e->is_string()) {
    records.erase(e->get<std::string>());
    return {};
  }
  return "neither {\"put\":KEY,\"value\":V} nor {\"erase\":KEY}";
}

// Snapshot + journal into records; returns the snapshot's size in bytes.
std::size_t restore(const std::string& path, const std::vector<std::string>& collections, JournalRecords& records,
                    std::vector<std::string>& warnings) {
  std::string text;
  std::size_t snapshot_bytes = 0;
  if (read_whole(path, text) && text.find_first_not_of(" \t\r\n") != std::string::npos) {
    json doc = json::parse(text, nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) {
      throw JournalError(fmt::format("{}: not a state snapshot (a JSON object expected)", path));
    }
    unpack(doc, collections, records);
    snapshot_bytes = text.size();
  }
  const std::string jpath = path + ".journal";
  if (!read_whole(jpath, text)) return snapshot_bytes;
  std::size_t pos = 0;
  std::size_t line_no = 0;
  while (pos < text.size()) {
    ++line_no;
    const auto nl = text.find('\n', pos);
    const bool last = nl == std::string::npos;
    const std::string line = text.substr(pos, last ? std::string::npos : nl - pos);
    pos = last ? text.size() : nl + 1;
    JournalRecords trial;
    const std::string bad = apply(line, last ? trial : records);
    if (last) {
      // No newline: the write may have been cut short by a crash. Whole, it counts; torn, it never happened
      // (its change was never acknowledged: the record is synced before anything depends on it).
      if (bad.empty()) {
        apply(line, records);
      } else {
        warnings.push_back(
            fmt::format("{}:{}: torn last record ignored ({} octet(s) without a newline: a write cut "
                        "short)",
                        jpath, line_no, line.size()));
      }
      break;
    }
    if (!bad.empty()) throw JournalError(fmt::format("{}:{}: bad journal record: {}", jpath, line_no, bad));
  }
  return snapshot_bytes;
}

void write_all(int fd, const std::string& data, const std::string& what) {
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw JournalError(fmt::format("{}: write failed: {}", what, errno_text()));
    }
    done += static_cast<std::size_t>(n);
  }
}

void sync_dir(const std::string& path) {
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (dir.empty()) dir = ".";
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

Journal::Journal(std::string path, JournalOptions options) : path_(std::move(path)), opt_(std::move(options)) {
  snapshot_bytes_ = restore(path_, opt_.collections, records_, warnings_);
  for (const auto& w : warnings_) warn("{}", w);
  fd_ = ::open(journal_path().c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) throw JournalError(fmt::format("{}: cannot open: {}", journal_path(), errno_text()));
  compact();  // a clean start: the torn tail (if any) goes, the snapshot holds everything restored
}

Journal::~Journal() {
  if (fd_ >= 0) ::close(fd_);
}

bool Journal::put(const std::string& key, nlohmann::json value) {
  auto it = records_.find(key);
  if (it != records_.end() && it->second == value) return false;
  append(json{{"put", key}, {"value", value}});
  records_[key] = std::move(value);
  maybe_compact();
  return true;
}

bool Journal::erase(const std::string& key) {
  auto it = records_.find(key);
  if (it == records_.end()) return false;
  append(json{{"erase", key}});
  records_.erase(it);
  maybe_compact();
  return true;
}

void Journal::append(const nlohmann::json& record) {
  const std::string line = dump(record) + "\n";
  write_all(fd_, line, journal_path());
  if (opt_.sync && ::fdatasync(fd_) != 0) {
    throw JournalError(fmt::format("{}: fdatasync failed: {}", journal_path(), errno_text()));
  }
  journal_bytes_ += line.size();
}

void Journal::maybe_compact() {
  if (journal_bytes_ > opt_.min_compact_bytes && journal_bytes_ > opt_.compact_ratio * snapshot_bytes_) compact();
}

nlohmann::json Journal::document() const { return pack(records_, opt_.collections); }

void Journal::compact() {
  const std::string text = dump(document(), 2) + "\n";
  const std::string tmp = path_ + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw JournalError(fmt::format("{}: cannot write: {}", tmp, errno_text()));
  try {
    write_all(fd, text, tmp);
  } catch (...) {
    ::close(fd);
    throw;
  }
  if (opt_.sync && ::fsync(fd) != 0) {
    ::close(fd);
    throw JournalError(fmt::format("{}: fsync failed: {}", tmp, errno_text()));
  }
  ::close(fd);
  if (std::rename(tmp.c_str(), path_.c_str()) != 0) {
    throw JournalError(fmt::format("{}: cannot rename to {}: {}", tmp, path_, errno_text()));
  }
  if (opt_.sync) sync_dir(path_);
  // Only now may the journal go: the snapshot on disk holds all its records.
  if (::ftruncate(fd_, 0) != 0)
    throw JournalError(fmt::format("{}: cannot truncate: {}", journal_path(), errno_text()));
  if (opt_.sync) ::fdatasync(fd_);
  journal_bytes_ = 0;
  snapshot_bytes_ = text.size();
  ++snapshots_;
}

nlohmann::json Journal::load(const std::string& path, const std::vector<std::string>& collections) {
  JournalRecords records;
  std::vector<std::string> warnings;
  restore(path, collections, records, warnings);
  return pack(records, collections);
}

}  // namespace vsm::peers
