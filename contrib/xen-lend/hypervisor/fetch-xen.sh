#!/usr/bin/env bash
# Put the pinned Xen tarball (xen.pin) into DIR, once, checked against its
# sha256.  It comes from XENLEND_XEN_SOURCE_DIR when that is set, else from
# shared/xen beside the clone; never from the network (the mirror lists
# Debian's xen source package but does not serve it).  Runs on the host:
# the build environment sees neither directory.
#   fetch-xen.sh DIR [PIN]   -> prints the path of the verified tarball
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../../build-env/env.sh"
dir=$1
pin=${2:-$here/xen.pin}
# shellcheck disable=SC1090
. "$pin"
shared=$(realpath -m "$XENLEND_TOP/../shared/xen")
if [ -n "${XENLEND_XEN_SOURCE_DIR:-}" ]; then
    from=$XENLEND_XEN_SOURCE_DIR
    hint="put the pinned file in XENLEND_XEN_SOURCE_DIR ($from), or unset"
    hint="$hint it to take the one in $shared"
else
    from=$shared
    hint="put the pinned file in $shared (shared/xen beside the clone),"
    hint="$hint or in a directory named by XENLEND_XEN_SOURCE_DIR"
fi

verify() {
    echo "$XEN_TARBALL_SHA256  $1" | sha256sum --quiet -c - >/dev/null 2>&1
}

tarball=$dir/$XEN_TARBALL
if ! verify "$tarball"; then
    [ -r "$from/$XEN_TARBALL" ] ||
        xenlend_die "$XEN_TARBALL (pinned in $pin) is not in $from: $hint"
    mkdir -p "$dir"
    cp "$from/$XEN_TARBALL" "$tarball.new"
    # check the copy, the file the build will read
    verify "$tarball.new" || {
        sum=$(sha256sum "$tarball.new" | cut -d' ' -f1)
        rm -f "$tarball.new"
        xenlend_die "$from/$XEN_TARBALL has sha256 $sum, $pin pins" \
            "$XEN_TARBALL_SHA256: $hint"
    }
    mv "$tarball.new" "$tarball"
    echo "fetch-xen: took $XEN_TARBALL from $from" >&2
fi
echo "$tarball"
