#!/usr/bin/env python3
"""Boot the Mesa guest under TCG with -device virtio-gpu-xenlend,venus=on:
real Mesa (venus for Vulkan, virgl for GL) on the device, lavapipe and
llvmpipe behind it on the host, the emulated p2m lending its blobs.

  mesa_e2e.py --qemu Q --guest DIR --root IMG [--lend on off]

First render-server: with venus=on and no render server QEMU says what
is missing and stops.  Then one boot per lend mode, with these cases,
each printed as PASS or FAIL with why:
  venus      vulkaninfo in the guest lists the venus device
  vulkan     vk-hostmem: HOST_VISIBLE memory mapped, written, copied and
             filled by the GPU, every word checked
  gl         gl-bufmap: persistent coherent buffer storage on virgl,
             written, copied by the GPU, every word checked
  counters   what QEMU says over QMP: blob maps happened; with lend=on all
             lent and no access trapped; with lend=off every access
             trapped and nothing lent; lends and revokes balance and
             nothing stays mapped once the guest has exited
Ends with "N passed, N failed".  Runs inside the build environment; the
root image comes from tests/guest/mesa/make-root.sh.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                ".."))
from guest_e2e import QMP, without_kernel_log  # noqa: E402

# an idle run boots and finishes in 15-20 s; a loaded machine may take
# many times that
BOOT_LIMIT = 900


def parse_result(line):
    """KEY=VALUE pairs of a result line; quoted values keep their spaces."""
    return {k: (q if q else v) for k, q, v in
            re.findall(r'(\w+)=(?:"([^"]*)"|(\S+))',
                       without_kernel_log(line))}


def boot(qemu, guest, root, lend, mode="tests", venus=True):
    tmp = tempfile.mkdtemp(prefix="xenlend-mesa-")
    qmp_path = os.path.join(tmp, "qmp.sock")
    dev = f"virtio-gpu-xenlend,hostmem=256M,lend={lend}"
    if venus:
        dev += ",venus=on"
    cmdline = [
        qemu, "-accel", "tcg", "-m", "2G", "-smp", "2",
        "-display", "none", "-nodefaults", "-no-reboot", "-no-shutdown",
        "-serial", "stdio", "-qmp", f"unix:{qmp_path},server=on,wait=off",
        "-kernel", os.path.join(guest, "vmlinuz"),
        "-initrd", os.path.join(guest, "initrd-mesa.gz"),
        "-append", f"console=ttyS0 quiet xenlend_mesa={mode}",
        "-drive", f"file={root},format=raw,if=none,id=root,readonly=on",
        "-device", "virtio-blk-pci,drive=root",
        "-device", dev,
    ]
    start = time.time()
    proc = subprocess.Popen(cmdline, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    out = {"log": [], "vulkaninfo": [], "vk": None, "gl": None,
           "glmark2": [], "seconds_guest": None}
    qmp = QMP(qmp_path)
    done = False
    for line in proc.stdout:
        out["log"].append(line)
        if line.startswith("XENLEND-MESA: vulkaninfo: "):
            out["vulkaninfo"].append(line.split(": ", 2)[2].strip())
        elif line.startswith("XENLEND-MESA: glmark2: "):
            out["glmark2"].append(line.split(": ", 2)[2].strip())
        elif line.startswith("VK-RESULT"):
            out["vk"] = parse_result(line)
        elif line.startswith("GL-RESULT"):
            out["gl"] = parse_result(line)
        elif line.startswith("XENLEND-MESA: done"):
            done = True
            m = re.search(r"seconds=([0-9.]+)", line)
            out["seconds_guest"] = float(m.group(1)) if m else None
        if "reboot: Power down" in line:
            break
        if time.time() - start > BOOT_LIMIT:
            out["log"].append(f"mesa-e2e: the guest ran past {BOOT_LIMIT} "
                              f"s; stopped it\n")
            break
    out["lend"] = qmp.cmd("x-query-xen-lend")
    out["dev"] = qmp.cmd("x-query-virtio-gpu-xenlend")[0]
    qmp.cmd("quit")
    proc.wait(timeout=60)
    shutil.rmtree(tmp, ignore_errors=True)
    out["done"] = done
    out["seconds"] = time.time() - start
    return out


def check_venus(out):
    info = " ".join(out["vulkaninfo"])
    if "DRIVER_ID_MESA_VENUS" not in info:
        return [f"vulkaninfo lists no venus device ({info or 'nothing'})"]
    return []


def check_program(result, program, key, prefix):
    """A program's result line: ok=1 and its device's KEY starts with
    PREFIX (the venus or virgl device, not the guest's lavapipe)."""
    if not result:
        return [f"{program} printed no result"]
    why = []
    if result.get("ok") != "1":
        why.append(f"{program} failed: {result.get('error')}, "
                   f"{result.get('bad_words')} words wrong")
    if not result.get(key, "").startswith(prefix):
        why.append(f"{program} ran on '{result.get(key)}', not {prefix}")
    return why


def check_vulkan(out):
    return check_program(out["vk"], "vk-hostmem", "device",
                         "Virtio-GPU Venus")


def check_gl(out):
    return check_program(out["gl"], "gl-bufmap", "renderer", "virgl")


def check_counters(out, lend):
    dev, info = out["dev"], out["lend"]
    emu = info.get("emulated", {})
    why = []
    # venus suballocates small allocations from bigger blobs, so count
    # bytes, not allocations: every byte the programs mapped and wrote
    programs = int((out["vk"] or {}).get("bytes", 0)) + \
        int((out["gl"] or {}).get("bytes", 0))
    if not programs or not dev["maps"]:
        why.append(f"{dev['maps']} blob maps for {programs} bytes the "
                   f"programs mapped")
    if dev["map-errors"]:
        why.append(f"{dev['map-errors']} blob maps refused")
    trapped = dev["trapped-reads"] + dev["trapped-writes"]
    if lend == "on":
        if not dev["lending"] or emu.get("pages-lent", 0) * 4096 < programs:
            why.append(f"lent {emu.get('pages-lent', 0)} pages for the "
                       f"{programs} bytes the programs mapped")
        if trapped or dev["maps-trapped"]:
            why.append(f"{trapped} accesses trapped while lending")
    else:
        if emu.get("pages-lent"):
            why.append("lend=off lent pages")
        # a trapped access moves 8 bytes at most
        if dev["trapped-writes"] * 8 < programs or not dev["trapped-reads"]:
            why.append(f"lend=off trapped {dev['trapped-writes']} writes "
                       f"and {dev['trapped-reads']} reads for the "
                       f"{programs} bytes the programs wrote")
    if emu.get("pages-lent") != emu.get("pages-revoked"):
        why.append(f"lent {emu.get('pages-lent')} pages, revoked "
                   f"{emu.get('pages-revoked')}")
    if emu.get("p2m") or dev["blobs-mapped"]:
        why.append("blobs still mapped or lent after the guest exited")
    return why


CASES = (("venus", check_venus), ("vulkan", check_vulkan),
         ("gl", check_gl))


def check_render_server(qemu):
    """venus=on without virglrenderer's render server: QEMU says so and
    stops (patches/0023), rather than failing each venus context."""
    env = dict(os.environ, RENDER_SERVER_EXEC_PATH="/nonexistent/"
               "virgl_render_server")
    try:
        p = subprocess.run([qemu, "-accel", "tcg", "-display", "none",
                            "-nodefaults", "-S", "-qmp", "stdio", "-device",
                            "virtio-gpu-xenlend,hostmem=256M,venus=on"],
                           env=env, input='{"execute": "qmp_capabilities"}\n'
                           '{"execute": "quit"}\n', capture_output=True,
                           text=True, timeout=120)
    except subprocess.TimeoutExpired:
        return ["QEMU started venus=on without a render server and did "
                "not quit"]
    if p.returncode == 0:
        return ["QEMU started venus=on without a render server"]
    if "render server" not in p.stderr or "virgl-server" not in p.stderr:
        return [f"QEMU stopped without naming the render server: "
                f"{p.stderr.strip()}"]
    return []


def run_boot(args, lend):
    out = boot(args.qemu, args.guest, args.root, lend,
               venus=args.venus == "on")
    results = [(name, fn(out)) for name, fn in CASES]
    results.append(("counters", check_counters(out, lend)))
    if not out["done"]:
        results.append(("finished", ["the guest did not finish its tests"]))
    vk, dev = out["vk"] or {}, out["dev"]
    print(f"mesa-e2e lend={lend}: {out['seconds']:.0f} s; blob maps "
          f"{dev['maps']}, unmaps {dev['unmaps']}; venus write MB/s "
          f"{vk.get('write_mbs')}, read MB/s {vk.get('read_mbs')}; "
          f"trapped accesses "
          f"{dev['trapped-reads'] + dev['trapped-writes']}")
    if any(why for _, why in results):
        print("".join(out["log"][-30:]), end="")
    return [(f"lend={lend} {name}", why) for name, why in results]


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--qemu", required=True)
    ap.add_argument("--guest", required=True)
    ap.add_argument("--root", required=True)
    ap.add_argument("--lend", choices=("on", "off"), nargs="+",
                    default=["on", "off"])
    ap.add_argument("--venus", choices=("on", "off"), default="on",
                    help="off only to see the venus cases fail")
    args = ap.parse_args()

    results = [("render-server", check_render_server(args.qemu))]
    for lend in args.lend:
        results += run_boot(args, lend)
    passed = failed = 0
    for name, why in results:
        if why:
            failed += 1
            print(f"mesa-e2e {name}: FAIL: {'; '.join(why)}")
        else:
            passed += 1
            print(f"mesa-e2e {name}: PASS")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
