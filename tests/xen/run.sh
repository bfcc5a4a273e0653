#!/usr/bin/env bash
# make check-xen: Xen 4.20 nested under our QEMU's TCG, a trixie dom0 with
# xl, and HVM guests whose device model is our QEMU with
# virtio-gpu-xenlend.  Prints the cases' results and "N passed, N failed".
#   tests/xen/run.sh BUILD_DIR [CASES_FILE]
# Two boots: tests/xen/cases on the hypervisor that
# contrib/xen-lend/hypervisor/build-xen.sh builds from the pinned tarball
# with the lending patches, and tests/xen/cases-stock (the phase-1
# module's cases, its fallback on an unmodified Xen) on Debian's binary
# from the bed; the last line adds both up.  With CASES_FILE, one boot of
# those cases (tests/xen/cases-paused is the quick subset) on the patched
# hypervisor.  XENLEND_BED_XEN=debian boots Debian's binary every time
# (to tell whether the patches are to blame).
# Runs on the host (the bed is made with debootstrap, as root); the boot
# itself runs in the build environment.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$top/build-env/env.sh"
build=$(cd "${1:-build}" && pwd)
out=$build/xen
bed=$("$here/bed.sh")
xenlend_need_tool mke2fs e2fsprogs

# The boots: a cases file each, and the hypervisor it runs on
main_xen=${XENLEND_BED_XEN:-patched}
case "$main_xen" in
patched|debian) ;;
*) xenlend_die "XENLEND_BED_XEN is 'patched' or 'debian'" ;;
esac
if [ -n "${2:-}" ]; then
    boot_cases=("$(realpath "$2")") boot_xen=("$main_xen")
else
    boot_cases=("$here/cases" "$here/cases-stock")
    boot_xen=("$main_xen" debian)
fi
# First, so that a patch that does not build stops the run before the
# payload is made.  Debian's hypervisor configuration comes from the
# bed's xen-hypervisor-4.20-amd64, the package whose binary it replaces.
patched_xen=
if [[ " ${boot_xen[*]} " == *" patched "* ]]; then
    patched_xen=$("$top/contrib/xen-lend/hypervisor/build-xen.sh" \
                      "$bed/root/boot/xen-4.20-amd64.config")
fi

# The payload: our QEMU, the guest and the dom0 init (the cases go in
# per boot, below)
stage=$out/payload
rm -rf "$stage"
mkdir -p "$stage/guest"
xenlend_run strip -o "$stage/qemu-system-x86_64" "$build/qemu/qemu-system-x86_64"
cp "$build/guest/vmlinuz" "$build/guest/initrd.gz" \
   "$build/guest/initrd-mesa.gz" "$stage/guest/"
cp "$here/dom0-init" "$here/dm.sh" "$here/hvm-xenlend.cfg" \
   "$here/hvm-mesa.cfg" "$here/foreign-map.py" "$stage/"
# the hostile lender (MODE hostile), for dom0's libc: the build root's
xenlend_run gcc -O2 -Wall -Werror -I"$top/include" -o "$stage/lend-hostile" \
    "$here/lend-hostile.c"
# the Mesa guest's root, a disk of the bed of its own (dom0's /dev/vdc)
mesa_root=$("$top/tests/guest/mesa/make-root.sh")/root.img
missing=$(bwrap --ro-bind "$bed/root" / --ro-bind "$stage" /mnt \
              --dev /dev --proc /proc ldd /mnt/qemu-system-x86_64 |
          awk '/not found/ { print $1 }')
# and those that libepoxy and virglrenderer dlopen, which ldd cannot see
for lib in libGL.so.1 libEGL.so.1; do
    [ -e "$bed/root/usr/lib/x86_64-linux-gnu/$lib" ] || missing="$missing $lib"
done
[ -z "$missing" ] || xenlend_die "dom0 lacks libraries our QEMU needs:" \
    "$missing; add their packages to tests/xen/dom0-packages.txt"

