#!/usr/bin/env python3
"""Map one frame of another domain into dom0 as the toolstack and device
models do (privcmd's IOCTL_PRIVCMD_MMAPBATCH_V2) and say what happened:

  foreign-map.py DOMID GFN   -> "foreign-DOMID-GFN rc=RC err=ERR"

RC is the ioctl's 0 or -errno, ERR the frame's own error code.  The test
bed's lend2m case maps a lent gfn, which Xen must refuse even to dom0, and
a gfn of the guest's RAM, which it must map."""

import ctypes
import errno
import fcntl
import mmap
import os
import struct
import sys

# _IOC(_IOC_NONE, 'P', 4, sizeof(struct privcmd_mmapbatch_v2)), 64-bit
IOCTL_PRIVCMD_MMAPBATCH_V2 = (32 << 16) | (ord("P") << 8) | 4


def main():
    domid, gfn = int(sys.argv[1]), int(sys.argv[2], 16)
    fd = os.open("/dev/xen/privcmd", os.O_RDWR)
    area = mmap.mmap(fd, mmap.PAGESIZE, mmap.MAP_SHARED,
                     mmap.PROT_READ | mmap.PROT_WRITE)
    addr = ctypes.addressof(ctypes.c_char.from_buffer(area))
    frames = (ctypes.c_uint64 * 1)(gfn)
    errs = (ctypes.c_int * 1)(0)
    arg = struct.pack("IHxxQQQ", 1, domid, addr, ctypes.addressof(frames),
                      ctypes.addressof(errs))
    try:
        fcntl.ioctl(fd, IOCTL_PRIVCMD_MMAPBATCH_V2, arg)
        rc = 0
    except OSError as e:
        rc = -e.errno
    print(f"foreign-{domid}-{gfn:x} rc={rc} err={errs[0]}")


if __name__ == "__main__":
    main()
