/*
 * hwvirt accelerator: the accelerator object, the VM and its memory, and
 * the vCPU run loop
 *
 * This work is licensed under the terms of the GNU GPL, version 2 or later.
 * See the COPYING file in the top-level directory.
 */

#include "qemu/osdep.h"
#include <sys/ioctl.h>
#include <linux/hwvirt.h>

#include "qemu/accel.h"
#include "qemu/error-report.h"
#include "monitor/hmp.h"
#include "monitor/monitor.h"
#include "qemu/main-loop.h"
#include "qapi/error.h"
#include "qapi/qapi-types-common.h"
#include "qapi/qapi-visit-common.h"
#include "qom/object.h"
#include "exec/address-spaces.h"
#include "exec/memory.h"
#include "exec/ram_addr.h"
#include "migration/blocker.h"
#include "hw/boards.h"
#include "hw/core/cpu.h"
#include "system/cpus.h"
#include "system/hw_accel.h"
#include "system/hwvirt.h"
#include "system/runstate.h"
#include "hwvirt-int.h"
#include "trace.h"

bool hwvirt_allowed;
bool hwvirt_kernel_irqchip;
HwvirtState *hwvirt_state;

#define HWVIRT_DEFAULT_DEVICE "/dev/hwvirt"

/*
 * The device and the VM
 */

static void hwvirt_explain_open_failure(const char *path, int err)
{
    error_report("cannot open %s: %s", path, strerror(err));
    switch (err) {
    case ENOENT:
    case ENODEV:
    case ENXIO:
        error_printf("The hwvirt kernel module is not loaded.  Load it with\n"
                     "    sudo modprobe hwvirt            (installed, e.g. "
                     "with DKMS)\n"
                     "    sudo insmod linux-module/hwvirt.ko   (from a "
                     "build tree)\n"
                     "and check 'dmesg | grep hwvirt': the module needs a "
                     "CPU with AMD-V\n"
                     "(SVM) or VT-x (VMX) enabled in the firmware.  Use "
                     "'-accel hwvirt -accel tcg'\n"
                     "to fall back to emulation.\n");
        break;
    case EACCES:
    case EPERM:
        error_printf("You may not use %s.  Check its owner and mode "
                     "('ls -l %s')\n"
                     "and that your user is in its group ('id').\n",
                     path, path);
        break;
    }
}

static int hwvirt_open_device(HwvirtState *s)
{
    const char *path = s->device ? s->device : HWVIRT_DEFAULT_DEVICE;
    int version;

    s->fd = qemu_open_old(path, O_RDWR | O_CLOEXEC);
    if (s->fd < 0) {
        int err = errno;

        hwvirt_explain_open_failure(path, err);
        return -err;
    }

    version = ioctl(s->fd, HWVIRT_GET_API_VERSION, 0);
    if (version != HWVIRT_API_VERSION) {
        if (version < 0) {
            error_report("%s does not answer HWVIRT_GET_API_VERSION: %s",
                         path, strerror(errno));
        } else {
            error_report("%s speaks API version %d, this QEMU needs "
                         "version %d", path, version, HWVIRT_API_VERSION);
        }
        error_printf("Load the hwvirt.ko built from the same hwvirt source "
                     "as this QEMU\n"
                     "('modinfo hwvirt' shows the module's version).\n");
        close(s->fd);
        s->fd = -1;
        return -EPROTO;
    }
    trace_hwvirt_open(path, version);
    return 0;
}

/* The module's supported CPUID table, kept for the CPU models. */
static int hwvirt_fetch_supported_cpuid(HwvirtState *s)
{
    uint32_t nent = 64;

    for (;;) {
        struct hwvirt_cpuid *c = g_malloc0(sizeof(*c) +
                                           nent * sizeof(c->entries[0]));

        c->nent = nent;
        if (!ioctl(s->fd, HWVIRT_GET_SUPPORTED_CPUID, c)) {
            s->supported_cpuid = c;
            return 0;
        }
        if (errno != E2BIG || c->nent <= nent) {
            int err = errno;

            g_free(c);
            return -err;
        }
        nent = c->nent;
        g_free(c);
    }
}

/*
 * Memory: QEMU's RAM sections become the module's memory slots
 */

static HwvirtSlot *hwvirt_find_slot(HwvirtState *s, hwaddr start, hwaddr size)
{
    int i;

    for (i = 0; i < s->nr_slots; i++) {
        if (s->slots[i].size && s->slots[i].start == start &&
            s->slots[i].size == size) {
            return &s->slots[i];
        }
    }
    return NULL;
}

static int hwvirt_set_slot(HwvirtState *s, HwvirtSlot *slot)
{
    struct hwvirt_memslot m = {
        .slot = slot - s->slots,
        .flags = (slot->readonly ? HWVIRT_MEM_READONLY : 0) |
                 (slot->log ? HWVIRT_MEM_LOG_DIRTY : 0),
        .guest_phys_addr = slot->start,
        .memory_size = slot->size,
        .userspace_addr = (uintptr_t)slot->host,
    };

    trace_hwvirt_set_slot(m.slot, m.guest_phys_addr, m.memory_size,
                          m.userspace_addr, m.flags);
    return ioctl(s->vm_fd, HWVIRT_SET_MEMSLOT, &m) ? -errno : 0;
}

