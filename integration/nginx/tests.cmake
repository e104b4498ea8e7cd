# Integration suite of the nginx module: Debian's /usr/sbin/nginx with
# load_module of the module built in this tree, on loopback ports.
#
# In an S2S_SANITIZE build the library and the module are instrumented but
# Debian's nginx is not: the sanitizer runtimes are preloaded into nginx only
# (the harness sets LD_PRELOAD and its own ASAN_OPTIONS for nginx, without
# leak detection: nginx frees its pools by exiting).
if(TARGET nginx_module AND EXISTS /usr/sbin/nginx)
  set(s2s_nginx_env
    "S2S_NGINX_MODULE=${CMAKE_BINARY_DIR}/adapters/nginx/ngx_http_s2sauth_module.so"
    "PYTHONDONTWRITEBYTECODE=1")
  if(S2S_SANITIZE)
    execute_process(COMMAND ${CMAKE_C_COMPILER} -print-file-name=libasan.so
      OUTPUT_VARIABLE s2s_libasan OUTPUT_STRIP_TRAILING_WHITESPACE)
    execute_process(COMMAND ${CMAKE_C_COMPILER} -print-file-name=libubsan.so
      OUTPUT_VARIABLE s2s_libubsan OUTPUT_STRIP_TRAILING_WHITESPACE)
    list(APPEND s2s_nginx_env "S2S_NGINX_PRELOAD=${s2s_libasan}:${s2s_libubsan}")
  endif()
  add_test(NAME nginx_integration
    COMMAND /usr/bin/python3 -m unittest -v test_nginx
    WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}/integration/nginx)
  set_tests_properties(nginx_integration PROPERTIES
    LABELS integration
    TIMEOUT 300
    ENVIRONMENT "${s2s_nginx_env}")
endif()
