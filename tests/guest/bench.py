#!/usr/bin/env python3
"""make bench: lent vs trapped bandwidth, map/unmap throughput against live
mappings, lend calls and 2 MiB pages per mapping, from one run.

  bench.py --build BUILD

Writes BUILD/bench/results.json and results.md and prints the table.
Numbers are reported as measured, never asserted: timing belongs here,
not in make check.  Runs inside the build environment.
"""

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import time
import types

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import guest_e2e  # noqa: E402
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "mesa"))
import mesa_e2e  # noqa: E402

# 2047 others and the measured blob: the device's default max-mapped.
# QEMU's memory map aborts at 4096 sections, so 4096 live mappings are
# not possible (docs/devel/xenlend-benchmarks.rst).
LIVE = (1, 64, 1024, 2047)


def parse(line):
    return {k: v for k, v in re.findall(r'(\w+)=([^ \n]+)', line)}


def guest_bandwidth(build):
    out = {}
    for lend in ("on", "off"):
        args = types.SimpleNamespace(
            lend=lend, guest=os.path.join(build, "guest"),
            qemu=os.path.join(build, "qemu-system-x86_64"))
        result, _, dev, secs, tail, _ = guest_e2e.run(args)
        if not result or result.get("ok") != "1":
            sys.exit(f"bench: the guest client failed with lend={lend}:\n"
                     f"{tail}")
        out[lend] = {k: float(result[k]) for k in
                     ("bw_blob_mbs", "bw_ram_mbs", "rd_blob_mbs",
                      "rd_ram_mbs")}
        out[lend]["trapped_accesses"] = (dev["trapped-reads"] +
                                         dev["trapped-writes"])
    return out


def qtest_bench(build, *args):
    qemu_build = os.path.join(build, "qemu")
    env = dict(os.environ, QTEST_QEMU_BINARY="./qemu-system-x86_64")
    p = subprocess.run(["./tests/qtest/virtio-gpu-xenlend-bench", *args],
                       cwd=qemu_build, env=env, capture_output=True,
                       text=True)
    if p.returncode:
        sys.exit(f"bench: virtio-gpu-xenlend-bench {' '.join(args)} failed:"
                 f"\n{p.stderr[-2000:]}")
    out = p.stdout
    return [parse(line) for line in out.splitlines()
            if line.startswith("BENCH ")]


# The device's lend modes, and upstream's virtio-gpu-gl-pci (headless, the
# same renderer) as the anchor
MAP_DEVICES = (("on", "virtio-gpu-xenlend, lend=on"),
               ("off", "virtio-gpu-xenlend, lend=off"),
               ("gl", "virtio-gpu-gl-pci (upstream's device)"))


def map_throughput(build):
    out = {}
    for device, _ in MAP_DEVICES:
        out[device] = {}
        for live in LIVE:
            # about a second each, at the rates of the last run
            rounds = 30 if device == "gl" else 300 if live < 1024 else 200
            r = qtest_bench(build, "maps", device, str(live), str(rounds))[0]
            out[device][live] = float(r["rounds_per_s"])
    return out


def extents(build):
    return [{k: v for k, v in r.items()} for r in qtest_bench(build,
                                                              "extents")]


def mesa_workload(build, root):
    """Real Mesa in the guest (tests/guest/mesa, bench mode): our Vulkan
    program on venus, our GL program and glmark2 on virgl."""
    out = {}
    for lend in ("on", "off"):
        r = mesa_e2e.boot(os.path.join(build, "qemu-system-x86_64"),
                          os.path.join(build, "guest"), root, lend,
                          mode="bench")
        vk, gl = r["vk"] or {}, r["gl"] or {}
        if vk.get("ok") != "1" or gl.get("ok") != "1" or not r["done"]:
            sys.exit(f"bench: the Mesa guest failed with lend={lend}:\n"
                     + "".join(r["log"][-20:]))
        score = [line for line in r["glmark2"] if "Score" in line]
        emu = r["lend"].get("emulated", {})
        out[lend] = {
            "vk_write_mbs": float(vk["write_mbs"]),
            "vk_read_mbs": float(vk["read_mbs"]),
            "vk_copies_per_s": float(vk["copies_per_s"]),
            "glmark2": int(score[0].split()[-1]) if score else None,
            "maps": r["dev"]["maps"], "unmaps": r["dev"]["unmaps"],
            "pages_lent": emu.get("pages-lent", 0),
            "pages_lent_2m": 512 * emu.get("superpages-lent", 0),
            "seconds": r["seconds_guest"],
            "trapped": r["dev"]["trapped-reads"]
            + r["dev"]["trapped-writes"],
        }
    return out