/*
 * The whole host pages of a RAM section, [*start, *start + *size): what a
 * memory slot maps.  False if there are none (everything that is not RAM
 * is MMIO: accesses exit to QEMU).
 */
static bool hwvirt_section_pages(MemoryRegionSection *section, hwaddr *start,
                                 hwaddr *size)
{
    hwaddr end;

    if (!memory_region_is_ram(section->mr)) {
        return false;
    }
    *start = ROUND_UP(section->offset_within_address_space,
                      qemu_real_host_page_size());
    end = ROUND_DOWN(section->offset_within_address_space +
                     int128_get64(section->size), qemu_real_host_page_size());
    *size = end > *start ? end - *start : 0;
    return *size;
}

static void hwvirt_set_phys_mem(HwvirtState *s, MemoryRegionSection *section,
                                bool add)
{
    MemoryRegion *mr = section->mr;
    hwaddr start, end, size;
    HwvirtSlot *slot;
    void *host;
    int i, r;

    if (!hwvirt_section_pages(section, &start, &size)) {
        return;
    }
    end = start + size;
    host = memory_region_get_ram_ptr(mr) + section->offset_within_region +
           (start - section->offset_within_address_space);

    if (!add) {
        slot = hwvirt_find_slot(s, start, size);
        if (!slot) {
            return;
        }
        slot->size = 0;
        r = hwvirt_set_slot(s, slot);
        if (r) {
            error_report("hwvirt: cannot remove memory at 0x%" HWADDR_PRIx
                         ": %s", start, strerror(-r));
            abort();
        }
        return;
    }

    if (end > (1ULL << s->gpa_bits)) {
        error_report("hwvirt: cannot map memory at 0x%" HWADDR_PRIx
                     "+0x%" HWADDR_PRIx ": guest-physical addresses end at "
                     "2^%u on this host (%s)", start, size, s->gpa_bits,
                     s->info.backend_desc);
        error_printf("Give the guest less memory (-m), or run it on a host "
                     "with 5-level paging.\n");
        exit(1);
    }
    for (i = 0; i < s->nr_slots && s->slots[i].size; i++) {
        /* the first free slot */
    }
    if (i == s->nr_slots) {
        error_report("hwvirt: no memory slot left for 0x%" HWADDR_PRIx
                     "+0x%" HWADDR_PRIx " (the module has %d)",
                     start, size, s->nr_slots);
        abort();
    }
    slot = &s->slots[i];
    *slot = (HwvirtSlot) {
        .start = start, .size = size, .host = host,
        .ram_addr = memory_region_get_ram_addr(mr) +
                    section->offset_within_region +
                    (start - section->offset_within_address_space),
        .readonly = mr->readonly || memory_region_is_rom(mr),
        .log = (s->info.caps & HWVIRT_CAP_DIRTY_LOG) &&
               memory_region_get_dirty_log_mask(mr),
    };
    r = hwvirt_set_slot(s, slot);
    if (r) {
        error_report("hwvirt: cannot map memory at 0x%" HWADDR_PRIx
                     "+0x%" HWADDR_PRIx ": %s", start, size, strerror(-r));
        abort();
    }
}

static void hwvirt_region_add(MemoryListener *l, MemoryRegionSection *section)
{
    hwvirt_set_phys_mem(container_of(l, HwvirtState, memory_listener),
                        section, true);
}

static void hwvirt_region_del(MemoryListener *l, MemoryRegionSection *section)
{
    hwvirt_set_phys_mem(container_of(l, HwvirtState, memory_listener),
                        section, false);
}

/*
 * Dirty logging: the slot of a RAM section that QEMU logs (VGA memory for
 * the display, all RAM during migration) has the module log guest writes.
 */

/* The slot hwvirt_set_phys_mem() made for section, if any. */
static HwvirtSlot *hwvirt_section_slot(HwvirtState *s,
                                       MemoryRegionSection *section)
{
    hwaddr start, size;

    if (!hwvirt_section_pages(section, &start, &size)) {
        return NULL;
    }
    return hwvirt_find_slot(s, start, size);
}

static void hwvirt_log_change(MemoryListener *l, MemoryRegionSection *section,
                              bool log)
{
    HwvirtState *s = container_of(l, HwvirtState, memory_listener);
    HwvirtSlot *slot = hwvirt_section_slot(s, section);
    int r;

    if (!slot || slot->log == log ||
        !(s->info.caps & HWVIRT_CAP_DIRTY_LOG)) {
        return;
    }
    slot->log = log;
    r = hwvirt_set_slot(s, slot);
    if (r) {
        error_report("hwvirt: cannot %s dirty logging at 0x%" HWADDR_PRIx
                     ": %s", log ? "start" : "stop", slot->start,
                     strerror(-r));
        abort();
    }
}

