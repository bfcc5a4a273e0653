#!/usr/bin/env python3
"""Boot Xen nested under our QEMU's TCG with the test bed's dom0, let its
dom0-init run the cases (tests/xen/cases, tests/xen/cases-stock), and
check what each reported.

  xen_e2e.py --qemu Q --bed DIR [--xen FILE] --payload IMG --cases FILE
             --out DIR

Cases:
- xenlend-on: lend=on without a lend handle must refuse to start with the
  documented message, and xl create must fail.
- xenlend-auto: lend=auto without the module, the domain created paused:
  the device model runs as xenfv, says why it falls back, and realizes
  the device not lending.
- xenlend-guest: the same, running: the guest client verifies its data
  through Xen's ioreq path, and the device counts trapped accesses.
- xenlend-off: lend=off with the module: trapped, nothing lent.
- xenlend-dmop (patched Xen): lend=on through XEN_DMOP_lend_pages: no
  access trapped, Xen counts the lent pages and holds the frames, the
  guest can neither give them back nor use them for hypercalls or
  grants, holds no I/O memory permission, and xl destroy with blobs
  lent leaves nothing lent.
- xenlend-2m (patched Xen): a machine-contiguous 2 MiB run lent as one
  2M entry, split by a partial revoke; EEXIST and ENOENT refusals.
- xenlend-lend-probe, xenlend-lend (Debian's Xen): the phase-1 fallback.

Writes the console log and each case's report under --out; prints one
line per check and 'N passed, N failed'.  Runs in the build environment.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import threading
import time

# the guest client's results read the same under Xen as under TCG
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "guest"))
import guest_e2e  # noqa: E402
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "../guest/mesa"))
import mesa_e2e  # noqa: E402

# A bound for a machine that runs on but never finishes: its boot, and then
# each case, must end within CASE_TIMEOUT.  It scales with the cases a
# machine has done, not with wall time: on a busy host one case of nested
# TCG can take ten times as long as on an idle one (dom0-init gives its
# guest up to 2400 s, and this is above that, so its report comes first).
# A stuck machine is caught sooner, by its silence (STALL).
CASE_TIMEOUT = 3600
STALL = 60
# sync_console: Xen writes its console (and dom0's) by polling the UART.
# Interrupt-driven, it lost the transmit interrupt now and then under
# nested TCG and fell silent for good while the machine ran on.
XEN_ARGS = ("console=com1 com1=115200,8n1 sync_console "
            "dom0_mem=1024M,max:1024M loglvl=all guest_loglvl=all")
DOM0_ARGS = "console=hvc0 root=/dev/vda rw init=/sbin/xenbed-init quiet"


def stall_watch(proc, last):
    """When the console falls silent, have Xen dump its state into it.

    CTRL-a three times switches the serial input to Xen; then 'q' dumps
    the domains and their vCPUs, 'r' the run queues, 'd' each CPU's
    registers and stack, 'e' the event channels, 'i' the interrupt
    bindings, 'M' the MSIs and 'a' the timer queues, one key at
    a time: the UART drops what comes faster.  Back on dom0's console,
    CTRL-o then a key is sysrq for dom0's kernel: '8' lets its info
    messages through ("quiet" hides them), 'l' the backtraces of its
    CPUs, 'w' its blocked tasks.
    """
    dumped = 0
    while proc.poll() is None:
        time.sleep(5)
        if time.time() - last[0] < STALL:
            continue
        if dumped >= 2:
            # twice silent with Xen's state in the log: it will not recover
            print("xen-e2e: the nested machine is stuck; stopping it",
                  flush=True)
            proc.kill()
            return
        dumped += 1
        print(f"xen-e2e: console silent for {STALL} s: asking Xen for its "
              "state", flush=True)
        try:
            for keys in ("\x01\x01\x01", "q", "r", "d", "e", "i", "M", "a",
                         "\x01\x01\x01", "\x0f8", "\x0fl", "\x0fw"):
                proc.stdin.write(keys)
                proc.stdin.flush()
                time.sleep(3)
        except (BrokenPipeError, ValueError):
            return
        last[0] = time.time()


def nested_cpus():
    """The nested machine's CPUs: 2 where the host has 4 cores or more, so
    that Xen's cross-CPU paths (a revoke's TLB flush of another CPU) run;
    else 1.  On a 2-core host with a build running beside it, each vCPU
    thread gets a core half the time, and Xen and its guests spin for a
    descheduled vCPU: the trapped guest client took 1509 s with 2 vCPUs,
    377 s with 1 (198 s idle, 143 s idle with 2)."""
    return "2" if (os.cpu_count() or 1) >= 4 else "1"


def boot(args, log_path):
    cmd = [
        args.qemu, "-accel",
        "tcg,thread=" + os.environ.get("XENBED_TCG_THREAD", "multi"),
        "-cpu", "max",
        "-smp", os.environ.get("XENBED_SMP", nested_cpus()), "-m", "3072",
        "-display", "none", "-nodefaults", "-no-reboot", "-serial", "stdio",
        "-drive", f"file={args.bed}/root.img,if=virtio,format=raw,"
                  "snapshot=on",
        "-drive", f"file={args.payload},if=virtio,format=raw,readonly=on",
        # dom0's /dev/vdc: the Mesa guest's root (tests/xen/hvm-mesa.cfg)
        "-drive", f"file={args.mesa_root},if=virtio,format=raw,readonly=on",
        # a PCI BAR of plain memory, 2M-aligned: I/O memory for dom0 to
        # lend, as a GPU's VRAM (dom0-init's hostile_bar)
        "-object", "memory-backend-ram,id=bedbar,size=4M",
        "-device", "ivshmem-plain,memdev=bedbar",
        "-kernel", args.xen or f"{args.bed}/xen", "-append", XEN_ARGS,
        "-initrd", f"{args.bed}/vmlinuz {DOM0_ARGS},{args.bed}/initrd.img",
    ]
    start = time.time()
    case_start = start
    lines = []
    with open(log_path, "w") as log:
        proc = subprocess.Popen(cmd, stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True,
                                errors="replace")
        last = [time.time()]
        threading.Thread(target=stall_watch, args=(proc, last),
                         daemon=True).start()
        for line in proc.stdout:
            last[0] = time.time()
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
            if line.startswith("XENBED-BEGIN "):
                case_start = time.time()
            if time.time() - case_start > CASE_TIMEOUT:
                print(f"xen-e2e: no case ended, nor power-off, in "
                      f"{CASE_TIMEOUT} s; stopping the nested machine",
                      flush=True)
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
    dev = device_state(case)
    return dm_started(case) + [
        ("the guest client's data checks pass",
         client_passed(case)),
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


def module_counters(case, section):
    """The xen-lend module's sysfs counters, {name: int}."""
    out = {}
    for line in case.get(section, []):
        parts = line.split()
        if len(parts) == 2 and parts[1].lstrip("-").isdigit():
            out[parts[0]] = int(parts[1])
    return out


