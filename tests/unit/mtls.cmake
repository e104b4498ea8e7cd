# mTLS module tests.  The test PKI is generated at run time by tests/pki/pki.cpp:
# no private key is committed.
s2s_unit_test(test_mtls_spiffe ${CMAKE_SOURCE_DIR}/tests/unit/test_mtls_spiffe.cpp)

foreach(t matrix policy tls verifier)
  s2s_unit_test(test_mtls_${t} ${CMAKE_SOURCE_DIR}/tests/unit/test_mtls_${t}.cpp
    ${CMAKE_SOURCE_DIR}/tests/pki/pki.cpp)
  target_include_directories(test_mtls_${t} PRIVATE ${CMAKE_SOURCE_DIR}/tests/pki)
endforeach()

# The CLI's certificate commands, compiled in from the adapter.
s2s_unit_test(test_mtls_cli ${CMAKE_SOURCE_DIR}/tests/unit/test_mtls_cli.cpp
  ${CMAKE_SOURCE_DIR}/adapters/cli/cli_cert.cpp ${CMAKE_SOURCE_DIR}/tests/pki/pki.cpp)
target_include_directories(test_mtls_cli PRIVATE ${CMAKE_SOURCE_DIR}/tests/pki
  ${CMAKE_SOURCE_DIR}/adapters/cli)