static void hwvirt_log_start(MemoryListener *l, MemoryRegionSection *section,
                             int old, int new)
{
    if (!old && new) {
        hwvirt_log_change(l, section, true);
    }
}

static void hwvirt_log_stop(MemoryListener *l, MemoryRegionSection *section,
                            int old, int new)
{
    if (old && !new) {
        hwvirt_log_change(l, section, false);
    }
}

/*
 * The pages of section the guest wrote since the last sync, into QEMU's
 * dirty bitmaps.  Without the module's log (before hwvirt 0.5.0), all of
 * the section counts as written.
 */
static void hwvirt_log_sync(MemoryListener *l, MemoryRegionSection *section)
{
    HwvirtState *s = container_of(l, HwvirtState, memory_listener);
    HwvirtSlot *slot = hwvirt_section_slot(s, section);
    struct hwvirt_dirty_log log;
    g_autofree unsigned long *bitmap = NULL;
    ram_addr_t pages;

    if (!memory_region_is_ram(section->mr)) {
        return;
    }
    if (!slot || !slot->log) {
        memory_region_set_dirty(section->mr, section->offset_within_region,
                                int128_get64(section->size));
        return;
    }
    pages = slot->size / qemu_real_host_page_size();
    bitmap = g_new0(unsigned long, BITS_TO_LONGS(ROUND_UP(pages, 64)));
    log = (struct hwvirt_dirty_log) {
        .slot = slot - s->slots,
        .bitmap = (uintptr_t)bitmap,
    };
    if (ioctl(s->vm_fd, HWVIRT_GET_DIRTY_LOG, &log) < 0) {
        error_report("hwvirt: cannot read the dirty log at 0x%" HWADDR_PRIx
                     ": %s", slot->start, strerror(errno));
        memory_region_set_dirty(section->mr, section->offset_within_region,
                                int128_get64(section->size));
        return;
    }
    cpu_physical_memory_set_dirty_lebitmap(bitmap, slot->ram_addr, pages);
}

/*
 * The accelerator
 */

/*
 * The local APICs: in the module (split, the default) or in QEMU (off).
 * hwvirt.ko has no IOAPIC or PIC, so "on" (all three in the kernel) is
 * refused.
 */
static int hwvirt_choose_irqchip(HwvirtState *s)
{
    bool has_lapic = s->info.caps & HWVIRT_CAP_LAPIC;

    switch (s->kernel_irqchip) {
    case ON_OFF_SPLIT_ON:
        error_report("hwvirt: kernel-irqchip=on is not supported: hwvirt.ko "
                     "has local APICs but no IOAPIC or PIC");
        error_printf("Use kernel-irqchip=split (the default: local APICs in "
                     "the module,\nIOAPIC and PIC in QEMU) or "
                     "kernel-irqchip=off (everything in QEMU).\n");
        return -EINVAL;
    case ON_OFF_SPLIT_SPLIT:
        if (!has_lapic) {
            error_report("hwvirt: kernel-irqchip=split needs a hwvirt.ko "
                         "with local APICs (version 0.3.0 or later)");
            return -EINVAL;
        }
        hwvirt_kernel_irqchip = true;
        break;
    case ON_OFF_SPLIT_OFF:
        hwvirt_kernel_irqchip = false;
        break;
    default:
        hwvirt_kernel_irqchip = has_lapic;
        break;
    }
    trace_hwvirt_irqchip(hwvirt_kernel_irqchip ? "split" : "off");
    return 0;
}

static const char *hwvirt_mmu_name(uint32_t mode)
{
    switch (mode) {
    case HWVIRT_MMU_TDP:
        return "tdp";
    case HWVIRT_MMU_SHADOW:
        return "shadow";
    default:
        return "auto";
    }
}

/* mmu=tdp or mmu=shadow: does the module (and the CPU) have it? */
static int hwvirt_check_mmu(HwvirtState *s)
{
    if (s->mmu == HWVIRT_MMU_DEFAULT ||
        (s->info.mmu_modes & (1U << s->mmu))) {
        return 0;
    }
    error_report("hwvirt: mmu=%s is not available", hwvirt_mmu_name(s->mmu));
    if (s->mmu == HWVIRT_MMU_SHADOW) {
        error_printf("The loaded hwvirt.ko predates the shadow MMU (0.4.0): "
                     "update the module, or use mmu=auto.\n");
    } else {
        error_printf("This CPU has no nested paging (%s): use mmu=shadow, "
                     "or mmu=auto.\n", s->info.backend_desc);
    }
    return -ENOTSUP;
}

