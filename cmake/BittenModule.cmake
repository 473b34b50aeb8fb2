# bitten_module(NAME DEPS ...): one static library per folder src/NAME/ (ARCHITECTURE.md).
#
# Layering is enforced by include paths: a module's headers are included as "NAME/file.h", and the
# directory that makes "NAME/" resolvable is attached only to bitten_NAME's usage requirements. A module
# that does not link bitten_X cannot include "X/anything.h": the build fails. Sources are the *.cc files of
# the folder (and its subfolders), except main.cc.

set(BITTEN_WARNINGS -Wall -Wextra -Wpedantic -Werror -Wno-missing-field-initializers)

function(bitten_warnings target)
  target_compile_options(${target} PRIVATE ${BITTEN_WARNINGS})
endfunction()

function(bitten_module name)
  cmake_parse_arguments(M "" "" "DEPS" ${ARGN})
  set(src_dir ${PROJECT_SOURCE_DIR}/src/${name})
  set(inc_root ${PROJECT_BINARY_DIR}/modinc/${name})
  file(MAKE_DIRECTORY ${inc_root})
  if(NOT EXISTS ${inc_root}/${name})
    file(CREATE_LINK ${src_dir} ${inc_root}/${name} SYMBOLIC)
  endif()
  file(GLOB_RECURSE sources CONFIGURE_DEPENDS ${src_dir}/*.cc)
  list(FILTER sources EXCLUDE REGEX ".*/main\\.cc$")
  if(NOT sources)
    set(sources ${PROJECT_BINARY_DIR}/modinc/${name}_empty.cc)
    file(WRITE ${sources} "// module ${name} has no sources yet\n")
  endif()
  add_library(bitten_${name} STATIC ${sources})
  target_include_directories(bitten_${name} PUBLIC ${inc_root})
  target_link_libraries(bitten_${name} PUBLIC ${M_DEPS})
  bitten_warnings(bitten_${name})
endfunction()

# bitten_unit_tests(NAME [DEPS ...]): tests/unit/NAME/*_test.cc as one GoogleTest binary NAME_tests,
# linked with bitten_NAME and the shared fixtures in tests/common/. Each test is a ctest test labelled
# `unit` and named Suite.Test; select a module's with `ctest -R` on its suites or run NAME_tests.
function(bitten_unit_tests name)
  cmake_parse_arguments(T "" "" "DEPS" ${ARGN})
  file(GLOB tests CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/tests/unit/${name}/*_test.cc)
  if(NOT tests)
    return()
  endif()
  add_executable(${name}_tests ${tests})
  target_link_libraries(${name}_tests PRIVATE bitten_${name} bitten_test_common ${T_DEPS}
    GTest::gtest GTest::gmock GTest::gtest_main)
  bitten_warnings(${name}_tests)
  gtest_discover_tests(${name}_tests
    # One label per property value: a ';' list here would be split into stray property names.
    PROPERTIES LABELS unit
    ENVIRONMENT "BITTEN_SOURCE_DIR=${PROJECT_SOURCE_DIR};BITTEN_BINARY=${PROJECT_BINARY_DIR}/bitten"
    # Parameterised tests keep their own names; the "# GetParam() = ..." text (bytes of pointers
    # for struct params) would make test names differ between builds.
    NO_PRETTY_VALUES
    DISCOVERY_TIMEOUT 60)
endfunction()