def client_result(case):
    m = re.search(r"XENLEND-RESULT .*", text(case, "guest serial"))
    if not m:
        return {}
    line = guest_e2e.without_kernel_log(m.group(0))
    return dict(kv.split("=", 1) for kv in line.split()[1:] if "=" in kv)


def client_passed(case):
    """The client's data checks passed and nothing it left alone changed."""
    res = client_result(case)
    hold = re.search(r"XENLEND-HOLD .*damaged=([\w,-]+)",
                     text(case, "guest serial"))
    return (res.get("ok") == "1" and res.get("damaged") == "none"
            and (hold is None or hold.group(1) == "none"))


def lends_balanced(case):
    """After the guest: no handle, no page held or leaked, all revoked."""
    after = module_counters(case, "xen-lend module after the guest")
    return (after.get("handles") == 0 and after.get("pages_held") == 0
            and after.get("pages_leaked") == 0
            and after.get("pages_lent") == after.get("pages_revoked"))


def check_lend_probe(case):
    """lend=on with the module, paused: the device lends from the start."""
    dev = device_state(case)
    lend = qmp_return(case, "qmp x-query-xen-lend") or {}
    running = module_counters(case, "xen-lend module while the guest ran")
    return [
        ("xl create succeeds with lend=on", "xl-create-rc 0" in case["head"]),
        ("the probe finds /dev/xen/lend and the device lends",
         lend.get("backend") == "privcmd" and lend.get("available") is True
         and dev.get("lending") is True),
        ("the device model holds one lend handle",
         running.get("handles") == 1),
        ("the handle is closed when the domain goes",
         lends_balanced(case)),
    ]


