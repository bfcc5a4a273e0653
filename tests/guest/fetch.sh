#!/usr/bin/env bash
# Download and unpack the guest's Debian packages into DIR (once).
# Runs inside the build environment.   fetch.sh DIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dir=$1
mkdir -p "$dir/debs"
cd "$dir/debs"

fetch() {
    local pkg=$1 ver=$2 sum=$3 deb
    deb=$(ls "${pkg}"_*.deb 2>/dev/null | head -1 || true)
    if [ -n "$deb" ]; then
        echo "$deb"
        return
    fi
    if apt-get download -qq -o APT::Sandbox::User=root "$pkg=$ver" >&2 2>/dev/null &&
       deb=$(ls "${pkg}"_*.deb) &&
       echo "$sum  $deb" | sha256sum --quiet -c - >&2; then
        echo "$deb"
        return
    fi
    rm -f "${pkg}"_*.deb
    # the pinned version is gone from the mirror: apt verifies the current
    # one against Debian's signed index
    local base=${pkg%%-[0-9]*}
    case "$pkg" in
    linux-image-*) base=linux-image-amd64 ;;
    esac
    apt-get update -qq >&2 || true
    if [ "$base" = linux-image-amd64 ]; then
        pkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
    fi
    echo "fetch: $1=$ver is no longer on the mirror; using $pkg" \
         "$(apt-cache policy "$pkg" | awk '/Candidate/ {print $2}');" \
         "update tests/guest/packages.pin" >&2
    apt-get download -qq -o APT::Sandbox::User=root "$pkg" >&2
    ls "${pkg}"_*.deb
}

while read -r pkg ver sum; do
    case "$pkg" in ''|'#'*) continue ;; esac
    deb=$(fetch "$pkg" "$ver" "$sum")
    name=${pkg%%[-_]*}
    [ -d "../$name" ] || { mkdir -p "../$name.tmp" &&
                           dpkg-deb -x "$deb" "../$name.tmp" &&
                           mv "../$name.tmp" "../$name"; }
done < "$here/packages.pin"
