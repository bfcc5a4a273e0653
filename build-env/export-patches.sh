#!/usr/bin/env bash
# Regenerate patches/ and patches/series from the commits on top of the
# tag 'upstream' in a QEMU source tree made by prepare-source.sh, which
# applies each patch as a commit (git am).  To change a patch: edit the
# file in the tree, commit it with --fixup on the patch's commit and
# rebase with --autosquash onto 'upstream' (or add a commit for a new
# patch), then run this and commit patches/.  Runs inside the build
# environment (git).
#   build-env/export-patches.sh [SRC]       (default: build/src)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/build-env/env.sh"
src=${1:-$top/build/src}
git -C "$src" rev-parse -q --verify upstream >/dev/null ||
    xenlend_die "$src has no tag 'upstream': make it with 'make prepare'"
[ -z "$(git -C "$src" status --porcelain --untracked-files=no)" ] ||
    xenlend_die "$src has uncommitted changes to upstream files: commit" \
        "them (git commit --fixup) before exporting"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
# --zero-commit and no numbering: a patch's file changes only when it does
# (and short hashes of one length, whatever the tree's size)
git -C "$src" format-patch -q --zero-commit --no-signature --no-numbered \
    --abbrev=12 --filename-max-length=80 -o "$out" upstream..HEAD
[ -n "$(ls "$out")" ] || xenlend_die "no commits on top of 'upstream' in $src"
rm -f "$top"/patches/*.patch
cp "$out"/*.patch "$top/patches/"
{
    echo "# Our changes to upstream QEMU files, applied in this order (git am);"
    echo "# made by build-env/export-patches.sh."
    (cd "$out" && ls -1 ./*.patch | sed 's|^\./||')
} > "$top/patches/series"
echo "export-patches: $(ls "$out" | wc -l) patches in $top/patches"
