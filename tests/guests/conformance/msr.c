/*
 * Conformance: model-specific registers.
 *
 * What the advertised CPU (vendor and CPUID) has must read and write as
 * on hardware: values stick, reserved bits and invalid encodings raise
 * #GP, read-only registers refuse writes, non-canonical addresses are
 * refused; what it does not have raises #GP.
 *
 * This work is licensed under the terms of the GNU GPL, version 2 or later.
 */
#include "cf.h"

const char cf_test_name[] = "msr";

#define MSR_TSC                 0x00000010
#define MSR_APIC_BASE           0x0000001b
#define MSR_TSC_ADJUST          0x0000003b
#define MSR_MTRRCAP             0x000000fe
#define MSR_SYSENTER_CS         0x00000174
#define MSR_SYSENTER_ESP        0x00000175
#define MSR_SYSENTER_EIP        0x00000176
#define MSR_MCG_CAP             0x00000179
#define MSR_MCG_STATUS          0x0000017a
#define MSR_MTRR_PHYSBASE0      0x00000200
#define MSR_MTRR_PHYSMASK0      0x00000201
#define MSR_MTRR_FIX64K         0x00000250
#define MSR_PAT                 0x00000277
#define MSR_MTRR_DEF_TYPE       0x000002ff
#define MSR_EFER                0xc0000080
#define MSR_STAR                0xc0000081
#define MSR_LSTAR               0xc0000082
#define MSR_CSTAR               0xc0000083
#define MSR_SFMASK              0xc0000084
#define MSR_FS_BASE             0xc0000100
#define MSR_GS_BASE             0xc0000101
#define MSR_KERNEL_GS_BASE      0xc0000102
#define MSR_TSC_AUX             0xc0000103
#define MSR_K7_EVNTSEL0         0xc0010000
#define MSR_K7_PERFCTR0         0xc0010004
#define MSR_K7_HWCR             0xc0010015
#define MSR_F15H_PERF_CTL0      0xc0010200

#define EFER_SCE                BIT(0)
#define EFER_LME                BIT(8)
#define EFER_LMA                BIT(10)
#define EFER_NXE                BIT(11)
#define EFER_SVME               BIT(12)

#define NONCANONICAL            0x8000000000000000ULL

/* The write faults with #GP(0). */
static void expect_wr_gp(u32 msr, u64 val, const char *what)
{
    int v = wrmsr_safe(msr, val);

    report(v == GP_VECTOR && cf_error == 0,
           "%s: wrmsr 0x%x <- 0x%llx raises #GP(0) (%s)", what, msr,
           (unsigned long long)val, cf_vec_name(v));
}

static void expect_rd_gp(u32 msr, const char *what)
{
    u64 val;
    int v = rdmsr_safe(msr, &val);

    report(v == GP_VECTOR, "%s: rdmsr 0x%x raises #GP (%s)", what, msr,
           cf_vec_name(v));
}

/* The write is taken and reads back as written. */
static void expect_sticks(u32 msr, u64 val, const char *what)
{
    u64 got = 0;
    int v = wrmsr_safe(msr, val);
    int r = v < 0 ? rdmsr_safe(msr, &got) : v;

    report(v < 0 && r < 0 && got == val,
           "%s: wrmsr 0x%x <- 0x%llx reads back (%s, 0x%llx)", what, msr,
           (unsigned long long)val, cf_vec_name(v < 0 ? r : v),
           (unsigned long long)got);
}

static bool readable(u32 msr, u64 *val, const char *what)
{
    int v = rdmsr_safe(msr, val);

    report(v < 0, "%s: rdmsr 0x%x does not fault (%s)", what, msr,
           cf_vec_name(v));
    return v < 0;
}

static int rdpmc_safe(u32 ecx, u64 *val)
{
    u32 lo = 0, hi = 0;

    cf_vector = -1;
    asm volatile("1: rdpmc\n2:\n\t" CF_EXTABLE(1b, 2b)
                 : "+a"(lo), "+d"(hi) : "c"(ecx) : "memory");
    *val = lo | (u64)hi << 32;
    return cf_vector;
}

