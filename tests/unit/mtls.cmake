# mTLS module tests.  The test PKI is generated at run time by tests/pki/pki.cpp:
# no private key is committed.
s2s_unit_test(test_mtls_spiffe ${CMAKE_SOURCE_DIR}/tests/unit/test_mtls_spiffe.cpp)

foreach(t matrix policy tls)
  s2s_unit_test(test_mtls_${t} ${CMAKE_SOURCE_DIR}/tests/unit/test_mtls_${t}.cpp
    ${CMAKE_SOURCE_DIR}/tests/pki/pki.cpp)
  target_include_directories(test_mtls_${t} PRIVATE ${CMAKE_SOURCE_DIR}/tests/pki)
endforeach()