def markdown(res):
    bw, maps, ext = res["bandwidth"], res["maps"], res["extents"]
    ram = bw["on"]["bw_ram_mbs"]
    lines = [
        f"Run {res['date']} on {res['machine']}; guest under TCG, "
        "emulated lend backend.",
        "",
        "| guest memcpy, MB/s | lend=on (lent) | lend=off (trapped) "
        "| guest RAM | lent / trapped | lent / RAM |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for key, name, base in (("bw_blob_mbs", "write into a mapped blob",
                             "bw_ram_mbs"),
                            ("rd_blob_mbs", "read from a mapped blob",
                             "rd_ram_mbs")):
        on, off = bw["on"][key], bw["off"][key]
        lines.append(f"| {name} | {on:.0f} | {off:.1f} | "
                     f"{bw['on'][base]:.0f} | {on / off:.1f}x | "
                     f"{on / bw['on'][base]:.2f} |")
    lines += [
        "",
        f"Guest accesses trapped: lend=on {bw['on']['trapped_accesses']}, "
        f"lend=off {bw['off']['trapped_accesses']}.  (RAM: {ram:.0f} MB/s)",
        "",
        "| MAP_BLOB + UNMAP_BLOB round trips/s | "
        + " | ".join(f"{n} live" for n in LIVE) + f" | {LIVE[-1]} vs 1 cost |",
        "| --- |" + " --- |" * (len(LIVE) + 1),
    ]
    for device, name in MAP_DEVICES:
        row = maps[device]
        cost = row[LIVE[0]] / row[LIVE[-1]]
        lines.append(f"| {name} | "
                     + " | ".join(f"{row[n]:.1f}" for n in LIVE)
                     + f" | {cost:.1f}x |")
    lines += ["", "lend=on against upstream's device: " + ", ".join(
        f"{maps['on'][n] / maps['gl'][n]:.0f}x at {n} live" for n in LIVE)
        + "."]
    lines += [
        "",
        "| 4 MiB mapping | gpa offset | lend calls | 4 KiB + 2 MiB extents "
        "| lent pages | in 2 MiB pages |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for e in ext:
        pages = int(e["lent_pages"])
        share = 512 * int(e["lent_2m"]) / pages if pages else 0
        lines.append(f"| {e['source']} | {e['offset']} | {e['lend_calls']} "
                     f"| {e['extents']} | {pages} | {share:.0%} |")
    mesa = res.get("mesa")
    if mesa:
        on, off = mesa["on"], mesa["off"]
        lines += [
            "",
            "| Mesa in the guest (venus, virgl) | lend=on | lend=off "
            "| on / off |",
            "| --- | --- | --- | --- |",
        ]
        for key, name in (("vk_write_mbs", "venus: CPU writes into "
                           "HOST_VISIBLE memory, MB/s"),
                          ("vk_read_mbs", "venus: CPU reads from it, MB/s"),
                          ("vk_copies_per_s", "venus: GPU copy+fill of "
                           "16 MiB, per s"),
                          ("glmark2", "virgl: glmark2-es2-drm score "
                           "(build, texture)")):
            a, b = on[key], off[key]
            ratio = f"{a / b:.1f}x" if a and b else "-"
            lines.append(f"| {name} | {a} | {b} | {ratio} |")
        for lend in ("on", "off"):
            m = mesa[lend]
            rate = m["maps"] / m["seconds"] if m["seconds"] else 0
            share = m["pages_lent_2m"] / m["pages_lent"] \
                if m["pages_lent"] else 0
            lines.append(f"\nlend={lend}: {m['maps']} blob maps, "
                         f"{m['unmaps']} unmaps in {m['seconds']:.1f} s "
                         f"({rate:.1f} maps/s); {m['pages_lent']} pages "
                         f"lent, {share:.0%} of them in 2 MiB pages; "
                         f"{m['trapped']} accesses trapped.")
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--build", default="build")
    ap.add_argument("--mesa-root",
                    help="the Mesa guest's root image "
                         "(tests/guest/mesa/make-root.sh)")
    args = ap.parse_args()

    start = time.time()
    res = {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
                   f"{platform.release()}",
        "bandwidth": guest_bandwidth(args.build),
        "maps": map_throughput(args.build),
        "extents": extents(args.build),
    }
    if args.mesa_root:
        res["mesa"] = mesa_workload(args.build, args.mesa_root)
    res["seconds"] = round(time.time() - start)
    outdir = os.path.join(args.build, "bench")
    os.makedirs(outdir, exist_ok=True)
    with open(os.path.join(outdir, "results.json"), "w") as f:
        json.dump(res, f, indent=2)
    md = markdown(res)
    with open(os.path.join(outdir, "results.md"), "w") as f:
        f.write(md)
    print(md)
    print(f"bench: {res['seconds']} s; {outdir}/results.md and results.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
