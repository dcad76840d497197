// SPDX-License-Identifier: GPL-2.0-or-later
#include "vsm/version.hpp"

#ifndef VSM_CODEC_VERSION
#error "VSM_CODEC_VERSION is set by codec/CMakeLists.txt (the project's version)"
#endif

namespace vsm {

std::string_view codec_version() noexcept { return VSM_CODEC_VERSION; }

}  // namespace vsm
