# PostgreSQL integration suites: a cluster made by the test (initdb, SSL on a
# generated CA, loopback), admitted through the hook and through PAM.  They
# run as root (setpriv to postgres; the PAM path writes /etc/pam.d files).
# Not with S2S_SANITIZE: an ASan-built libs2sauth cannot be loaded into an
# uninstrumented postgres or pamtester.
if(TARGET s2sauth_pg_hook AND TARGET pam_s2sauth AND NOT S2S_SANITIZE)
  foreach(path hook pam)
    add_test(NAME postgres_${path}
      COMMAND /usr/bin/python3 ${CMAKE_SOURCE_DIR}/integration/postgres/test_postgres.py
        --build ${CMAKE_BINARY_DIR} --path ${path})
    set_tests_properties(postgres_${path} PROPERTIES LABELS integration
      SKIP_RETURN_CODE 77 TIMEOUT 300 RUN_SERIAL TRUE)
  endforeach()
endif()
