#!/usr/bin/env bash
# make check: every suite, then one line "N passed, N failed" for all of
# them.  The unit tests, qtests, TCG tests and the guest tests, and QEMU's
# own tests of what patches/ changes (check.py --upstream), run in the
# build environment (check.py); the Mesa guest (tests/guest/mesa/run.sh)
# and the Xen test bed (tests/xen/run.sh) run from the host, which makes
# their Debian roots with debootstrap.
#   check-all.sh BUILD_DIR
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=$1
log=$(mktemp)
trap 'rm -f "$log"' EXIT
passed=0 failed=0

suite() {
    local name=$1 line p f
    shift
    "$@" 2>&1 | tee "$log"
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
    if [ -z "$line" ]; then
        echo "check: the $name suite stopped before reporting"
        line="0 passed, 1 failed"
    fi
    p=${line%% passed*}
    f=${line#*passed, }
    f=${f%% failed*}
    echo "check: $name: $line"
    passed=$((passed + p)) failed=$((failed + f))
}

suite "unit, qtest, tcg and guest" \
    "$top/build-env/run" "$top/build-env/check.py" --build "$build"
suite "QEMU's own unit tests and qtests of what patches/ changes" \
    "$top/build-env/run" "$top/build-env/check.py" --build "$build" --upstream
suite "mesa" "$top/tests/guest/mesa/run.sh" "$build"
suite "xen" "$top/tests/xen/run.sh" "$build"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ] && [ "$passed" -gt 0 ]