def xen_dump(case, section, pattern):
    """From dom0-init's 'q' dump lines ("xen-lent: ..."): {domid: the
    first group of @pattern} for each domain whose lines match it."""
    out, domid = {}, None
    for line in case.get(section, []):
        if not line.startswith("xen-lent: "):
            continue
        m = re.search(r"General information for domain (\d+)", line)
        if m:
            domid = int(m.group(1))
        m = re.search(pattern, line)
        if m and domid is not None:
            out[domid] = m.group(1)
    return out


def guest_iomem(case, section):
    """The I/O memory rangesets of the HVM domains: {domid: "{...}"}."""
    return {d: r.replace(" ", "") for d, r in
            xen_dump(case, section, r"I/O Memory (\{.*\})").items() if d}


def refused(case, what):
    """dom0-init's refuse_step WHAT (migrate, save): xl failed with the
    device's reason, and the domain is still there, alone (no half-made
    copy of it), neither shut down nor crashed."""
    out = text(case, "xl migrate and save")
    rc = re.search(rf"^{what} rc=(\d+)", out, re.M)
    state = re.search(rf"^{what} state-after (\S*)", out, re.M)
    domains = re.search(rf"^{what} domains-after (.*)", out, re.M)
    return (rc is not None and rc.group(1) not in ("0", "124")
            and re.search(rf"^{what} says .*holds memory lent by QEMU", out,
                          re.M) is not None
            and state is not None and not re.search(r"[sc]", state.group(1))
            and domains is not None
            and len(domains.group(1).split()) == 2
            and "incoming" not in domains.group(1))


def refused_running(case, what):
    """xl WHAT refused, and the guest not even paused by it: its hold
    client checked its lent blobs and mapped new ones twice after."""
    out = text(case, "xl migrate and save")
    after = re.findall(rf"^{what} guest-after (.*)", out, re.M)
    state = re.search(rf"^{what} state-after (\S*)", out, re.M)
    return (refused(case, what) and "p" not in state.group(1)
            and len(after) == 2 and all(a.endswith(" ok") for a in after))


def check_lend_guest(case):
    """lend=on with the module, running: the client's blobs are lent."""
    dev = device_state(case)
    res = client_result(case)
    running = module_counters(case, "xen-lend module while the guest ran")
    return [
        ("xl create succeeds with lend=on", "xl-create-rc 0" in case["head"]),
        ("the guest client's data checks pass", client_passed(case)),
        ("blobs were lent: the module lent pages and no guest access to a "
         "mapped blob was trapped",
         dev.get("lending") is True and dev.get("maps", 0) > 0
         and dev.get("maps-trapped") == 0
         and running.get("pages_lent", 0) > 0
         and dev.get("trapped-writes") == 0
         and dev.get("trapped-reads") == 0),
        ("Xen refuses a hypercall into a lent page (EFAULT) that it "
         "accepts into guest RAM",
         res.get("hcall_ram") == "0" and res.get("hcall_blob") == "-14"),
        ("Xen's grant code refuses every hostmem BAR frame, a lent blob's "
         "among them, where it copies from guest RAM (GNTTABOP_copy)",
         res.get("gcopy_ram") == "0" and res.get("gcopy_bar_ok") == "0"
         and res.get("gcopy_bar_status", "0") != "0"),
        ("revoke before release: once a blob is freed, a second view of "
         "its frames shows none of its data",
         guest_e2e.stale_view_clean(res)),
        ("while blobs are lent, the guest holds no I/O memory permission, "
         "hence no cache-flush (WBINVD) right",
         list(guest_iomem(case, "xen lent pages while the guest ran")
              .values()) == ["{}"]),
        ("xl migrate of the guest, lent blobs mapped, is refused with the "
         "device's reason, and the guest runs on: its lent blobs intact, "
         "new ones mapping", refused_running(case, "migrate")),
        ("xl save likewise", refused_running(case, "save")),
        ("the guest exits with blobs mapped; lends and revokes balance; "
         "no page is left held or leaked",
         "XENLEND-HOLD" in text(case, "guest serial")
         and lends_balanced(case) and running.get("errors") == 0),
    ]


