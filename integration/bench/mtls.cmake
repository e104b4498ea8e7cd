# mTLS benchmark: chain verification per second (P-256, RSA-2048) and bound vs
# unbound macaroon verification.  The PKI is generated at run time.
add_executable(bench_mtls ${CMAKE_CURRENT_LIST_DIR}/bench_mtls.cpp
  ${CMAKE_SOURCE_DIR}/tests/pki/pki.cpp)
target_include_directories(bench_mtls PRIVATE ${CMAKE_SOURCE_DIR}/tests/pki)
target_link_libraries(bench_mtls PRIVATE s2sauth_static)
