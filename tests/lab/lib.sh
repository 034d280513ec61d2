# Helpers for lab scenarios.  Scenarios run inside the lab (see in-lab)
# with LAB_* set from build/lab/env; they print TAP lines ("ok - ...",
# "not ok - ..."), "metric NAME=VALUE" lines and "# " comments, and exit
# non-zero if anything failed.
#
# This work is licensed under the terms of the GNU GPL, version 2 or later.

lab_failed=0

ok() { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; lab_failed=1; }
comment() { echo "# $*"; }
metric() { echo "metric $1=$2"; }

# check WHAT CMD...: one result from a command's status.
check() {
    local what=$1 out
    shift
    if out=$("$@" 2>&1); then
        ok "$what"
    else
        not_ok "$what: '$*' failed: $(echo "$out" | tail -n 3 | tr '\n' ' ')"
    fi
}

lab_exit() { exit "$lab_failed"; }

# Modules of the lab kernel (unpacked from Debian's package, with its
# modules.dep) by name: lab_modprobe kvm_amd npt=0
lab_modprobe() {
    modprobe -d "$LAB_KROOT" "$@"
}

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# kvm_stats_dir PID: the debugfs directory of the KVM VM of process PID.
kvm_stats_dir() {
    local d
    for d in /sys/kernel/debug/kvm/"$1"-*; do
        [ -d "$d" ] && { echo "$d"; return 0; }
    done
    return 1
}

# hwvirt_stats_dir PID: the debugfs directory of the hwvirt VM of PID.
hwvirt_stats_dir() {
    local d
    for d in /sys/kernel/debug/hwvirt/vm*-"$1"; do
        [ -d "$d" ] && { echo "$d"; return 0; }
    done
    return 1
}

