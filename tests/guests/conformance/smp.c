/*
 * Conformance: several CPUs.
 *
 * The BSP starts the application processors with INIT-SIPI-SIPI through
 * its local APIC (smp_tramp.S takes them to long mode with the BSP's
 * CR3, GDT and IDT), then checks the CPU identities (the APIC IDs in
 * CPUID and in the local APICs, the logical processor counts), IPIs
 * between the CPUs (fixed to one CPU, to the BSP, broadcast, held while
 * IF=0, EOI, NMI), that a SIPI to a running CPU does nothing, a TLB
 * shootdown (INVLPG on every CPU after a page table change), that the
 * TSCs of the CPUs agree with the order the CPUs saw each other in, and
 * LOCK-prefixed increments from every CPU at once.
 *
 * The runner says how many CPUs there are: "cpus=N" on the multiboot
 * command line (QEMU's -append), with -smp N.  With cpus=1, or none,
 * the parts that need several CPUs are skipped.  Only the BSP reports;
 * an AP runs the commands the BSP leaves in its mailbox and records what
 * it saw, until QEMU ends with the BSP's cf_exit().  No assertion
 * depends on timing: every wait is a loop bounded by a generous count
 * (WAIT_LOOPS), that only a CPU that never answers runs to its end.
 *
 * This work is licensed under the terms of the GNU GPL, version 2 or later.
 */
#include "smp.h"

const char cf_test_name[] = "smp";

#define SMP_TRAMP_BASE  0x70000         /* below 1 MiB, page-aligned */
#define WAIT_LOOPS      100000000

#define NMI_VECTOR      2
#define VEC_BASE        0x40            /* our gates: 0x40 .. 0x4f */
#define VEC_COUNT       16
#define VEC_TO_AP       0x41            /* BSP -> one AP */
#define VEC_TO_BSP      0x42            /* AP -> BSP */
#define VEC_BCAST       0x43            /* all excluding self, from the BSP */
#define VEC_BCAST_AP    0x44            /* all excluding self, from an AP */
#define VEC_PENDING     0x45            /* to a CPU with IF=0 */
#define VEC_EOI         0x46            /* twice: the EOI lets the second in */
#define VEC_TLB         0x47            /* the TLB shootdown */

/* xAPIC: the registers only this test uses (the others: cf.h) */
#define APIC_ISR        0x100
#define APIC_LVT1       0x360
#define ICR_INIT        0x500
#define ICR_STARTUP     0x600
#define ICR_ALL_BUT_SELF (3U << 18)

#define MSR_APIC_BASE   0x1b
#define MSR_EFER        0xc0000080
#define EFER_LMA        BIT(10)
#define CR4_PCIDE       BIT(17)

#define PTE_P           BIT(0)
#define PTE_W           BIT(1)
#define PTE_ADDR        0x000ffffffffff000ULL

/* What smp_tramp.S needs from us, and gives us (smp.h). */
u32 smp_boot_cr0, smp_boot_cr3, smp_boot_cr4;
u64 smp_boot_efer;
struct smp_idt_desc smp_boot_idt;
volatile u32 smp_started;              /* volatile: APs LOCK XADD it */

/* One CPU's mailbox and what it saw; index 0 is the BSP. */
enum {
    CMD_PING = 1, CMD_SEND_IPI, CMD_APIC_READ, CMD_READ, CMD_IF0,
    CMD_NMI_IF0, CMD_TSC, CMD_ATOMIC,
};

struct cpu {
    volatile u32 seq, done;             /* volatile: the mailbox */
    volatile u32 cmd;                   /* volatile: the mailbox */
    volatile u64 arg, arg2, val;        /* volatile: the mailbox */
    volatile u32 ready;                 /* volatile: set in a command */
    volatile bool alive;                /* volatile: set by the AP */
    bool gave_up;                       /* its mailbox hangs */
    /* what it saw at start-up and in CPUID */
    u32 apic_id, cpuid1_id, cpuid1_ebx, cpuid1_edx, sig, start_edx;
    u32 start_cs;
    bool has_0b, has_1e;
    u32 x2apic_id, ext_apic_id, amd_nc;
    /* volatile: counted by the interrupt handler */
    volatile u32 irq[VEC_COUNT], nmi;
    volatile u32 tlb_val;               /* volatile: the VEC_TLB handler's */
    /* CMD_IF0's findings */
    bool if0_irr;
    u32 if0_before_sti, if0_after_sti;
    /* CMD_NMI_IF0's */
    u32 nmi_if0;
};

static struct cpu cpus[SMP_MAX_CPUS];
static u8 cpu_of_apic[256];
static int ncpus = 1;                   /* cpus=N: how many to expect */
static int napus;                       /* APs that checked in */
static u32 bsp_apic_id;

