#!/usr/bin/env bash
# Build the Xen hypervisor of the pinned Debian source package with our
# patches (patches/*.patch, in name order) the way Debian's rules build it:
# Debian's own kconfig (debian/xen-kconfig), olddefconfig, its make
# arguments, hypervisor only.  The result is kept in the cache and made
# again only when the pin, the patches or this script change.
# Runs inside the build environment.
#   build-xen.sh [PIN]   -> prints the path of the hypervisor (ELF, as
#                           Debian's /boot/xen-*.gz holds it gzipped)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../.." && pwd)
. "$top/build-env/env.sh"
pin=$(realpath "${1:-$here/xen.pin}")
patches=$(find "$here/patches" -name '*.patch' 2>/dev/null | sort)

# shellcheck disable=SC2086
hash=$({ cat "$pin" "$0"; [ -z "$patches" ] || cat $patches; } |
       sha256sum | cut -c1-16)
out=$XENLEND_CACHE/xen-hypervisor/$hash
if [ -s "$out/xen" ]; then
    echo "$out/xen"
    exit 0
fi

dsc=$("$here/fetch-xen.sh" "$XENLEND_CACHE/sources/xen" "$pin")
work=$out.build
log=$out.log
rm -rf "$work"
mkdir -p "$work"
trap 'rm -rf "$work"' EXIT
echo "build-xen: building the hypervisor of $(basename "$dsc") with" \
     "$(echo "$patches" | grep -c . || true) patches (log: $log)" >&2
# dpkg-source applies Debian's own patch queue
dpkg-source --no-check -q -x "$dsc" "$work/src" > "$log" 2>&1
cd "$work/src"
for p in $patches; do
    echo "applying $(basename "$p")" >> "$log"
    patch -p1 --forward --batch --fuzz=0 < "$p" >> "$log" 2>&1 || {
        tail -20 "$log" >&2
        xenlend_die "$(basename "$p") does not apply to $(basename "$dsc")"
    }
done

# Debian's debian/rules: override_dh_auto_configure and make_args_xen
SOURCE_DATE_EPOCH=$(dpkg-parsechangelog -STimestamp)
XEN_BUILD_DATE=$(LC_ALL=C date -u -d "@$SOURCE_DATE_EPOCH")
XEN_BUILD_TIME=$(LC_ALL=C date -u -d "@$SOURCE_DATE_EPOCH" +%T)
export SOURCE_DATE_EPOCH XEN_BUILD_DATE XEN_BUILD_TIME
export WGET=/bin/false GIT=/bin/false
unset CFLAGS CXXFLAGS CPPFLAGS LDFLAGS
args=(CC="ccache x86_64-linux-gnu-gcc" LD=x86_64-linux-gnu-ld
      XEN_COMPILE_ARCH=x86_64 XEN_TARGET_ARCH=x86_64
      EXTRA_CFLAGS_XEN_CORE="-ffile-prefix-map=$PWD=. -fdebug-prefix-map=$PWD=.")
cp debian/xen-kconfig xen/.config
{ make -C xen olddefconfig "${args[@]}" &&
  make -j"$(nproc)" xen "${args[@]}"; } >> "$log" 2>&1 || {
    tail -30 "$log" >&2
    xenlend_die "building the hypervisor failed (log: $log)"
}

rm -rf "$out.new"
mkdir -p "$out.new"
cp xen/xen "$out.new/xen"
cp xen/.config "$out.new/xen.config"
{ basename "$dsc"; echo "$patches"; } > "$out.new/built-from"
rm -rf "$out"
mv "$out.new" "$out"
echo "$out/xen"