def xen_lent(case, section):
    """Xen's lent-page counts per HVM domain from a 'q' dump: {domid: n}."""
    return {d: int(n) for d, n in
            xen_dump(case, section, r"lent pages: (\d+)").items()}


def check_dmop_guest(case):
    """lend=on under the patched Xen: the module lends through Xen's
    XEN_DMOP_lend_pages, which holds its own reference on each frame."""
    running = module_counters(case, "xen-lend module while the guest ran")
    after = module_counters(case, "xen-lend module after the guest")
    xen_running = xen_lent(case, "xen lent pages while the guest ran")
    xen_after = xen_lent(case, "xen lent pages after the guest")
    guest_lent = [n for d, n in xen_running.items() if d != 0]
    domains_after = [int(d) for d in re.findall(
        r"^xen-lent: .*General information for domain (\d+)",
        text(case, "xen lent pages after the guest"), re.M)]
    res = client_result(case)
    free = re.search(r"free-mb before (\d+) after (\d+)",
                     text(case, "xen free memory"))
    return check_lend_guest(case) + [
        ("the guest cannot give back or replace a lent page: "
         "remove_from_physmap ENOENT, decrease_reservation and "
         "populate_physmap do nothing",
         int(res.get("memop_gfn", "0"), 16) != 0
         and res.get("memop_remove") == "-2"
         and res.get("memop_decrease") == "0"
         and res.get("memop_populate") == "0"),
        ("the module lends through Xen's device-model operations",
         running.get("handles_dmop") == 1),
        ("Xen holds the lent frames: the module holds no page, pinned or "
         "not, while they are lent",
         running.get("pages_lent", 0) > 0 and running.get("pages_held") == 0
         and after.get("pages_held") == 0),
        ("Xen counts the guest's lent pages while it runs (p2m_lent)",
         len(guest_lent) == 1 and guest_lent[0] > 0),
        ("after xl destroy with blobs mapped the domain is gone and nothing "
         "is lent", not xen_after and domains_after == [0]),
        ("Xen's free memory after the case is what it was before",
         free is not None and free.group(1) == free.group(2)),
    ]


def lend2m_steps(case):
    """tests/xen/lend-2m-test's steps in order (dom0-init's lend2m_steps):
    [(step, rc, (lent, lent_2m) after it)]."""
    steps = []
    for line in case.get("lend 2m", []):
        m = re.match(r"lend2m (\S+) rc=(-?\d+)", line)
        if m and not m.group(1).startswith("foreign-"):
            steps.append([m.group(1), int(m.group(2)), None])
        m = re.match(r"lend2m-xen after-(\S+) (\d+) (\d+)", line)
        if m and steps and steps[-1][0] == m.group(1):
            steps[-1][2] = (int(m.group(2)), int(m.group(3)))
    return steps


