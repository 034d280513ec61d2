# The VMX lane, sourced by tests/lab/lab: hwvirt.ko under Bochs.
#
# The lab machine emulates AMD SVM only; Bochs emulates an Intel CPU with
# VMX (EPT, VPID, unrestricted guest).  It is slow (about 20 MIPS): the
# lab kernel boots through syslinux from a FAT image, and most of the time
# goes into decompressing the kernel.
#
# This work is licensed under the terms of the GNU GPL, version 2 or later.

# The module selftests, linked statically: the initrd has no libc.
vmx_build_tests() {
    make -s -C "$top/tests/module" O="$labbuild/vmx-tests" \
        CFLAGS="-O2 -g -Wall -Wextra -Werror -static" \
        "$labbuild/vmx-tests/hwvirt-selftest" "$labbuild/vmx-tests/hwvirt-bench" \
        > "$labbuild/vmx-tests.log" 2>&1 ||
        { cat "$labbuild/vmx-tests.log" >&2; die "the static module selftests do not build"; }
}

vmx_build_initrd() {
    local dir=$1 stage=$1/initrd
    mkdir -p "$stage/bin" "$stage/dev" "$stage/proc" "$stage/sys"
    cp /bin/busybox "$stage/bin/busybox"
    install -m 755 "$labsrc/vmx/init" "$stage/init"
    cp "$labbuild/module/hwvirt.ko" "$stage/hwvirt.ko"
    strip -o "$stage/bin/hwvirt-selftest" "$labbuild/vmx-tests/hwvirt-selftest"
    strip -o "$stage/bin/hwvirt-bench" "$labbuild/vmx-tests/hwvirt-bench"
    # kvm_intel, the reference, from the lab kernel.
    mkdir -p "$stage/kvm"
    for m in irqbypass kvm kvm-intel; do
        f=$(find "$kroot/lib/modules/$kver/kernel" -name "$m.ko" | head -n 1)
        [ -n "$f" ] || die "module $m.ko is not in the lab kernel"
        cp "$f" "$stage/kvm/"
    done
    # QEMU with the libraries it links (the initrd has no others) and the
    # firmware the bare-metal payload boots with, for -accel hwvirt and
    # -accel kvm; the payload.
    [ -x "$qemu" ] || die "no $qemu: run make first"
    strip -o "$stage/bin/qemu-system-x86_64" "$qemu"
    ldd "$qemu" | awk '$3 ~ /^\// { print $3 } $1 ~ /^\/lib64\// { print $1 }' |
        while read -r lib; do
            mkdir -p "$stage$(dirname "$lib")"
            cp -L "$lib" "$stage$lib"
        done
    mkdir -p "$stage/fw"
    cp /usr/share/seabios/bios-256k.bin \
        "$build/qemu-bundle/usr/local/share/qemu/kvmvapic.bin" "$stage/fw/"
    cp "$labbuild/guests/baremetal.img" "$stage/"
    # What /init runs (LAB_VMX_TESTS: a list of selftests, for work on one).
    printf '%s\n' "${LAB_VMX_TESTS:-}" > "$stage/tests"
    printf '%s\n' "${LAB_VMX_SHADOW_TESTS:-}" > "$stage/tests-shadow"
    (cd "$stage" && find . | cpio -o -H newc --quiet) > "$dir/initrd.cpio"
}

# A FAT "superfloppy" disk (no partition table) of 256 cylinders, 16 heads
# and 63 sectors (126 MiB: the initrd carries QEMU and its libraries), with
# syslinux in its boot sector.
vmx_build_disk() {
    local dir=$1 img=$1/disk.img
    truncate -s $((256 * 16 * 63 * 512)) "$img"
    mformat -i "$img" -t 256 -h 16 -s 63 ::
    syslinux --install "$img"
    printf '%s\n' "DEFAULT linux" "PROMPT 0" "TIMEOUT 0" "LABEL linux" \
        "  KERNEL vmlinuz" "  INITRD initrd" \
        "  APPEND console=ttyS0,115200 quiet loglevel=3 panic=-1" \
        > "$dir/syslinux.cfg"
    mcopy -i "$img" "$kroot/boot/vmlinuz-$kver" ::vmlinuz
    mcopy -i "$img" "$dir/initrd.cpio" ::initrd
    mcopy -i "$img" "$dir/syslinux.cfg" ::syslinux.cfg
}

vmx_write_bochsrc() {
    local dir=$1
    printf '%s\n' \
        "megs: 512" \
        "cpu: model=${LAB_BOCHS_CPU:-corei7_sandy_bridge_2600k}, count=${LAB_BOCHS_CPUS:-2}, ips=50000000" \
        "romimage: file=/usr/share/bochs/BIOS-bochs-latest" \
        "vgaromimage: file=/usr/share/bochs/VGABIOS-lgpl-latest" \
        "ata0-master: type=disk, path=$dir/disk.img, mode=flat, cylinders=256, heads=16, spt=63" \
        "boot: disk" \
        "com1: enabled=1, mode=file, dev=$dir/serial.log" \
        "display_library: rfb, options=\"timeout=0\"" \
        "clock: sync=none, time0=local" \
        "speaker: enabled=0" \
        "sound: waveoutdrv=dummy, waveindrv=dummy, midioutdrv=dummy" \
        "log: $dir/bochs.log" \
        "panic: action=fatal" \
        "error: action=report" \
        "info: action=ignore" \
        > "$dir/bochsrc"
    echo c > "$dir/bochs.rc"
}

cmd_vmx() {
    local dir=$labbuild/vmx limit=${LAB_TIMEOUT:-1500} pid start
    local tool
    for tool in bochs syslinux mformat mcopy; do
        command -v "$tool" > /dev/null ||
            die "the VMX lane needs $tool: install bochs, bochsbios, vgabios," \
                "syslinux and mtools (scripts/install-deps installs them)"
    done
    mkdir -p "$labbuild"
    resolve_kernel
    fetch_kernel
    build_module
    build_guests
    vmx_build_tests

    rm -rf "$dir"
    mkdir -p "$dir"
    vmx_build_initrd "$dir"
    vmx_build_disk "$dir"
    vmx_write_bochsrc "$dir"
    : > "$dir/serial.log"

    note "booting the lab kernel under Bochs (VMX); this takes minutes"
    start=$SECONDS
    bochs -q -f "$dir/bochsrc" -rc "$dir/bochs.rc" -unlock \
        < /dev/null > "$dir/bochs.out" 2>&1 &
    pid=$!
    while kill -0 "$pid" 2> /dev/null; do
        if grep -qa "vmx lane: done" "$dir/serial.log"; then
            sleep 5
            break
        fi
        if [ $((SECONDS - start)) -ge "$limit" ]; then
            echo "not ok - vmx lane: no result after ${limit}s; serial in $dir/serial.log, Bochs log in $dir/bochs.log"
            break
        fi
        sleep 2
    done
    # Bochs exits by itself at the guest's power-off ("panic" on ACPI
    # soft-off), with a non-zero status.
    kill "$pid" 2> /dev/null || true
    wait "$pid" 2> /dev/null || true
    echo "# vmx lane: $((SECONDS - start)) s in Bochs"
    grep -aE '^(not )?ok( |$)|^# |^metric ' "$dir/serial.log" | tr -d '\r'
    grep -qa "vmx lane: done" "$dir/serial.log" &&
        ! grep -qa '^not ok' "$dir/serial.log"
}
