# The first-party caveat language and the request context.
s2s_unit_test(test_caveat_eval ${CMAKE_SOURCE_DIR}/tests/unit/test_caveat_eval.cpp)
s2s_unit_test(test_context ${CMAKE_SOURCE_DIR}/tests/unit/test_context.cpp)
