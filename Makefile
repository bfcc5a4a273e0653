# virtio-gpu-xenlend: the top-level driver.  See README.md.
#
#   make            build qemu-system-x86_64 (configures first if needed)
#   make demo       boot a Linux guest with the device, lend=on and off
#   make check      build and run every suite: unit tests, qtests, TCG
#                   tests, the guest tests and the Xen test bed
#   make check-xen  only the Xen test bed (tests/xen/cases, cases-stock)
#   make check-mesa only real Mesa (venus, virgl) in a guest under TCG
#   make check-sanitizers   the qtests and unit tests under ASan and UBSan
#   make check-upstream     QEMU's own unit tests, x86_64 qtests and
#                   check-tcg on our patched build (UPSTREAM_BASELINE=1:
#                   failures again on upstream QEMU, a second build)
#   make check-modules      a second build with --enable-modules, as
#                   Debian builds QEMU (the device is then a module), and
#                   our unit tests, qtests and TCG tests on it
#   make bench      lent vs trapped bandwidth, map throughput, extents
#   make shell      a shell in the build environment
#
# Everything runs in the Debian trixie build environment (build-env/).

BUILD ?= build
RUN := build-env/run
QEMU_BUILD := $(BUILD)/qemu

.PHONY: all prepare guest demo check check-xen check-mesa check-sanitizers check-upstream check-modules bench shell clean distclean

all: prepare
	$(RUN) ninja -C $(QEMU_BUILD) qemu-system-x86_64
	ln -sfn qemu/qemu-system-x86_64 $(BUILD)/qemu-system-x86_64

$(QEMU_BUILD)/build.ninja:
	./configure --build-dir=$(BUILD)

# Cheap when nothing changed: re-applies patches/ only when they change and
# links new overlay files into the source tree.
prepare: $(QEMU_BUILD)/build.ninja
	$(RUN) build-env/prepare-source.sh $(BUILD)/src
	$(RUN) build-env/overlay.sh $(BUILD)/src

# The test guest: Debian's kernel, busybox and our client in an initramfs;
# and the Mesa guest's first stage (its root: tests/guest/mesa/make-root.sh)
guest: all
	$(RUN) tests/guest/mkinitramfs.sh $(BUILD)/guest

demo: guest
	$(RUN) tests/guest/demo.py --qemu $(BUILD)/qemu-system-x86_64 \
		--guest $(BUILD)/guest

check: guest
	build-env/check-all.sh $(BUILD)

check-xen: guest
	tests/xen/run.sh $(BUILD)

check-mesa: guest
	tests/guest/mesa/run.sh $(BUILD)

# Long (every x86_64 qtest, migration-test among them), so not part of
# check, which runs the unit tests and the qtests of what patches/ changes
check-upstream: all
	build-env/check-upstream.sh $(BUILD)

# Timed, so not part of check: numbers in $(BUILD)/bench/results.md
bench: guest
	$(RUN) ninja -C $(QEMU_BUILD) tests/qtest/virtio-gpu-xenlend-bench
	$(RUN) tests/guest/bench.py --build $(BUILD) \
		--mesa-root $$(tests/guest/mesa/make-root.sh)/root.img

SAN_BUILD := build-sanitizers
check-sanitizers:
	[ -f $(SAN_BUILD)/qemu/build.ninja ] || \
		./configure --build-dir=$(SAN_BUILD) --enable-sanitizers
	$(MAKE) BUILD=$(SAN_BUILD) all
	ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:abort_on_error=1 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:abort_on_error=1 \
		$(RUN) build-env/check.py --build $(SAN_BUILD) --no-guest

# A second full build, so not part of check
MOD_BUILD := build-modules
check-modules:
	[ -f $(MOD_BUILD)/qemu/build.ninja ] || \
		./configure --build-dir=$(MOD_BUILD) -- --enable-modules
	$(MAKE) BUILD=$(MOD_BUILD) all
	$(RUN) build-env/check.py --build $(MOD_BUILD) --no-guest

shell:
	$(RUN) bash

clean:
	-$(RUN) ninja -C $(QEMU_BUILD) clean

distclean:
	rm -rf $(BUILD)
