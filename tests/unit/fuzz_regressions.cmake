# Replays the fuzz seed corpus and every regression input through each fuzz
# target's entry point, with the ordinary compiler and a plain main()
# (tests/fuzz/replay_main.cpp) instead of libFuzzer, so every ctest run keeps
# the properties the targets check and the crashes fuzzing once found.
include(${CMAKE_SOURCE_DIR}/tests/fuzz/targets.cmake)
foreach(name ${S2S_FUZZ_TARGETS})
  add_executable(fuzz_replay_${name} ${CMAKE_SOURCE_DIR}/tests/fuzz/fuzz_${name}.cpp
    ${CMAKE_SOURCE_DIR}/tests/fuzz/replay_main.cpp)
  target_include_directories(fuzz_replay_${name} PRIVATE ${CMAKE_SOURCE_DIR}/tests/fuzz)
  target_link_libraries(fuzz_replay_${name} PRIVATE s2sauth_static)
  add_test(NAME fuzz_replay_${name} COMMAND fuzz_replay_${name}
    ${CMAKE_SOURCE_DIR}/tests/fuzz/corpus/${name} ${CMAKE_SOURCE_DIR}/tests/fuzz/regressions/${name})
  set_tests_properties(fuzz_replay_${name} PROPERTIES LABELS unit)
endforeach()
