# Unit tests of s2sauth-redis-proxy's framing and key-spec walk.
if(TARGET s2sauth-redis-proxy)
  s2s_unit_test(test_redis_proxy ${CMAKE_SOURCE_DIR}/tests/unit/test_redis_proxy.cpp
    ${CMAKE_SOURCE_DIR}/adapters/redis-proxy/request_parser.cpp
    ${CMAKE_SOURCE_DIR}/adapters/redis-proxy/reply_scanner.cpp
    ${CMAKE_SOURCE_DIR}/adapters/redis-proxy/command_table.cpp)
  target_include_directories(test_redis_proxy PRIVATE ${CMAKE_SOURCE_DIR}/adapters/redis-proxy)
  target_link_libraries(test_redis_proxy PRIVATE PkgConfig::HIREDIS)
endif()
