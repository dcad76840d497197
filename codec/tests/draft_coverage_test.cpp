// SPDX-License-Identifier: GPL-2.0-or-later
// The catalogue against the draft itself: every sentence of sections 4 to 6
// with a MUST or SHOULD has a catalogue entry of that level saying the same.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "vsm/catalogue.hpp"

namespace {

std::set<std::string> words(std::string_view s) {
  std::set<std::string> out;
  std::string w;
  auto flush = [&] {
    if (w.size() >= 4) out.insert(w);
    w.clear();
  };
  for (char c : s) {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      w += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else {
      flush();
    }
  }
  flush();
  return out;
}

// Sentences of sections 4 to 6 that carry a requirement keyword.
std::vector<std::string> requirement_sentences(const std::string& text) {
  const auto begin = text.find("### 4. Service Mobility Requirements");
  const auto end = text.find("### 7. IANA Considerations");
  if (begin == std::string::npos || end == std::string::npos) return {};
  const std::string body = text.substr(begin, end - begin);
  std::vector<std::string> out;
  std::string sentence;
  for (std::size_t i = 0; i < body.size(); ++i) {
    const char c = body[i];
    sentence += c == '\n' ? ' ' : c;
    const bool stop = c == '\n' || (c == '.' && i + 1 < body.size() && body[i + 1] == ' ');
    if (stop) {
      if (sentence.find("MUST") != std::string::npos || sentence.find("SHOULD") != std::string::npos) {
        out.push_back(sentence);
      }
      sentence.clear();
    }
  }
  return out;
}

double overlap(const std::set<std::string>& want, const std::set<std::string>& have) {
  if (want.empty()) return 0;
  std::size_t n = 0;
  for (const auto& w : want) n += have.count(w);
  return static_cast<double>(n) / static_cast<double>(want.size());
}

}  // namespace

TEST(Catalogue, CoversEveryMustAndShouldSentenceOfSections4To6) {
  std::ifstream in(VSM_DRAFT_PATH);
  if (!in) GTEST_SKIP() << "draft text not found at " << VSM_DRAFT_PATH << " (shared/ is not beside this checkout)";
  std::stringstream ss;
  ss << in.rdbuf();
  const auto sentences = requirement_sentences(ss.str());
  ASSERT_GE(sentences.size(), 20u) << "the draft's sections 4 to 6 were not found or not split into sentences";
  for (const auto& s : sentences) {
    const auto want = words(s);
    for (const auto& [keyword, level] : {std::pair{std::string_view("MUST"), vsm::Level::Must},
                                         std::pair{std::string_view("SHOULD"), vsm::Level::Should}}) {
      if (s.find(keyword) == std::string::npos) continue;
      double best = 0;
      std::string_view best_id;
      for (const auto& r : vsm::catalogue()) {
        if (r.level != level) continue;
        const double o = overlap(want, words(r.sentence));
        if (o > best) {
          best = o;
          best_id = r.id;
        }
      }
      EXPECT_GE(best, 0.5) << "no " << keyword << " entry in the catalogue for the draft sentence:\n  " << s
                           << "\n(closest: " << best_id << ", " << best << ")";
    }
  }
}
