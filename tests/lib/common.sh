# Helpers for tests written in bash.  Source it; then use ok/not_ok/check
# to print TAP result lines (see tests/run).
#
# This work is licensed under the terms of the GNU GPL, version 2 or later.

top=${HWVIRT_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
qemu=$top/build/qemu-system-x86_64
tmp=$(mktemp -d "${TMPDIR:-/tmp}/hwvirt-test.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

ok() { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; }

# expect_in FILE PATTERN WHAT: one result, on whether FILE matches PATTERN.
expect_in() {
    if grep -qE -- "$2" "$1"; then
        ok "$3"
    else
        not_ok "$3: no '$2' in the output:"
        sed 's/^/#   /' "$1" | head -n 20
    fi
}

# expect_fixed FILE STRING WHAT: like expect_in, for a fixed string.
expect_fixed() {
    if grep -qF -- "$2" "$1"; then
        ok "$3"
    else
        not_ok "$3: no '$2' in the output:"
        sed 's/^/#   /' "$1" | head -n 20
    fi
}

# expect_status GOT WANT WHAT
expect_status() {
    if [ "$1" -eq "$2" ]; then
        ok "$3"
    else
        not_ok "$3: exit status $1, expected $2"
    fi
}

pinned_tarball() {
    "$top/scripts/qemu-upstream" fetch 2>/dev/null
}
