#!/usr/bin/env bash
# Build and run one of our x86_64 TCG system tests, a bare-metal program
# (tests/tcg/x86_64/system/NAME.c) on upstream's boot code and minilib,
# booted by QEMU with -kernel.  Prints the test's TAP from the debug
# console; exits non-zero if the test failed or did not finish.
# Runs inside the build environment.
#   tcg-test.sh SRC_TREE QEMU OUT_DIR NAME
set -euo pipefail
src=$1 qemu=$2 out=$3 name=$4
top=$(cd "$(dirname "$0")/.." && pwd)
sys=$src/tests/tcg/x86_64/system
lib=$src/tests/tcg/minilib
mkdir -p "$out"
# -O0 as upstream builds it: its __sys_outc sends %al, which only
# unoptimised callers happen to load with the character
cflags=(-nostdlib -ffreestanding -fno-stack-protector -fno-pie -no-pie
        -mno-red-zone -O0 -Wall -Werror -isystem "$lib")
gcc "${cflags[@]}" -Wa,--noexecstack -c "$sys/boot.S" -o "$out/boot.o"
gcc "${cflags[@]}" -Wno-error -c "$lib/printf.c" -o "$out/printf.o"
gcc "${cflags[@]}" "$top/tests/tcg/x86_64/system/$name.c" -o "$out/$name" \
    -static -Wl,-T"$sys/kernel.ld" -Wl,-melf_x86_64 \
    "$out/boot.o" "$out/printf.o" -lgcc
rm -f "$out/$name.out"
rc=0
timeout 120 "$qemu" -accel tcg -cpu max -display none -nodefaults \
    -monitor none -no-reboot \
    -chardev file,path="$out/$name.out",id=output \
    -device isa-debugcon,chardev=output \
    -device isa-debug-exit,iobase=0xf4,iosize=0x4 \
    -kernel "$out/$name" || rc=$?
cat "$out/$name.out"
# isa-debug-exit makes the exit status (code << 1) | 1; a clean
# power-off (main returned 0) exits 0
[ "$rc" = 0 ] || { echo "$name: QEMU exited with $rc"; exit 1; }
