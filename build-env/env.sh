# shellcheck shell=bash
# The build environment of virtio-gpu-xenlend: Debian trixie.
#
# On trixie or newer the host is the environment.  On older hosts a
# debootstrap'd trixie root in a cache directory outside the repository is
# made once (and remade when packages.txt changes) and entered with
# bubblewrap, so nothing stays mounted after a command returns.
#
# Sourced by configure, the Makefile's helpers and build-env/run.

XENLEND_TOP=${XENLEND_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
export XENLEND_CACHE=${XENLEND_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/virtio-gpu-xenlend}
XENLEND_MIRROR=${XENLEND_MIRROR:-http://deb.debian.org/debian}
XENLEND_SECURITY_MIRROR=${XENLEND_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
XENLEND_ROOT=$XENLEND_CACHE/trixie-root
export CCACHE_DIR=${CCACHE_DIR:-$XENLEND_CACHE/ccache}
# Clones at other paths (CI's fresh clone) hit the same cache entries.
export CCACHE_BASEDIR=${CCACHE_BASEDIR:-$XENLEND_TOP}
export CCACHE_NOHASHDIR=${CCACHE_NOHASHDIR:-1}

xenlend_die() {
    echo "build-env: $*" >&2
    exit 1
}

# The packages of a list (default: the build environment's), one a line
xenlend_packages() {
    sed -e 's/#.*//' -e '/^[[:space:]]*$/d' \
        "${1:-$XENLEND_TOP/build-env/packages.txt}"
}

# A Debian root of the tests made in the cache (the Xen bed's dom0, the
# Mesa guest) is remade when this changes:  xenlend_root_hash LIST SCRIPT
xenlend_root_hash() {
    { xenlend_packages "$1"; cat "$2"; echo "$XENLEND_MIRROR"; } |
        sha256sum | cut -d' ' -f1
}

# debootstrap trixie into DIR with LIST's packages, logging to LOG; dies
# saying WHAT failed:  xenlend_debootstrap DIR LIST LOG WHAT
xenlend_debootstrap() {
    local dir=$1 list=$2 log=$3 what=$4
    [ "$(id -u)" = 0 ] || xenlend_die "making $what needs root (debootstrap)"
    xenlend_need_tool debootstrap debootstrap
    debootstrap --variant=minbase \
        --include="$(xenlend_packages "$list" | paste -sd,)" trixie "$dir" \
        "$XENLEND_MIRROR" >>"$log" 2>&1 ||
        { tail -20 "$log" >&2; xenlend_die "debootstrap of $what failed"; }
}

# The host is the environment when it is Debian 13 (trixie) or newer,
# or when the user says so with XENLEND_ENV=native.
xenlend_host_is_native() {
    case "${XENLEND_ENV:-auto}" in
    native) return 0 ;;
    root) return 1 ;;
    esac
    [ -r /etc/os-release ] || return 1
    # shellcheck disable=SC1091
    (
        . /etc/os-release
        [ "${ID:-}" = debian ] || exit 1
        case "${VERSION_CODENAME:-}" in
        trixie|forky|duke|sid) exit 0 ;;
        esac
        [ "${VERSION_ID%%.*}" -ge 13 ] 2>/dev/null
    )
}

xenlend_need_tool() {
    local tool=$1 pkg=$2
    command -v "$tool" >/dev/null 2>&1 && return 0
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "build-env: installing $pkg for $tool" >&2
        apt-get update -qq >&2 && apt-get install -y -qq "$pkg" >&2 ||
            xenlend_die "could not install $pkg; install it by hand"
        command -v "$tool" >/dev/null 2>&1 && return 0
    fi
    xenlend_die "'$tool' is missing: install the '$pkg' package" \
        "(as root: apt-get install $pkg)"
}

xenlend_list_hash() {
    { xenlend_packages; echo "$XENLEND_MIRROR"; } | sha256sum | cut -d' ' -f1
}