/* The stat names, in enum hwvirt_stat's order. */
static const char *const hwvirt_stat_names[HWVIRT_STAT_NR] = {
    [HWVIRT_STAT_EXITS] = "exits",
    [HWVIRT_STAT_EXIT_IO] = "io_exits",
    [HWVIRT_STAT_EXIT_MMIO] = "mmio_exits",
    [HWVIRT_STAT_EXIT_HLT] = "halt_exits",
    [HWVIRT_STAT_EXIT_CPUID] = "cpuid_exits",
    [HWVIRT_STAT_EXIT_MSR] = "msr_exits",
    [HWVIRT_STAT_EXIT_INTR] = "irq_exits",
    [HWVIRT_STAT_EXIT_IRQ_WINDOW] = "irq_window_exits",
    [HWVIRT_STAT_EXIT_NPF] = "npf_exits",
    [HWVIRT_STAT_EXIT_EXCEPTION] = "exception_exits",
    [HWVIRT_STAT_EXIT_SHUTDOWN] = "shutdown_exits",
    [HWVIRT_STAT_EXIT_OTHER] = "other_exits",
    [HWVIRT_STAT_USERSPACE_EXITS] = "userspace_exits",
    [HWVIRT_STAT_PAGES_MAPPED] = "pages_mapped",
    [HWVIRT_STAT_INJECTED_IRQS] = "injected_irqs",
    [HWVIRT_STAT_APIC_ACCESSES] = "apic_accesses",
    [HWVIRT_STAT_APIC_IPIS] = "apic_ipis",
    [HWVIRT_STAT_APIC_TIMER_IRQS] = "apic_timer_irqs",
    [HWVIRT_STAT_HALT_WAKEUPS] = "halt_wakeups",
    [HWVIRT_STAT_EOI_EXITS] = "eoi_exits",
    [HWVIRT_STAT_MSIS] = "msis",
    [HWVIRT_STAT_SMIS] = "smis",
    [HWVIRT_STAT_PF_EXITS] = "pf_exits",
    [HWVIRT_STAT_GUEST_PFS] = "guest_pfs",
    [HWVIRT_STAT_PT_WRITES] = "pt_writes",
    [HWVIRT_STAT_CR3_LOADS] = "cr3_loads",
    [HWVIRT_STAT_SHADOW_PAGES] = "shadow_pages",
    [HWVIRT_STAT_SHADOW_CREATED] = "shadow_created",
    [HWVIRT_STAT_ROOTS_REUSED] = "roots_reused",
    [HWVIRT_STAT_WRITE_PROTECTS] = "write_protects",
    [HWVIRT_STAT_UNSHADOWS] = "unshadows",
    [HWVIRT_STAT_SHADOW_ZAPS] = "shadow_zaps",
    [HWVIRT_STAT_SHADOW_RECLAIMS] = "shadow_reclaims",
    [HWVIRT_STAT_INVLPG_EXITS] = "invlpg_exits",
    [HWVIRT_STAT_UNSYNCS] = "unsyncs",
    [HWVIRT_STAT_SYNCS] = "syncs",
    [HWVIRT_STAT_IOEVENTS] = "ioevents",
    [HWVIRT_STAT_IRQFD_MSIS] = "irqfd_msis",
    [HWVIRT_STAT_DIRTY_FAULTS] = "dirty_faults",
    [HWVIRT_STAT_TASK_SWITCHES] = "task_switches",
    [HWVIRT_STAT_PVCLOCK_UPDATES] = "pvclock_updates",
};

/* info hwvirt: the module, the VM's MMU and irqchip, the counters. */
static void hmp_info_hwvirt(Monitor *mon, const QDict *qdict)
{
    HwvirtState *s = hwvirt_state;
    struct {
        struct hwvirt_stats hdr;
        uint64_t val[HWVIRT_STAT_NR];
    } st = { .hdr = { .nr = HWVIRT_STAT_NR } };
    unsigned int i;

    if (!s) {
        monitor_printf(mon, "hwvirt is not the accelerator\n");
        return;
    }
    monitor_printf(mon, "backend: %s\n", s->info.backend_desc);
    if (s->vm_info.mmu_mode == HWVIRT_MMU_SHADOW) {
        monitor_printf(mon, "mmu: shadow (at most %u shadow pages)\n",
                       s->vm_info.shadow_pages_max);
    } else {
        monitor_printf(mon, "mmu: tdp (%u-level nested paging)\n",
                       s->vm_info.tdp_levels ? s->vm_info.tdp_levels : 4);
    }
    monitor_printf(mon, "kernel-irqchip: %s\n",
                   hwvirt_kernel_irqchip ? "split" : "off");
    for (i = 0; i < s->nr_slots; i++) {
        HwvirtSlot *slot = &s->slots[i];

        if (slot->size) {
            monitor_printf(mon, "memory slot %u: 0x%" HWADDR_PRIx
                           "-0x%" HWADDR_PRIx "%s%s\n", i, slot->start,
                           slot->start + slot->size - 1,
                           slot->readonly ? " read-only" : "",
                           slot->log ? " dirty-logged" : "");
        }
    }
    if (ioctl(s->vm_fd, HWVIRT_GET_STATS, &st) < 0) {
        monitor_printf(mon, "statistics: %s\n", strerror(errno));
        return;
    }
    for (i = 0; i < st.hdr.nr && i < HWVIRT_STAT_NR; i++) {
        monitor_printf(mon, "%-20s %" PRIu64 "\n", hwvirt_stat_names[i],
                       st.val[i]);
    }
}

