# mux: the two commands of the README, for a fresh Debian 12 machine.
#   make run   installs what is missing, builds, starts a demo in the foreground
#   make test  installs what is missing, builds plain and with ASan+UBSan,
#              runs every test in both

BUILD   ?= build
ASAN    ?= build-asan
FUZZ    ?= build-fuzz
DEMO    ?= /tmp/mux-demo
JOBS    ?= $(shell nproc)
DEBS     = cmake pkg-config gcc clang make perl socat mandoc \
           libevent-dev libcmocka-dev libcdb-dev libsystemd-dev ucspi-tcp libclang-rt-14-dev \
           iproute2 iptables curl systemd tmux

.PHONY: all deps build asan fuzz run test test-plain test-asan test-fuzz bench clean

all: build

deps:
	@missing=""; for p in $(DEBS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  if [ "$$(id -u)" -ne 0 ]; then echo "need root to install:$$missing" >&2; exit 1; fi; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

build: deps
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build $(BUILD) -j $(JOBS) -- --no-print-directory

asan: deps
	cmake -S . -B $(ASAN) -DCMAKE_BUILD_TYPE=Debug -DMUX_SANITIZE=ON >/dev/null
	cmake --build $(ASAN) -j $(JOBS) --target all tests -- --no-print-directory

fuzz: deps
	CC=clang cmake -S . -B $(FUZZ) -DCMAKE_BUILD_TYPE=Debug -DMUX_FUZZ=ON \
	  -DMUX_SANITIZE=ON >/dev/null
	cmake --build $(FUZZ) -j $(JOBS) --target all tests -- --no-print-directory

test-plain: build
	cmake --build $(BUILD) -j $(JOBS) --target tests -- --no-print-directory
	cd $(BUILD) && ctest --output-on-failure

test-asan: asan
	cd $(ASAN) && ctest --output-on-failure

test-fuzz: fuzz
	cd $(FUZZ) && ctest --output-on-failure -L fuzz

test: test-plain test-asan test-fuzz

run: build
	@sh tools/demo.sh $(BUILD) $(DEMO)

bench: build
	cmake --build $(BUILD) -j $(JOBS) --target benches -- --no-print-directory
	@sh bench/run.sh $(BUILD)

clean:
	rm -rf $(BUILD) $(ASAN) $(FUZZ)
