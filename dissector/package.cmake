# SPDX-License-Identifier: GPL-2.0-or-later
# `cpack -G DEB` from a configured build folder: a Debian package holding only
# vsm.so, in the global plugin folder of the Wireshark release the build was
# configured against. Everything comes from that build (pkg-config's version
# and plugindir, dpkg-shlibdeps on the built vsm.so), so the same commands
# make the right package on any Debian release.
#
# The package has its own install component, vsm_deb, excluded from a plain
# `cmake --install`: the personal/global choice of vsm_plugin (and its root
# warning) never reaches the package.

find_program(VSM_DPKG_SHLIBDEPS dpkg-shlibdeps)
find_program(VSM_DPKG dpkg)
if(NOT VSM_DPKG_SHLIBDEPS OR NOT VSM_DPKG)
  set(VSM_DEB_UNAVAILABLE "dpkg-shlibdeps (Debian package dpkg-dev) not found: no cpack -G DEB")
  message(STATUS "${VSM_DEB_UNAVAILABLE}")
  return()
endif()

execute_process(COMMAND ${VSM_DPKG} --print-architecture OUTPUT_VARIABLE _vsm_deb_arch
                OUTPUT_STRIP_TRAILING_WHITESPACE COMMAND_ERROR_IS_FATAL ANY)

# pkg-config's plugindir is absolute; CPack's staging root is "/" here, so the
# destination is the same path without its leading slash.
string(REGEX REPLACE "^/+" "" _vsm_deb_dest "${_vsm_ws_plugindir}/epan")
install(TARGETS vsm_wireshark LIBRARY DESTINATION "${_vsm_deb_dest}" COMPONENT vsm_deb EXCLUDE_FROM_ALL)

set(VSM_DEB_MAINTAINER "VSM maintainers <maintainers@users.noreply.r-seed-6581e9ee.example>"
    CACHE STRING "Maintainer field of the Debian package")

set(VSM_DEB_PACKAGE_NAME vsm-wireshark-plugin)
set(VSM_DEB_VERSION "${PROJECT_VERSION}+ws${VSM_WS_ABI}")
set(VSM_DEB_FILE "${VSM_DEB_PACKAGE_NAME}_${VSM_DEB_VERSION}_${_vsm_deb_arch}.deb")
set(VSM_DEB_PLUGIN_PATH "/${_vsm_deb_dest}/vsm.so")

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME ${VSM_DEB_PACKAGE_NAME})
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGING_INSTALL_PREFIX "/")
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL vsm_deb)
set(CPACK_COMPONENTS_GROUPING ALL_COMPONENTS_IN_ONE)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_PACKAGE_NAME ${VSM_DEB_PACKAGE_NAME})
set(CPACK_DEBIAN_PACKAGE_VERSION "${VSM_DEB_VERSION}")
set(CPACK_DEBIAN_PACKAGE_ARCHITECTURE "${_vsm_deb_arch}")
set(CPACK_DEBIAN_FILE_NAME "${VSM_DEB_FILE}")
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${VSM_DEB_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# dpkg-shlibdeps names the runtime packages of every library vsm.so links:
# libwireshark<soname> of this release, libwsutil, libfmt, GLib, libstdc++.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "Wireshark ${VSM_WS_ABI} dissector for the VSM protocol
Decodes VSM (Virtualized Service Management, IETF
draft-yokota-opsawg-virtnw-service-management-02) over TCP and SCTP in
Wireshark and tshark ${VSM_WS_ABI}: every header field and option as a
display filter field, request/ACK links and response times, and expert
info naming the requirement a message breaks.
License: GPL-2.0-or-later.")

include(CPack)
