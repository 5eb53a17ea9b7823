# The firewall plan of every teaching capture (issue 23, point 6): one Markdown
# page per capture of captures/make_captures.py CAPTURES (role groups, rules
# role to role with their status, the nftables ruleset) and an index, written
# into the build tree only (never committed) by python3 -m tools.ucplandoc from
# ciscouc-scan's tables, the engine tools/plan uses by default.
#
# In:  CISCOUC_SOURCE_DIR, Python3_EXECUTABLE, the ciscouc-scan target
# Out: CISCOUC_PLAN_PAGES and the target firewall-plans (part of ALL).

# The teaching captures, listed by the generator from make_captures.py (its
# CAPTURES dict is the one list); reconfigured when that file changes.
execute_process(
  COMMAND ${CMAKE_COMMAND} -E env PYTHONPATH=${CISCOUC_SOURCE_DIR} ${Python3_EXECUTABLE} -m tools.ucplandoc
          list ${CISCOUC_SOURCE_DIR}/captures
  OUTPUT_VARIABLE CISCOUC_TEACHING_NAMES OUTPUT_STRIP_TRAILING_WHITESPACE
  ERROR_VARIABLE CISCOUC_TEACHING_ERROR RESULT_VARIABLE CISCOUC_TEACHING_RESULT)
if(NOT CISCOUC_TEACHING_RESULT EQUAL 0)
  message(FATAL_ERROR "ciscouc: cannot list the teaching captures for the firewall plans: ${CISCOUC_TEACHING_ERROR}")
endif()
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${CISCOUC_SOURCE_DIR}/captures/make_captures.py)

set(CISCOUC_PLAN_DIR ${CMAKE_CURRENT_BINARY_DIR}/docs/plans)
set(CISCOUC_PLAN_PAGES ${CISCOUC_PLAN_DIR}/index.md)
set(CISCOUC_TEACHING_CAPTURES)
foreach(name IN LISTS CISCOUC_TEACHING_NAMES)
  list(APPEND CISCOUC_TEACHING_CAPTURES ${CISCOUC_SOURCE_DIR}/captures/${name})
  get_filename_component(stem ${name} NAME_WE)
  list(APPEND CISCOUC_PLAN_PAGES ${CISCOUC_PLAN_DIR}/${stem}.md)
endforeach()

add_custom_command(
  OUTPUT ${CISCOUC_PLAN_PAGES}
  COMMAND ${CMAKE_COMMAND} -E rm -rf ${CISCOUC_PLAN_DIR}
  COMMAND ${CMAKE_COMMAND} -E env PYTHONPATH=${CISCOUC_SOURCE_DIR} ${Python3_EXECUTABLE} -m tools.ucplandoc
          pages --scanner $<TARGET_FILE:ciscouc-scan> --out ${CISCOUC_PLAN_DIR} ${CISCOUC_TEACHING_CAPTURES}
  DEPENDS ciscouc-scan ${CISCOUC_TEACHING_CAPTURES}
          ${CISCOUC_SOURCE_DIR}/tools/ucplandoc.py ${CISCOUC_SOURCE_DIR}/tools/ucplan.py
          ${CISCOUC_SOURCE_DIR}/tools/ucstats.py ${CISCOUC_SOURCE_DIR}/catalog/vocabulary.toml
          ${CISCOUC_CATALOG_FILES} ${CISCOUC_CODEGEN_MODULES}
  COMMENT "Writing the firewall plan of every teaching capture (docs/plans)"
  VERBATIM)
add_custom_target(firewall-plans ALL DEPENDS ${CISCOUC_PLAN_PAGES})
