# TA-Lib itself, as the reference for indicator tests and benchmarks (test/bench-only; never linked
# into bitten). Its C source ships in the npm package talib@2.0.5 (installed by scripts/setup.sh).
# Included from tests/ and bench/; defines the static library `talib_ref` once.
if(TARGET talib_ref)
  return()
endif()
set(TALIB_SRC ${PROJECT_SOURCE_DIR}/node_modules/talib/src/lib)
if(NOT EXISTS ${TALIB_SRC}/src/ta_func/ta_EMA.c)
  message(FATAL_ERROR "TA-Lib source not found at ${TALIB_SRC}: run scripts/setup.sh (npm ci)")
endif()
file(GLOB talib_sources ${TALIB_SRC}/src/ta_func/*.c ${TALIB_SRC}/src/ta_common/*.c)
add_library(talib_ref STATIC ${talib_sources})
target_include_directories(talib_ref SYSTEM PUBLIC ${TALIB_SRC}/include
  PRIVATE ${TALIB_SRC}/src/ta_common ${TALIB_SRC}/src/ta_func)
target_compile_options(talib_ref PRIVATE -w)
set_target_properties(talib_ref PROPERTIES C_STANDARD 99)