def check_lend2m(case):
    """A machine-contiguous 2 MiB run, lent to a paused domain through
    XEN_DMOP_lend_pages: one 2M entry, split by a partial revoke."""
    steps = lend2m_steps(case)
    names = ["lend", "lend-again", "lend-over-ram", "revoke-ram",
             "revoke-one", "revoke-rest", "bench"]
    got = dict(zip(names, ((rc, xen) for _, rc, xen in steps)))
    # dom0's foreign maps while the run was lent: [(rc, err)], lent, RAM
    foreign = [(int(m.group(1)), int(m.group(2))) for m in re.finditer(
        r"^lend2m foreign-\d+-[0-9a-f]+ rc=(-?\d+) err=(-?\d+)",
        text(case, "lend 2m"), re.M)]
    return [
        ("xl create -p succeeds", "xl-create-rc 0" in case["head"]),
        ("dom0 made a machine-contiguous, 2 MiB-aligned run",
         "2 MiB-aligned" in text(case, "lend 2m")),
        ("the run is lent as one 2M p2m entry of 512 lent pages",
         got.get("lend") == (0, (512, 1))),
        ("a second lend of lent gfns is refused with EEXIST and changes "
         "nothing", got.get("lend-again") == (-17, (512, 1))),
        ("a lend over guest RAM is refused with EEXIST",
         got.get("lend-over-ram") == (-17, (512, 1))),
        ("dom0 cannot foreign-map a lent gfn (privcmd mmapbatch) where it "
         "maps the guest's RAM",
         len(foreign) == 2 and foreign[0] != (0, 0)
         and foreign[1] == (0, 0)),
        ("a revoke of guest RAM is refused with ENOENT",
         got.get("revoke-ram") == (-2, (512, 1))),
        ("revoking one page splits the 2M entry: 511 pages stay lent",
         got.get("revoke-one") == (0, (511, 0))),
        ("revoking the whole run leaves nothing lent",
         got.get("revoke-rest") == (0, (0, 0))),
        ("timed lend + revoke rounds (4K, phase 1, 2M, 512 x 4K) leave "
         "nothing lent", got.get("bench") == (0, (0, 0))
         and "lend2m-bench" in text(case, "lend 2m")),
    ]


def check_off_guest(case):
    """lend=off with the module loaded: trapped, nothing lent."""
    dev = device_state(case)
    res = client_result(case)
    after = module_counters(case, "xen-lend module after the guest")
    return [
        ("xl create succeeds with lend=off", "xl-create-rc 0" in case["head"]),
        ("the guest client's data checks pass", client_passed(case)),
        ("once a blob is freed, a second view of its frames shows none "
         "of its data", guest_e2e.stale_view_clean(res)),
        ("nothing was lent and guest accesses were trapped",
         dev.get("lending") is False and dev.get("maps", 0) > 0
         and dev.get("trapped-writes", 0) > 0
         and after.get("pages_lent") == 0),
    ]


def mesa_results(case):
    """The Mesa guest's result lines (tests/guest/mesa/run-tests)."""
    serial = text(case, "guest serial")
    out = {}
    for key, pat in (("vk", r"VK-RESULT .*"), ("gl", r"GL-RESULT .*")):
        m = re.search(pat, serial)
        out[key] = mesa_e2e.parse_result(m.group(0)) if m else {}
    out["venus"] = "DRIVER_ID_MESA_VENUS" in serial
    return out


def mesa_programs(case):
    """Real Mesa in the HVM guest: venus listed, both programs' checks
    pass on the venus and virgl devices."""
    r = mesa_results(case)
    return [
        ("xl create succeeds", "xl-create-rc 0" in case["head"]),
        ("vulkaninfo in the guest lists the venus device", r["venus"]),
        ("vk-hostmem on venus: HOST_VISIBLE memory written, copied and "
         "filled by the GPU, every word right",
         r["vk"].get("ok") == "1"
         and r["vk"].get("device", "").startswith("Virtio-GPU Venus")),
        ("gl-bufmap on virgl: persistent buffer storage copied by the GPU, "
         "every word right",
         r["gl"].get("ok") == "1"
         and r["gl"].get("renderer", "").startswith("virgl")),
    ]


