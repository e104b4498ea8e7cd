# Integration suite of s2sauth-redis-proxy: starts Debian's redis-server and the
# proxy on loopback ports and drives them with redis-cli, redis-py and hiredis.
if(TARGET s2sauth-redis-proxy AND TARGET s2sauth_cli)
  add_executable(redis_hiredis_client ${CMAKE_SOURCE_DIR}/integration/redis/hiredis_client.c)
  target_link_libraries(redis_hiredis_client PRIVATE PkgConfig::HIREDIS)
  add_test(NAME redis_proxy_integration
    COMMAND /usr/bin/python3 ${CMAKE_SOURCE_DIR}/integration/redis/run_tests.py
      --proxy $<TARGET_FILE:s2sauth-redis-proxy>
      --cli $<TARGET_FILE:s2sauth_cli>
      --hiredis-client $<TARGET_FILE:redis_hiredis_client>)
  set_tests_properties(redis_proxy_integration PROPERTIES LABELS integration TIMEOUT 180)
endif()
