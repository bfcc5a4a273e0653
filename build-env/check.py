#!/usr/bin/env python3
"""Run virtio-gpu-xenlend's test suites and print one summary line.

The unit tests and qtests are QEMU meson tests whose names mention
xenlend or xen-lend; they are built (only they and the emulator) and run
through QEMU's meson test harness.  With --upstream, QEMU's own unit
tests and the x86_64 qtests of what patches/ changes, instead.  Each TAP test case counts once.  The
TCG system tests (tests/tcg, bare-metal programs for the outer QEMU of
the Xen test bed) count their TAP cases.  The guest end-to-end test
(tests/guest) then boots a Linux guest with lend=on and with lend=off:
one test each.
The last line printed is 'N passed, N failed'.  Runs inside the build
environment (build-env/run).
"""

import argparse
import glob
import json
import os
import re
import subprocess
import sys

OURS = re.compile(r"xen-?lend", re.IGNORECASE)
TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# --upstream: QEMU's own tests of what patches/ changes.  Every unit test
# (util/iov.c, util/rcu.c and the QAPI and QOM code our patches touch
# are tested there), and the x86_64 qtests that reach the rest:
# virtio-gpu and virtio-vga (display-vga-test, device-introspect-test,
# qos-test), the memory map and HMP's info mtree (test-hmp), QMP and
# its migration commands (qmp-cmd-test, qmp-test), QOM and qdev's
# aliases (qom-test, device-introspect-test) and a RAM BAR (ivshmem-test).
# make check-upstream runs them all, with migration-test and check-tcg.
UPSTREAM_QTESTS = {"device-introspect-test", "display-vga-test",
                   "ivshmem-test", "qmp-cmd-test", "qmp-test", "qom-test",
                   "qos-test", "test-hmp"}


def is_upstream_ci(test):
    if OURS.search(test["name"]):
        return False
    return ("qemu:unit" in test["suite"]
            or ("qemu:qtest-x86_64" in test["suite"]
                and test["name"].split("/")[-1] in UPSTREAM_QTESTS))


def meson_tests(qemu_build, upstream=False):
    out = subprocess.run(["meson", "introspect", "--tests", qemu_build],
                         check=True, capture_output=True, text=True).stdout
    if upstream:
        return [t for t in json.loads(out) if is_upstream_ci(t)]
    return [t for t in json.loads(out) if OURS.search(t["name"])]


def ninja_target(qemu_build, path):
    target = os.path.relpath(path, os.path.abspath(qemu_build))
    # an interpreter (the build's own python venv among them) is no target
    return None if target.startswith(("..", "pyvenv")) else target


def count_tap(stdout):
    passed = failed = skipped = 0
    for line in stdout.splitlines():
        if line.startswith("not ok"):
            if "# TODO" in line:
                skipped += 1
            else:
                failed += 1
        elif line.startswith("ok"):
            if "# SKIP" in line:
                skipped += 1
            else:
                passed += 1
    return passed, failed, skipped


def run_meson_suites(qemu_build, extra_args, upstream=False):
    tests = meson_tests(qemu_build, upstream)
    if not tests:
        print("check: no such tests are registered in", qemu_build)
        return 0, 1, 0
    # what each test runs and needs (qos-test the storage daemon, test-qga
    # the guest agent); an interpreter, as for xml-preprocess, builds nothing
    out = subprocess.run(["meson", "introspect", "--targets", qemu_build],
                         check=True, capture_output=True, text=True).stdout
    files = {t["id"]: t["filename"] for t in json.loads(out)}
    paths = {t["cmd"][0] for t in tests}
    paths |= {f for t in tests for d in t.get("depends", [])
              for f in files.get(d, [])}
    targets = sorted({ninja_target(qemu_build, p) for p in paths} - {None})
    if subprocess.run(["ninja", "-C", qemu_build, "qemu-system-x86_64"]
                      + targets).returncode:
        print("check: building the tests failed")
        return 0, len(tests), 0
    log = os.path.join(qemu_build, "meson-logs", "testlog.json")
    if os.path.exists(log):
        os.unlink(log)
    subprocess.run(["meson", "test", "-C", qemu_build, "--no-rebuild",
                    "--print-errorlogs"] + extra_args
                   + [t["name"] for t in tests])
    passed = failed = skipped = 0
    seen = set()
    with open(log) as f:
        for line in f:
            result = json.loads(line)
            seen.add(result["name"].split(" / ")[-1])
            p, fl, s = count_tap(result.get("stdout") or "")
            # a test that speaks no TAP counts once, by its exit status
            if p + fl + s == 0 and result["result"] == "OK":
                p = 1
            # a test binary that died without reporting counts as a failure
            if result["result"] not in ("OK", "SKIP", "EXPECTEDFAIL") \
                    and fl == 0:
                fl = 1
            passed, failed, skipped = passed + p, failed + fl, skipped + s
    failed += len({t["name"] for t in tests} - seen)
    return passed, failed, skipped


def run_tcg_suite(build):
    tests = sorted(glob.glob(os.path.join(TOP, "tests/tcg/x86_64/system",
                                          "*.c")))
    passed = failed = 0
    for test in tests:
        name = os.path.basename(test)[:-2]
        proc = subprocess.run(
            [os.path.join(TOP, "build-env/tcg-test.sh"),
             os.path.join(build, "src"),
             os.path.join(build, "qemu-system-x86_64"),
             os.path.join(build, "tcg"), name],
            capture_output=True, text=True)
        print(proc.stdout, end="")
        p, f, _ = count_tap(proc.stdout)
        if proc.returncode and not f:
            print(proc.stderr, end="")
            f = 1
        print(f"tcg {name}: {p} passed, {f} failed")
        passed, failed = passed + p, failed + f
    return passed, failed


def run_guest_suite(build):
    guest = os.path.join(build, "guest")
    passed = failed = 0
    cmd = [os.path.join(TOP, "tests/guest/guest_e2e.py"),
           "--qemu", os.path.join(build, "qemu-system-x86_64"),
           "--guest", guest, "--lend"]
    for mode in ("on", "off"):
        rc = subprocess.run(cmd + [mode]).returncode
        passed, failed = (passed + 1, failed) if rc == 0 else \
                         (passed, failed + 1)
    return passed, failed


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--build", default="build")
    ap.add_argument("--no-guest", action="store_true",
                    help="skip the guest end-to-end test")
    ap.add_argument("--upstream", action="store_true",
                    help="instead, QEMU's own unit tests and the x86_64 "
                         "qtests of what patches/ changes")
    ap.add_argument("meson_args", nargs="*",
                    help="extra arguments for 'meson test'")
    args = ap.parse_args()
    qemu_build = os.path.join(args.build, "qemu")

    passed, failed, skipped = run_meson_suites(qemu_build, args.meson_args,
                                               args.upstream)
    if not args.upstream:
        p, f = run_tcg_suite(args.build)
        passed, failed = passed + p, failed + f
    if not args.no_guest and not args.upstream:
        p, f = run_guest_suite(args.build)
        passed, failed = passed + p, failed + f
    line = f"{passed} passed, {failed} failed"
    if skipped:
        line += f", {skipped} skipped"
    print(line)
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main())
