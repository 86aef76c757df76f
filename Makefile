# The two commands a newcomer needs: `make run` and `make test`. Both install what is missing
# (Debian packages, see scripts/install-deps.sh), configure, build with -j2, then run.
PRESET_RUN  ?= release
FUZZ_SECONDS ?= 60
JOBS ?= 2

.PHONY: all deps build run demo test test-debug test-asan test-tsan bench fuzz fuzz-build clean

all: build

deps:
	@scripts/install-deps.sh

build: deps
	@cmake --preset $(PRESET_RUN) >/dev/null
	@cmake --build --preset $(PRESET_RUN) -j$(JOBS) --target warden

# The main job: the registrar and proxy on its embedded defaults (127.0.0.1, UDP/TCP 5060,
# TLS 5061, data in ./warden-data/ with a development CA). Extra flags: make run ARGS="--domain example.test".
run: build
	@build/$(PRESET_RUN)/apps/warden/warden proxy $(ARGS)

# The whole system in one call: a proxy and two phones on loopback, one encrypted call, a report.
demo: build
	@build/$(PRESET_RUN)/apps/warden/warden demo $(ARGS)

# Every suite (unit, conformance, grind/truncation, fuzz-corpus replay, CLI, interop against
# real peers, attacks, end to end) once, in the AddressSanitizer + UndefinedBehaviorSanitizer
# build, then the threaded suites (io, runtime) under ThreadSanitizer. The plain debug build
# (`make test-debug`) runs the same suites without sanitizers; `make test` leaves it out: the
# sanitizer build runs every one of them, and building and running both took 43 minutes.
test: deps test-asan test-tsan

test-debug:
	@cmake --preset debug >/dev/null
	@cmake --build --preset debug -j$(JOBS)
	@ctest --preset debug

test-asan:
	@cmake --preset asan >/dev/null
	@cmake --build --preset asan -j$(JOBS)
	@ctest --preset asan

# Only the suites that run threads: the tsan preset builds io_test and runtime_test alone.
test-tsan:
	@cmake --preset tsan >/dev/null
	@cmake --build --preset tsan -j$(JOBS) --target io_test runtime_test
	@ctest --preset tsan -R '^(io_test|runtime_test)$$'

bench: deps
	@cmake --preset release >/dev/null
	@cmake --build --preset release -j$(JOBS) --target sip_parse_bench
	@build/release/bench/sip_parse_bench --benchmark_min_time=0.5

# libFuzzer targets with ASan + UBSan (clang). Each runs FUZZ_SECONDS on a scratch copy of its
# corpus; findings land in build/fuzz/findings/.
fuzz-build: deps
	@cmake --preset fuzz >/dev/null
	@cmake --build --preset fuzz -j$(JOBS)

fuzz: fuzz-build
	@scripts/run-fuzzers.sh $(FUZZ_SECONDS)

clean:
	rm -rf build