def check_mesa_lent(case):
    """lend=on under the patched Xen with the module: Mesa's blobs are
    lent through XEN_DMOP_lend_pages, no access is trapped."""
    dev = device_state(case)
    running = module_counters(case, "xen-lend module while the guest ran")
    xen_after = xen_lent(case, "xen lent pages after the guest")
    return mesa_programs(case) + [
        ("Mesa's blobs were mapped and lent, no access trapped",
         dev.get("lending") is True and dev.get("maps", 0) > 0
         and dev.get("map-errors") == 0
         and dev.get("trapped-reads") == 0
         and dev.get("trapped-writes") == 0
         and dev.get("maps-trapped") == 0),
        ("the module lent through Xen's device-model operations, "
         "holding no page",
         running.get("handles_dmop") == 1
         and running.get("pages_lent", 0) > 0
         and running.get("pages_held") == 0),
        ("after the guest everything lent is revoked and nothing leaked",
         lends_balanced(case) and not xen_after),
    ]


def check_mesa_trapped(case):
    """lend=auto without the module: the device offers no venus (under Xen
    its ring needs lent memory) and says so; GL on virgl works with every
    access to its blobs an ioreq (gl-bufmap only: mesa-tiny)."""
    dev = device_state(case)
    r = mesa_results(case)
    return [
        ("xl create succeeds", "xl-create-rc 0" in case["head"]),
        ("venus is not offered, and the device model says why",
         not r["venus"] and "venus is not offered to the guest"
         in text(case, "device model log")),
        ("gl-bufmap on virgl: persistent buffer storage copied by the GPU, "
         "every word right",
         r["gl"].get("ok") == "1"
         and r["gl"].get("renderer", "").startswith("virgl")),
        ("Mesa's blobs were mapped, not lent, and every access trapped",
         dev.get("lending") is False and dev.get("maps", 0) > 0
         and dev.get("trapped-writes", 0) > 0
         and dev.get("trapped-reads", 0) > 0),
    ]


def check_mesa_udmabuf(case):
    """lend=on with the module and dom0's udmabuf: lavapipe exports
    udmabufs, which Linux 6.12 maps VM_PFNMAP; the module lends them
    (follow_pfnmap under its notifier), none is trapped."""
    dev = device_state(case)
    running = module_counters(case, "xen-lend module while the guest ran")
    return mesa_programs(case) + [
        ("every blob is lent, the udmabufs' VM_PFNMAP mappings too: no map "
         "trapped, no access trapped",
         dev.get("lending") is True and dev.get("maps", 0) > 0
         and dev.get("maps-trapped") == 0
         and dev.get("map-errors") == 0
         and dev.get("trapped-reads") == 0
         and dev.get("trapped-writes") == 0
         and running.get("handles_dmop") == 1
         and running.get("pages_lent", 0) > 0),
        ("after the guest everything lent is revoked and nothing leaked",
         lends_balanced(case)),
    ]


HOSTILE_KINDS = ("munmap", "exit", "udmabuf")


def hostile_lines(case, kind, what):
    """dom0-init's hostile_steps lines "hostile KIND WHAT REST": [REST]."""
    pre = f"hostile {kind} {what}"
    return [line[len(pre):].strip() for line in case.get("hostile lender", [])
            if line.startswith(pre + " ") or line == pre]


def peek_views(case, kind, what):
    """The guest's readings of the BAR pages in @what lines: [(v0, v1)]."""
    out = []
    for line in hostile_lines(case, kind, what):
        m = re.search(r"v0=(0x[0-9a-fA-F]+) v1=(0x[0-9a-fA-F]+)", line)
        if m:
            out.append((int(m.group(1), 16), int(m.group(2), 16)))
    return out


def ours(value):
    """A word of lend-hostile's: its pattern (0xfeedK0ii) or reuse fill
    (0xdead00ii)."""
    return value >> 16 in (0xfeed, 0xdead)


