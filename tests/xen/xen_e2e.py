#!/usr/bin/env python3
"""Boot Xen nested under our QEMU's TCG with the test bed's dom0, let its
dom0-init run the cases (tests/xen/cases), and check what each reported.

  xen_e2e.py --qemu Q --bed DIR --payload IMG --cases FILE --out DIR

Cases (tests/xen/cases, cases-guest):
- xenlend-on: lend=on must refuse to start with the documented message,
  and xl create must fail.
- xenlend-auto: lend=auto, the domain created paused.  Today's Xen and
  privcmd cannot lend: the device model must run as xenfv with the Xen
  accelerator, say why it falls back, and realize the device not lending.
- xenlend-guest: the same, running: the HVM guest's client must map
  blobs and verify its data through Xen's ioreq path, and the device
  must count trapped accesses.

Writes the console log and each case's report under --out; prints one
line per check and 'N passed, N failed'.  Runs in the build environment.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import time

TIMEOUT = 900
XEN_ARGS = ("console=com1 com1=115200,8n1 dom0_mem=1024M,max:1024M "
            "loglvl=all guest_loglvl=all")
DOM0_ARGS = "console=hvc0 root=/dev/vda rw init=/sbin/xenbed-init quiet"


def boot(args, log_path):
    cmd = [
        args.qemu, "-accel", "tcg", "-cpu", "max",
        "-smp", os.environ.get("XENBED_SMP", "2"), "-m", "3072",
        "-display", "none", "-nodefaults", "-no-reboot", "-serial", "stdio",
        "-drive", f"file={args.bed}/root.img,if=virtio,format=raw,"
                  "snapshot=on",
        "-drive", f"file={args.payload},if=virtio,format=raw,readonly=on",
        "-kernel", f"{args.bed}/xen", "-append", XEN_ARGS,
        "-initrd", f"{args.bed}/vmlinuz {DOM0_ARGS},{args.bed}/initrd.img",
    ]
    start = time.time()
    lines = []
    with open(log_path, "w") as log:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True,
                                errors="replace")
        for line in proc.stdout:
            stamp = f"[{time.time() - start:6.1f}] "
            # Xen's console turns each newline into CR LF once more
            line = line.replace("\r", "").rstrip("\n")
            if not line:
                continue
            log.write(stamp + line + "\n")
            log.flush()
            lines.append(line)
            if line.startswith("XENBED:") or os.environ.get("XENBED_VERBOSE"):
                print(stamp + line, flush=True)
            if time.time() - start > TIMEOUT:
                print(f"xen-e2e: no power-off after {TIMEOUT} s")
                proc.kill()
                break
        proc.wait()
    return lines, time.time() - start


def expected_cases(path):
    with open(path) as f:
        return [line.split()[0] for line in f
                if line.strip() and not line.startswith("#")]


def cases_of(lines):
    """{name: {section: [lines]}} from XENBED-BEGIN/END blocks."""
    cases, cur, sec = {}, None, None
    for line in lines:
        m = re.match(r"XENBED-BEGIN (\S+)", line)
        if m:
            cur, sec = cases.setdefault(m.group(1), {"head": []}), "head"
            continue
        if line.startswith("XENBED-END"):
            cur = None
            continue
        if cur is None:
            continue
        m = re.match(r"--- (.*)", line)
        if m:
            sec = m.group(1)
            cur[sec] = []
        else:
            cur[sec].append(line)
    return cases


def text(case, section):
    return "\n".join(case.get(section, []))


def qmp_return(case, section):
    try:
        return json.loads(text(case, section))["return"]
    except (ValueError, KeyError, TypeError):
        return None


def dm_started(case):
    """Checks that the device model runs as xenfv and says why it traps."""
    argv = text(case, "device model argv")
    dmlog = text(case, "device model log")
    return [
        ("xl create succeeds", "xl-create-rc 0" in case["head"]),
        ("the device model runs as xenfv with -xen-domid",
         "-machine xenfv" in argv and "-xen-domid" in argv),
        ("the probe falls back to trapping, saying why",
         re.search("blob memory will be trapped and emulated, "
                   "not lent: .*unsupported: ", dmlog) is not None),
    ]


def device_state(case):
    dev = qmp_return(case, "qmp x-query-virtio-gpu-xenlend")
    return dev[0] if dev else {}


def check_auto(case):
    """lend=auto, paused: the device is realized and does not lend."""
    dev = device_state(case)
    return dm_started(case) + [
        ("the device is realized, not lending, nothing mapped",
         dev.get("lending") is False and dev.get("maps") == 0
         and dev.get("bytes-mapped") == 0),
    ]


def check_guest(case):
    """lend=auto, running: the client's blobs go through Xen's ioreq path."""
    serial = text(case, "guest serial")
    result = re.search(r"XENLEND-RESULT .*", serial)
    dev = device_state(case)
    return dm_started(case) + [
        ("the guest client's data checks pass",
         bool(result) and " ok=1 " in result.group(0) + " "),
        ("blobs were mapped, not lent, and guest accesses were trapped "
         "through Xen's ioreq path",
         dev.get("maps", 0) > 0 and dev.get("lending") is False
         and dev.get("trapped-writes", 0) > 0
         and dev.get("trapped-reads", 0) > 0),
    ]


def check_on(case):
    dmlog = text(case, "device model log")
    xl = text(case, "xl create")
    return [
        ("xl create fails", "xl-create-rc 0" not in case["head"]
         and any(x.startswith("xl-create-rc") for x in case["head"])),
        ("the device model refuses lend=on with the documented message",
         re.search("virtio-gpu-xenlend: lend=on: .*unsupported: ", dmlog)
         is not None and "Use lend=auto to fall back" in dmlog),
        ("xl reports the device model's failure",
         re.search(r"libxl: error: .*(device model|qemu|dm)", xl, re.I)
         is not None),
    ]


CHECKS = {"xenlend-on": check_on, "xenlend-auto": check_auto,
          "xenlend-guest": check_guest}


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--qemu", required=True)
    ap.add_argument("--bed", required=True)
    ap.add_argument("--payload", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--cases", dest="payload_cases", required=True,
                    help="the cases file on the payload disk")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)

    lines, secs = boot(args, os.path.join(args.out, "console.log"))
    cases = cases_of(lines)
    for name, case in cases.items():
        with open(os.path.join(args.out, f"{name}.log"), "w") as f:
            for sec, body in case.items():
                f.write(f"--- {sec}\n" + "".join(b + "\n" for b in body))

    checks = []
    info = [line for line in lines if line.startswith("XENBED-INFO")]
    for line in info:
        print(line)
    cfg = open(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                            "hvm-xenlend.cfg")).read()
    checks.append(("Xen offers HAP and the guest config overrides neither "
                   "hap nor tsc_mode",
                   any(re.search(r"virt_caps.*\bhap\b", line)
                       for line in info)
                   and not re.search(r"^\s*(hap|tsc_mode)\s*=", cfg,
                                     re.M)))
    for name in expected_cases(args.payload_cases):
        case = cases.get(name)
        if not case:
            checks.append((f"{name}: the case ran", False))
            continue
        checks += [(f"{name}: {n}", ok) for n, ok in CHECKS[name](case)]
        dmlog = text(case, "device model log")
        for pat in (r"XENLEND-RESULT .*", r"unsupported: .*",
                    r"virtio-gpu-xenlend: lend=on: .*"):
            m = re.search(pat, text(case, "guest serial") + "\n" + dmlog)
            if m:
                print(f"{name}: {m.group(0)}")
        if case.get("qmp x-query-virtio-gpu-xenlend"):
            print(f"{name}: device: {json.dumps(device_state(case))}")

    passed = sum(ok for _, ok in checks)
    for name, ok in checks:
        print(f"xen-e2e: {'PASS' if ok else 'FAIL'}: {name}")
    print(f"xen-e2e: {secs:.0f} s; logs in {args.out}")
    print(f"{passed} passed, {len(checks) - passed} failed")
    return 0 if passed == len(checks) else 1


if __name__ == "__main__":
    sys.exit(main())
