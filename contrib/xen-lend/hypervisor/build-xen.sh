#!/usr/bin/env bash
# Build the Xen hypervisor of the pinned upstream tarball (xen.pin) with
# our patches (patches/*.patch, in name order, without fuzz) and Debian's
# hypervisor configuration: CONFIG, the bed's /boot/xen-4.20-amd64.config
# (from xen-hypervisor-4.20-amd64), through olddefconfig.  The result is
# kept in the cache and made again only when the pin, the patches, the
# configuration or this script change.
# Runs on the host like tests/xen/run.sh (fetch-xen.sh reads the tarball
# from outside the build environment); unpacking, patching and compiling
# run in the build environment.
#   build-xen.sh [CONFIG [PIN]]   -> prints the path of the hypervisor
#       (the multiboot ELF that Debian's /boot/xen-*.gz holds gzipped)
# CONFIG defaults to the test bed's (tests/xen/bed.sh makes the bed).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../.." && pwd)
. "$top/build-env/env.sh"
config=${1:-$XENLEND_CACHE/xen-bed/root/boot/xen-4.20-amd64.config}
[ -r "$config" ] ||
    xenlend_die "no Xen configuration at $config: make the test bed" \
        "(tests/xen/bed.sh, as root) or pass Debian's xen-4.20-amd64.config"
config=$(realpath "$config")
pin=$(realpath "${2:-$here/xen.pin}")
# shellcheck disable=SC1090
. "$pin"

# the patches in DIR, in name order
series() {
    [ ! -d "$1" ] || find "$1" -maxdepth 1 -name '*.patch' | LC_ALL=C sort
}
# the cache key of the pin, the configuration, this script and the
# patches given; names too: renaming a patch reorders the series
key() {
    { cat "$pin" "$config" "$here/build-xen.sh"
      for p in "$@"; do basename "$p"; cat "$p"; done; } |
    sha256sum | cut -c1-16
}
built() { [ -s "$out/xen" ] && echo "$out/xen"; }
patches=$(series "$here/patches")
# shellcheck disable=SC2086
out=$XENLEND_CACHE/xen-hypervisor/$(key $patches)
built && exit 0

tarball=$("$here/fetch-xen.sh" "$XENLEND_CACHE/sources/xen" "$pin")
# One build directory for every hash: ccache then hits across patch
# changes, and the paths that end up in the binary stay the same.  So one
# build at a time.
work=$XENLEND_CACHE/xen-hypervisor/build
mkdir -p "$XENLEND_CACHE/xen-hypervisor"
exec 9> "$work.lock"
flock 9
src=$work/src
rm -rf "$work"
mkdir -p "$src" "$work/patches"
trap 'rm -rf "$work"' EXIT
# The series as it is now, copied: it may have changed while we waited,
# and must not change under the build; another build may have made it.
patches=$(series "$here/patches")
# shellcheck disable=SC2086
[ -z "$patches" ] || cp $patches "$work/patches/"
patches=$(series "$work/patches")
# shellcheck disable=SC2086
out=$XENLEND_CACHE/xen-hypervisor/$(key $patches)
built && exit 0
log=$out.log
echo "build-xen: building the hypervisor of $XEN_TARBALL with" \
     "$(echo "$patches" | grep -c . || true) patches (a minute or two;" \
     "log: $log)" >&2
: > "$log"
xenlend_run tar -xJf "$tarball" -C "$src" --strip-components=1 \
    "$XEN_TARBALL_PREFIX/" >> "$log" 2>&1 ||
    { tail -5 "$log" >&2; xenlend_die "unpacking $tarball failed"; }
for p in $patches; do
    echo "applying $(basename "$p")" >> "$log"
    # no git repository above src may decide what the paths mean
    (cd "$src" && xenlend_run env GIT_CEILING_DIRECTORIES="$work" \
        git apply --verbose "$p") >> "$log" 2>&1 || {
        tail -20 "$log" >&2
        xenlend_die "$(basename "$p") does not apply to $XEN_TARBALL"
    }
done

# Reproducible: git archive stamps every file with the commit's date, and
# Xen's Config.mk dates the build by SOURCE_DATE_EPOCH.  The vendor
# version tells this hypervisor from Debian's in the boot banner.
epoch=$(stat -c %Y "$src/xen/Makefile")
args=(XEN_TARGET_ARCH=x86_64 CC="ccache gcc" XEN_VENDORVERSION=-xenlend
      XEN_BUILD_HOST=build-env XEN_WHOAMI=xenlend XEN_DOMAIN=xenlend
      EXTRA_CFLAGS_XEN_CORE="-ffile-prefix-map=$src=.")
cp "$config" "$src/xen/.config"
(cd "$src" && xenlend_run env -u CFLAGS -u CPPFLAGS -u LDFLAGS \
    SOURCE_DATE_EPOCH="$epoch" CCACHE_BASEDIR="$src" \
    sh -c 'make -C xen olddefconfig "$@" && make -C xen -j"$(nproc)" "$@"' \
    sh "${args[@]}") >> "$log" 2>&1 || {
    tail -30 "$log" >&2
    xenlend_die "building the hypervisor failed (log: $log)"
}

rm -rf "$out.new"
mkdir -p "$out.new"
cp "$src/xen/xen" "$src/xen/xen-syms" "$out.new/"
cp "$src/xen/.config" "$out.new/xen.config"
{ echo "$XEN_TARBALL $XEN_TARBALL_SHA256 (commit $XEN_COMMIT)"
  echo "config $config $(sha256sum < "$config" | cut -d' ' -f1)"
  for p in $patches; do basename "$p"; done; } > "$out.new/built-from"
rm -rf "$out"
mv "$out.new" "$out"
echo "build-xen: built $out/xen" >&2
echo "$out/xen"
