/*
 * Conformance: CPUID says what the virtual CPU does.
 *
 * A feature CPUID advertises works; a control bit it does not advertise
 * is refused (CR4 bits raise #GP, instructions #UD); the values that
 * describe the CPU agree with the CPU (APIC ID, XCR0 components).
 *
 * This work is licensed under the terms of the GNU GPL, version 2 or later.
 */
#include "cf.h"

const char cf_test_name[] = "cpuid";

/* CR4 bits that exist exactly when CPUID says. */
static void test_cr4(void)
{
    static const struct {
        const char *name;
        int bit;
        u32 leaf, sub;
        int reg, feat;
    } bits[] = {
        { "VME", 0, 1, 0, CF_EDX, 1 },
        { "PCE", 8, 0, 0, -1, 0 },             /* always there */
        { "OSXSAVE", 18, 1, 0, CF_ECX, 26 },   /* with XSAVE */
        { "FSGSBASE", 16, 7, 0, CF_EBX, 0 },
        { "PCIDE", 17, 1, 0, CF_ECX, 17 },
        { "SMEP", 20, 7, 0, CF_EBX, 7 },
        { "SMAP", 21, 7, 0, CF_EBX, 20 },
        { "UMIP", 11, 7, 0, CF_ECX, 2 },
        { "PKE", 22, 7, 0, CF_ECX, 3 },
    };
    u64 cr4 = read_cr4();
    int i;

    for (i = 0; i < ARRAY_SIZE(bits); i++) {
        bool has = bits[i].reg < 0 ||
                   cf_has(bits[i].leaf, bits[i].sub, bits[i].reg,
                          bits[i].feat);
        int v = write_cr4_safe(cr4 | BIT(bits[i].bit));

        if (has) {
            report(v < 0 && (read_cr4() & BIT(bits[i].bit)),
                   "CR4.%s, advertised, can be set (%s)", bits[i].name,
                   cf_vec_name(v));
        } else {
            report(v == GP_VECTOR, "CR4.%s, not advertised, raises #GP (%s)",
                   bits[i].name, cf_vec_name(v));
        }
        write_cr4(cr4);
    }
}

static void test_osxsave(void)
{
    u64 cr4 = read_cr4();

    if (!cf_has(1, 0, CF_ECX, 26)) {
        report_skip("XSAVE not advertised");
        return;
    }
    report(!cf_has(1, 0, CF_ECX, 27), "OSXSAVE clear while CR4.OSXSAVE is");
    write_cr4(cr4 | BIT(18));
    report(cf_has(1, 0, CF_ECX, 27), "OSXSAVE set with CR4.OSXSAVE");
    write_cr4(cr4);
}

static int xsetbv_safe(u64 v)
{
    cf_vector = -1;
    asm volatile("1: xsetbv\n2:\n\t" CF_EXTABLE(1b, 2b)
                 : : "c"(0), "a"((u32)v), "d"((u32)(v >> 32)) : "memory");
    return cf_vector;
}

static u64 xgetbv0(void)
{
    u32 a, d;

    asm volatile("xgetbv" : "=a"(a), "=d"(d) : "c"(0));
    return a | (u64)d << 32;
}

static void test_xcr0(void)
{
    u64 cr4 = read_cr4(), supported;
    struct cpuid r;
    int i;

    if (!cf_has(1, 0, CF_ECX, 26)) {
        report_skip("XSAVE not advertised");
        return;
    }
    r = cpuid_count(0xd, 0);
    supported = r.a | (u64)r.d << 32;
    report((supported & 3) == 3, "XCR0 supports x87 and SSE (0x%llx)",
           (unsigned long long)supported);
    write_cr4(cr4 | BIT(18));
    report(xgetbv0() == 1, "XCR0 is 1 at reset (0x%llx)",
           (unsigned long long)xgetbv0());
    report(xsetbv_safe(supported) < 0 && xgetbv0() == supported,
           "XSETBV with every supported component (0x%llx)",
           (unsigned long long)supported);
    for (i = 0; i < 64; i++) {
        u64 bit = BIT(i);

        if (supported & bit) {
            continue;
        }
        if (i == 0 || (i > 9 && i != 17 && i != 18 && i < 63)) {
            continue;           /* one check per architectural component */
        }
        report(xsetbv_safe(3 | bit) == GP_VECTOR,
               "XSETBV with unsupported component %d raises #GP", i);
    }
    report(xsetbv_safe(0) == GP_VECTOR, "XSETBV without x87 raises #GP");
    if (supported & 4) {
        report(xsetbv_safe(5) == GP_VECTOR, "XSETBV with AVX but not SSE "
               "raises #GP");
    }
    xsetbv_safe(1);
    write_cr4(cr4);
    cf_vector = -1;
    asm volatile("1: xgetbv\n2:\n\t" CF_EXTABLE(1b, 2b)
                 : : "c"(0) : "rax", "rdx", "memory");
    report(cf_vector == UD_VECTOR, "XGETBV with CR4.OSXSAVE clear raises "
           "#UD (%s)", cf_vec_name(cf_vector));
}

static void test_instructions(void)
{
    u64 v;

    cf_vector = -1;
    asm volatile("1: rdrand %0\n2:\n\t" CF_EXTABLE(1b, 2b)
                 : "=r"(v) : : "memory", "cc");
    if (cf_has(1, 0, CF_ECX, 30)) {
        report(cf_vector < 0, "RDRAND, advertised, runs (%s)",
               cf_vec_name(cf_vector));
    } else {
        report(cf_vector == UD_VECTOR || cf_vector < 0,
               "RDRAND, not advertised: #UD or runs (%s)",
               cf_vec_name(cf_vector));
    }
    if (cf_has(7, 0, CF_ECX, 22)) {
        cf_vector = -1;
        asm volatile("1: rdpid %0\n2:\n\t" CF_EXTABLE(1b, 2b)
                     : "=r"(v) : : "memory");
        report(cf_vector < 0, "RDPID, advertised, runs (%s)",
               cf_vec_name(cf_vector));
    } else {
        report_skip("RDPID not advertised");
    }
}

static void test_identity(void)
{
    u32 apic_id = *(volatile u32 *)0xfee00020 >> 24; /* volatile: MMIO */
    struct cpuid r = cpuid(1);
    char v1[13], v2[13];

    report((r.b >> 24) == apic_id, "CPUID.1 EBX APIC ID matches the local "
           "APIC's (%u, %u)", r.b >> 24, apic_id);
    report(cf_has(1, 0, CF_EDX, 9), "the local APIC is advertised");
    r = cpuid(0);
    memcpy(v1, &r.b, 4);
    memcpy(v1 + 4, &r.d, 4);
    memcpy(v1 + 8, &r.c, 4);
    v1[12] = 0;
    r = cpuid(0x80000000);
    memcpy(v2, &r.b, 4);
    memcpy(v2 + 4, &r.d, 4);
    memcpy(v2 + 8, &r.c, 4);
    v2[12] = 0;
    report(!cf_is_amd() || !strcmp(v1, v2),
           "an AMD CPU names its vendor in leaf 0x80000000 too (%s, %s)", v1,
           v2);
    r = cpuid(0x80000008);
    report((r.a & 0xff) >= 36 && (r.a & 0xff) <= 52 &&
           ((r.a >> 8) & 0xff) >= 48,
           "address sizes are sane (%u physical, %u linear)", r.a & 0xff,
           (r.a >> 8) & 0xff);
}

void cf_main(void)
{
    test_identity();
    test_cr4();
    test_osxsave();
    test_xcr0();
    test_instructions();
}