static void pause(void)
{
    asm volatile("pause" : : : "memory");
}

/* Send an IPI; true once the ICR says it was sent. */
static bool apic_ipi(u32 dest, u32 icr)
{
    int i;

    apic_write(APIC_ICR2, dest << 24);
    apic_write(APIC_ICR, icr);
    for (i = 0; i < 1000000 && (apic_read(APIC_ICR) & ICR_BUSY); i++) {
        pause();
    }
    return !(apic_read(APIC_ICR) & ICR_BUSY);
}

/* Wait (bounded) until *p reaches v; true if it did. */
/* volatile: written by another CPU */
static bool wait_ge(volatile u32 *p, u32 v)
{
    long i;

    for (i = 0; i < WAIT_LOOPS && *p < v; i++) {
        pause();
    }
    return *p >= v;
}

/* volatile: written by another CPU */
static bool wait_eq(volatile u32 *p, u32 v)
{
    long i;

    for (i = 0; i < WAIT_LOOPS && *p != v; i++) {
        pause();
    }
    return *p == v;
}

/*
 * The BSP waits for something CPU idx does; once CPU idx left its
 * mailbox unanswered (cmd_wait()), the BSP only looks: a CPU that hangs
 * costs one WAIT_LOOPS, not one per assertion.
 */
static bool wait_for(int idx, volatile u32 *p, u32 v)
{
    struct cpu *c = &cpus[idx];

    if (c->gave_up || !c->alive) {
        return *p >= v;
    }
    return wait_ge(p, v);
}

static int this_cpu(void)
{
    return cpu_of_apic[apic_read(APIC_ID) >> 24];
}

/* The interrupt stubs: push (0, vector) as boot.S does. */
#define SMP_STUB(v) \
    ".align 16\nsmp_stub_" #v ": push $0; push $" #v "; jmp smp_common\n"

asm(".pushsection .text\n"
    ".align 16\n"
    "smp_stubs:\n"
    SMP_STUB(0x40) SMP_STUB(0x41) SMP_STUB(0x42) SMP_STUB(0x43)
    SMP_STUB(0x44) SMP_STUB(0x45) SMP_STUB(0x46) SMP_STUB(0x47)
    SMP_STUB(0x48) SMP_STUB(0x49) SMP_STUB(0x4a) SMP_STUB(0x4b)
    SMP_STUB(0x4c) SMP_STUB(0x4d) SMP_STUB(0x4e) SMP_STUB(0x4f)
    ".align 16\n"
    "smp_stub_nmi: push $0; push $" CF_STR(NMI_VECTOR) "; jmp smp_common\n"
    CF_TRAP_COMMON(smp_common, smp_trap)
    ".popsection");

/* The TLB shootdown's page: mapped to one of two frames. */
#define TLB_VA          0x40000000ULL   /* 1 GiB: no RAM there with -m 128 */
#define TLB_MAGIC_A     0xa0a0a0a0
#define TLB_MAGIC_B     0xb0b0b0b0
static u64 tlb_pt[512] __attribute__((aligned(4096)));
static u32 tlb_frame[2][1024] __attribute__((aligned(4096)));

static u32 read_va(u64 va)
{
    return *(volatile u32 *)va;    /* volatile: through the TLB */
}

void __attribute__((used)) smp_trap(struct cf_frame *f);
void smp_trap(struct cf_frame *f)
{
    struct cpu *c = &cpus[this_cpu()];

    if (f->vector == NMI_VECTOR) {
        c->nmi++;
        return;
    }
    if (f->vector == VEC_TLB) {
        invlpg(TLB_VA);
        c->tlb_val = read_va(TLB_VA);
    }
    c->irq[f->vector - VEC_BASE]++;
    apic_write(APIC_EOI, 0);
}

static void setup_local_apic(void)
{
    apic_write(APIC_LVTT, APIC_LVT_MASKED);
    apic_write(APIC_LVT0, APIC_LVT_MASKED);
    apic_write(APIC_LVT1, APIC_LVT_MASKED);
    apic_write(APIC_LVTERR, APIC_LVT_MASKED);
    apic_write(APIC_SVR, 0x100 | 0xff);
    apic_write(APIC_TPR, 0);
}

/* CPUID and the local APIC: who this CPU says it is. */
static void collect_ids(struct cpu *c)
{
    struct cpuid r = cpuid(1);

    c->apic_id = apic_read(APIC_ID) >> 24;
    c->cpuid1_id = r.b >> 24;
    c->cpuid1_ebx = r.b;
    c->cpuid1_edx = r.d;
    c->sig = r.a;
    if (cpuid(0).a >= 0xb && cpuid_count(0xb, 0).b) {
        c->has_0b = true;
        c->x2apic_id = cpuid_count(0xb, 0).d;
    }
    if (cf_has(0x80000001, 0, CF_ECX, 22) &&
        cpuid(0x80000000).a >= 0x8000001e) {
        c->has_1e = true;
        c->ext_apic_id = cpuid(0x8000001e).a;
    }
    if (cpuid(0x80000000).a >= 0x80000008) {
        c->amd_nc = (cpuid(0x80000008).c & 0xff) + 1;
    }
}

