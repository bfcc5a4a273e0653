#!/usr/bin/env bash
# A QEMU run from its build tree looks for firmware under BUILD/qemu-bundle
# (the relocated --firmwarepath).  Debian's packages (seabios, ipxe-qemu,
# qemu-system-data) provide it under /usr: link it there.  Runs inside the
# build environment.
#   link-firmware.sh QEMU_BUILD
set -euo pipefail
bundle=$1/qemu-bundle
for dir in /usr/share/seabios /usr/lib/ipxe/qemu; do
    mkdir -p "$bundle$(dirname "$dir")"
    ln -sfn "$dir" "$bundle$dir"
done
mkdir -p "$bundle/usr/share/qemu"
for f in /usr/share/qemu/*; do
    dst=$bundle/usr/share/qemu/$(basename "$f")
    [ -e "$dst" ] || ln -sfn "$f" "$dst"
done
