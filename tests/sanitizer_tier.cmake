# Sanitizer tiers (docs/CI.md): a tier compiles the libraries it checks a second time with its
# sanitizer, as <tier>_<lib> static libraries (gb_suites -> asan_suites), and builds test
# executables from the normal test sources against them. Libraries named PLAIN are linked from
# the normal build as they are (uninstrumented), so a tier pays only for what it instruments.
# Every target is left out of `all`; the custom target <tier>_tier builds them.

# Imported targets the libraries link that their own folders found (not visible from here).
find_package(ZLIB REQUIRED)
pkg_check_modules(SECCOMP REQUIRED IMPORTED_TARGET libseccomp)

# gb_x -> <tier>_x for the libraries of the tier (`tier` and `known` come from the caller);
# anything else (external targets) as it is.
function(gb_tier_map out)
  set(mapped)
  foreach(item ${ARGN})
    if(item MATCHES "^gb_")
      if(NOT item IN_LIST known)
        message(FATAL_ERROR "sanitizer tier ${tier}: ${item} is neither cloned nor plain")
      endif()
      string(REGEX REPLACE "^gb_" "${tier}_" item ${item})
    endif()
    list(APPEND mapped ${item})
  endforeach()
  set(${out} ${mapped} PARENT_SCOPE)
endfunction()

# gb_sanitizer_tier(TIER FLAGS flag ... CLONE gb_lib ... PLAIN gb_lib ...)
function(gb_sanitizer_tier tier)
  cmake_parse_arguments(S "" "" "FLAGS;CLONE;PLAIN" ${ARGN})
  add_custom_target(${tier}_tier)
  set(known ${S_CLONE} ${S_PLAIN})

  foreach(lib ${S_PLAIN})
    string(REGEX REPLACE "^gb_" "${tier}_" new ${lib})
    add_library(${new} INTERFACE)
    get_target_property(deps ${lib} LINK_LIBRARIES)
    gb_tier_map(deps ${deps})
    # The archive itself, not the target: the target would bring the normal gb_common along.
    target_link_libraries(${new} INTERFACE $<TARGET_FILE:${lib}> ${deps})
    add_dependencies(${new} ${lib})
  endforeach()

  foreach(lib ${S_CLONE})
    string(REGEX REPLACE "^gb_" "${tier}_" new ${lib})
    get_target_property(srcs ${lib} SOURCES)
    get_target_property(dir ${lib} SOURCE_DIR)
    set(abs)
    foreach(s ${srcs})
      if(NOT IS_ABSOLUTE ${s})
        set(s ${dir}/${s})
      endif()
      list(APPEND abs ${s})
    endforeach()
    add_library(${new} STATIC EXCLUDE_FROM_ALL ${abs})
    get_target_property(incs ${lib} INCLUDE_DIRECTORIES)
    target_include_directories(${new} PUBLIC ${incs})
    get_target_property(defs ${lib} COMPILE_DEFINITIONS)
    if(defs)
      target_compile_definitions(${new} PRIVATE ${defs})
    endif()
    target_compile_options(${new} PUBLIC ${S_FLAGS})
    target_link_options(${new} PUBLIC ${S_FLAGS})
    get_target_property(deps ${lib} LINK_LIBRARIES)
    gb_tier_map(deps ${deps})
    target_link_libraries(${new} PUBLIC ${deps})
  endforeach()

  # The test helpers, instrumented; GAPBENCH_TEST_BIN is the normal build's CLI.
  add_library(${tier}_test_util STATIC EXCLUDE_FROM_ALL ${PROJECT_SOURCE_DIR}/tests/test_util.cpp)
  target_include_directories(${tier}_test_util PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(${tier}_test_util PUBLIC ${tier}_common GTest::gtest)
  target_compile_definitions(${tier}_test_util PUBLIC
    GAPBENCH_TEST_SOURCE_DIR="${PROJECT_SOURCE_DIR}" GAPBENCH_TEST_BIN="$<TARGET_FILE:gapbench>")
  add_dependencies(${tier}_test_util gapbench)
endfunction()

# gb_sanitizer_tier_test(TIER SOURCE file.cpp LABELS l ... LIBS gb_lib ... [EXTRA_SOURCES ...]
#                        [TIME_SCALE n])
# One executable <tier>_<name> from a test source; its tests are named "<tier>:Suite.Case".
# TIME_SCALE multiplies the test's timeouts (GAPBENCH_TEST_TIME_SCALE, tests/time_scale.h).
function(gb_sanitizer_tier_test tier)
  cmake_parse_arguments(T "" "SOURCE;TIMEOUT;TIME_SCALE" "LABELS;LIBS;EXTRA_SOURCES" ${ARGN})
  if(NOT T_TIME_SCALE)
    set(T_TIME_SCALE 1)
  endif()
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 600)
  endif()
  get_filename_component(name ${T_SOURCE} NAME_WE)
  set(exe ${tier}_${name})
  set(libs)
  foreach(lib ${T_LIBS})
    string(REGEX REPLACE "^gb_" "${tier}_" lib ${lib})
    list(APPEND libs ${lib})
  endforeach()
  add_executable(${exe} EXCLUDE_FROM_ALL ${T_SOURCE} ${T_EXTRA_SOURCES}
                 ${CMAKE_CURRENT_SOURCE_DIR}/default_options.cpp)
  target_link_libraries(${exe} PRIVATE ${libs} ${tier}_test_util GTest::gtest GTest::gtest_main)
  target_compile_definitions(${exe} PRIVATE GAPBENCH_TEST_TIME_SCALE=${T_TIME_SCALE})
  add_dependencies(${tier}_tier ${exe})
  gtest_discover_tests(${exe}
    TEST_PREFIX "${tier}:"
    PROPERTIES LABELS "${T_LABELS}" TIMEOUT ${T_TIMEOUT}
    ENVIRONMENT "GAPBENCH_SOURCE_DIR=${PROJECT_SOURCE_DIR}"
    DISCOVERY_TIMEOUT 120)
endfunction()
