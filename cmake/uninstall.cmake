# Remove the ciscouc plugin from the global and the personal plugin folders.
# Usage: cmake -DSYSTEM_DIR=<global epan plugin dir> -DWS_VERSION=4.0 -P uninstall.cmake
set(removed 0)
foreach(f "${SYSTEM_DIR}/ciscouc.so" "$ENV{HOME}/.local/lib/wireshark/plugins/${WS_VERSION}/epan/ciscouc.so")
  if(EXISTS "${f}")
    file(REMOVE "${f}")
    message(STATUS "Removed ${f}")
    math(EXPR removed "${removed} + 1")
  endif()
endforeach()
if(removed EQUAL 0)
  message(STATUS "ciscouc is not installed")
endif()
