#!/usr/bin/env python3
"""Boot a Linux guest under TCG with -device virtio-gpu-xenlend, run the
xenlend-client in it, and check what QEMU says afterwards over QMP.

  guest_e2e.py --qemu Q --guest DIR --lend on|off

Checks: the client's data checks passed (its result line says ok=1); with
lend=on blobs were lent (every mapped byte) and every guest access went to
lent memory (no trapped access); with lend=off accesses were trapped and
nothing was lent; lends and revokes balance and nothing stays lent once
the guest has exited.  Prints 'guest-e2e lend=X: PASS' or FAIL with why,
Runs inside the build environment; demo.py reports on both modes.
"""

import argparse
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time

SIZES = {"on": (64 << 20, 4 << 20), "off": (16 << 20, 1 << 20)}
CHURN_SECONDS = 3


class QMP:
    def __init__(self, path, timeout=30):
        deadline = time.time() + timeout
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX)
                self.sock.connect(path)
                break
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.1)
        self.f = self.sock.makefile("rw")
        json.loads(self.f.readline())
        self.cmd("qmp_capabilities")

    def cmd(self, name, **args):
        self.f.write(json.dumps({"execute": name, "arguments": args}) + "\n")
        self.f.flush()
        while True:
            msg = json.loads(self.f.readline())
            if "return" in msg:
                return msg["return"]
            if "error" in msg:
                raise RuntimeError(msg["error"]["desc"])



def without_kernel_log(line):
    """A console line cut where a kernel message ("[   58.154466] ...")
    broke into it: the kernel writes to the same serial console."""
    return re.sub(r"\[\s*\d+\.\d+\].*", "", line)

def client_bytes(max_size, bw_size):
    """Bytes of all the blobs the client creates (and so maps)."""
    total, size = 0, 4096
    while size <= max_size:
        total += size
        size *= 4
    total += sum(4096 << (i % 4) for i in range(256))
    return total + bw_size


def run(args):
    max_size, bw_size = SIZES[args.lend]
    tmp = tempfile.mkdtemp(prefix="xenlend-guest-")
    qmp_path = os.path.join(tmp, "qmp.sock")
    cmdline = [
        args.qemu, "-accel", "tcg", "-m", "1G", "-smp", "2",
        "-display", "none", "-nodefaults", "-no-reboot", "-no-shutdown",
        "-serial", "stdio", "-qmp", f"unix:{qmp_path},server=on,wait=off",
        "-kernel", os.path.join(args.guest, "vmlinuz"),
        "-initrd", os.path.join(args.guest, "initrd.gz"),
        # iomem=relaxed: the client maps the hostmem BAR through sysfs
        "-append", f'console=ttyS0 quiet iomem=relaxed '
                   f'xenlend_client="{max_size} {bw_size} {CHURN_SECONDS}"',
        "-device", f"virtio-gpu-xenlend,hostmem=256M,lend={args.lend}",
    ]
    start = time.time()
    proc = subprocess.Popen(cmdline, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    result, log = None, []
    qmp = QMP(qmp_path)
    for line in proc.stdout:
        log.append(line)
        if line.startswith("XENLEND-RESULT"):
            result = dict(re.findall(r'(\w+)="?([^" \n]*)',
                                     without_kernel_log(line)))
        if "reboot: Power down" in line or time.time() - start > 240:
            break
    lend = qmp.cmd("x-query-xen-lend")
    dev = qmp.cmd("x-query-virtio-gpu-xenlend")[0]
    qmp.cmd("quit")
    proc.wait(timeout=30)
    if not any(line.startswith("XENLEND-HOLD") for line in log):
        # the guest must exit with blobs mapped (tests/guest/init)
        result = dict(result or {}, ok="0", error="no-hold-run")
    return result, lend, dev, time.time() - start, "".join(log[-20:]), \
        client_bytes(max_size, bw_size)


def stale_view_clean(result):
    """The client's second view of a blob's frames (xenlend-client.c,
    stale_after_free) showed every word it looks at (stale_words) while
    the blob was mapped and none of them once it was freed.  tests/xen
    checks its cases with this too."""
    return (result.get("stale_words", "0") != "0"
            and result.get("stale_seen") == result.get("stale_words")
            and result.get("stale") == "0")


def check(args, result, lend, dev, expect_bytes):
    why = []
    if not result or result.get("ok") != "1":
        why.append(f"client result {result}")
    elif result.get("damaged") != "none":
        why.append(f"guest memory the client left alone changed in phase "
                   f"{result.get('damaged')}")
    elif not stale_view_clean(result):
        why.append(f"after a blob was freed its frames still showed "
                   f"{result.get('stale')} words of its data (the view "
                   f"showed {result.get('stale_seen')} while mapped)")
    emu = lend.get("emulated", {})
    clients = lend["clients"]
    if args.lend == "on":
        if not clients or not dev["lending"]:
            why.append("the device does not lend")
        if emu.get("pages-lent", 0) * 4096 < expect_bytes:
            why.append(f"lent {emu.get('pages-lent')} pages, "
                       f"less than the {expect_bytes} bytes mapped")
        if dev["trapped-reads"] or dev["trapped-writes"]:
            why.append("guest accesses were trapped while lending")
    else:
        if clients or emu.get("pages-lent"):
            why.append("lend=off lent pages")
        if not dev["trapped-writes"] or not dev["trapped-reads"]:
            why.append("lend=off trapped no access")
    if emu.get("p2m") or any(c["lent-pages"] for c in clients):
        why.append("pages still lent after the guest exited")
    if emu.get("pages-lent") != emu.get("pages-revoked"):
        why.append("lends and revokes do not balance")
    # the guest's last unrefs may never be sent: its poweroff resets the
    # device, which takes every blob out (and revokes) in one go
    if dev["blobs-mapped"] or dev["bytes-mapped"]:
        why.append("blobs still mapped after the guest exited")
    if result and dev["maps"] < int(result.get("blobs", 0)):
        why.append("fewer maps than the client's blobs")
    return why


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--qemu", required=True)
    ap.add_argument("--guest", required=True)
    ap.add_argument("--lend", choices=("on", "off"), required=True)
    args = ap.parse_args()

    result, lend, dev, secs, tail, expect = run(args)
    why = check(args, result, lend, dev, expect)
    if why:
        print(f"guest-e2e lend={args.lend}: FAIL: {'; '.join(why)}")
        print(tail)
    else:
        print(f"guest-e2e lend={args.lend}: PASS in {secs:.0f} s "
              f"(blobs {result['blobs']}, guest write MB/s: blob "
              f"{result['bw_blob_mbs']}, RAM {result['bw_ram_mbs']})")
    return 1 if why else 0


if __name__ == "__main__":
    sys.exit(main())