static void test_efer(void)
{
    static const int reserved[] = { 1, 2, 3, 4, 5, 6, 7, 9, 16, 32, 63 };
    u64 efer;
    int i;

    if (!readable(MSR_EFER, &efer, "EFER")) {
        return;
    }
    report((efer & (EFER_LME | EFER_LMA)) == (EFER_LME | EFER_LMA),
           "EFER: LME and LMA set in long mode (0x%llx)",
           (unsigned long long)efer);
    for (i = 0; i < ARRAY_SIZE(reserved); i++) {
        expect_wr_gp(MSR_EFER, efer | BIT(reserved[i]), "EFER reserved bit");
    }
    expect_sticks(MSR_EFER, efer ^ EFER_SCE, "EFER.SCE toggles");
    wrmsr(MSR_EFER, efer);
    if (HAS_NX()) {
        expect_sticks(MSR_EFER, efer | EFER_NXE, "EFER.NXE with NX");
        wrmsr(MSR_EFER, efer);
    } else {
        expect_wr_gp(MSR_EFER, efer | EFER_NXE, "EFER.NXE without NX");
    }
    if (!HAS_SVM()) {
        expect_wr_gp(MSR_EFER, efer | EFER_SVME, "EFER.SVME without SVM");
    }
    report(rdmsr(MSR_EFER) == efer, "EFER: restored");
}

static void test_pat(void)
{
    static const u8 bad[] = { 2, 3, 8, 0xff };
    const u64 good = 0x0007040600070406ULL;
    u64 pat;
    int i, j;

    if (!HAS_PAT()) {
        expect_rd_gp(MSR_PAT, "PAT not advertised");
        return;
    }
    if (!readable(MSR_PAT, &pat, "PAT")) {
        return;
    }
    report(pat == good, "PAT: the power-on value (0x%llx)",
           (unsigned long long)pat);
    expect_sticks(MSR_PAT, 0x0001050604070406ULL, "PAT: valid types");
    for (i = 0; i < 8; i += 7) {
        for (j = 0; j < ARRAY_SIZE(bad); j++) {
            u64 v = (good & ~(0xffULL << (8 * i))) | (u64)bad[j] << (8 * i);

            expect_wr_gp(MSR_PAT, v, "PAT: invalid memory type");
        }
    }
    wrmsr(MSR_PAT, pat);
}

static void test_syscall(void)
{
    static const struct {
        u32 msr;
        const char *name;
    } addrs[] = {
        { MSR_LSTAR, "LSTAR" }, { MSR_CSTAR, "CSTAR" },
        { MSR_FS_BASE, "FS_BASE" }, { MSR_GS_BASE, "GS_BASE" },
        { MSR_KERNEL_GS_BASE, "KERNEL_GS_BASE" },
    };
    int vbits = (cpuid(0x80000008).a >> 8) & 0xff;
    u64 gs, kgs;
    int i;

    expect_sticks(MSR_STAR, 0x0023001000000000ULL | 0x12345678,
                  "STAR");
    expect_sticks(MSR_SFMASK, 0x47700, "SFMASK");
    for (i = 0; i < ARRAY_SIZE(addrs); i++) {
        u64 old = rdmsr(addrs[i].msr);

        expect_sticks(addrs[i].msr, 0xffff8000deadb000ULL, addrs[i].name);
        expect_sticks(addrs[i].msr, 0x00007fffffffe000ULL, addrs[i].name);
        expect_wr_gp(addrs[i].msr, NONCANONICAL, "non-canonical address");
        /* The first address above the CPU's linear width (48 or 57). */
        expect_wr_gp(addrs[i].msr, 1ULL << (vbits - 1),
                     "non-canonical address (just above the linear width)");
        wrmsr(addrs[i].msr, old);
    }

    /* SWAPGS exchanges GS_BASE and KERNEL_GS_BASE. */
    gs = rdmsr(MSR_GS_BASE);
    kgs = rdmsr(MSR_KERNEL_GS_BASE);
    wrmsr(MSR_GS_BASE, 0x1000);
    wrmsr(MSR_KERNEL_GS_BASE, 0x2000);
    asm volatile("swapgs" : : : "memory");
    report(rdmsr(MSR_GS_BASE) == 0x2000 && rdmsr(MSR_KERNEL_GS_BASE) == 0x1000,
           "SWAPGS exchanges GS_BASE and KERNEL_GS_BASE");
    asm volatile("swapgs" : : : "memory");
    wrmsr(MSR_GS_BASE, gs);
    wrmsr(MSR_KERNEL_GS_BASE, kgs);
}

static void test_sysenter(void)
{
    expect_sticks(MSR_SYSENTER_CS, 0x10, "SYSENTER_CS");
    expect_sticks(MSR_SYSENTER_ESP, 0x9000, "SYSENTER_ESP");
    expect_sticks(MSR_SYSENTER_EIP, 0x100000, "SYSENTER_EIP");
    wrmsr(MSR_SYSENTER_CS, 0);
}

