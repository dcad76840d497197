# SPDX-License-Identifier: GPL-2.0-or-later
# Installs the plugin component into a staging DESTDIR and checks where vsm.so lands.
file(REMOVE_RECURSE ${STAGE})
execute_process(COMMAND ${CMAKE_COMMAND} -E env DESTDIR=${STAGE}
                        ${CMAKE_COMMAND} --install ${BUILD_DIR} --component vsm_plugin
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cmake --install failed")
endif()
if(NOT EXISTS "${STAGE}${DEST}/vsm.so")
  message(FATAL_ERROR "vsm.so not installed to ${DEST}")
endif()
file(REMOVE_RECURSE ${STAGE})
message(STATUS "vsm.so installed to ${DEST}")
