# Femto-Containers for Tock OS — top-level Makefile.
#
#   make run      the main job: boot the QEMU kernel with the tutorials' apps and show what they do
#   make test     every test suite: host unit tests, userspace unit tests, TAB checks, QEMU end-to-end tests
#   make setup    install what is missing (toolchains, QEMU, clang/lld, elf2tab, tockloader); called by test and run
#   make build    the nRF52840-DK kernel and the app TABs
#   make install  flash the nRF52840-DK kernel and install the apps with tockloader (real hardware)
#   make bench    instruction counts on Cortex-M4 (QEMU) and host speed against rbpf
#   make size     code and RAM sizes of the VM and the kernels
#   make clean

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
ROOT := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
CARGO ?= cargo
export PATH := $(HOME)/.cargo/bin:$(ROOT)/.venv/bin:$(PATH)

FEMTO := $(ROOT)/target/release/femto

.PHONY: all help setup test test-host test-targets test-userspace test-e2e run build install bench size clean femto

all: help

help:
	@sed -n '3,11p' $(ROOT)/Makefile | sed 's/^# \{0,1\}//'

setup:
	@$(ROOT)/tools/setup.sh

# The host CLI, built once with the release profile.
femto:
	$(CARGO) build --release -p femto-tools --bin femto

test: setup
	@$(MAKE) --no-print-directory test-host test-targets test-userspace test-e2e
	@echo "make test: all suites passed"

# Host unit, integration, conformance, differential and CLI tests of the VM, capsule and tools.
test-host:
	@echo "=== host tests (vm, capsule, tools) ==="
	$(CARGO) test --workspace --exclude femto-board-nrf52840dk --exclude femto-board-qemu_rv32_virt 2>&1 | grep -v '^\s*Compiling\|^\s*Running\|^\s*Doc-tests' || exit 1
	@echo "=== capsule tests with the compact interpreter and without rBPF support (features compact-vm, signed-updates; no rbf) ==="
	$(CARGO) test -q -p capsules-femto --no-default-features --features compact-vm,signed-updates 2>&1 | grep -v '^\s*Compiling\|^\s*Running\|^\s*Doc-tests' || exit 1
	@echo "=== femto-vm without rBPF support (no default features) ==="
	$(CARGO) test -q -p femto-vm --no-default-features --test rbf_feature 2>&1 | grep -v '^\s*Compiling\|^\s*Running\|^\s*Doc-tests' || exit 1

# The no_std crates build for both microcontroller targets with the kernel's profile,
# and the nRF52840-DK kernel links (it has no QEMU model, so building is its test here).
test-targets:
	@echo "=== cross builds (thumbv7em, riscv32imac) ==="
	$(CARGO) build -q --release -p femto-vm --target thumbv7em-none-eabi
	$(CARGO) build -q --release -p femto-vm --target riscv32imac-unknown-none-elf
	$(CARGO) build -q --release -p capsules-femto --target thumbv7em-none-eabi
	$(CARGO) build -q --release -p capsules-femto --target thumbv7em-none-eabi --no-default-features --features compact-vm
	$(MAKE) --no-print-directory -C board/nrf52840dk
	@echo "cross builds: ok (femto-vm, capsules-femto, nRF52840-DK kernel)"

test-userspace:
	@if [ -f userspace/Makefile ]; then $(MAKE) --no-print-directory -C userspace test; else echo "userspace: not built yet"; fi

test-e2e:
	@if [ -x board/qemu_rv32_virt/e2e/run.sh ]; then board/qemu_rv32_virt/e2e/run.sh; else echo "e2e: QEMU board not there yet"; fi

# The main job: boot the QEMU kernel once per tutorial app; each run ends by itself.
DEMO_APPS ?= hello context sensor lunar_lander
run: setup
	$(MAKE) --no-print-directory -C board/qemu_rv32_virt run-each APPS="$(DEMO_APPS)"

build: setup
	$(MAKE) -C board/nrf52840dk
	$(MAKE) -C userspace tabs

install: build
	$(MAKE) -C board/nrf52840dk flash
	$(MAKE) -C userspace install

bench: setup
	tools/bench/run.sh

size: setup
	tools/bench/size.sh
	$(MAKE) -C board/nrf52840dk size

clean:
	$(CARGO) clean
	-$(MAKE) -C userspace clean