# Run a command inside the trixie root.  The repository, the cache and /tmp
# are bound at their own paths, so file names mean the same inside and out.
xenlend_bwrap() {
    local top_real cache_real
    top_real=$(cd "$XENLEND_TOP" && pwd -P)
    mkdir -p "$XENLEND_CACHE"
    cache_real=$(cd "$XENLEND_CACHE" && pwd -P)
    bwrap --bind "$XENLEND_ROOT" / \
        --dev /dev --proc /proc --tmpfs /run \
        --bind /tmp /tmp \
        --ro-bind /etc/resolv.conf /etc/resolv.conf \
        --bind "$cache_real" "$cache_real" \
        --bind "$top_real" "$top_real" \
        --chdir "$(pwd -P)" \
        --setenv PATH /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
        --setenv CCACHE_DIR "$CCACHE_DIR" \
        --setenv CCACHE_BASEDIR "$CCACHE_BASEDIR" \
        --setenv CCACHE_NOHASHDIR "$CCACHE_NOHASHDIR" \
        --setenv XENLEND_IN_ENV 1 \
        --unsetenv PYENV_ROOT --unsetenv PYENV_VERSION \
        "$@"
}

xenlend_make_root() {
    local hash=$1 tmp=$XENLEND_ROOT.new
    [ "$(id -u)" = 0 ] ||
        xenlend_die "making the trixie root needs root (debootstrap);" \
            "run once as root, or build on Debian trixie"
    xenlend_need_tool debootstrap debootstrap
    xenlend_need_tool bwrap bubblewrap
    local log=$XENLEND_CACHE/make-root.log
    echo "build-env: making a Debian trixie root in $XENLEND_ROOT" \
        "(about 2 minutes; log: $log)" >&2
    rm -rf "$tmp"
    mkdir -p "$XENLEND_CACHE"
    : > "$log"
    debootstrap --variant=minbase trixie "$tmp" "$XENLEND_MIRROR" >>"$log" 2>&1 ||
        { tail -20 "$log" >&2; xenlend_die "debootstrap of trixie failed"; }
    cat > "$tmp/etc/apt/sources.list" <<SRC
deb $XENLEND_MIRROR trixie main
deb $XENLEND_MIRROR trixie-updates main
deb $XENLEND_SECURITY_MIRROR trixie-security main
deb-src $XENLEND_MIRROR trixie main
deb-src $XENLEND_MIRROR trixie-updates main
deb-src $XENLEND_SECURITY_MIRROR trixie-security main
SRC
    # shellcheck disable=SC2046
    XENLEND_ROOT=$tmp xenlend_bwrap env DEBIAN_FRONTEND=noninteractive \
        sh -c 'apt-get update -qq && apt-get install -y -qq --no-install-recommends "$@"' \
        sh $(xenlend_packages) >>"$log" 2>&1 ||
        { tail -20 "$log" >&2
          xenlend_die "installing the build packages into the trixie root failed"; }
    XENLEND_ROOT=$tmp xenlend_bwrap apt-get clean
    echo "$hash" > "$tmp/.xenlend-packages"
    rm -rf "$XENLEND_ROOT"
    mv "$tmp" "$XENLEND_ROOT"
}

xenlend_native_check() {
    local missing
    # shellcheck disable=SC2046
    missing=$(dpkg-query -W -f '${Package} ${db:Status-Status}\n' \
                  $(xenlend_packages) 2>/dev/null |
              awk '$2 != "installed" { print $1 }')
    # dpkg-query prints nothing for unknown packages: compare counts too
    local known
    # shellcheck disable=SC2046
    known=$(dpkg-query -W $(xenlend_packages) 2>/dev/null | wc -l)
    if [ -z "$missing" ] && [ "$known" -eq "$(xenlend_packages | wc -l)" ]; then
        return 0
    fi
    if [ "$(id -u)" = 0 ]; then
        # shellcheck disable=SC2046
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
            --no-install-recommends $(xenlend_packages) >&2 && return 0
    fi
    xenlend_die "missing build packages; as root run:" \
        "apt-get install $(xenlend_packages | tr '\n' ' ')"
}

# Make sure the environment exists and is current.
xenlend_ensure() {
    [ -n "${XENLEND_IN_ENV:-}" ] && return 0
    if xenlend_host_is_native; then
        xenlend_native_check
        return 0
    fi
    local hash
    hash=$(xenlend_list_hash)
    if [ "$(cat "$XENLEND_ROOT/.xenlend-packages" 2>/dev/null)" != "$hash" ]; then
        xenlend_make_root "$hash"
    fi
    xenlend_need_tool bwrap bubblewrap
}

# Run "$@" in the environment.
xenlend_run() {
    xenlend_ensure
    if [ -n "${XENLEND_IN_ENV:-}" ] || xenlend_host_is_native; then
        "$@"
    else
        xenlend_bwrap "$@"
    fi
}
