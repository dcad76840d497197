// SPDX-License-Identifier: GPL-2.0-or-later
// What this codec implements and which release of it this is: the draft's
// name (written here once; every --version text and report takes it from
// here) and the codec's version (the project's, CMake project(VERSION)).
#pragma once

#include <string_view>

namespace vsm {

inline constexpr std::string_view kDraftName = "draft-yokota-opsawg-virtnw-service-management-02";

// The codec's release, e.g. "0.2.0".
std::string_view codec_version() noexcept;

}  // namespace vsm
