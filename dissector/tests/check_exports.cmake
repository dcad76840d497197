# SPDX-License-Identifier: GPL-2.0-or-later
# Fails unless the four Wireshark plugin entry points are exported (nm -D).
execute_process(COMMAND nm -D --defined-only ${PLUGIN} OUTPUT_VARIABLE syms RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "nm failed on ${PLUGIN}")
endif()
foreach(sym plugin_version plugin_want_major plugin_want_minor plugin_register)
  if(NOT syms MATCHES "[0-9a-f]+ [TRDB] ${sym}\n")
    message(FATAL_ERROR "${sym} is not exported by ${PLUGIN}")
  endif()
endforeach()
message(STATUS "all four plugin entry points exported")