/* The TSC chain: CPU k reads its TSC once CPU k - 1 published its own. */
#define TSC_ROUNDS      32
static volatile u32 tsc_turn;          /* volatile: passed around */
static u64 tsc_log[TSC_ROUNDS * SMP_MAX_CPUS];

static void tsc_chain(int idx)
{
    int r;

    for (r = 0; r < TSC_ROUNDS; r++) {
        u32 turn = r * ncpus + idx;

        if (!wait_eq(&tsc_turn, turn)) {
            return;
        }
        asm volatile("mfence; lfence" : : : "memory");
        tsc_log[turn] = rdtsc();
        asm volatile("" : : : "memory");
        tsc_turn = turn + 1;
    }
}

/* LOCK INC from every CPU at once. */
#define ATOMIC_LOOPS    100000
static volatile u32 atomic_go;         /* volatile: the start signal */
static u32 atomic_count, atomic_cmpxchg;

static void atomic_run(void)
{
    int i;

    wait_eq(&atomic_go, 1);
    for (i = 0; i < ATOMIC_LOOPS; i++) {
        u32 old = atomic_cmpxchg, ok;

        asm volatile("lock incl %0" : "+m"(atomic_count) : : "memory");
        do {
            asm volatile("lock cmpxchgl %3, %1; sete %b2"
                         : "+a"(old), "+m"(atomic_cmpxchg), "=q"(ok)
                         : "r"(old + 1) : "memory", "cc");
        } while (!(ok & 1));
    }
}

static void ap_command(struct cpu *c)
{
    switch (c->cmd) {
    case CMD_PING:
        break;
    case CMD_SEND_IPI:
        apic_ipi(c->arg2, c->arg);
        break;
    case CMD_APIC_READ:
        c->val = apic_read(c->arg);
        break;
    case CMD_READ:
        c->val = read_va(c->arg);
        break;
    case CMD_IF0: {
        long i;

        asm volatile("cli");
        c->ready = 1;
        for (i = 0; i < WAIT_LOOPS && !apic_irr(VEC_PENDING); i++) {
            pause();
        }
        c->if0_irr = apic_irr(VEC_PENDING);
        c->if0_before_sti = c->irq[VEC_PENDING - VEC_BASE];
        asm volatile("sti; nop; cli" : : : "memory");
        c->if0_after_sti = c->irq[VEC_PENDING - VEC_BASE];
        asm volatile("sti");
        break;
    }
    case CMD_NMI_IF0: {
        u32 before = c->nmi;

        asm volatile("cli");
        c->ready = 1;
        wait_ge(&c->nmi, before + 1);
        c->nmi_if0 = c->nmi - before;
        asm volatile("sti");
        break;
    }
    case CMD_TSC:
        tsc_chain(c - cpus);
        break;
    case CMD_ATOMIC:
        atomic_run();
        break;
    }
}

/* smp_tramp.S calls it on the AP's own stack, IF=0. */
void smp_ap_main(u32 idx, u32 edx, u32 cs)
{
    struct cpu *c = &cpus[idx];

    setup_local_apic();
    c->start_edx = edx;
    c->start_cs = cs;
    collect_ids(c);
    cpu_of_apic[c->apic_id] = idx;
    asm volatile("sti" : : : "memory");
    c->alive = true;
    for (;;) {
        if (c->done == c->seq) {
            pause();
            continue;
        }
        ap_command(c);
        asm volatile("" : : : "memory");
        c->done = c->seq;
    }
}

/* The BSP's side of a mailbox. */
static void cmd_start(int idx, u32 cmd, u64 arg, u64 arg2)
{
    struct cpu *c = &cpus[idx];

    c->cmd = cmd;
    c->arg = arg;
    c->arg2 = arg2;
    c->ready = 0;
    asm volatile("" : : : "memory");
    c->seq++;
}

static bool cmd_wait(int idx)
{
    struct cpu *c = &cpus[idx];

    if (!wait_for(idx, &c->done, c->seq)) {
        c->gave_up = true;
        return false;
    }
    return true;
}

static bool cmd(int idx, u32 cmd, u64 arg, u64 arg2)
{
    cmd_start(idx, cmd, arg, arg2);
    return cmd_wait(idx);
}

/* Every AP answers its mailbox: whatever it was sent has been taken. */
static void ping_all(void)
{
    int i;

    for (i = 1; i <= napus; i++) {
        cmd(i, CMD_PING, 0, 0);
    }
}

