# biotwin: the two README commands (`make demo`, `make test`) do all set-up themselves.
BUILD_DIR ?= build
BUILD_TYPE ?= Release
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
DEMO_DIR ?= demo-out

.PHONY: all deps configure build cli demo test bench clean

all: build

deps:
	@bash scripts/install-deps

configure: deps
	@cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) >/dev/null

build: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS)

cli: configure
	@cmake --build $(BUILD_DIR) -j $(JOBS) --target biotwin

demo: cli
	@bash scripts/demo $(BUILD_DIR)/bin/biotwin $(DEMO_DIR)

test: build
	@cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS)

bench: build
	@bash bench/run $(BUILD_DIR)

clean:
	@rm -rf $(BUILD_DIR) $(DEMO_DIR)
