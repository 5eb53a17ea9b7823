# The ciscouc version, read by both build routes: the top-level CMakeLists.txt
# (project(ciscouc VERSION ...), out-of-tree against libwireshark-dev) and
# plugins/ciscouc/CMakeLists.txt inside a Wireshark source tree, where it also
# becomes the Windows DLL's version resource (set_module_info).
set(CISCOUC_VERSION 0.1.0)
