#!/usr/bin/env bash
# Make the Xen test bed's dom0 root and boot files once, in the cache
# (remade when dom0-packages.txt, this script or the mirror change):
#   $XENLEND_CACHE/xen-bed/{xen,vmlinuz,initrd.img,root.img}
# Runs on the host as root (debootstrap); prints the bed directory.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../build-env/env.sh"
bed=$XENLEND_CACHE/xen-bed
hash=$(xenlend_root_hash "$here/dom0-packages.txt" "$0")
if [ "$(cat "$bed/.hash" 2>/dev/null)" = "$hash" ]; then
    echo "$bed"
    exit 0
fi

xenlend_need_tool bwrap bubblewrap
xenlend_need_tool mke2fs e2fsprogs
tmp=$bed.new
log=$XENLEND_CACHE/make-xen-bed.log
echo "xen-bed: making the dom0 root in $bed (about 3 minutes; log: $log)" >&2
rm -rf "$tmp"
mkdir -p "$tmp"
: > "$log"
xenlend_debootstrap "$tmp/root" "$here/dom0-packages.txt" "$log" \
    "the Xen test bed's dom0 root"
# the same suites as the build environment, so that dom0's Xen is the
# one our QEMU was built against
cat > "$tmp/root/etc/apt/sources.list" <<SRC
deb $XENLEND_MIRROR trixie main
deb $XENLEND_MIRROR trixie-updates main
deb $XENLEND_SECURITY_MIRROR trixie-security main
SRC
XENLEND_ROOT=$tmp/root xenlend_bwrap env DEBIAN_FRONTEND=noninteractive \
    sh -c 'apt-get update -qq && apt-get upgrade -y -qq && apt-get clean' \
    >>"$log" 2>&1 ||
    { tail -20 "$log" >&2; xenlend_die "updating the dom0 root failed"; }

# PID 1 mounts the test's payload disk and hands over to its dom0-init
cat > "$tmp/root/sbin/xenbed-init" <<'INIT'
#!/bin/sh
mount -t devtmpfs devtmpfs /dev
mkdir -p /bed
mount -o ro /dev/vdb /bed || { echo "xenbed-init: no payload disk"; sleep 5; }
exec /bed/dom0-init
INIT
chmod 755 "$tmp/root/sbin/xenbed-init"

boot=$tmp/root/boot
xen=$(ls "$boot"/xen-4.20-amd64.gz 2>/dev/null || ls "$boot"/xen-*.gz | tail -1)
zcat "$xen" > "$tmp/xen"
cp "$(ls "$boot"/vmlinuz-* | tail -1)" "$tmp/vmlinuz"
cp "$(ls "$boot"/initrd.img-* | tail -1)" "$tmp/initrd.img"
mke2fs -q -F -t ext4 -d "$tmp/root" -L root "$tmp/root.img" 3G >>"$log" 2>&1 ||
    { tail -20 "$log" >&2; xenlend_die "making the dom0 root image failed"; }
echo "$hash" > "$tmp/.hash"
rm -rf "$bed"
mv "$tmp" "$bed"
echo "$bed"
