# Unit tests of the core: verification matrix, files, reloads, threads, ABI.
s2s_unit_test(test_verify_matrix ${CMAKE_SOURCE_DIR}/tests/unit/test_verify_matrix.cpp)
s2s_unit_test(test_core_files ${CMAKE_SOURCE_DIR}/tests/unit/test_core_files.cpp)

# The header as a C99 caller sees it, linked against the shared library.
add_executable(test_header_c99 ${CMAKE_SOURCE_DIR}/tests/unit/test_header_c99.c)
set_target_properties(test_header_c99 PROPERTIES C_STANDARD 99 C_EXTENSIONS OFF)
target_compile_options(test_header_c99 PRIVATE -pedantic-errors)
target_link_libraries(test_header_c99 PRIVATE s2sauth PkgConfig::CMOCKA)
add_test(NAME test_header_c99 COMMAND test_header_c99)
set_tests_properties(test_header_c99 PROPERTIES LABELS unit)

add_test(NAME test_exports COMMAND ${CMAKE_SOURCE_DIR}/tests/unit/check_exports.sh $<TARGET_FILE:s2sauth>)
set_tests_properties(test_exports PROPERTIES LABELS unit)
s2s_unit_test(test_base64_differential ${CMAKE_SOURCE_DIR}/tests/unit/test_base64_differential.cpp)
