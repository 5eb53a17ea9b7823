# ciscouc-scan's model of stock Wireshark, generated at build time from the
# Wireshark the project builds against (codegen/wireshark.py): the tcp.port and
# udp.port owners from `tshark -G decodes`, the tcp and udp heuristic lists
# from `tshark -G heuristic-decodes`. The scanner needs no Wireshark headers or
# libraries, only these two outputs: from tshark (found here), or saved ones.
#
# In:  CISCOUC_SOURCE_DIR, Python3_EXECUTABLE, CISCOUC_GEN_DIR (CiscoucCodegen.cmake)
#      CISCOUC_WIRESHARK_DECODES     optional: a saved `tshark -G decodes` output
#      CISCOUC_WIRESHARK_HEURISTICS  optional: a saved `tshark -G heuristic-decodes` output
# Out: CISCOUC_WIRESHARK_TABLES (the generated C++ file) and the target
#      ciscouc_wireshark_tables that writes it.

set(CISCOUC_WIRESHARK_DECODES "" CACHE FILEPATH
    "A saved `tshark -G decodes` output for ciscouc-scan's port owners (default: run tshark at build time)")
set(CISCOUC_WIRESHARK_HEURISTICS "" CACHE FILEPATH
    "A saved `tshark -G heuristic-decodes` output for ciscouc-scan's heuristics (default: run tshark at build time)")

set(_ciscouc_ws_args)
set(_ciscouc_ws_depends)
if(NOT CISCOUC_WIRESHARK_DECODES OR NOT CISCOUC_WIRESHARK_HEURISTICS)
  find_program(CISCOUC_TSHARK tshark)
  if(NOT CISCOUC_TSHARK)
    message(FATAL_ERROR "ciscouc-scan's model of stock Wireshark is generated from Wireshark's own registrations, "
            "and tshark was not found: install tshark (apt-get install tshark), or pass saved outputs: "
            "-DCISCOUC_WIRESHARK_DECODES=<file of `tshark -G decodes`> "
            "-DCISCOUC_WIRESHARK_HEURISTICS=<file of `tshark -G heuristic-decodes`> "
            "(or -DCISCOUC_TSHARK=<path to tshark>)")
  endif()
  list(APPEND _ciscouc_ws_args --tshark ${CISCOUC_TSHARK})
  list(APPEND _ciscouc_ws_depends ${CISCOUC_TSHARK})
endif()
foreach(_what DECODES HEURISTICS)
  if(CISCOUC_WIRESHARK_${_what})
    if(NOT EXISTS "${CISCOUC_WIRESHARK_${_what}}")
      message(FATAL_ERROR "CISCOUC_WIRESHARK_${_what}=${CISCOUC_WIRESHARK_${_what}}: no such file")
    endif()
    list(APPEND _ciscouc_ws_depends ${CISCOUC_WIRESHARK_${_what}})
  endif()
endforeach()
if(CISCOUC_WIRESHARK_DECODES)
  list(APPEND _ciscouc_ws_args --decodes ${CISCOUC_WIRESHARK_DECODES})
endif()
if(CISCOUC_WIRESHARK_HEURISTICS)
  list(APPEND _ciscouc_ws_args --heuristic-decodes ${CISCOUC_WIRESHARK_HEURISTICS})
endif()

set(CISCOUC_WIRESHARK_TABLES ${CISCOUC_GEN_DIR}/wireshark_tables.cpp)
add_custom_command(
  OUTPUT ${CISCOUC_WIRESHARK_TABLES}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${CISCOUC_GEN_DIR}
  COMMAND ${CMAKE_COMMAND} -E env PYTHONPATH=${CISCOUC_SOURCE_DIR} ${Python3_EXECUTABLE} -m codegen.wireshark
          ${_ciscouc_ws_args} --out ${CISCOUC_WIRESHARK_TABLES}
  DEPENDS ${_ciscouc_ws_depends}
          ${CISCOUC_SOURCE_DIR}/codegen/wireshark.py
          ${CISCOUC_SOURCE_DIR}/codegen/tables.py
  COMMENT "Generating ciscouc-scan's model of stock Wireshark (tshark -G decodes, -G heuristic-decodes)"
  VERBATIM)
add_custom_target(ciscouc_wireshark_tables DEPENDS ${CISCOUC_WIRESHARK_TABLES})