# Out-of-tree modules, built against the headers of the bed's own dom0
# kernel: build_module NAME FILE... (NAME.ko is the result)
kver=$(ls "$bed/root/lib/modules" | head -1)
build_module() {
    local name=$1 mod=$out/$1-module
    shift
    rm -rf "$mod"
    mkdir -p "$mod/include/hw/xen"
    cp "$@" "$mod/"
    cp "$top/include/hw/xen/xen-lend-abi.h" "$mod/include/hw/xen/"
    bwrap --ro-bind "$bed/root" / --bind "$mod" /mnt --dev /dev --proc /proc \
          --tmpfs /tmp make -C "/lib/modules/$kver/build" M=/mnt \
          XEN_LEND_INCLUDE=/mnt/include modules > "$out/$name-build.log" 2>&1 ||
        { tail -20 "$out/$name-build.log" >&2
          xenlend_die "building the $name module failed"; }
    cp "$mod/$name.ko" "$stage/"
}
# the lending module (contrib/xen-lend/dom0-module)
dom0_module=$top/contrib/xen-lend/dom0-module
build_module xen-lend "$dom0_module"/{Makefile,*.c,*.h}
# the 2 MiB lending check (MODE lend2m), with the module's DMOP calls
build_module xen-lend-2m-test "$here"/lend-2m-test/{Makefile,*.c} \
    "$dom0_module"/lend-xen.{c,h}

# One boot per cases file, each with its own payload disk (dom0-init runs
# /bed/cases) and its own directory of logs
results=() reports=()
total_passed=0 total_failed=0
for i in "${!boot_cases[@]}"; do
    cases=${boot_cases[i]}
    dir=$out/$(basename "$cases")
    if [ "${boot_xen[i]}" = patched ]; then
        xen=$patched_xen what="the patched hypervisor"
    else
        xen=$bed/xen what="Debian's hypervisor"
    fi
    rm -rf "$dir"
    mkdir -p "$dir"
    cp "$cases" "$stage/cases"
    : > "$dir/payload.img"  # mke2fs -q still announces a file it creates
    mke2fs -q -F -t ext4 -d "$stage" -L bed "$dir/payload.img" 512M
    echo "xen-bed: boot $((i + 1)) of ${#boot_cases[@]}:" \
         "$(basename "$cases") on $what ($xen)"
    # a failed check is counted from the report, not from the exit status
    xenlend_run "$here/xen_e2e.py" --qemu "$build/qemu-system-x86_64" \
        --bed "$bed" --xen "$xen" --payload "$dir/payload.img" \
        --mesa-root "$mesa_root" \
        --cases "$cases" --out "$dir" | tee "$dir/report.txt" || true
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$dir/report.txt" |
           tail -n 1)
    if [ -z "$line" ]; then
        echo "xen-bed: $(basename "$cases") stopped before reporting"
        line="0 passed, 1 failed"
    fi
    p=${line%% passed*} f=${line#*passed, }
    f=${f%% failed*}
    total_passed=$((total_passed + p)) total_failed=$((total_failed + f))
    results+=("$(basename "$cases") on $what: $line")
    reports+=("$dir/report.txt")
done
[ ${#boot_cases[@]} -gt 1 ] || exit $((total_failed > 0))

# xenlend-lend and xenlend-off ran in different boots, so no report had
# both bandwidths
bw() {
    sed -n "s/^$1: XENLEND-RESULT .*bw_blob_mbs=\([0-9.]*\).*/\1/p" \
        "${reports[@]}" | head -n 1
}
trapped=$(bw xenlend-off)
for lent_case in xenlend-dmop xenlend-lend; do
    lent=$(bw $lent_case)
    [ -n "$lent" ] && [ -n "$trapped" ] || continue
    awk -v on="$lent" -v off="$trapped" -v c="$lent_case" 'BEGIN {
        ratio = off > 0 ? sprintf("%.0fx", on / off) : "inf"
        printf "guest write bandwidth into a mapped blob: lent (%s) %s " \
               "MB/s, trapped %s MB/s, lent/trapped %s\n", c, on, off, ratio }'
done
for r in "${results[@]}"; do
    echo "xen-bed: $r"
done
echo "$total_passed passed, $total_failed failed"
[ "$total_failed" = 0 ]
