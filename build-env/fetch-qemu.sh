#!/usr/bin/env bash
# Download the pinned Debian qemu source package into DIR (once) and verify
# its checksums.  Runs inside the build environment.
#   fetch-qemu.sh DIR   -> prints the path of the verified .dsc
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/qemu.pin"
dir=$1
mkdir -p "$dir"
cd "$dir"

verify() {
    sha256sum --quiet -c - <<SUMS
$QEMU_DSC_SHA256  $QEMU_DSC
$QEMU_ORIG_SHA256  $QEMU_ORIG
$QEMU_DEBIAN_SHA256  $QEMU_DEBIAN
SUMS
}

if ! verify >/dev/null 2>&1; then
    rm -f "$QEMU_DSC" "$QEMU_ORIG" "$QEMU_DEBIAN"
    echo "fetch-qemu: downloading qemu $QEMU_DEB_VERSION source" >&2
    if ! apt-get source --download-only -qq -o APT::Sandbox::User=root "qemu=$QEMU_DEB_VERSION" >&2; then
        apt-get update -qq >&2 || true
        apt-get source --download-only -qq -o APT::Sandbox::User=root "qemu=$QEMU_DEB_VERSION" >&2 || {
            echo "fetch-qemu: qemu $QEMU_DEB_VERSION is no longer on the" \
                 "mirror; update build-env/qemu.pin or pass" \
                 "--qemu-source=FILE to configure" >&2
            exit 1
        }
    fi
    verify >&2 || {
        echo "fetch-qemu: checksum mismatch for the qemu source in $dir" >&2
        exit 1
    }
fi
echo "$dir/$QEMU_DSC"
