#!/usr/bin/env bash
# Put the pinned Debian xen source package into DIR (once) and verify its
# checksums; the files may come from XENLEND_XEN_SOURCE_DIR.  Runs inside
# the build environment.
#   fetch-xen.sh DIR [PIN]   -> prints the path of the verified .dsc
here=$(cd "$(dirname "$0")" && pwd)
exec "$here/../../../build-env/fetch-debian-source.sh" \
    "${2:-$here/xen.pin}" XEN "$1" "update contrib/xen-lend/hypervisor/xen.pin"
