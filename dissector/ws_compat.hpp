// SPDX-License-Identifier: GPL-2.0-or-later
// The one place that knows how the Wireshark releases the plugin serves (4.0,
// 4.2, 4.4, 4.6) differ in the API it uses. packet-vsm.cpp has no version
// test of its own: it uses the names defined here.
//
// Where a difference is a type, it is read off the release's own declarations
// (the return type of a callback typedef, the pointee of a parameter), so the
// plugin follows whichever release it is compiled against, 4.2 included,
// without this file having to know in which release each change was made.
// Where a difference is a symbol that exists or not, the test is on the macro
// that the release's headers define together with it.
#pragma once

#include <epan/packet.h>
#include <epan/prefs.h>
#include <ws_version.h>
#include <wsutil/wmem/wmem_user_cb.h>

#include <tuple>
#include <type_traits>

// 4.0 installs no wsutil/plugins.h; later releases declare plugin_describe there.
#if __has_include(<wsutil/plugins.h>)
#include <wsutil/plugins.h>
#endif

#define VSM_WS_AT_LEAST(major, minor) \
  (WIRESHARK_VERSION_MAJOR > (major) || (WIRESHARK_VERSION_MAJOR == (major) && WIRESHARK_VERSION_MINOR >= (minor)))

static_assert(VSM_WS_AT_LEAST(4, 0), "the VSM plugin needs Wireshark 4.0 or newer");

namespace vsm::ws {

namespace detail {
template <typename Fn>
struct result_of_pointer;
template <typename R, typename... A>
struct result_of_pointer<R (*)(A...)> {
  using type = R;
};
template <typename Fn>
struct pointee_of_last;
template <typename R, typename... A>
struct pointee_of_last<R (*)(A...)> {
  using last = std::tuple_element_t<sizeof...(A) - 1, std::tuple<A...>>;
  using type = std::remove_pointer_t<last>;
};
}  // namespace detail

// 4.0 and 4.2 return gboolean from heuristic dissectors and wmem user
// callbacks and store boolean preferences in a gboolean; 4.4 on use bool.
using HeurResult = detail::result_of_pointer<heur_dissector_t>::type;
using WmemCbResult = detail::result_of_pointer<wmem_user_cb_t>::type;
using PrefBool = detail::pointee_of_last<decltype(&prefs_register_bool_preference)>::type;

static_assert(std::is_same_v<HeurResult, bool> || std::is_same_v<HeurResult, gboolean>);
static_assert(std::is_same_v<PrefBool, bool> || std::is_same_v<PrefBool, gboolean>);

template <typename B>
constexpr B as(bool value) {
  return static_cast<B>(value ? 1 : 0);
}

// Field and subtree ids before registration. 4.0 asks for -1; from 4.2 on 0
// is accepted too (and is what Wireshark's own dissectors now use). -1 is
// kept: every release takes it and "not registered" stays a negative id.
constexpr int kUnregistered = -1;

}  // namespace vsm::ws

// plugin_describe() tells 4.4 and later what kind of plugin this is (the
// "dissector" column of tshark -G plugins). The flag is defined by the same
// header that declares the symbol's type.
#ifdef WS_PLUGIN_DESC_DISSECTOR
#define VSM_WS_HAS_PLUGIN_DESCRIBE 1
#else
#define VSM_WS_HAS_PLUGIN_DESCRIBE 0
#endif
