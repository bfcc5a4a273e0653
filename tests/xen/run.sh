#!/usr/bin/env bash
# make check-xen: Xen 4.20 nested under our QEMU's TCG, a trixie dom0 with
# xl, and HVM guests whose device model is our QEMU with
# virtio-gpu-xenlend.  Prints the cases' results and "N passed, N failed".
#   tests/xen/run.sh BUILD_DIR [CASES_FILE]
# CASES_FILE defaults to tests/xen/cases (make check and make check-xen);
# tests/xen/cases-paused is the quick subset.  XENLEND_BED_XEN=patched
# boots the hypervisor built by contrib/xen-lend/hypervisor/build-xen.sh
# instead of Debian's binary.
# Runs on the host (the bed is made with debootstrap, as root); the boot
# itself runs in the build environment.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$top/build-env/env.sh"
build=$(cd "${1:-build}" && pwd)
cases=$(realpath "${2:-$here/cases}")
out=$build/xen
bed=$("$here/bed.sh")
xenlend_need_tool mke2fs e2fsprogs

# The payload disk: our QEMU, the guest, the dom0 init and the cases
stage=$out/payload
rm -rf "$stage"
mkdir -p "$stage/guest"
xenlend_run strip -o "$stage/qemu-system-x86_64" "$build/qemu/qemu-system-x86_64"
cp "$build/guest/vmlinuz" "$build/guest/initrd.gz" "$stage/guest/"
cp "$here/dom0-init" "$here/dm.sh" "$here/hvm-xenlend.cfg" "$stage/"
cp "$cases" "$stage/cases"
missing=$(bwrap --ro-bind "$bed/root" / --ro-bind "$stage" /mnt \
              --dev /dev --proc /proc ldd /mnt/qemu-system-x86_64 |
          awk '/not found/ { print $1 }')
# and those that libepoxy and virglrenderer dlopen, which ldd cannot see
for lib in libGL.so.1 libEGL.so.1; do
    [ -e "$bed/root/usr/lib/x86_64-linux-gnu/$lib" ] || missing="$missing $lib"
done
[ -z "$missing" ] || xenlend_die "dom0 lacks libraries our QEMU needs:" \
    "$missing; add their packages to tests/xen/dom0-packages.txt"

# The phase-1 lending module (contrib/xen-lend/dom0-module), built against
# the headers of the bed's own dom0 kernel
kver=$(ls "$bed/root/lib/modules" | head -1)
mod=$out/xen-lend-module
rm -rf "$mod"
mkdir -p "$mod/include/hw/xen"
cp "$top"/contrib/xen-lend/dom0-module/{Makefile,*.c,*.h} "$mod/"
cp "$top/include/hw/xen/xen-lend-abi.h" "$mod/include/hw/xen/"
bwrap --ro-bind "$bed/root" / --bind "$mod" /mnt --dev /dev --proc /proc \
      --tmpfs /tmp make -C "/lib/modules/$kver/build" M=/mnt \
      XEN_LEND_INCLUDE=/mnt/include modules > "$out/module-build.log" 2>&1 ||
    { tail -20 "$out/module-build.log" >&2
      xenlend_die "building the xen-lend module failed"; }
cp "$mod/xen-lend.ko" "$stage/"

mke2fs -q -F -t ext4 -d "$stage" -L bed "$out/payload.img" 512M

# The hypervisor: Debian's binary from the bed, or with
# XENLEND_BED_XEN=patched the pinned source rebuilt with the lending
# patches (contrib/xen-lend/hypervisor)
xen=$bed/xen
case "${XENLEND_BED_XEN:-debian}" in
debian) ;;
patched) xen=$(xenlend_run "$top/contrib/xen-lend/hypervisor/build-xen.sh") ;;
*) xenlend_die "XENLEND_BED_XEN is 'debian' or 'patched'" ;;
esac

xenlend_run "$here/xen_e2e.py" --qemu "$build/qemu-system-x86_64" \
    --bed "$bed" --xen "$xen" --payload "$out/payload.img" \
    --cases "$cases" --out "$out"