static void test_tsc(void)
{
    u64 t0, m, t1, aux_old;
    u32 aux;
    int v;

    t0 = rdtsc();
    m = rdmsr(MSR_TSC);
    t1 = rdtsc();
    report(t0 <= m && m <= t1,
           "TSC MSR lies between two RDTSCs (0x%llx 0x%llx 0x%llx)",
           (unsigned long long)t0, (unsigned long long)m,
           (unsigned long long)t1);

    wrmsr(MSR_TSC, 1ULL << 40);
    t0 = rdtsc();
    report(t0 >= (1ULL << 40) && t0 < (1ULL << 40) + (1ULL << 36),
           "TSC write: RDTSC goes on from the written value (0x%llx)",
           (unsigned long long)t0);

    if (HAS_TSC_ADJUST()) {
        u64 adj;

        report(rdmsr_safe(MSR_TSC_ADJUST, &adj) < 0,
               "TSC_ADJUST readable when advertised");
    } else {
        expect_rd_gp(MSR_TSC_ADJUST, "TSC_ADJUST not advertised");
    }

    if (HAS_RDTSCP() || HAS_RDPID()) {
        if (!readable(MSR_TSC_AUX, &aux_old, "TSC_AUX")) {
            return;
        }
        expect_sticks(MSR_TSC_AUX, 0x2a, "TSC_AUX");
        expect_wr_gp(MSR_TSC_AUX, 1ULL << 32, "TSC_AUX bits 63:32");
        wrmsr(MSR_TSC_AUX, 0x2a);       /* in case the write went in */
        if (HAS_RDTSCP()) {
            v = rdtscp_safe(&t0, &aux);
            report(v < 0 && aux == 0x2a, "RDTSCP returns TSC_AUX in ECX "
                   "(%s, 0x%x)", cf_vec_name(v), aux);
            /*
             * A port read goes out to QEMU, whose thread returns to
             * userspace: the host's TSC_AUX is back in the CPU meanwhile,
             * the guest's again when it runs.
             */
            inb(0x80);
            v = rdtscp_safe(&t0, &aux);
            report(v < 0 && aux == 0x2a, "RDTSCP after an exit to QEMU "
                   "still returns the guest's TSC_AUX (%s, 0x%x)",
                   cf_vec_name(v), aux);
        }
        if (HAS_RDPID()) {
            u64 id = 0;

            inb(0x80);
            asm volatile("1: rdpid %0\n2:\n\t" CF_EXTABLE(1b, 2b)
                         : "+r"(id) : : "memory");
            report(cf_vector < 0 && id == 0x2a, "RDPID returns TSC_AUX "
                   "(%s, 0x%llx)", cf_vec_name(cf_vector),
                   (unsigned long long)id);
        }
        wrmsr(MSR_TSC_AUX, aux_old);
    } else {
        expect_rd_gp(MSR_TSC_AUX, "TSC_AUX without RDTSCP or RDPID");
        v = rdtscp_safe(&t0, &aux);
        report(v == UD_VECTOR, "RDTSCP not advertised: #UD (%s)",
               cf_vec_name(v));
    }
}

static void test_apic_base(void)
{
    u64 base;

    if (!readable(MSR_APIC_BASE, &base, "APIC_BASE")) {
        return;
    }
    report((base & ~0xfffULL) == 0xfee00000, "APIC_BASE: base 0xfee00000");
    report(base & BIT(8), "APIC_BASE: BSP flag on the boot CPU");
    report(base & BIT(11), "APIC_BASE: enabled at reset");
    expect_wr_gp(MSR_APIC_BASE, base | BIT(0), "APIC_BASE reserved bit 0");
    if (!HAS_X2APIC()) {
        expect_wr_gp(MSR_APIC_BASE, base | BIT(10),
                     "APIC_BASE.EXTD without x2APIC");
    }
    report(rdmsr(MSR_APIC_BASE) == base, "APIC_BASE unchanged");
}