def check_hostile(case, dmop=True):
    """A dom0 process lends its own memory into the guest's hostmem BAR
    and frees it without revoking (tests/xen/lend-hostile.c): the
    module's MMU notifier revokes before the kernel frees the frames."""
    after = module_counters(case, "xen-lend module after the guest")
    lent_seen, gone, reused, clean = [], [], [], []
    for k, kind in enumerate(HOSTILE_KINDS):
        tag = 0xfeed0000 | k << 8
        lent_seen.append(peek_views(case, kind, "lent-view")[:1]
                         == [(tag, tag | 15)])
        views = peek_views(case, kind, "after-view")
        clean.append(len(views) == 4 and not any(ours(v) for vv in views
                                                 for v in vv))
        gone.append(hostile_lines(case, kind, "xen-lent-after") == ["0 0"])
        m = re.search(r"reused=(\d+)", " ".join(
            hostile_lines(case, kind, "FILLED")))
        reused.append(int(m.group(1)) if m else -1)
    cycle = re.search(r"CYCLE .*invalidate_us=\S+ relend_ms=\S+",
                      text(case, "hostile lender"))
    checks = [
        ("xl create succeeds", "xl-create-rc 0" in case["head"]),
        ("the guest sees each lender's pattern while it is lent: anonymous "
         "memory (munmap, exit) and a udmabuf's VM_PFNMAP mapping",
         all(lent_seen)),
        ("after munmap, exit and the udmabuf's munmap, none revoking, the "
         "guest sees none of the old data nor what dom0 writes next",
         all(clean)),
        ("dom0 reused frames the lenders freed (pagemap) while the guest "
         "looked", reused[0] > 0 or reused[1] > 0),
        ("an invalidate + re-lend cycle of 512 pages is timed",
         cycle is not None),
        ("the notifier revoked every page, all released: lends and revokes "
         "balance, none held or leaked",
         lends_balanced(case) and after.get("invalidations", 0) >= 3
         # phase 1: the LEND of the BAR it refuses, and the failure the
         # "deny" step injects
         and after.get("errors") == (0 if dmop else 2)),
    ]
    if dmop:
        checks.append(("Xen lends the guest none of those frames once the "
                       "lender has freed them ('q': 0 lent)", all(gone)))
    return checks + check_hostile_bar(case, dmop)


def check_hostile_bar(case, dmop):
    """dom0 lends I/O memory: its mapping of a PCI BAR of the bed machine
    (VM_IO | VM_PFNMAP, as a GPU's VRAM), then munmaps it unrevoked."""
    tag = 0xfeed0300
    lent = peek_views(case, "bar", "lent-view")[:1] == [(tag, tag | 15)]
    views = peek_views(case, "bar", "after-view")
    clean = len(views) == 4 and not any(ours(v) for vv in views for v in vv)
    if not dmop:
        kept = hostile_lines(case, "deny", "iomem-while")
        return [("phase 1 lends RAM only: the LEND of a PCI BAR's mapping "
                 "fails with EFAULT and the guest never sees the BAR",
                 "Bad address" in " ".join(hostile_lines(case, "bar",
                                                         "lend-hostile:"))
                 and not lent and clean),
                ("phase 1: an iomem permission the module failed to take "
                 "back (fail_deny) is taken back by the handle's next "
                 "lend, of another page",
                 len(kept) == 1 and kept[0] not in ("", "{}")
                 and hostile_lines(case, "deny", "iomem-after") == ["{}"])]
    mmio = xen_dump(case, "hostile lender", r"lent MMIO pages: (\d+)")
    iomem = guest_iomem(case, "hostile lender")
    return [
        ("dom0's mapping of a PCI BAR (I/O memory) is lent: the guest "
         "reads what dom0 wrote there", lent),
        ("Xen lends it as I/O memory, 512 pages in one 2M entry ('q'), and "
         "the guest holds no I/O memory permission meanwhile",
         hostile_lines(case, "bar", "xen-lent-while") == ["512 1"]
         and list(mmio.values()) == ["512"]
         and list(iomem.values()) == ["{}"]),
        ("after the BAR's munmap, which revokes nothing, Xen lends none of "
         "it ('q': 0 lent) and the guest reads none of it",
         hostile_lines(case, "bar", "xen-lent-after") == ["0 0"] and clean),
    ]


def check_hostile_stock(case):
    """The same on Debian's Xen: phase-1 p2m_mmio_direct entries."""
    return check_hostile(case, dmop=False)


