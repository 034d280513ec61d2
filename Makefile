# hwvirt top-level Makefile.
#
#   ./configure && make     QEMU (build/qemu-system-x86_64) and hwvirt.ko
#   make qemu | module      one of the two
#   make check              every test (host tests, then the lab)
#   make check-host         tests that need no virtualization at all
#   make check-lab          the lab scenarios (hwvirt.ko and kvm_amd under TCG's SVM)
#   make check-lab-vmx      the VMX lane (hwvirt.ko under Bochs; slow)
#   make demo               a Linux guest under -accel hwvirt, its console here
#   make guest-image        the Debian guest disk image (scripts/guest-image;
#                           cached in ~/.cache/hwvirt, no ./configure needed)
#   make clean | distclean
#
# This work is licensed under the terms of the GNU GPL, version 2 or later.

SHELL := /bin/bash
.DEFAULT_GOAL := all

ifeq ($(wildcard config.mk),)
all qemu module check check-host check-lab check-lab-vmx demo:
	@echo "Run ./configure first (./configure --help for the options)." >&2
	@exit 1
else
include config.mk
endif

# ccache hits across clones: paths under this tree are hashed relative to
# it, and the working directory is not hashed at all.
export CCACHE_BASEDIR := $(CURDIR)
export CCACHE_NOHASHDIR := 1

NINJA ?= ninja
QEMU_BIN := build/qemu-system-x86_64

all: qemu $(if $(filter yes,$(BUILD_MODULE)),module)

# Refresh the overlay first (new files), then let ninja decide what to
# rebuild.  The option ROMs are built by QEMU's own Makefile.
qemu:
	@scripts/qemu-upstream prepare --tarball=$(QEMU_TARBALL) --dest=$(QEMU_SRC)
	$(NINJA) -C build qemu-system-x86_64 tests/qtest/hwvirt-test
	@$(MAKE) --no-print-directory -C build pc-bios/optionrom/all
	@scripts/link-firmware build $(FIRMWARE_DIRS)

module:
	$(MAKE) -C linux-module KDIR=$(KDIR)

check: all
	tests/run

check-host: all
	tests/run --host

check-lab: all
	tests/run --lab

check-lab-vmx: all
	tests/run --vmx

# The shadow MMU under a long workload, beside kvm_amd npt=0 and nested
# TCG (about 15 minutes; not part of make check).
SHADOW_SOAK_MM ?= forkexec:2000+mmap:300+pingpong:20000
check-shadow-soak: all
	LAB_VARS="MM=$(SHADOW_SOAK_MM) TCG=1 MM_LIMIT=2400" LAB_TIMEOUT=5400 tests/lab/lab run shadow

demo: all
	scripts/hwvirt-demo

# A Debian 12 disk image to boot as a real VM (as root; built again only
# when its recipe, tests/guests/debian/, changes).
guest-image:
	scripts/guest-image build

clean:
	-$(NINJA) -C build clean
	-$(MAKE) -C linux-module KDIR=$(KDIR) clean

distclean:
	-$(MAKE) -C linux-module KDIR=$(KDIR) clean
	rm -rf build upstream config.mk

.PHONY: all qemu module check check-host check-lab check-lab-vmx check-shadow-soak demo guest-image clean distclean
