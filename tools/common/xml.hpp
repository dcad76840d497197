// SPDX-License-Identifier: GPL-2.0-or-later
// Text for XML attributes and elements (JUnit reports of vsm-conform and
// vsm-replay, the runner's HTML report).
#pragma once

#include <string>
#include <string_view>

namespace vsm::text_out {

// Escapes the five XML special characters; control characters other than
// newline and tab, which XML 1.0 does not allow, become spaces.
inline std::string xml_escape(std::string_view s) {
  std::string o;
  o.reserve(s.size());
  for (const char c : s) {
    switch (c) {
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '&': o += "&amp;"; break;
      case '"': o += "&quot;"; break;
      case '\'': o += "&apos;"; break;
      default: o += static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t' ? ' ' : c;
    }
  }
  return o;
}

}  // namespace vsm::text_out
