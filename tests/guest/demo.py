#!/usr/bin/env python3
"""make demo: boot the test guest with lend=on and with lend=off and say,
for people, what was mapped, what was lent and how fast the guest writes
into a lent blob, a trapped blob and its own RAM.  Runs inside the build
environment."""

import argparse
import sys

import guest_e2e


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--qemu", required=True)
    ap.add_argument("--guest", required=True)
    args = ap.parse_args()

    runs = {}
    for mode in ("on", "off"):
        print(f"booting a Linux guest (TCG) with "
              f"-device virtio-gpu-xenlend,lend={mode} ...", flush=True)
        a = argparse.Namespace(qemu=args.qemu, guest=args.guest, lend=mode)
        result, lend, dev, secs, tail, expect = guest_e2e.run(a)
        why = guest_e2e.check(a, result, lend, dev, expect)
        runs[mode] = (result, lend, dev, secs, why)
        if why:
            print(f"  problem: {'; '.join(why)}\n{tail}")

    res_on, lend_on, dev_on, secs_on, why_on = runs["on"]
    res_off, _, dev_off, secs_off, why_off = runs["off"]
    emu = lend_on.get("emulated", {})
    lent = emu.get("pages-lent", 0)
    sp = emu.get("superpages-lent", 0) * 512
    print()
    print("virtio-gpu-xenlend demo (emulated Xen p2m, guest under TCG)")
    print(f"  guest client: {res_on.get('blobs')} blobs of 4 KiB to "
          f"{int(res_on.get('max_size', 0)) >> 20} MiB created, mapped "
          f"with VIRTGPU_MAP, written and checked: "
          f"{'all data checks passed' if res_on.get('ok') == '1' else 'FAILED'}")
    print(f"  lend=on:  {dev_on['maps']} blob maps, {emu.get('lend-calls')} "
          f"lend calls, {emu.get('revoke-calls')} revoke calls; "
          f"{lent} pages ({lent * 4096 >> 20} MiB) lent and "
          f"{emu.get('pages-revoked')} revoked; nothing left lent: "
          f"{'yes' if not emu.get('p2m') else 'NO'}")
    print(f"            lent as 2 MiB pages: {100.0 * sp / max(lent, 1):.0f}% "
          f"(llvmpipe's virgl buffers export no fd, so they stay 4 KiB "
          f"pages)")
    print(f"            guest accesses trapped: "
          f"{dev_on['trapped-reads'] + dev_on['trapped-writes']}")
    print(f"  lend=off: {dev_off['maps']} blob maps, guest accesses trapped "
          f"and emulated: {dev_off['trapped-reads'] + dev_off['trapped-writes']}")
    print("  guest memcpy write bandwidth (MB/s):")
    print(f"    into a lent blob     {res_on.get('bw_blob_mbs'):>8}")
    print(f"    into a trapped blob  {res_off.get('bw_blob_mbs'):>8}")
    print(f"    into guest RAM       {res_on.get('bw_ram_mbs'):>8}")
    try:
        ratio = float(res_on["bw_blob_mbs"]) / float(res_off["bw_blob_mbs"])
        print(f"    lent / trapped: {ratio:.0f}x")
    except (KeyError, ValueError, ZeroDivisionError):
        pass
    return 1 if why_on or why_off else 0


if __name__ == "__main__":
    sys.exit(main())
