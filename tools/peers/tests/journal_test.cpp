// SPDX-License-Identifier: GPL-2.0-or-later
// The state files' journal (common/journal.hpp): snapshot + replay, a torn
// last line, a bad line, compaction.
#include "common/journal.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "process.hpp"

namespace vsm::peers::test {
namespace {

using nlohmann::json;

class Journal : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = make_temp_dir(); }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::string path() const { return dir_ + "/state.json"; }
  static JournalOptions options() { return JournalOptions{.sync = false, .collections = {"nodes"}}; }
  std::string dir_;
};

TEST_F(Journal, ReplaysRecordsAfterSnapshot) {
  {
    peers::Journal j(path(), options());
    j.put("node_id", 7);
    j.put("nodes/1", json{{"id", 1}, {"name", "a"}});
    j.put("nodes/2", json{{"id", 2}, {"name", "b"}});
    j.compact();
    j.put("nodes/10", json{{"id", 10}, {"name", "c"}});
    j.erase("nodes/1");
    EXPECT_FALSE(j.put("nodes/2", json{{"id", 2}, {"name", "b"}})) << "an unchanged value is not journaled";
  }  // as after kill -9: no compaction at the end
  // The snapshot alone is the old state; the journal holds the rest.
  const json snapshot = json::parse(read_file(path()));
  EXPECT_EQ(snapshot["nodes"].size(), 2u);
  const std::string journal = read_file(path() + ".journal");
  EXPECT_EQ(std::count(journal.begin(), journal.end(), '\n'), 2);
  const json expected =
      json{{"node_id", 7}, {"nodes", json::array({json{{"id", 2}, {"name", "b"}}, json{{"id", 10}, {"name", "c"}}})}};
  EXPECT_EQ(peers::Journal::load(path(), {"nodes"}), expected);
  peers::Journal again(path(), options());
  EXPECT_EQ(again.document(), expected);
  EXPECT_TRUE(again.warnings().empty());
  EXPECT_EQ(json::parse(read_file(path())), expected) << "restoring compacts";
  EXPECT_EQ(read_file(path() + ".journal"), "");
}

TEST_F(Journal, IgnoresTornLastLine) {
  std::ofstream(path()) << R"({"nodes": [{"id": 1}]})";
  std::ofstream(path() + ".journal") << R"({"put":"nodes/2","value":{"id":2}})"
                                     << "\n"
                                     << R"({"put":"nodes/3","value":{"id")";
  peers::Journal j(path(), options());
  EXPECT_EQ(j.document(), (json{{"nodes", json::array({json{{"id", 1}}, json{{"id", 2}}})}}));
  ASSERT_EQ(j.warnings().size(), 1u);
  EXPECT_NE(j.warnings()[0].find(path() + ".journal:2: torn last record ignored"), std::string::npos)
      << j.warnings()[0];
  // The torn tail is gone: what follows is appended to a clean journal.
  j.put("nodes/4", json{{"id", 4}});
  EXPECT_EQ(peers::Journal::load(path(), {"nodes"})["nodes"].size(), 3u);
}

TEST_F(Journal, ReportsBadLineWithLineNumber) {
  std::ofstream(path() + ".journal") << R"({"put":"a","value":1})"
                                     << "\n"
                                     << R"({"put":"b","value":2})"
                                     << "\n"
                                     << "not a record\n"
                                     << R"({"put":"c","value":3})"
                                     << "\n";
  try {
    peers::Journal j(path(), options());
    FAIL() << "a bad line that is not the last one was accepted";
  } catch (const JournalError& e) {
    EXPECT_NE(std::string(e.what()).find(path() + ".journal:3: bad journal record"), std::string::npos) << e.what();
  }
  // A record of the wrong shape is as bad, and nothing was rewritten meanwhile.
  std::ofstream(path() + ".journal") << R"({"upsert":"a"})"
                                     << "\n";
  EXPECT_THROW(peers::Journal::load(path()), JournalError);
  EXPECT_FALSE(std::filesystem::exists(path()));
}

TEST_F(Journal, CompactionKeepsState) {
  JournalOptions o = options();
  o.min_compact_bytes = 0;
  json expected = json{{"nodes", json::array()}};
  {
    peers::Journal j(path(), o);
    for (int i = 1; i <= 2000; ++i) {
      j.put(fmt::format("nodes/{}", i), json{{"id", i}, {"round", 1}});
      if (i % 3 == 0) j.put(fmt::format("nodes/{}", i / 3), json{{"id", i / 3}, {"round", 2}});
      if (i % 7 == 0) j.erase(fmt::format("nodes/{}", i / 7));
    }
    expected = j.document();
    // Compacted over and over, but not once a change: the journal is what grows (ratio 4: about log5 of the count).
    EXPECT_GT(j.snapshots_written(), 2u);
    EXPECT_LT(j.snapshots_written(), 20u);
    EXPECT_LE(j.journal_bytes(), 4 * std::filesystem::file_size(path()) + 200);
  }
  EXPECT_EQ(peers::Journal::load(path(), {"nodes"}), expected);
  const json& nodes = expected["nodes"];
  EXPECT_EQ(nodes.size(), 2000u - 285u) << "nodes 1 to 285 were erased (i / 7)";
  EXPECT_EQ(nodes.front()["id"], 286);
  EXPECT_EQ(nodes.back()["id"], 2000);
  EXPECT_TRUE(std::is_sorted(nodes.begin(), nodes.end(),
                             [](const json& a, const json& b) { return a["id"].get<int>() < b["id"].get<int>(); }));
}

}  // namespace
}  // namespace vsm::peers::test