# run_guest NAME MARKER LIMIT ACCEL QEMU-ARGS...
#
# Start the lab's qemu-system-x86_64 with -accel ACCEL and QEMU-ARGS, its
# serial port in $LAB_OUT/NAME.serial, and wait until MARKER shows up
# there, QEMU exits, or LIMIT seconds pass.  While the VM lives, sample
# the KVM statistics (debugfs) if ACCEL is kvm.  Sets:
#   guest_ms      start to marker, in milliseconds (empty if no marker)
#   guest_also_ms start to $ALSO_MARKER, if the caller set that
#   guest_status  QEMU's exit status (124 if it was killed at LIMIT)
#   guest_stats   file with the last statistics sample (KVM only)
run_guest() {
    local name=$1 marker=$2 limit=$3 accel=$4
    shift 4
    local serial=$LAB_OUT/$name.serial start pid dir
    guest_ms=""
    guest_also_ms=""
    guest_status=""
    guest_stats=$LAB_OUT/$name.stats
    : > "$serial"
    : > "$guest_stats"
    start=$(now_ms)
    "$LAB_QEMU" -accel "$accel" -nodefaults -display none -no-reboot \
        -serial "file:$serial" "$@" > "$LAB_OUT/$name.qemu.log" 2>&1 < /dev/null &
    pid=$!
    while kill -0 "$pid" 2>/dev/null; do
        if [ -z "$guest_ms" ] && grep -qa -- "$marker" "$serial"; then
            guest_ms=$(( $(now_ms) - start ))
        fi
        if [ -n "${ALSO_MARKER:-}" ] && [ -z "$guest_also_ms" ] &&
            grep -qa -- "$ALSO_MARKER" "$serial"; then
            guest_also_ms=$(( $(now_ms) - start ))
        fi
        if [ "${accel%%,*}" = kvm ] && dir=$(kvm_stats_dir "$pid"); then
            # Some files may fail to read, or vanish with the VM: keep
            # the last sample that read anything.
            grep -sH . "$dir"/* | sed "s|^$dir/||" > "$guest_stats.tmp"
            [ -s "$guest_stats.tmp" ] && mv "$guest_stats.tmp" "$guest_stats"
        elif [ "${accel%%,*}" = hwvirt ] && dir=$(hwvirt_stats_dir "$pid"); then
            sed 's/ /:/' "$dir/stats" 2>/dev/null > "$guest_stats.tmp"
            [ -s "$guest_stats.tmp" ] && mv "$guest_stats.tmp" "$guest_stats"
        fi
        if [ $(( $(now_ms) - start )) -ge $(( limit * 1000 )) ]; then
            kill -9 "$pid" 2>/dev/null
            wait "$pid" 2>/dev/null
            guest_status=124
            comment "$name: killed after ${limit}s; serial in $serial"
            tail -n 5 "$serial" | sed 's/^/# | /'
            return 1
        fi
        sleep 0.1
    done
    wait "$pid"
    guest_status=$?
    if [ -z "$guest_ms" ] && grep -qa -- "$marker" "$serial"; then
        guest_ms=$(( $(now_ms) - start ))
    fi
    [ -n "$guest_ms" ]
}

# stat NAME: one value from the last statistics sample.
stat() {
    sed -n "s/^$1://p" "$guest_stats"
}

# The two reference payloads (tests/guests), under ACCEL.
run_baremetal() {
    local tag=$1 accel=$2
    shift 2
    if run_guest "$tag-baremetal" "hwvirt-bm: done" 60 "$accel" -m 64 "$@" \
        -drive "file=$LAB_BUILD/guests/baremetal.img,format=raw,if=ide,snapshot=on" \
        -device isa-debug-exit,iobase=0xf4,iosize=4 &&
        [ "$guest_status" -eq 33 ]; then
        ok "$tag: bare-metal payload runs real, protected and long mode ($guest_ms ms)"
    else
        not_ok "$tag: bare-metal payload did not finish (status $guest_status)"
        sed 's/^/# | /' "$LAB_OUT/$tag-baremetal.serial" "$LAB_OUT/$tag-baremetal.qemu.log" | tail -n 10
    fi
    metric "$tag.baremetal.ms" "${guest_ms:-0}"
}

run_linux() {
    local tag=$1 accel=$2
    shift 2
    if run_guest "$tag-linux" "HWVIRT-LINUX-MARKER" 240 "$accel" -m 256 "$@" \
        -kernel "$LAB_VMLINUX" -initrd "$LAB_BUILD/guests/linux-initrd.cpio" \
        -append "console=ttyS0 quiet panic=-1"; then
        ok "$tag: Linux payload reaches its marker ($guest_ms ms)"
    else
        not_ok "$tag: Linux payload did not reach its marker (status $guest_status)"
        sed 's/^/# | /' "$LAB_OUT/$tag-linux.serial" "$LAB_OUT/$tag-linux.qemu.log" | tail -n 10
    fi
    metric "$tag.linux.boot_ms" "${guest_ms:-0}"
}

# Debian's bzImage through SeaBIOS and the linuxboot option ROM: its
# decompressor turns on 5-level paging when the guest's CPUID has LA57.
run_linux_bzimage() {
    local tag=$1 accel=$2
    shift 2
    if run_guest "$tag-bzimage" "HWVIRT-LINUX-MARKER" 240 "$accel" -m 256 "$@" \
        -kernel "$LAB_KROOT/boot/vmlinuz-$LAB_KVER" \
        -initrd "$LAB_BUILD/guests/linux-initrd.cpio" \
        -append "console=ttyS0 quiet panic=-1"; then
        ok "$tag: Linux bzImage through SeaBIOS reaches its marker ($guest_ms ms)"
    else
        not_ok "$tag: the bzImage did not reach its marker (status $guest_status)"
        sed 's/^/# | /' "$LAB_OUT/$tag-bzimage.serial" "$LAB_OUT/$tag-bzimage.qemu.log" | tail -n 20
    fi
    metric "$tag.bzimage.boot_ms" "${guest_ms:-0}"
}

# Does the CPU have 5-level paging?  Its virtual address width, from
# CPUID, says so even when the lab kernel runs 4-level paging (which
# clears the la57 flag).
cpu_has_la57() {
    grep -q '^address sizes.* 57 bits virtual' /proc/cpuinfo
}

# expect_serial NAME PATTERN WHAT: one result, on whether the serial log
# of guest NAME (run_guest) has PATTERN.
expect_serial() {
    if grep -qa -- "$2" "$LAB_OUT/$1.serial"; then
        ok "$3"
    else
        not_ok "$3: no '$2' in $LAB_OUT/$1.serial"
        tail -n 5 "$LAB_OUT/$1.serial" | sed 's/^/# | /'
    fi
}

# boot_linux_traced NAME I N: boot I of N of the Linux payload under
# -accel hwvirt, with the CPU state at a triple fault logged (-d
# cpu_reset).  Succeeds if the guest reached its marker; otherwise
# reports the failure with the end of its console and QEMU log, and the
# state at the fault.
boot_linux_traced() {
    local name=$1 i=$2 n=$3 log=$LAB_OUT/$1.d.log
    if run_guest "$name" "HWVIRT-LINUX-MARKER" 240 hwvirt -cpu host -m 256 \
        -d cpu_reset,guest_errors -D "$log" \
        -kernel "$LAB_VMLINUX" -initrd "$LAB_BUILD/guests/linux-initrd.cpio" \
        -append "console=ttyS0 quiet panic=-1"; then
        rm -f "$log"
        return 0
    fi
    not_ok "boot $i of $n failed (status $guest_status); state in $log"
    sed 's/^/# | /' "$LAB_OUT/$name.serial" "$LAB_OUT/$name.qemu.log" | tail -n 20
    sed -n '/state at the triple fault/,$p' "$log" | sed 's/^/# | /' | head -n 40
    return 1
}

# Print the exit counts of the last guest (-accel kvm or hwvirt), sampled
# from debugfs while it ran.
exit_metrics() {
    local tag=$1 s v
    if [ ! -s "$guest_stats" ]; then
        not_ok "$tag: no exit statistics were sampled from debugfs"
        return
    fi
    for s in exits io_exits mmio_exits halt_exits irq_window_exits pf_fixed pf_guest insn_emulation npf_exits userspace_exits; do
        v=$(stat "$s")
        [ -n "$v" ] && metric "$tag.$s" "$v"
    done
}

# kvm_reference TAG NPT: load kvm_amd with npt=NPT and run both payloads.
kvm_reference() {
    local tag=$1 npt=$2 want
    check "kvm_amd loads (npt=$npt)" lab_modprobe kvm_amd "npt=$npt"
    [ -c /dev/kvm ] && ok "/dev/kvm is there" || not_ok "/dev/kvm did not appear"
    [ "$npt" = 1 ] && want=Y || want=N
    [ "$(cat /sys/module/kvm_amd/parameters/npt 2>/dev/null)" = "$want" ] &&
        ok "kvm_amd runs with npt=$want" ||
        not_ok "kvm_amd npt is '$(cat /sys/module/kvm_amd/parameters/npt 2>/dev/null)', wanted $want"

    run_baremetal "$tag" kvm -cpu host
    exit_metrics "$tag.baremetal"
    run_linux "$tag" kvm -cpu host
    exit_metrics "$tag.linux"
    check "kvm_amd unloads" modprobe -r -d "$LAB_KROOT" kvm_amd
}
