# Integration suite of the nginx module: Debian's /usr/sbin/nginx with
# load_module of the module built in this tree, on loopback ports.
if(TARGET nginx_module AND EXISTS /usr/sbin/nginx)
  add_test(NAME nginx_integration
    COMMAND /usr/bin/python3 -m unittest -v test_nginx
    WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}/integration/nginx)
  set_tests_properties(nginx_integration PROPERTIES
    LABELS integration
    TIMEOUT 300
    ENVIRONMENT "S2S_NGINX_MODULE=${CMAKE_BINARY_DIR}/adapters/nginx/ngx_http_s2sauth_module.so;PYTHONDONTWRITEBYTECODE=1")
endif()
