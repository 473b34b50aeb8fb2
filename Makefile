# The two commands of README.md: `make demo` and `make test`. Both install what is missing and build
# first. `make build` only builds.
PRESET ?= default
BUILD_DIR := build/$(PRESET)

# Seconds each libFuzzer target of tests/fuzz/ runs in `make test` (docs/protocol.md, "Fuzzing").
FUZZ_SECONDS ?= 20

.PHONY: all setup configure build test demo asan bench format check-format clean fuzz

all: build

setup:
	@scripts/setup.sh

configure:
	@test -f $(BUILD_DIR)/build.ninja || cmake --preset $(PRESET)

build: configure
	@cmake --build $(BUILD_DIR)

test: setup
	@$(MAKE) --no-print-directory build
	@ctest --preset $(PRESET)
	@scripts/fuzz.sh $(FUZZ_SECONDS)

# The bridge parsers' libFuzzer targets (clang, build/fuzz), FUZZ_SECONDS each; fails on a crash.
fuzz: setup
	@scripts/fuzz.sh $(FUZZ_SECONDS)

demo: setup
	@$(MAKE) --no-print-directory build
	@$(BUILD_DIR)/bitten demo

asan:
	@$(MAKE) --no-print-directory test PRESET=asan

format:
	@git ls-files '*.cc' '*.h' | xargs clang-format -i

# Fails on any formatting difference (STYLE.md habit 9); CI runs it after the tests.
check-format:
	@git ls-files '*.cc' '*.h' | xargs clang-format --dry-run -Werror

clean:
	@rm -rf build
