#!/usr/bin/env bash
# Make SRC a QEMU source tree ready for the overlay: upstream (Debian's
# qemu source package with its patches, or --qemu-source FILE), tracked in
# a throw-away git repository so that re-applying our patches/ only touches
# the files they change, then our patches/ in series order, a commit each
# (build-env/export-patches.sh makes patches/ from them again).
# Runs inside the build environment.
#   prepare-source.sh SRC [FILE]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/build-env/env.sh"
src=$1
file=${2:-}
mkdir -p "$(dirname "$src")"
src=$(cd "$(dirname "$src")" && pwd)/$(basename "$src")
stamps=$src.stamps
mkdir -p "$stamps"

git_src() {
    # no background gc: it would race with the overlay's walk of the tree
    git -C "$src" -c user.name=xenlend -c user.email=xenlend@localhost \
        -c advice.detachedHead=false -c gc.auto=0 "$@"
}

# Without FILE: the source this tree was made from (--qemu-source), else
# the pinned Debian package.
if [ -z "$file" ] && [ -r "$stamps/file" ]; then
    file=$(cat "$stamps/file")
fi
if [ -z "$file" ]; then
    file=$("$top/build-env/fetch-qemu.sh" "$XENLEND_CACHE/sources")
fi
[ -r "$file" ] || xenlend_die "cannot read QEMU source '$file'"
source_id=$(sha256sum "$file" | cut -d' ' -f1)

if [ "$(cat "$stamps/source" 2>/dev/null)" != "$source_id" ]; then
    echo "prepare-source: unpacking $(basename "$file")" >&2
    rm -rf "$src" "$stamps"
    mkdir -p "$stamps"
    case "$file" in
    *.dsc)
        # dpkg-source applies Debian's patches (skip-unpack-edk2-blobs
        # among them: the +ds tarball carries no firmware blobs).
        dpkg-source --no-check -q -x "$file" "$src" >&2
        ;;
    *)
        mkdir -p "$src"
        tar -xf "$file" -C "$src" --strip-components=1
        ;;
    esac
    [ -f "$src/meson.build" ] && [ -d "$src/hw" ] ||
        xenlend_die "'$file' does not hold a QEMU source tree"
    git_src init -q
    git_src add -A -f .
    git_src commit -q -m "upstream $(basename "$file")"
    git_src tag upstream
    echo "$source_id" > "$stamps/source"
    echo "$file" > "$stamps/file"
fi

# a build configured --without-patches is upstream as it is
series=$top/patches/series
if [ -e "$(dirname "$src")/without-patches" ]; then
    series=/dev/null
fi
patches_id=$(cd "$top/patches" && cat "$series" $(grep -v '^#' "$series") |
             sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamps/patches" 2>/dev/null)" != "$patches_id" ]; then
    # Back to upstream touching only what the old patches changed, so
    # that ninja rebuilds no more than the new patches need.
    git_src diff --name-only -z upstream |
        xargs -0 -r git -C "$src" checkout -q -f upstream --
    git_src reset -q upstream
    # files the old patches created (our overlay links stay)
    git_src ls-files -o -z | (cd "$src" &&
        while IFS= read -r -d '' f; do
            [ -L "$f" ] || [ -d "$f" ] || rm -f "$f"
        done)
    rm -f "$stamps/patches"
    # one commit per patch, so that build-env/export-patches.sh can make
    # patches/ again from the tree; git am takes no fuzz
    while read -r p; do
        case "$p" in ''|'#'*) continue ;; esac
        git_src am -q --whitespace=nowarn --committer-date-is-author-date \
            "$top/patches/$p" ||
            { git_src am --abort
              xenlend_die "patches/$p does not apply to $(basename "$file")"; }
    done < "$series"
    echo "$patches_id" > "$stamps/patches"
fi