/* cpus=N on the command line, 0 if none. */
static int cmdline_cpus(void)
{
    long n = cf_cmdline_num("cpus");

    return n < 0 ? 0 : n;
}

/* Split the 2 MiB page of TLB_VA: a 4 KiB page table, TLB_VA -> frame 0. */
static void tlb_setup(void)
{
    u64 *pml4 = (u64 *)(u64)(smp_boot_cr3 & PTE_ADDR);
    u64 *pdpt = (u64 *)(pml4[(TLB_VA >> 39) & 511] & PTE_ADDR);
    u64 *pd = (u64 *)(pdpt[(TLB_VA >> 30) & 511] & PTE_ADDR);

    tlb_frame[0][0] = TLB_MAGIC_A;
    tlb_frame[1][0] = TLB_MAGIC_B;
    tlb_pt[0] = (u64)tlb_frame[0] | PTE_P | PTE_W;
    pd[(TLB_VA >> 21) & 511] = (u64)tlb_pt | PTE_P | PTE_W;
    asm volatile("mov %0, %%cr3" : : "r"((u64)smp_boot_cr3) : "memory");
}

static void start_aps(void)
{
    long i;
    int n;
    bool sent;

    memcpy((void *)SMP_TRAMP_BASE, smp_tramp_start,
           smp_tramp_end - smp_tramp_start);
    /* The INIT, then two SIPIs, as the SDM's MP initialization does. */
    sent = apic_ipi(0, ICR_ALL_BUT_SELF | ICR_ASSERT | ICR_INIT);
    for (i = 0; i < 100000; i++) {
        pause();
    }
    sent &= apic_ipi(0, ICR_ALL_BUT_SELF | ICR_ASSERT | ICR_STARTUP |
                     SMP_TRAMP_BASE >> 12);
    for (i = 0; i < 100000; i++) {
        pause();
    }
    sent &= apic_ipi(0, ICR_ALL_BUT_SELF | ICR_ASSERT | ICR_STARTUP |
                     SMP_TRAMP_BASE >> 12);
    report(sent, "INIT and SIPI broadcasts leave the ICR idle (%s)",
           sent ? "idle" : "busy");

    wait_ge(&smp_started, ncpus - 1);
    /* Check-in: each started AP marks itself alive. */
    n = smp_started;
    for (i = 1; i <= n && i < SMP_MAX_CPUS; i++) {
        long j;

        for (j = 0; j < WAIT_LOOPS && !cpus[i].alive; j++) {
            pause();
        }
    }
    for (i = 1, napus = 0; i < SMP_MAX_CPUS && cpus[i].alive; i++) {
        napus++;
    }
    report(n == ncpus - 1 && napus == ncpus - 1,
           "INIT-SIPI-SIPI starts every AP, each reaches C (%d started, "
           "%d in C, %d expected)", n, napus, ncpus - 1);
    ncpus = napus + 1;          /* the rest: with the CPUs there are */
}

