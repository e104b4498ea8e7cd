# End-to-end tests of the s2sauth CLI, including verify-level interop with
# pymacaroons (Debian python3-pymacaroons, importable by /usr/bin/python3 only).
# One CTest test per test class, so a failure names its area.
foreach(s2s_cli_suite Help Keygen Mint Inspect Attenuate Verify Revoke Cert PymacaroonsInterop
                      ThirdParty)
  add_test(NAME cli_${s2s_cli_suite}
    COMMAND /usr/bin/python3 ${CMAKE_SOURCE_DIR}/integration/cli/test_cli.py
            $<TARGET_FILE:s2sauth_cli> Test${s2s_cli_suite})
  set_tests_properties(cli_${s2s_cli_suite} PROPERTIES LABELS integration TIMEOUT 300)
endforeach()
