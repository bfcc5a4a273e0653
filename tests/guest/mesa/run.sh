#!/usr/bin/env bash
# make check-mesa: real Mesa in a guest under TCG (tests/guest/mesa/
# mesa_e2e.py), lend=on and lend=off.  Makes the guest's Debian root
# first (make-root.sh, debootstrap, as root, once), so it runs on the
# host; the boots run in the build environment.
#   tests/guest/mesa/run.sh BUILD_DIR [mesa_e2e.py options]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../../build-env/env.sh"
build=$(cd "${1:-build}" && pwd)
shift || true
root=$("$here/make-root.sh")/root.img
xenlend_run "$here/mesa_e2e.py" --qemu "$build/qemu-system-x86_64" \
    --guest "$build/guest" --root "$root" "$@"
