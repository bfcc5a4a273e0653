#!/usr/bin/env bash
# Link our files into the QEMU source tree SRC at their own paths.  An
# overlay file may only add to upstream: one that would replace an upstream
# file is an error (upstream files change through patches/ only).
#   overlay.sh SRC
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
src=$(cd "$1" && pwd)
dirs="hw accel include qapi tests docs"

# drop links to files that are gone from the repository
find "$src" -path "$src/.git" -prune -o -type l -lname "$top/*" -print |
    while IFS= read -r link; do
        [ -e "$link" ] || rm -f "$link"
    done

cd "$top"
for f in $(find $dirs -type f 2>/dev/null | sort); do
    dst=$src/$f
    if [ -e "$dst" ] && [ ! -L "$dst" ]; then
        echo "overlay: $f would replace an upstream file;" \
             "change upstream files through patches/ instead" >&2
        exit 1
    fi
    mkdir -p "$(dirname "$dst")"
    ln -sfn "$top/$f" "$dst"
done
