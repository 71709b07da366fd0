# Shared by tools/build-guest-image and tools/build-agent-root: suites, cache
# keys and the one-build-at-a-time lock. Sourced, not run.
#
# A tree is keyed by its recipe (the scripts that build it, hashed) and, for
# suites that change every day (trixie while testing, sid), by the UTC date:
# a nightly job rebuilds once a day and reuses the tree for the rest of it.

tree_say() { printf '[%s %s] %s\n' "$tree_tool" "$(date +%H:%M:%S)" "$*" >&2; }

# tree_suite NAME: checks a suite name and prints its codename
tree_suite() {
    case "$1" in
    bookworm | 12) echo bookworm ;;
    trixie | 13) echo trixie ;;
    sid | unstable) echo sid ;;
    *) tree_say "unknown suite '$1': bookworm, trixie or sid"; return 2 ;;
    esac
}

# tree_key SUITE RECIPE-FILE...: the cache key
tree_key() {
    local suite=$1; shift
    local key
    key=$(cat "$@" | sha256sum | cut -c1-16)
    case "$suite" in
    bookworm) echo "$key" ;;
    *) echo "$key-$(date -u +%Y%m%d)" ;;
    esac
}

# tree_lock CACHE: one build at a time per machine (fd 9)
tree_lock() {
    mkdir -p "$1"
    exec 9> "$1/.lock"
    flock 9
}

# tree_debootstrap SUITE ROOT PACKAGES LOG: minbase, then PACKAGES (comma
# separated) through apt inside the tree. debootstrap's own --include
# configures packages in an order of its own, which fails in sid (dconf-service,
# pulled in by the 0.23 agent's GTK, configured before its dependencies); apt
# in the finished base system orders them as an install on a real machine.
# The archive this machine reaches may be a snapshot whose Release file has
# expired (debootstrap does not check that; apt does): apt is told not to.
tree_debootstrap() {
    local mirror=${VDSIM_DEBIAN_MIRROR:-http://deb.debian.org/debian}
    tree_say "debootstrap $1 (minbase) from $mirror"
    if ! debootstrap --variant=minbase "$1" "$2" "$mirror" > "$4" 2>&1; then
        tail -20 "$4" >&2
        return 1
    fi
    tree_say "apt-get install ${3//,/ }"
    # /proc for the maintainer scripts; not the host's /dev: a package's
    # postinst (udev's) set the host's /dev/kvm to the tree's "kvm" group id,
    # which libvirtd then could not use. debootstrap made the tree's own nodes.
    mount -t proc proc "$2/proc"
    local rc=0
    chroot "$2" /usr/bin/env DEBIAN_FRONTEND=noninteractive sh -c \
        "apt-get -o Acquire::Check-Valid-Until=false update -q && apt-get install -y -q --no-install-recommends ${3//,/ }" \
        >> "$4" 2>&1 || rc=$?
    tree_umount "$2"
    [ $rc -eq 0 ] || { tail -30 "$4" >&2; return 1; }
}

# tree_umount ROOT: what tree_debootstrap and the image recipes mounted
tree_umount() {
    local m
    for m in proc sys; do
        mountpoint -q "$1/$m" 2> /dev/null && umount -R "$1/$m" 2> /dev/null || true
    done
}

# tree_version ROOT PACKAGE: the installed version of PACKAGE in ROOT
tree_version() {
    dpkg-query --admindir="$1/var/lib/dpkg" -W -f='${Version}' "$2" 2> /dev/null || echo unknown
}
