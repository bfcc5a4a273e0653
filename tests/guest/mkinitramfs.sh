#!/usr/bin/env bash
# Assemble the test guest: the kernel from Debian's package, virtio-gpu and
# the modules it needs (resolved from their own depends=), busybox-static,
# the client built static, and tests/guest/init.  Runs inside the build
# environment.
#   mkinitramfs.sh OUT_DIR   -> OUT_DIR/vmlinuz, OUT_DIR/initrd.gz,
#                               OUT_DIR/initrd-mesa.gz
# initrd-mesa.gz is the Mesa guest's first stage (tests/guest/mesa/init):
# the same modules plus the root disk's, and our Mesa programs.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$1
cache=${XENLEND_CACHE:?run me through build-env/run}/guest
"$here/fetch.sh" "$cache"
kver=$(ls "$cache/linux/usr/lib/modules")
moddir=$cache/linux/usr/lib/modules/$kver/kernel
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,dev,proc,sys,modules} "$out"

declare -A done_mod
order=()
add_module() {
    local name=$1 file dep
    [ -n "${done_mod[$name]:-}" ] && return
    done_mod[$name]=1
    file=$(find "$moddir" -name "$name.ko.xz" -o -name "${name//_/-}.ko.xz" |
           head -1)
    [ -n "$file" ] || { echo "mkinitramfs: no module $name" >&2; exit 1; }
    xz -dc "$file" > "$root/modules/$name.ko"
    for dep in $(strings "$root/modules/$name.ko" |
                 sed -n 's/^depends=//p' | tr ',' ' '); do
        add_module "$dep"
    done
    order+=("$name")
}
add_module virtio-gpu
printf '%s\n' "${order[@]}" > "$root/modules.order"
modules=${order[*]}
# under Xen only: privcmd, for the client's hypercall into a lent page
order=()
add_module xen-privcmd
printf '%s\n' "${order[@]}" > "$root/modules.xen"

xen_modules=${order[*]}
# the Mesa guest's root disk: virtio-blk and ext4
order=()
add_module virtio_blk
# ext4's soft dependency (crypto-crc32c): its checksums
add_module crc32c_generic
add_module ext4
printf '%s\n' "${order[@]}" > "$root/modules.mesa"
mesa_modules=${order[*]}

cp "$cache/busybox/usr/bin/busybox" "$root/bin/busybox"
# a second copy: the client checks the first's page cache against it
cp "$cache/busybox/usr/bin/busybox" "$root/busybox.ref"
gcc -O2 -static -Wall -Werror -o "$root/xenlend-client" \
    "$here/xenlend-client.c"
pack() {
    (cd "$root" && find . | "$root/bin/busybox" cpio -o -H newc 2>/dev/null) |
        gzip -1 > "$1"
}
install -m 755 "$here/init" "$root/init"
pack "$out/initrd.gz"

# the Mesa guest: its programs run in the Debian root, linked against it
rm -f "$root/xenlend-client" "$root/busybox.ref"
mkdir -p "$root/mesa"
gcc -O2 -Wall -Werror -o "$root/mesa/vk-hostmem" "$here/mesa/vk-hostmem.c" \
    -lvulkan
gcc -O2 -Wall -Werror -o "$root/mesa/gl-bufmap" "$here/mesa/gl-bufmap.c" \
    -lEGL -lGLESv2
install -m 755 "$here/mesa/run-tests" "$root/mesa/run-tests"
install -m 755 "$here/mesa/init" "$root/init"
pack "$out/initrd-mesa.gz"
cp "$cache/linux/boot/vmlinuz-$kver" "$out/vmlinuz"
echo "mkinitramfs: $out/initrd.gz, initrd-mesa.gz ($kver; modules:" \
     "$modules; under Xen: $xen_modules; Mesa disk: $mesa_modules)"
