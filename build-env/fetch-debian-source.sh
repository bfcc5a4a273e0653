#!/usr/bin/env bash
# Put a pinned Debian source package into DIR (once) and verify its
# checksums.  PIN sets ${NAME}_DEB_VERSION and, with their _SHA256,
# ${NAME}_DSC, ${NAME}_ORIG and ${NAME}_DEBIAN; NAME in lower case is the
# source package.  The files come from XENLEND_${NAME}_SOURCE_DIR when it
# holds them (for a mirror that lacks them), else from apt-get source.
# HINT says what to do when neither has them.  Runs inside the build
# environment.  It fetches qemu's (fetch-qemu.sh); Xen's source is an
# upstream tarball (contrib/xen-lend/hypervisor/fetch-xen.sh).
#   fetch-debian-source.sh PIN NAME DIR HINT   -> prints the verified .dsc
set -euo pipefail
pin=$1 name=$2 dir=$3 hint=$4
pkg=${name,,}
# shellcheck disable=SC1090
. "$pin"
var() { local v="${name}_$1"; echo "${!v}"; }
version=$(var DEB_VERSION)
files=("$(var DSC)" "$(var ORIG)" "$(var DEBIAN)")
sums=("$(var DSC_SHA256)" "$(var ORIG_SHA256)" "$(var DEBIAN_SHA256)")
local_var=XENLEND_${name}_SOURCE_DIR
local_dir=${!local_var:-}
mkdir -p "$dir"
cd "$dir"

verify() {
    for i in 0 1 2; do
        echo "${sums[i]}  ${files[i]}"
    done | sha256sum --quiet -c -
}

apt_source() {
    apt-get source --download-only -qq -o APT::Sandbox::User=root \
        "$pkg=$version" >&2
}

if ! verify >/dev/null 2>&1; then
    rm -f "${files[@]}"
    if [ -n "$local_dir" ] && [ -r "$local_dir/${files[0]}" ]; then
        echo "fetch: taking $pkg $version from $local_dir" >&2
        for f in "${files[@]}"; do
            cp "$local_dir/$f" . 2>/dev/null || true
        done
    else
        echo "fetch: downloading $pkg $version source" >&2
        apt_source || { apt-get update -qq >&2 || true; apt_source; } || {
            echo "fetch: the mirror does not serve $pkg $version's source;" \
                 "$hint, or put ${files[*]} in a directory and name it in" \
                 "$local_var" >&2
            exit 1
        }
    fi
    verify >&2 || {
        echo "fetch: checksum mismatch for the $pkg source in $dir" >&2
        exit 1
    }
fi
echo "$dir/${files[0]}"
