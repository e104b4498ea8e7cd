# Interop with pymacaroons (Debian python3-pymacaroons, under /usr/bin/python3)
# and libmacaroons (Debian libmacaroons-dev, V1): both directions, all formats,
# third-party caveats and bound discharges.  Label: interop.
add_executable(s2s_macaroon_tool ${CMAKE_SOURCE_DIR}/tests/interop/s2s_macaroon_tool.cpp)
target_link_libraries(s2s_macaroon_tool PRIVATE s2sauth_static)

add_test(NAME interop_pymacaroons
  COMMAND /usr/bin/python3 ${CMAKE_SOURCE_DIR}/tests/interop/pymacaroons_interop.py
          $<TARGET_FILE:s2s_macaroon_tool>)
set_tests_properties(interop_pymacaroons PROPERTIES LABELS interop)

pkg_check_modules(LIBMACAROONS REQUIRED IMPORTED_TARGET libmacaroons)
add_executable(libmacaroons_tool ${CMAKE_SOURCE_DIR}/tests/interop/libmacaroons_tool.c)
target_link_libraries(libmacaroons_tool PRIVATE PkgConfig::LIBMACAROONS)
add_test(NAME interop_libmacaroons
  COMMAND /usr/bin/python3 ${CMAKE_SOURCE_DIR}/tests/interop/libmacaroons_interop.py
          $<TARGET_FILE:s2s_macaroon_tool> $<TARGET_FILE:libmacaroons_tool>)
set_tests_properties(interop_libmacaroons PROPERTIES LABELS interop)
