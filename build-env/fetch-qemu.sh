#!/usr/bin/env bash
# Download the pinned Debian qemu source package into DIR (once) and verify
# its checksums.  Runs inside the build environment.
#   fetch-qemu.sh DIR   -> prints the path of the verified .dsc
here=$(cd "$(dirname "$0")" && pwd)
exec "$here/fetch-debian-source.sh" "$here/qemu.pin" QEMU "$1" \
    "update build-env/qemu.pin or pass --qemu-source=FILE to configure"