static Error *hwvirt_migration_blocker;

static int hwvirt_init_machine(MachineState *ms)
{
    HwvirtState *s = HWVIRT_STATE(current_accel());
    struct hwvirt_vm_config cfg = { .mmu_mode = s->mmu };
    Error *local_err = NULL;
    int ret;

    ret = hwvirt_open_device(s);
    if (ret < 0) {
        return ret;
    }
    if (ioctl(s->fd, HWVIRT_GET_INFO, &s->info)) {
        ret = -errno;
        error_report("hwvirt: HWVIRT_GET_INFO: %s", strerror(errno));
        goto fail;
    }
    ret = hwvirt_fetch_supported_cpuid(s);
    if (ret < 0) {
        error_report("hwvirt: HWVIRT_GET_SUPPORTED_CPUID: %s", strerror(-ret));
        goto fail;
    }
    /* Modules before 0.2.0 leave gpa_bits 0: they mapped 48 bits. */
    s->gpa_bits = s->info.gpa_bits ? s->info.gpa_bits : 48;
    s->run_size = ioctl(s->fd, HWVIRT_GET_VCPU_MMAP_SIZE, 0);
    if (s->run_size < (int)sizeof(struct hwvirt_run)) {
        ret = -EPROTO;
        error_report("hwvirt: the module's run page is too small");
        goto fail;
    }
    if (ms->smp.max_cpus > s->info.max_vcpus) {
        ret = -EINVAL;
        error_report("hwvirt: %u vCPUs requested, the module runs at most %u",
                     ms->smp.max_cpus, s->info.max_vcpus);
        goto fail;
    }

    ret = hwvirt_choose_irqchip(s);
    if (ret < 0) {
        goto fail;
    }
    ret = hwvirt_check_mmu(s);
    if (ret < 0) {
        goto fail;
    }
    if (hwvirt_kernel_irqchip) {
        cfg.flags |= HWVIRT_VM_LAPIC;
    }
    s->vm_fd = ioctl(s->fd, HWVIRT_CREATE_VM, &cfg);
    if (s->vm_fd < 0) {
        ret = -errno;
        error_report("hwvirt: cannot create a VM: %s", strerror(errno));
        if (errno == EOPNOTSUPP) {
            error_printf("The module's backend (%s) cannot run guests yet.\n",
                         s->info.backend_desc);
        }
        goto fail;
    }
    /* Modules before 0.4.0 have no HWVIRT_GET_VM_INFO: nested paging. */
    if (ioctl(s->vm_fd, HWVIRT_GET_VM_INFO, &s->vm_info) < 0) {
        s->vm_info = (struct hwvirt_vm_info) { .mmu_mode = HWVIRT_MMU_TDP };
    }
    trace_hwvirt_vm_created(s->info.backend_desc,
                            hwvirt_mmu_name(s->vm_info.mmu_mode));

    /*
     * The module's dirty log is there, but the vCPU and APIC state do
     * not reach the migration stream yet: a savevm or migration would
     * lose them.
     */
    error_setg(&hwvirt_migration_blocker, "hwvirt: savevm and migration "
               "are not supported yet");
    if (migrate_add_blocker(&hwvirt_migration_blocker, &local_err) < 0) {
        error_report_err(local_err);
        ret = -EBUSY;
        close(s->vm_fd);
        s->vm_fd = -1;
        goto fail;
    }
    monitor_register_hmp("hwvirt", true, hmp_info_hwvirt);

    hwvirt_state = s;
    s->nr_slots = s->info.max_memslots;
    s->slots = g_new0(HwvirtSlot, s->nr_slots);
    s->memory_listener = (MemoryListener) {
        .name = "hwvirt",
        .region_add = hwvirt_region_add,
        .region_del = hwvirt_region_del,
        .log_start = hwvirt_log_start,
        .log_stop = hwvirt_log_stop,
        .log_sync = hwvirt_log_sync,
        .priority = MEMORY_LISTENER_PRIORITY_ACCEL,
    };
    hwvirt_eventfd_init(s);
    memory_listener_register(&s->memory_listener, &address_space_memory);
    return 0;

fail:
    g_free(s->supported_cpuid);
    s->supported_cpuid = NULL;
    close(s->fd);
    s->fd = -1;
    return ret;
}

/*
 * vCPUs
 */

int hwvirt_vcpu_ioctl(CPUState *cpu, unsigned long req, void *arg)
{
    int r = ioctl(cpu->accel->fd, req, arg);

    return r < 0 ? -errno : r;
}

/* SIG_IPI (the kick) ends HWVIRT_RUN, or makes the next one return at once. */
static void hwvirt_ipi_signal(int sig)
{
    if (current_cpu && current_cpu->accel && current_cpu->accel->run) {
        qatomic_set(&current_cpu->accel->run->immediate_exit, 1);
    }
}