def check_migrate(case):
    """lend=on under the patched Xen while dom0 compacts memory and
    write-protects the device model's pages: the notifier revokes, the
    trapped window serves the guest, the worker lends again."""
    running = module_counters(case, "xen-lend module while the guest ran")
    res = client_result(case)
    m = re.search(r"migrate rounds=(\d+) compaction=(\d+) soft-dirty=(\d+)",
                  text(case, "migrate"))
    rounds, compact, soft = (int(g) for g in m.groups()) if m else (0, 0, 0)
    return [
        ("xl create succeeds", "xl-create-rc 0" in case["head"]),
        ("the guest client's data checks pass, its churn of reads and "
         "writes among them", client_passed(case)
         and int(res.get("churn_rounds", "0")) > 0),
        (f"dom0 moved lent memory under the guest: {rounds} rounds, "
         f"{compact} invalidations by compaction, {soft} by soft-dirty "
         f"clearing", rounds > 0 and compact + soft > 0
         and running.get("invalidations", 0) > 0),
        ("the worker lent the invalidated pages again",
         running.get("pages_relent", 0) > 0),
        ("nothing is held, leaked or left lent after the guest",
         lends_balanced(case) and running.get("pages_held") == 0
         and running.get("errors") == 0),
    ]


CHECKS = {"xenlend-mesa": check_mesa_lent,
          "xenlend-mesa-auto": check_mesa_trapped,
          "xenlend-mesa-udmabuf": check_mesa_udmabuf,
          "xenlend-on": check_on, "xenlend-auto": check_auto,
          "xenlend-guest": check_guest,
          "xenlend-lend-probe": check_lend_probe,
          "xenlend-lend": check_lend_guest, "xenlend-off": check_off_guest,
          "xenlend-dmop": check_dmop_guest, "xenlend-2m": check_lend2m,
          "xenlend-hostile": check_hostile,
          "xenlend-lend-hostile": check_hostile_stock,
          "xenlend-migrate": check_migrate}


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--qemu", required=True)
    ap.add_argument("--bed", required=True)
    ap.add_argument("--payload", required=True)
    ap.add_argument("--xen", help="the hypervisor to boot (default: the "
                    "bed's, Debian's binary package)")
    ap.add_argument("--mesa-root", required=True,
                    help="the Mesa guest's root image "
                         "(tests/guest/mesa/make-root.sh)")
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
        for pat in (r"XENLEND-RESULT .*", r"VK-RESULT .*", r"GL-RESULT .*",
                    r"unsupported: .*",
                    r"virtio-gpu-xenlend: lend=on: .*"):
            m = re.search(pat, text(case, "guest serial") + "\n" + dmlog)
            if m:
                print(f"{name}: {m.group(0)}")
        for line in case.get("dom0 kernel log", []):
            print(f"{name}: dom0: {line}")
        for line in case.get("xl migrate and save", []):
            print(f"{name}: {line}")
        for line in case.get("hostile lender", []) + case.get("migrate", []):
            if re.search(r"CYCLE|FILLED|migrate rounds|lend-hostile:", line):
                print(f"{name}: {line}")
        for line in case.get("lend 2m", []):
            if line.startswith(("lend2m-bench", "lend2m run at")):
                print(f"{name}: {line}")
        for sec in ("xen lent pages while the guest ran",
                    "xen lent pages after the guest"):
            for line in case.get(sec, []):
                if re.match(r"xen-lent: .*(lent pages|I/O Memory)", line):
                    print(f"{name}: {sec}: {line[10:]}")
        if case.get("qmp x-query-virtio-gpu-xenlend"):
            print(f"{name}: device: {json.dumps(device_state(case))}")
        for sec in ("xen-lend module while the guest ran",
                    "xen-lend module after the guest"):
            if module_counters(case, sec):
                print(f"{name}: {sec}: {module_counters(case, sec)}")

    passed = sum(ok for _, ok in checks)
    for name, ok in checks:
        print(f"xen-e2e: {'PASS' if ok else 'FAIL'}: {name}")
    print(f"xen-e2e: {secs:.0f} s; logs in {args.out}")
    print(f"{passed} passed, {len(checks) - passed} failed")
    return 0 if passed == len(checks) else 1


if __name__ == "__main__":
    sys.exit(main())
