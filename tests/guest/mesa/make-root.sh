#!/usr/bin/env bash
# Make the Mesa guest's root once, in the cache (remade when packages.txt,
# this script or the mirror change): a Debian trixie root with Mesa's venus
# and virgl drivers, packed as an ext4 image the guest mounts read-only.
#   $XENLEND_CACHE/guest-mesa/root.img
# Runs on the host as root (debootstrap); prints the directory.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../../build-env/env.sh"
dir=$XENLEND_CACHE/guest-mesa
hash=$(xenlend_root_hash "$here/packages.txt" "$0")
if [ "$(cat "$dir/.hash" 2>/dev/null)" = "$hash" ]; then
    echo "$dir"
    exit 0
fi

xenlend_need_tool mke2fs e2fsprogs
tmp=$dir.new
log=$XENLEND_CACHE/make-guest-mesa.log
echo "guest-mesa: making the Mesa guest root in $dir (about 3 minutes; log: $log)" >&2
rm -rf "$tmp"
mkdir -p "$tmp"
: > "$log"
xenlend_debootstrap "$tmp/root" "$here/packages.txt" "$log" \
    "the Mesa guest's root"
# what the guest never uses: apt's lists and caches, docs, locales
rm -rf "$tmp"/root/var/cache/apt/* "$tmp"/root/var/lib/apt/lists/* \
       "$tmp"/root/usr/share/doc "$tmp"/root/usr/share/man \
       "$tmp"/root/usr/share/locale
mkdir -p "$tmp/root/xenlend"
size=$(( $(du -sm "$tmp/root" | cut -f1) * 5 / 4 + 64 ))
mke2fs -q -F -t ext4 -d "$tmp/root" -L mesa "$tmp/root.img" "${size}M" \
    >>"$log" 2>&1 ||
    { tail -20 "$log" >&2; xenlend_die "making the Mesa guest image failed"; }
rm -rf "$tmp/root"
echo "$hash" > "$tmp/.hash"
rm -rf "$dir"
mv "$tmp" "$dir"
echo "$dir"
