# Stand-ins for the macros of Wireshark's cmake/modules/WiresharkPlugin.cmake
# that plugins/ciscouc/CMakeLists.txt calls, with the same names and
# arguments (Wireshark 4.0 through 4.6): enough to configure, for
# tests/test_intree.py. Not Wireshark's implementation.
macro(set_module_info _plugin _major _minor _micro _extra)
	set(PLUGIN_VERSION "${_major}.${_minor}.${_micro}")
	add_definitions(-DPLUGIN_VERSION=\"${PLUGIN_VERSION}\")
endmacro()

macro(add_wireshark_plugin_library _plugin _subfolder)
	add_library(${_plugin} MODULE ${PLUGIN_FILES})
	target_include_directories(${_plugin} PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
	set_target_properties(${_plugin} PROPERTIES PREFIX "" LIBRARY_OUTPUT_DIRECTORY ${PLUGIN_DIR}/${_subfolder})
	add_dependencies(plugins ${_plugin})
endmacro()

macro(install_plugin _plugin _subfolder)
	install(TARGETS ${_plugin} LIBRARY DESTINATION lib/wireshark/plugins/4.0/${_subfolder})
endmacro()
