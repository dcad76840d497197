// SPDX-License-Identifier: GPL-2.0-or-later
// Boost.Asio for the peers. Boost 1.74's Asio uses std::exchange without
// including <utility>, which C++20 libstdc++ no longer pulls in for it.
#pragma once

// clang-format off
#include <utility>
#include <boost/asio.hpp>
// clang-format on
