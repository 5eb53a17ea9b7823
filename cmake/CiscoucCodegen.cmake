# The generator step, shared by both build routes (the top-level CMakeLists.txt
# and plugins/ciscouc/CMakeLists.txt inside a Wireshark source tree): validates
# the catalog and writes the C++ tables and the port reference at build time
# with python3 -m codegen (codegen/).
#
# In:  CISCOUC_SOURCE_DIR   the ciscouc checkout (catalog/, heuristics/, codegen/)
#      CISCOUC_GEN_ROOT     the build folder that receives generated/ and docs/ports/
#      Python3_EXECUTABLE   Python 3.11 or later (tomllib)
# Out: CISCOUC_GEN_DIR, CISCOUC_GENERATED, CISCOUC_PORT_REFERENCE and the
#      targets ciscouc_codegen (owns the outputs) and ciscouc_tables.

if(NOT Python3_EXECUTABLE)
  message(FATAL_ERROR "ciscouc: no Python 3 interpreter (Python3_EXECUTABLE) for the generator (codegen/)")
endif()
if(DEFINED Python3_VERSION AND Python3_VERSION VERSION_LESS 3.11)
  message(FATAL_ERROR "ciscouc: the generator (codegen/) needs Python 3.11 or later (tomllib); "
          "Python3_EXECUTABLE=${Python3_EXECUTABLE} is ${Python3_VERSION}. Configure with -DPython3_EXECUTABLE=<python3.11+>")
endif()

# Every catalog file the build knows; the generator fails on any other *.toml in catalog/.
set(CISCOUC_CATALOG_FILES
  ${CISCOUC_SOURCE_DIR}/catalog/cucm42-en.toml
  ${CISCOUC_SOURCE_DIR}/catalog/telepresence-en.toml
  ${CISCOUC_SOURCE_DIR}/catalog/imp-en.toml
  ${CISCOUC_SOURCE_DIR}/catalog/cucm-ko.toml
  ${CISCOUC_SOURCE_DIR}/catalog/cucm-ja.toml
)
set(CISCOUC_GEN_DIR ${CISCOUC_GEN_ROOT}/generated)
set(CISCOUC_GENERATED ${CISCOUC_GEN_DIR}/catalog_data.cpp ${CISCOUC_GEN_DIR}/heuristics_data.cpp
  ${CISCOUC_GEN_DIR}/plugin_tables.h ${CISCOUC_GEN_DIR}/plugin_tables.cpp)
set(CISCOUC_PORT_REFERENCE ${CISCOUC_GEN_ROOT}/docs/ports/index.md)
set(CISCOUC_CODEGEN_MODULES
  ${CISCOUC_SOURCE_DIR}/codegen/__init__.py
  ${CISCOUC_SOURCE_DIR}/codegen/__main__.py
  ${CISCOUC_SOURCE_DIR}/codegen/catalog.py
  ${CISCOUC_SOURCE_DIR}/codegen/conflicts.py
  ${CISCOUC_SOURCE_DIR}/codegen/ranking.py
  ${CISCOUC_SOURCE_DIR}/codegen/roles.py
  ${CISCOUC_SOURCE_DIR}/codegen/signatures.py
  ${CISCOUC_SOURCE_DIR}/codegen/tables.py
  ${CISCOUC_SOURCE_DIR}/codegen/port_reference.py
)
add_custom_command(
  OUTPUT ${CISCOUC_GENERATED} ${CISCOUC_PORT_REFERENCE}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${CISCOUC_GEN_DIR}
  COMMAND ${CMAKE_COMMAND} -E env PYTHONPATH=${CISCOUC_SOURCE_DIR} ${Python3_EXECUTABLE} -m codegen
          --catalog ${CISCOUC_SOURCE_DIR}/catalog
          --expect ${CISCOUC_CATALOG_FILES}
          --heuristics ${CISCOUC_SOURCE_DIR}/heuristics/signatures.toml
          --out-catalog ${CISCOUC_GEN_DIR}/catalog_data.cpp
          --out-heuristics ${CISCOUC_GEN_DIR}/heuristics_data.cpp
          --out-ports ${CISCOUC_GEN_ROOT}/docs/ports
          --out-plugin-header ${CISCOUC_GEN_DIR}/plugin_tables.h
          --out-plugin-tables ${CISCOUC_GEN_DIR}/plugin_tables.cpp
  DEPENDS ${CISCOUC_CATALOG_FILES}
          ${CISCOUC_SOURCE_DIR}/catalog/vocabulary.toml
          ${CISCOUC_SOURCE_DIR}/heuristics/signatures.toml
          ${CISCOUC_CODEGEN_MODULES}
  COMMENT "Validating the catalog, generating ciscouc tables and the port reference (docs/ports)"
  VERBATIM)
# One target owns the generator's outputs, so it runs once even in a parallel build.
add_custom_target(ciscouc_codegen ALL DEPENDS ${CISCOUC_GENERATED} ${CISCOUC_PORT_REFERENCE})
add_custom_target(ciscouc_tables)
add_dependencies(ciscouc_tables ciscouc_codegen)
