#!/bin/sh
# device_model_override of the test bed: record how libxl starts the
# device model, then run our QEMU.  Its data files (keymaps, option ROMs)
# are dom0's, from qemu-system-data; Mesa's shader cache needs a home.
echo "$0 $*" > /tmp/dm-args.txt
export HOME=/tmp
exec /bed/qemu-system-x86_64 -L /usr/share/qemu "$@"