void hwvirt_init_cpu_signals(void)
{
    struct sigaction sa = { .sa_handler = hwvirt_ipi_signal };
    sigset_t set;

    sigaction(SIG_IPI, &sa, NULL);
    pthread_sigmask(SIG_BLOCK, NULL, &set);
    sigdelset(&set, SIG_IPI);
    pthread_sigmask(SIG_SETMASK, &set, NULL);
}

int hwvirt_init_vcpu(CPUState *cpu)
{
    HwvirtState *s = hwvirt_state;
    AccelCPUState *acs = g_new0(AccelCPUState, 1);
    int ret;

    acs->fd = ioctl(s->vm_fd, HWVIRT_CREATE_VCPU, cpu->cpu_index);
    if (acs->fd < 0) {
        ret = -errno;
        g_free(acs);
        return ret;
    }
    acs->run = mmap(NULL, s->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
                    acs->fd, 0);
    if (acs->run == MAP_FAILED) {
        ret = -errno;
        close(acs->fd);
        g_free(acs);
        return ret;
    }
    cpu->accel = acs;
    cpu->vcpu_dirty = true;

    ret = hwvirt_arch_init_vcpu(cpu);
    if (ret < 0) {
        return ret;
    }
    hwvirt_init_cpu_signals();
    return 0;
}

void hwvirt_destroy_vcpu(CPUState *cpu)
{
    AccelCPUState *acs = cpu->accel;

    if (!acs) {
        return;
    }
    munmap(acs->run, hwvirt_state->run_size);
    close(acs->fd);
    g_free(acs);
    cpu->accel = NULL;
}

/*
 * State synchronization (run on the vCPU thread)
 */

static void do_hwvirt_synchronize_state(CPUState *cpu, run_on_cpu_data arg)
{
    if (!cpu->vcpu_dirty) {
        Error *err = NULL;

        if (hwvirt_arch_get_registers(cpu, &err)) {
            error_report_err(err);
            vm_stop(RUN_STATE_INTERNAL_ERROR);
        }
        cpu->vcpu_dirty = true;
    }
}

static void do_hwvirt_put(CPUState *cpu, run_on_cpu_data arg)
{
    Error *err = NULL;

    if (hwvirt_arch_put_registers(cpu, arg.host_int, &err)) {
        error_report_err(err);
        vm_stop(RUN_STATE_INTERNAL_ERROR);
    }
    cpu->vcpu_dirty = false;
}

static void do_hwvirt_pre_loadvm(CPUState *cpu, run_on_cpu_data arg)
{
    cpu->vcpu_dirty = true;
}

void hwvirt_cpu_synchronize_state(CPUState *cpu)
{
    if (!cpu->vcpu_dirty) {
        run_on_cpu(cpu, do_hwvirt_synchronize_state, RUN_ON_CPU_NULL);
    }
}

void hwvirt_cpu_synchronize_post_reset(CPUState *cpu)
{
    run_on_cpu(cpu, do_hwvirt_put, RUN_ON_CPU_HOST_INT(HWVIRT_PUT_RESET_STATE));
}

void hwvirt_cpu_synchronize_post_init(CPUState *cpu)
{
    run_on_cpu(cpu, do_hwvirt_put, RUN_ON_CPU_HOST_INT(HWVIRT_PUT_FULL_STATE));
}

void hwvirt_cpu_synchronize_pre_loadvm(CPUState *cpu)
{
    run_on_cpu(cpu, do_hwvirt_pre_loadvm, RUN_ON_CPU_NULL);
}

/*
 * The run loop
 */

static void hwvirt_handle_io(struct hwvirt_run *run)
{
    uint8_t *data = (uint8_t *)run + run->io.data_offset;
    uint32_t i;

    for (i = 0; i < run->io.count; i++) {
        address_space_rw(&address_space_io, run->io.port,
                         MEMTXATTRS_UNSPECIFIED, data, run->io.size,
                         run->io.direction == HWVIRT_IO_OUT);
        data += run->io.size;
    }
}

static const char *hwvirt_internal_reason(uint32_t suberror)
{
    switch (suberror) {
    case HWVIRT_INTERNAL_EMULATION:
        return "an instruction hwvirt cannot emulate";
    case HWVIRT_INTERNAL_UNHANDLED_EXIT:
        return "an exit hwvirt does not handle";
    case HWVIRT_INTERNAL_MEMORY:
        return "guest memory that is not reachable";
    case HWVIRT_INTERNAL_DELIVERY:
        return "an event that could not be delivered";
    case HWVIRT_INTERNAL_UNSUPPORTED:
        return "a guest state this host CPU cannot run (real mode on VT-x "
               "needs EPT with unrestricted guest: hwvirt.ko ept=1)";
    }
    return "an unknown internal error";
}

