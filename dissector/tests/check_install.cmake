# SPDX-License-Identifier: GPL-2.0-or-later
# Installs the plugin component into a staging DESTDIR and checks where vsm.so
# lands, and the root warning: an install as root into the personal folder
# must say that root's Wireshark ignores it and name VSM_INSTALL_GLOBAL_PLUGIN;
# any other install must not.
file(REMOVE_RECURSE ${STAGE})
execute_process(COMMAND ${CMAKE_COMMAND} -E env DESTDIR=${STAGE}
                        ${CMAKE_COMMAND} --install ${BUILD_DIR} --component vsm_plugin
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message("${out}${err}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cmake --install failed")
endif()
if(NOT EXISTS "${STAGE}${DEST}/vsm.so")
  message(FATAL_ERROR "vsm.so not installed to ${DEST}")
endif()
file(REMOVE_RECURSE ${STAGE})
message(STATUS "vsm.so installed to ${DEST}")

execute_process(COMMAND id -u OUTPUT_VARIABLE uid OUTPUT_STRIP_TRAILING_WHITESPACE)
string(FIND "${out}${err}" "VSM_INSTALL_GLOBAL_PLUGIN" named)
string(FIND "${out}${err}" "do not load personal plugins" said)
if(uid STREQUAL "0" AND NOT GLOBAL)
  if(named EQUAL -1 OR said EQUAL -1)
    message(FATAL_ERROR "root installed into the personal folder without the warning naming VSM_INSTALL_GLOBAL_PLUGIN")
  endif()
  message(STATUS "as root into the personal folder: warned")
else()
  if(NOT named EQUAL -1)
    message(FATAL_ERROR "warned about the personal folder although uid=${uid}, global=${GLOBAL}")
  endif()
  message(STATUS "uid=${uid}, global=${GLOBAL}: no warning, as expected")
endif()