static int append(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

static bool need_aps(const char *what)
{
    if (napus == 0) {
        report_skip("%s: no AP", what);
        return false;
    }
    return true;
}

static void test_startup_state(void)
{
    bool cs_ok = true, edx_ok = true;
    u32 bad_cs = 0, bad_edx = 0;
    int i;

    if (!need_aps("the APs' start-up state")) {
        return;
    }
    for (i = 1; i <= napus; i++) {
        if (cpus[i].start_cs != SMP_TRAMP_BASE >> 4) {
            cs_ok = false;
            bad_cs = cpus[i].start_cs;
        }
        if (cpus[i].start_edx != cpus[i].sig) {
            edx_ok = false;
            bad_edx = cpus[i].start_edx;
        }
    }
    report(cs_ok, "an AP starts in real mode at CS = SIPI vector << 8 "
           "(CS 0x%x, vector 0x%x)", cs_ok ? cpus[1].start_cs : bad_cs,
           SMP_TRAMP_BASE >> 12);
    report(edx_ok, "an AP starts with the processor signature "
           "(CPUID.1 EAX) in EDX (0x%x, CPUID 0x%x)",
           edx_ok ? cpus[1].start_edx : bad_edx, cpus[1].sig);
}

static void test_ids(void)
{
    int i, j, n = napus + 1, lcount = 0, nc = 0;
    bool match = true, distinct = true, x2 = true, ext = true;
    bool any_0b = false, any_1e = false;
    u32 seen[SMP_MAX_CPUS];
    char ids[64];
    int len = 0;

    for (i = 0; i < n; i++) {
        struct cpu *c = &cpus[i];

        if (len < 56) {
            len += append(ids + len, sizeof(ids) - len, "%s%u",
                             i ? " " : "", c->apic_id);
        }
        match &= c->cpuid1_id == c->apic_id;
        if (c->has_0b) {
            any_0b = true;
            x2 &= c->x2apic_id == c->apic_id;
        }
        if (c->has_1e) {
            any_1e = true;
            ext &= c->ext_apic_id == c->apic_id;
        }
        for (j = 0; j < i; j++) {
            distinct &= seen[j] != c->apic_id;
        }
        seen[i] = c->apic_id;
    }
    report(match, "on every CPU, CPUID.1 EBX[31:24] is the local APIC's ID "
           "(APIC IDs %s)", ids);
    report(distinct, "the APIC IDs of the CPUs differ (%s)", ids);
    if (any_0b) {
        report(x2, "on every CPU, CPUID.0xB EDX (x2APIC ID) is the local "
               "APIC's ID (BSP %u)", cpus[0].x2apic_id);
    } else {
        report_skip("CPUID leaf 0xB not there");
    }
    if (any_1e) {
        report(ext, "on every CPU, CPUID.0x8000001E EAX (extended APIC ID) "
               "is the local APIC's ID (BSP %u)", cpus[0].ext_apic_id);
    } else {
        report_skip("CPUID leaf 0x8000001E not there (no TOPOEXT)");
    }
    lcount = cpus[0].cpuid1_edx & BIT(28) ? (cpus[0].cpuid1_ebx >> 16) & 0xff
                                           : 1;
    report(lcount >= n, "CPUID.1 EBX[23:16] (with HTT; 1 without) counts "
           "at least the CPUs started (%d, HTT %d, %d CPUs)", lcount,
           !!(cpus[0].cpuid1_edx & BIT(28)), n);
    if (cf_is_amd()) {
        nc = cpus[0].amd_nc;
        report(nc >= n, "CPUID.0x80000008 ECX[7:0] + 1 counts at least the "
               "CPUs started (%d, %d CPUs)", nc, n);
    } else {
        report_skip("CPUID.0x80000008 ECX[7:0]: AMD only");
    }
}

/* The ACPI MADT: its enabled local APICs are the CPUs we started. */
static const u8 *acpi_rsdp(void)
{
    u64 a;

    for (a = 0xe0000; a < 0x100000; a += 16) {
        if (!memcmp((void *)a, "RSD PTR ", 8)) {
            return (const u8 *)a;
        }
    }
    return NULL;
}

static void test_madt(void)
{
    const u8 *rsdp = acpi_rsdp(), *rsdt, *madt = NULL, *p, *end;
    u32 len, i, found = 0, listed = 0;
    bool known = true;
    int n = napus + 1, j;

    if (!cmdline_cpus()) {
        report_skip("no cpus=N on the command line: no MADT check");
        return;
    }
    if (!rsdp) {
        report_skip("no ACPI RSDP: no MADT");
        return;
    }
    rsdt = (const u8 *)(u64)*(u32 *)(rsdp + 16);
    len = *(u32 *)(rsdt + 4);
    for (i = 36; i + 4 <= len; i += 4) {
        const u8 *t = (const u8 *)(u64)*(u32 *)(rsdt + i);

        if (!memcmp(t, "APIC", 4)) {
            madt = t;
        }
    }
    if (!madt) {
        report_skip("no MADT in the RSDT");
        return;
    }
    end = madt + *(u32 *)(madt + 4);
    for (p = madt + 44; p + 2 <= end && p[1] >= 2; p += p[1]) {
        bool ours = false;

        /* type 0: processor local APIC; flags bit 0: enabled */
        if (p[0] != 0 || !(*(u32 *)(p + 4) & 1)) {
            continue;
        }
        listed++;
        for (j = 0; j < n; j++) {
            ours |= cpus[j].apic_id == p[3];
        }
        found += ours;
        known &= ours;
    }
    report(listed == n && found == n && known,
           "the MADT lists exactly the started CPUs' APIC IDs as enabled "
           "(%u listed, %u of them started, %d CPUs)", listed, found, n);
}

static void test_ipis(void)
{
    bool ok = true, sent = true;
    u32 bad = 0, v;
    int i, j;

    if (!need_aps("IPIs")) {
        return;
    }

    /* BSP -> each AP, by APIC ID. */
    for (i = 1; i <= napus; i++) {
        sent &= apic_ipi(cpus[i].apic_id, ICR_ASSERT | ICR_FIXED | VEC_TO_AP);
        wait_for(i, &cpus[i].irq[VEC_TO_AP - VEC_BASE], 1);
    }
    ping_all();
    for (i = 0; i <= napus; i++) {
        v = cpus[i].irq[VEC_TO_AP - VEC_BASE];
        if (v != (i ? 1 : 0)) {
            ok = false;
            bad = i * 100 + v;
        }
    }
    report(sent && ok, "a fixed IPI from the BSP to each AP (physical "
           "destination) arrives there once (%s, cpu*100+count %u)",
           sent ? "sent" : "ICR busy", bad);

    /* Each AP -> the BSP, one at a time. */
    ok = true;
    bad = 0;
    asm volatile("sti");
    for (i = 1; i <= napus; i++) {
        u32 before = cpus[0].irq[VEC_TO_BSP - VEC_BASE];

        cmd(i, CMD_SEND_IPI, ICR_ASSERT | ICR_FIXED | VEC_TO_BSP,
            bsp_apic_id);
        wait_for(i, &cpus[0].irq[VEC_TO_BSP - VEC_BASE], before + 1);
        ping_all();
        v = cpus[0].irq[VEC_TO_BSP - VEC_BASE] - before;
        if (v != 1) {
            ok = false;
            bad = i * 100 + v;
        }
    }
    for (i = 1; i <= napus; i++) {
        ok &= cpus[i].irq[VEC_TO_BSP - VEC_BASE] == 0;
    }
    report(ok, "a fixed IPI from each AP to the BSP arrives there once "
           "(ap*100+count %u)", bad);

    /* All excluding self, from the BSP. */
    apic_ipi(0, ICR_ALL_BUT_SELF | ICR_ASSERT | ICR_FIXED | VEC_BCAST);
    for (i = 1; i <= napus; i++) {
        wait_for(i, &cpus[i].irq[VEC_BCAST - VEC_BASE], 1);
    }
    ping_all();
    ok = cpus[0].irq[VEC_BCAST - VEC_BASE] == 0;
    bad = cpus[0].irq[VEC_BCAST - VEC_BASE];
    for (i = 1; i <= napus; i++) {
        if (cpus[i].irq[VEC_BCAST - VEC_BASE] != 1) {
            ok = false;
            bad = i * 100 + cpus[i].irq[VEC_BCAST - VEC_BASE];
        }
    }
    report(ok, "a fixed all-excluding-self IPI from the BSP arrives once on "
           "every AP, not on the BSP (cpu*100+count %u)", bad);

    /* All excluding self, from the last AP. */
    j = napus;
    cmd(j, CMD_SEND_IPI, ICR_ALL_BUT_SELF | ICR_ASSERT | ICR_FIXED |
        VEC_BCAST_AP, 0);
    for (i = 0; i <= napus; i++) {
        if (i != j) {
            wait_for(i, &cpus[i].irq[VEC_BCAST_AP - VEC_BASE], 1);
        }
    }
    ping_all();
    ok = true;
    bad = 0;
    for (i = 0; i <= napus; i++) {
        if (cpus[i].irq[VEC_BCAST_AP - VEC_BASE] != (i != j)) {
            ok = false;
            bad = i * 100 + cpus[i].irq[VEC_BCAST_AP - VEC_BASE];
        }
    }
    report(ok, "a fixed all-excluding-self IPI from an AP arrives once on "
           "every other CPU, the BSP included (cpu*100+count %u)", bad);

    /* The same vector twice: the EOI of the first lets the second in. */
    ok = true;
    bad = 0;
    for (i = 1; i <= napus; i++) {
        apic_ipi(cpus[i].apic_id, ICR_ASSERT | ICR_FIXED | VEC_EOI);
        wait_for(i, &cpus[i].irq[VEC_EOI - VEC_BASE], 1);
        apic_ipi(cpus[i].apic_id, ICR_ASSERT | ICR_FIXED | VEC_EOI);
        wait_for(i, &cpus[i].irq[VEC_EOI - VEC_BASE], 2);
        cmd(i, CMD_APIC_READ, APIC_ISR + VEC_EOI / 32 * 0x10, 0);
        v = cpus[i].irq[VEC_EOI - VEC_BASE];
        if (v != 2 || (cpus[i].val & BIT(VEC_EOI % 32))) {
            ok = false;
            bad = i * 100 + v;
        }
    }
    report(ok, "an AP's EOI ends the IPI: the same vector again arrives, "
           "the ISR is clear after (cpu*100+count %u)", bad);

    /* To an AP with IF=0: held in its IRR until STI. */
    ok = true;
    bad = 0;
    for (i = 1; i <= napus; i++) {
        struct cpu *c = &cpus[i];

        cmd_start(i, CMD_IF0, 0, 0);
        wait_for(i, &c->ready, 1);
        apic_ipi(c->apic_id, ICR_ASSERT | ICR_FIXED | VEC_PENDING);
        cmd_wait(i);
        if (!c->if0_irr || c->if0_before_sti || c->if0_after_sti != 1) {
            ok = false;
            bad = i;
        }
    }
    report(ok, "a fixed IPI to an AP with IF=0 waits in its IRR, taken at "
           "STI (AP %d: IRR %d, %u before STI, %u after)", bad,
           cpus[bad ? bad : 1].if0_irr, cpus[bad ? bad : 1].if0_before_sti,
           cpus[bad ? bad : 1].if0_after_sti);

    /* NMI to each AP, while it runs with IF=0. */
    ok = true;
    bad = 0;
    for (i = 1; i <= napus; i++) {
        struct cpu *c = &cpus[i];

        cmd_start(i, CMD_NMI_IF0, 0, 0);
        wait_for(i, &c->ready, 1);
        apic_ipi(c->apic_id, ICR_ASSERT | ICR_NMI);
        cmd_wait(i);
        ping_all();
        if (c->nmi_if0 != 1 || c->nmi != 1) {
            ok = false;
            bad = i * 100 + c->nmi;
        }
    }
    ok &= cpus[0].nmi == 0;
    report(ok, "an NMI IPI to an AP with IF=0 arrives there once "
           "(cpu*100+count %u)", bad);

    /* Nothing else arrived anywhere. */
    ok = true;
    bad = 0;
    for (i = 0; i <= napus; i++) {
        for (j = 0; j < VEC_COUNT; j++) {
            u32 want = 0;

            switch (j + VEC_BASE) {
            case VEC_TO_AP:
            case VEC_BCAST:
            case VEC_PENDING:
                want = i != 0;
                break;
            case VEC_EOI:
                want = i ? 2 : 0;
                break;
            case VEC_TO_BSP:
                want = i ? 0 : napus;
                break;
            case VEC_BCAST_AP:
                want = i != napus;
                break;
            }
            if (cpus[i].irq[j] != want) {
                ok = false;
                bad = i * 1000 + j + VEC_BASE;
            }
        }
    }
    report(ok, "no IPI arrived twice or with another vector "
           "(cpu*1000+vector %u)", bad);
}

static void test_second_sipi(void)
{
    u32 before = smp_started;
    bool ok = true;
    int i;

    if (!need_aps("a SIPI to a running AP")) {
        return;
    }
    for (i = 1; i <= napus; i++) {
        apic_ipi(cpus[i].apic_id, ICR_ASSERT | ICR_STARTUP |
                 SMP_TRAMP_BASE >> 12);
    }
    for (i = 1; i <= napus; i++) {
        ok &= cmd(i, CMD_PING, 0, 0);
    }
    ping_all();
    report(ok && smp_started == before,
           "a SIPI to a running AP is ignored: it goes on with its work "
           "(%s, %u starts, %u before)", ok ? "answers" : "no answer",
           smp_started, before);
}

static void test_tlb(void)
{
    bool ok = true, first = true;
    u32 bad = 0, want;
    int i, r;

    if (!need_aps("the TLB shootdown")) {
        return;
    }
    /* Every AP reads through the first mapping: in its TLB now. */
    for (i = 1; i <= napus; i++) {
        cmd(i, CMD_READ, TLB_VA, 0);
        if (cpus[i].val != TLB_MAGIC_A) {
            first = false;
            bad = cpus[i].val;
        }
    }
    report(first && read_va(TLB_VA) == TLB_MAGIC_A,
           "every CPU reads a 4 KiB page through its first mapping "
           "(0x%x)", first ? TLB_MAGIC_A : bad);

    for (r = 0; r < 4; r++) {
        /* Remap to the other frame, INVLPG here, IPI the others. */
        want = r & 1 ? TLB_MAGIC_A : TLB_MAGIC_B;
        tlb_pt[0] = (u64)tlb_frame[!(r & 1)] | PTE_P | PTE_W;
        invlpg(TLB_VA);
        ok &= read_va(TLB_VA) == want;
        for (i = 1; i <= napus; i++) {
            cpus[i].tlb_val = 0;
        }
        apic_ipi(0, ICR_ALL_BUT_SELF | ICR_ASSERT | ICR_FIXED | VEC_TLB);
        for (i = 1; i <= napus; i++) {
            wait_for(i, &cpus[i].irq[VEC_TLB - VEC_BASE], r + 1);
            if (cpus[i].irq[VEC_TLB - VEC_BASE] != r + 1 ||
                cpus[i].tlb_val != want) {
                ok = false;
                bad = cpus[i].tlb_val;
            }
        }
    }
    report(ok, "TLB shootdown: after the PTE changes and an IPI, INVLPG on "
           "each AP gives the new mapping (4 rounds; bad 0x%x)", bad);
}

static void test_tsc(void)
{
    int i, n = napus + 1, bad = -1;

    if (!need_aps("the TSC chain")) {
        return;
    }
    tsc_turn = 0;
    for (i = 1; i <= napus; i++) {
        cmd_start(i, CMD_TSC, 0, 0);
    }
    tsc_chain(0);
    for (i = 1; i <= napus; i++) {
        cmd_wait(i);
    }
    for (i = 1; i < TSC_ROUNDS * n; i++) {
        if (tsc_log[i] <= tsc_log[i - 1] && bad < 0) {
            bad = i;
        }
    }
    if (tsc_turn != TSC_ROUNDS * n) {
        report(false, "TSC chain: each CPU's TSC, read after the previous "
               "CPU's, is larger (only %u of %d readings)", tsc_turn,
               TSC_ROUNDS * n);
        return;
    }
    if (bad < 0) {
        report(true, "TSC chain: each CPU's TSC, read after the previous "
               "CPU's, is larger (%d readings, %llu .. %llu)",
               TSC_ROUNDS * n, (unsigned long long)tsc_log[0],
               (unsigned long long)tsc_log[TSC_ROUNDS * n - 1]);
    } else {
        report(false, "TSC chain: each CPU's TSC, read after the previous "
               "CPU's, is larger (reading %d, CPU %d: %llu after %llu)",
               bad, bad % n, (unsigned long long)tsc_log[bad],
               (unsigned long long)tsc_log[bad - 1]);
    }
}

static void test_atomics(void)
{
    int i, n = napus + 1;

    if (!need_aps("LOCK INC from every CPU")) {
        return;
    }
    atomic_go = 0;
    for (i = 1; i <= napus; i++) {
        cmd_start(i, CMD_ATOMIC, 0, 0);
    }
    atomic_go = 1;
    atomic_run();
    for (i = 1; i <= napus; i++) {
        cmd_wait(i);
    }
    report(atomic_count == (u32)n * ATOMIC_LOOPS,
           "LOCK INC from every CPU at once: the count is exact "
           "(%u, %u expected)", atomic_count, n * ATOMIC_LOOPS);
    report(atomic_cmpxchg == (u32)n * ATOMIC_LOOPS,
           "LOCK CMPXCHG loops from every CPU at once: the count is exact "
           "(%u, %u expected)", atomic_cmpxchg, n * ATOMIC_LOOPS);
}

void cf_main(void)
{
    u64 msr = rdmsr(MSR_APIC_BASE);
    struct {
        u16 limit;
        u64 base;
    } __attribute__((packed)) gdt;
    int i;

    /* The 8259 (its timer, from the firmware) stays quiet. */
    asm volatile("cli");
    outb(0x21, 0xff);
    outb(0xa1, 0xff);

    ncpus = cmdline_cpus();
    report_info("cpus=%d on the command line", ncpus);
    if (ncpus < 1) {
        ncpus = 1;
    }
    if (ncpus > SMP_MAX_CPUS) {
        report_skip("cpus=%d: at most %d here", ncpus, SMP_MAX_CPUS);
        ncpus = SMP_MAX_CPUS;
    }
    if (!(msr & BIT(11)) || (msr & BIT(10))) {
        report_skip("the local APIC is off or in x2APIC mode (APIC_BASE "
                    "0x%llx): no SMP tests", (unsigned long long)msr);
        return;
    }
    cf_apic_init();
    setup_local_apic();
    bsp_apic_id = apic_read(APIC_ID) >> 24;
    cpu_of_apic[bsp_apic_id] = 0;
    collect_ids(&cpus[0]);
    cpus[0].alive = true;

    /* What the APs take over from the BSP. */
    smp_boot_cr0 = read_cr0();
    asm volatile("mov %%cr3, %0" : "=r"(msr));
    smp_boot_cr3 = msr;
    smp_boot_cr4 = read_cr4() & ~CR4_PCIDE;
    smp_boot_efer = rdmsr(MSR_EFER) & ~EFER_LMA;
    asm volatile("sidt %0" : "=m"(smp_boot_idt));
    asm volatile("sgdt %0" : "=m"(gdt));
    smp_tramp_gdt.limit = gdt.limit;
    smp_tramp_gdt.base = gdt.base;
    /* The BSP's IDT (SIDT), which the APs load too (smp_boot_idt). */
    for (i = 0; i < VEC_COUNT; i++) {
        cf_set_gate(VEC_BASE + i, smp_stubs + 16 * i, CF_GATE_INTR, 0);
    }
    cf_set_gate(NMI_VECTOR, smp_stub_nmi, CF_GATE_INTR, 0);
    tlb_setup();

    if (ncpus > 1) {
        start_aps();
    } else {
        report_skip("cpus=1 (or no cpus=N on the command line): "
                    "no AP started");
    }
    test_startup_state();
    test_ids();
    test_madt();
    test_ipis();
    test_second_sipi();
    test_tlb();
    test_tsc();
    test_atomics();
}