/* The guest cannot go on: say why, show the CPU, stop the VM. */
static void hwvirt_report_internal_error(CPUState *cpu, struct hwvirt_run *run)
{
    GString *bytes = g_string_new("");
    uint32_t i;

    for (i = 0; i < run->internal.insn_len && i < sizeof(run->internal.insn);
         i++) {
        g_string_append_printf(bytes, " %02x", run->internal.insn[i]);
    }
    error_report("hwvirt: CPU %d stopped on %s (suberror %u): exit code "
                 "0x%" PRIx64 ", info 0x%" PRIx64 " 0x%" PRIx64 ", RIP 0x%"
                 PRIx64 ", GPA 0x%" PRIx64 ", instruction bytes:%s",
                 cpu->cpu_index, hwvirt_internal_reason(run->internal.suberror),
                 run->internal.suberror, (uint64_t)run->internal.exit_code,
                 (uint64_t)run->internal.exit_info1,
                 (uint64_t)run->internal.exit_info2,
                 (uint64_t)run->internal.rip, (uint64_t)run->internal.gpa,
                 bytes->len ? bytes->str : " (none readable)");
    g_string_free(bytes, true);
    cpu_synchronize_state(cpu);
    cpu_dump_state(cpu, stderr, CPU_DUMP_CODE);
    vm_stop(RUN_STATE_INTERNAL_ERROR);
}

int hwvirt_vcpu_exec(CPUState *cpu)
{
    struct hwvirt_run *run = cpu->accel->run;
    int ret = 0, r;

    if (hwvirt_arch_process_async_events(cpu)) {
        qatomic_set(&cpu->exit_request, 0);
        return EXCP_HLT;
    }

    do {
        if (cpu->vcpu_dirty) {
            Error *err = NULL;

            if (hwvirt_arch_put_registers(cpu, HWVIRT_PUT_RUNTIME_STATE,
                                          &err)) {
                error_report_err(err);
                vm_stop(RUN_STATE_INTERNAL_ERROR);
                ret = EXCP_INTERRUPT;
                break;
            }
            cpu->vcpu_dirty = false;
        }
        hwvirt_arch_pre_run(cpu, run);
        if (qatomic_read(&cpu->exit_request)) {
            /* A kick before HWVIRT_RUN: make it return at once. */
            qatomic_set(&run->immediate_exit, 1);
        }

        bql_unlock();
        r = ioctl(cpu->accel->fd, HWVIRT_RUN, 0);
        r = r < 0 ? -errno : 0;
        bql_lock();

        qatomic_set(&run->immediate_exit, 0);
        hwvirt_arch_post_run(cpu, run);

        if (r == -EINTR || r == -EAGAIN) {
            trace_hwvirt_run_interrupted(cpu->cpu_index);
            ret = EXCP_INTERRUPT;
            break;
        }
        if (r < 0) {
            error_report("hwvirt: CPU %d: HWVIRT_RUN failed: %s",
                         cpu->cpu_index, strerror(-r));
            vm_stop(RUN_STATE_INTERNAL_ERROR);
            ret = EXCP_INTERRUPT;
            break;
        }

        trace_hwvirt_exit(cpu->cpu_index, run->exit_reason);
        switch (run->exit_reason) {
        case HWVIRT_EXIT_IO:
            hwvirt_handle_io(run);
            break;
        case HWVIRT_EXIT_MMIO:
            address_space_rw(&address_space_memory, run->mmio.phys_addr,
                             MEMTXATTRS_UNSPECIFIED, run->mmio.data,
                             run->mmio.len, run->mmio.is_write);
            break;
        case HWVIRT_EXIT_INTERNAL_ERROR:
            hwvirt_report_internal_error(cpu, run);
            ret = EXCP_INTERRUPT;
            break;
        case HWVIRT_EXIT_FAIL_ENTRY:
            error_report("hwvirt: CPU %d: the CPU refused the guest state "
                         "(hardware reason 0x%" PRIx64 ", detail 0x%" PRIx64
                         ")", cpu->cpu_index,
                         (uint64_t)run->fail_entry.hardware_reason,
                         (uint64_t)run->fail_entry.detail);
            cpu_synchronize_state(cpu);
            cpu_dump_state(cpu, stderr, 0);
            vm_stop(RUN_STATE_INTERNAL_ERROR);
            ret = EXCP_INTERRUPT;
            break;
        case HWVIRT_EXIT_INTR:
            ret = EXCP_INTERRUPT;
            break;
        default:
            ret = hwvirt_arch_handle_exit(cpu, run);
            break;
        }
    } while (ret == 0);

    qatomic_set(&cpu->exit_request, 0);
    return ret;
}

/*
 * Properties and the class
 */

static char *hwvirt_get_device(Object *obj, Error **errp)
{
    return g_strdup(HWVIRT_STATE(obj)->device);
}

static void hwvirt_set_device(Object *obj, const char *value, Error **errp)
{
    HwvirtState *s = HWVIRT_STATE(obj);

    g_free(s->device);
    s->device = g_strdup(value);
}

