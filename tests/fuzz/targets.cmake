# The fuzz targets, one tests/fuzz/fuzz_<name>.cpp each.  Shared by the
# libFuzzer build (tests/fuzz/CMakeLists.txt) and the corpus replay that the
# ordinary unit-test build runs (tests/unit/fuzz_regressions.cmake).
set(S2S_FUZZ_TARGETS
  base64 v1 v2 v2json stack caveat config keyring revocation spiffe verify roundtrip)