static void test_mtrr(void)
{
    u64 cap, def, base0, fix;

    if (!HAS_MTRR()) {
        expect_rd_gp(MSR_MTRRCAP, "MTRRs not advertised");
        return;
    }
    if (!readable(MSR_MTRRCAP, &cap, "MTRRcap") ||
        !readable(MSR_MTRR_DEF_TYPE, &def, "MTRRdefType")) {
        return;
    }
    expect_wr_gp(MSR_MTRRCAP, cap, "MTRRcap is read-only");
    expect_sticks(MSR_MTRR_DEF_TYPE, 0xc06, "MTRRdefType: E, FE, WB");
    expect_wr_gp(MSR_MTRR_DEF_TYPE, 0xc02, "MTRRdefType: type 2");
    expect_wr_gp(MSR_MTRR_DEF_TYPE, 0x1c06, "MTRRdefType: reserved bit 12");
    wrmsr(MSR_MTRR_DEF_TYPE, def);
    if ((cap & 0xff) == 0) {
        report_skip("no variable MTRRs (MTRRcap 0x%llx)",
                    (unsigned long long)cap);
    } else {
        base0 = rdmsr(MSR_MTRR_PHYSBASE0);
        expect_sticks(MSR_MTRR_PHYSBASE0, 0x80000000 | 6, "PHYSBASE0");
        expect_wr_gp(MSR_MTRR_PHYSBASE0, 0x80000000 | 7,
                     "PHYSBASE0: type 7");
        wrmsr(MSR_MTRR_PHYSBASE0, base0);
    }
    if (cap & BIT(8)) {
        fix = rdmsr(MSR_MTRR_FIX64K);
        expect_sticks(MSR_MTRR_FIX64K, 0x0606060606060606ULL, "FIX64K_00000");
        expect_wr_gp(MSR_MTRR_FIX64K, 0x0606060606060602ULL,
                     "FIX64K_00000: type 2");
        wrmsr(MSR_MTRR_FIX64K, fix);
    }
}

static void test_mca(void)
{
    u64 cap, status;

    if (!HAS_MCA()) {
        report_skip("MCA not advertised");
        return;
    }
    if (readable(MSR_MCG_CAP, &cap, "MCG_CAP")) {
        expect_wr_gp(MSR_MCG_CAP, cap, "MCG_CAP is read-only");
    }
    if (readable(MSR_MCG_STATUS, &status, "MCG_STATUS")) {
        expect_sticks(MSR_MCG_STATUS, 0, "MCG_STATUS");
    }
}

/* AMD's legacy performance counters exist on every AMD64 processor. */
static void test_amd_pmu(void)
{
    int i, r;
    u64 v = 0;

    if (!cf_is_amd()) {
        report_skip("AMD legacy PMU MSRs: not an AMD CPU");
        return;
    }
    for (i = 0; i < 4; i++) {
        report(wrmsr_safe(MSR_K7_EVNTSEL0 + i, 0) < 0,
               "PerfEvtSel%d (0x%x) takes 0", i, MSR_K7_EVNTSEL0 + i);
        report(wrmsr_safe(MSR_K7_PERFCTR0 + i, 0) < 0,
               "PerfCtr%d (0x%x) takes 0", i, MSR_K7_PERFCTR0 + i);
        r = rdmsr_safe(MSR_K7_EVNTSEL0 + i, &v);
        report(r < 0 && v == 0, "PerfEvtSel%d reads 0 after 0 (%s, 0x%llx)",
               i, cf_vec_name(r), (unsigned long long)v);
        report(rdmsr_safe(MSR_K7_PERFCTR0 + i, &v) < 0,
               "PerfCtr%d readable", i);
    }
    wrmsr_safe(MSR_K7_PERFCTR0, 0x1234);
    r = rdpmc_safe(0, &v);
    report(r < 0 && v == 0x1234, "RDPMC 0 reads PerfCtr0 (%s, 0x%llx)",
           cf_vec_name(r), (unsigned long long)v);
    wrmsr_safe(MSR_K7_PERFCTR0, 0);
    if (!HAS_PERFCTR_CORE()) {
        expect_rd_gp(MSR_F15H_PERF_CTL0, "PerfCtl0 without PERFCTR_CORE");
        r = rdpmc_safe(4, &v);
        report(r == GP_VECTOR, "RDPMC 4 without PERFCTR_CORE raises #GP (%s)",
               cf_vec_name(r));
    }
    report(rdmsr_safe(MSR_K7_HWCR, &v) < 0, "HWCR readable");
}

static void test_absent(void)
{
    static const u32 absent[] = { 0x00000bad, 0x00002000, 0x40001234,
                                  0xdead0000, 0xc0012000 };
    int i;

    for (i = 0; i < ARRAY_SIZE(absent); i++) {
        expect_rd_gp(absent[i], "no such MSR");
        expect_wr_gp(absent[i], 0, "no such MSR");
    }
}

void cf_main(void)
{
    test_efer();
    test_pat();
    test_syscall();
    test_sysenter();
    test_tsc();
    test_apic_base();
    test_mtrr();
    test_mca();
    test_amd_pmu();
    test_absent();
}