static void hwvirt_set_kernel_irqchip(Object *obj, Visitor *v,
                                      const char *name, void *opaque,
                                      Error **errp)
{
    HwvirtState *s = HWVIRT_STATE(obj);
    OnOffSplit mode;

    if (s->fd != -1) {
        error_setg(errp, "Cannot set properties after the accelerator has "
                   "been initialized");
        return;
    }
    if (visit_type_OnOffSplit(v, name, &mode, errp)) {
        s->kernel_irqchip = mode;
    }
}

static char *hwvirt_get_mmu(Object *obj, Error **errp)
{
    return g_strdup(hwvirt_mmu_name(HWVIRT_STATE(obj)->mmu));
}

static void hwvirt_set_mmu(Object *obj, const char *value, Error **errp)
{
    HwvirtState *s = HWVIRT_STATE(obj);

    if (s->fd != -1) {
        error_setg(errp, "Cannot set properties after the accelerator has "
                   "been initialized");
    } else if (!strcmp(value, "auto")) {
        s->mmu = HWVIRT_MMU_DEFAULT;
    } else if (!strcmp(value, "tdp")) {
        s->mmu = HWVIRT_MMU_TDP;
    } else if (!strcmp(value, "shadow")) {
        s->mmu = HWVIRT_MMU_SHADOW;
    } else {
        error_setg(errp, "mmu=%s: use auto, tdp or shadow", value);
    }
}

static void hwvirt_accel_instance_init(Object *obj)
{
    HwvirtState *s = HWVIRT_STATE(obj);

    s->fd = -1;
    s->vm_fd = -1;
    s->kernel_irqchip = ON_OFF_SPLIT__MAX;     /* not set: split if we can */
    s->ioeventfds = true;
    s->irqfds = true;
}

static bool hwvirt_prop_get_ioeventfd(Object *obj, Error **errp)
{
    return HWVIRT_STATE(obj)->ioeventfds;
}

static void hwvirt_prop_set_ioeventfd(Object *obj, bool value, Error **errp)
{
    HWVIRT_STATE(obj)->ioeventfds = value;
}

static bool hwvirt_prop_get_irqfd(Object *obj, Error **errp)
{
    return HWVIRT_STATE(obj)->irqfds;
}

static void hwvirt_prop_set_irqfd(Object *obj, bool value, Error **errp)
{
    HWVIRT_STATE(obj)->irqfds = value;
}

/* The userspace APIC's TPR-patching option ROM is for KVM and TCG. */
static GlobalProperty hwvirt_compat_props[] = {
    { "apic-common", "vapic", "false" },
};

static void hwvirt_accel_class_init(ObjectClass *oc, void *data)
{
    AccelClass *ac = ACCEL_CLASS(oc);

    ac->name = "HWVIRT";
    ac->init_machine = hwvirt_init_machine;
    ac->allowed = &hwvirt_allowed;
    ac->compat_props = g_ptr_array_new();
    compat_props_add(ac->compat_props, hwvirt_compat_props,
                     G_N_ELEMENTS(hwvirt_compat_props));

    object_class_property_add_str(oc, "device", hwvirt_get_device,
                                  hwvirt_set_device);
    object_class_property_set_description(oc, "device",
        "Path of the hwvirt device (default " HWVIRT_DEFAULT_DEVICE ")");
    object_class_property_add_str(oc, "mmu", hwvirt_get_mmu, hwvirt_set_mmu);
    object_class_property_set_description(oc, "mmu",
        "auto (nested paging if the CPU has it, or as hwvirt.ko's mmu "
        "parameter says), tdp (nested paging), shadow (shadow page tables)");
    object_class_property_add(oc, "kernel-irqchip", "on|off|split",
                              NULL, hwvirt_set_kernel_irqchip, NULL, NULL);
    object_class_property_set_description(oc, "kernel-irqchip",
        "split: local APICs in hwvirt.ko, IOAPIC and PIC in QEMU (the "
        "default); off: all in QEMU");
    object_class_property_add_bool(oc, "ioeventfd", hwvirt_prop_get_ioeventfd,
                                   hwvirt_prop_set_ioeventfd);
    object_class_property_set_description(oc, "ioeventfd",
        "Devices' notification writes signal their eventfds in hwvirt.ko "
        "(on, the default) or in QEMU after an exit (off)");
    object_class_property_add_bool(oc, "irqfd", hwvirt_prop_get_irqfd,
                                   hwvirt_prop_set_irqfd);
    object_class_property_set_description(oc, "irqfd",
        "I/O threads send virtio MSIs through hwvirt.ko directly (on, the "
        "default, with kernel-irqchip=split) or through QEMU (off)");
}

static const TypeInfo hwvirt_accel_type = {
    .name = TYPE_HWVIRT_ACCEL,
    .parent = TYPE_ACCEL,
    .instance_size = sizeof(HwvirtState),
    .instance_init = hwvirt_accel_instance_init,
    .class_init = hwvirt_accel_class_init,
};

static void hwvirt_type_init(void)
{
    type_register_static(&hwvirt_accel_type);
}

type_init(hwvirt_type_init);
