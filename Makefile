# The two commands a newcomer runs (README): `make demo` and `make check`. Both install what
# is missing from Debian first. Everything else here is for developers and CI.
BUILD      ?= build
BUILD_ASAN ?= build-asan
BUILD_FUZZ ?= build-fuzz
JOBS       ?= $(shell nproc 2>/dev/null || echo 2)
CMAKE_FLAGS ?=

.PHONY: all deps build check demo asan fuzz bench bench-decide clean format

all: build

deps:
	@sh scripts/deps.sh

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS)
	cmake --build $(BUILD) -j $(JOBS)

check: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

demo: build
	sh scripts/demo.sh $(BUILD)/macext

# AddressSanitizer + UndefinedBehaviorSanitizer build with every test (STYLE.md §8.5).
asan: deps
	cmake -S . -B $(BUILD_ASAN) -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang-14 \
		-DMACEXT_SANITIZE=ON $(CMAKE_FLAGS)
	cmake --build $(BUILD_ASAN) -j $(JOBS)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
		ctest --test-dir $(BUILD_ASAN) --output-on-failure -j $(JOBS)

# libFuzzer targets, each run for FUZZ_SECONDS (default 30) on its committed corpus and the
# seeds cut from the generated fixtures.
FUZZ_SECONDS ?= 30
fuzz: deps
	cmake -S . -B $(BUILD_FUZZ) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang-14 \
		-DMACEXT_FUZZ=ON $(CMAKE_FLAGS)
	cmake --build $(BUILD_FUZZ) -j $(JOBS)
	sh tests/fixtures/generate.sh $(BUILD_FUZZ)/fixtures
	mkdir -p $(BUILD_FUZZ)/fixtures/seeds/fuzz_kc
	$(BUILD_FUZZ)/macext kmutil create -a x86_64 -A $(BUILD_FUZZ)/fixtures/seeds/fuzz_kc/one.kc \
		-p $(BUILD_FUZZ)/fixtures/kexts/Kauth.kext >/dev/null
	sh scripts/run_fuzz.sh $(BUILD_FUZZ) $(FUZZ_SECONDS) $(BUILD_FUZZ)/fixtures/seeds

bench: build
	sh bench/inspect-vs-llvm-nm.sh $(BUILD)/macext

# In-process load decisions per second and latency: the policy alone over in-memory lookups
# (bench/decide.c), then with the store lookups of lib/machine on the memory and SQLite
# backends (bench/decide_store.c). Prints, asserts nothing.
bench-decide: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_FLAGS)
	cmake --build $(BUILD) --target bench_decide bench_decide_store -j $(JOBS)
	$(BUILD)/bench/bench_decide
	$(BUILD)/bench/bench_decide_store

format:
	git diff -U0 --no-color HEAD -- '*.c' '*.h' | clang-format-diff-14 -p1 -i

clean:
	rm -rf $(BUILD) $(BUILD_ASAN) $(BUILD_FUZZ)
