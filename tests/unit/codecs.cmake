# Unit tests of the macaroon codecs, identifiers and construction, and the
# interop suites against pymacaroons and libmacaroons (tests/interop).
s2s_unit_test(test_base64 ${CMAKE_SOURCE_DIR}/tests/unit/test_base64.cpp)
s2s_unit_test(test_identifier ${CMAKE_SOURCE_DIR}/tests/unit/test_identifier.cpp)
s2s_unit_test(test_v1_codec ${CMAKE_SOURCE_DIR}/tests/unit/test_v1_codec.cpp)
s2s_unit_test(test_v2_codec ${CMAKE_SOURCE_DIR}/tests/unit/test_v2_codec.cpp)
s2s_unit_test(test_v2json_codec ${CMAKE_SOURCE_DIR}/tests/unit/test_v2json_codec.cpp)
s2s_unit_test(test_stack_codec ${CMAKE_SOURCE_DIR}/tests/unit/test_stack_codec.cpp)
s2s_unit_test(test_macaroon_build ${CMAKE_SOURCE_DIR}/tests/unit/test_macaroon_build.cpp)
s2s_unit_test(test_codec_vectors ${CMAKE_SOURCE_DIR}/tests/unit/test_codec_vectors.cpp)

include(${CMAKE_SOURCE_DIR}/tests/interop/tests.cmake)
