#!/usr/bin/env bash
# make check-upstream: QEMU's own test suites that cover what patches/
# changes, run on our patched build: every unit test, every x86_64 qtest
# (meson suites unit and qtest-x86_64) and check-tcg (the x86_64 system
# tests of tests/tcg).  Prints each failure and "N passed, N failed"
# (meson tests and check-tcg's tests, each counted once; skipped ones
# apart).
#   check-upstream.sh BUILD_DIR
# With UPSTREAM_BASELINE=1, each meson test that failed runs again on
# QEMU without our patches (built once in BUILD_DIR-pristine, configured
# with --without-patches; a second full build), to tell upstream's
# failures from ours.  Runs on the host; the tests run in the build
# environment.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/build-env/env.sh"
build=$(cd "${1:-build}" && pwd)
qemu=$build/qemu
log=$build/check-upstream
mkdir -p "$log"

# Everything meson knows, the tests among it; generous timeouts: a busy
# 2-core machine runs the slow qtests (migration-test) near their limits
xenlend_run ninja -C "$qemu" > "$log/build.log" 2>&1 ||
    { tail -20 "$log/build.log"; xenlend_die "building QEMU's tests failed"; }

run_meson() {   # QEMU_BUILD LOGNAME [TEST...]
    local q=$1 name=$2
    shift 2
    rm -f "$q/meson-logs/testlog.json"
    xenlend_run meson test -C "$q" --no-rebuild -t 3 --num-processes 2 \
        --suite unit --suite qtest-x86_64 "$@" > "$log/$name.txt" 2>&1
    cp "$q/meson-logs/testlog.json" "$log/$name.json" 2>/dev/null ||
        : > "$log/$name.json"
}
# name result, one line per meson test
results() {
    python3 -c '
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    print(r["name"].split(" / ")[-1], r["result"])' "$1"
}

echo "check-upstream: unit tests and x86_64 qtests (meson; log in $log)"
run_meson "$qemu" meson
results "$log/meson.json" > "$log/meson.results"
passed=$(awk '$2 == "OK" || $2 == "EXPECTEDFAIL"' "$log/meson.results" | wc -l)
skipped=$(awk '$2 == "SKIP"' "$log/meson.results" | wc -l)
failed_tests=$(awk '$2 != "OK" && $2 != "EXPECTEDFAIL" && $2 != "SKIP" { print $1 }' \
               "$log/meson.results")
failed=$(echo "$failed_tests" | grep -c . || true)
[ -s "$log/meson.results" ] || { failed=1; failed_tests="(meson-test-ran-nothing)"; }
echo "check-upstream: meson: $passed passed, $failed failed, $skipped skipped"

echo "check-upstream: check-tcg (x86_64 system tests)"
xenlend_run make -C "$qemu" check-tcg > "$log/check-tcg.txt" 2>&1
tcg_rc=$?
tcg_passed=$(grep -c '^  TEST ' "$log/check-tcg.txt" || true)
if [ $tcg_rc = 0 ]; then
    passed=$((passed + tcg_passed))
    echo "check-upstream: check-tcg: $tcg_passed tests passed"
else
    failed=$((failed + 1)) failed_tests="$failed_tests check-tcg"
    tail -20 "$log/check-tcg.txt"
    echo "check-upstream: check-tcg failed (log: $log/check-tcg.txt)"
fi

for t in $failed_tests; do
    echo "check-upstream: FAIL: $t"
done

if [ -n "${UPSTREAM_BASELINE:-}" ] && [ -n "$failed_tests" ]; then
    pristine=$build-pristine
    rel=${pristine#"$top"/}
    [ -f "$pristine/qemu/build.ninja" ] ||
        "$top/configure" --build-dir="$rel" --without-patches ||
        xenlend_die "configuring QEMU without our patches failed"
    make -C "$top" BUILD="$rel" all > "$log/pristine-build.log" 2>&1 &&
        xenlend_run ninja -C "$pristine/qemu" >> "$log/pristine-build.log" 2>&1 ||
        xenlend_die "building QEMU without our patches failed" \
            "($log/pristine-build.log)"
    meson_failed=$(echo "$failed_tests" | grep -v '^check-tcg$' |
                   tr '\n' ' ')
    args=()
    for t in $meson_failed; do
        args+=("$t")
    done
    [ ${#args[@]} = 0 ] || run_meson "$pristine/qemu" pristine "${args[@]}"
    [ ! -s "$log/pristine.json" ] ||
        results "$log/pristine.json" > "$log/pristine.results"
    for t in $failed_tests; do
        r=$(awk -v t="$t" '$1 == t { print $2 }' \
                "$log/pristine.results" 2>/dev/null)
        echo "check-upstream: $t without our patches: ${r:-not run}"
    done
fi
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
