#!/usr/bin/env bash
# Put the pinned Debian xen source package into DIR (once) and verify its
# checksums.  The files come from XENLEND_XEN_SOURCE_DIR when it holds
# them (a mirror that lacks Xen's source), else from apt-get source.
# Runs inside the build environment.
#   fetch-xen.sh DIR [PIN]   -> prints the path of the verified .dsc
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
pin=${2:-$here/xen.pin}
# shellcheck disable=SC1090
. "$pin"
dir=$1
mkdir -p "$dir"
cd "$dir"

verify() {
    sha256sum --quiet -c - <<SUMS
$XEN_DSC_SHA256  $XEN_DSC
$XEN_ORIG_SHA256  $XEN_ORIG
$XEN_DEBIAN_SHA256  $XEN_DEBIAN
SUMS
}

if ! verify >/dev/null 2>&1; then
    rm -f "$XEN_DSC" "$XEN_ORIG" "$XEN_DEBIAN"
    local_dir=${XENLEND_XEN_SOURCE_DIR:-}
    if [ -n "$local_dir" ] && [ -r "$local_dir/$XEN_DSC" ]; then
        echo "fetch-xen: taking xen $XEN_DEB_VERSION from $local_dir" >&2
        cp "$local_dir/$XEN_DSC" "$local_dir/$XEN_ORIG" \
           "$local_dir/$XEN_DEBIAN" . 2>/dev/null || true
    else
        echo "fetch-xen: downloading xen $XEN_DEB_VERSION source" >&2
        apt-get source --download-only -qq -o APT::Sandbox::User=root \
            "xen=$XEN_DEB_VERSION" >&2 || {
            echo "fetch-xen: the mirror does not serve xen" \
                 "$XEN_DEB_VERSION's source; put $XEN_DSC, $XEN_ORIG and" \
                 "$XEN_DEBIAN in a directory and name it in" \
                 "XENLEND_XEN_SOURCE_DIR" >&2
            exit 1
        }
    fi
    verify >&2 || {
        echo "fetch-xen: checksum mismatch for the xen source in $dir" >&2
        exit 1
    }
fi
echo "$dir/$XEN_DSC"
