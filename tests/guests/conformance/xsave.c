/*
 * Conformance: XSAVE, XRSTOR and the extended register state.
 *
 * CPUID leaf 0xD describes XCR0's components and the XSAVE area, and the
 * size it gives follows XCR0; XSETBV refuses the invalid combinations and
 * XGETBV reads what it took; the x87, SSE, AVX and AVX-512 registers go
 * through XSAVE and XRSTOR (and XSAVEOPT, XSAVEC, XSAVES where CPUID.0xD.1
 * has them) and come back, each where CPUID says in the area, XSTATE_BV
 * naming them; an XSTATE_BV bit clear restores the init state, an RFBM
 * bit clear leaves the registers alone; the registers survive exits to the
 * hypervisor and to QEMU; CR4.OSXSAVE and XCR0 gate the instructions.
 *
 * The kernels are built with -mgeneral-regs-only: the compiler leaves the
 * x87 and vector registers alone, and the asm here loads and stores them.
 *
 * This work is licensed under the terms of the GNU GPL, version 2 or later.
 */
#include "cf.h"

const char cf_test_name[] = "xsave";

#define CR0_MP          BIT(1)
#define CR0_EM          BIT(2)
#define CR0_TS          BIT(3)
#define CR4_OSFXSR      BIT(9)
#define CR4_OSXSAVE     BIT(18)

#define MSR_XSS         0x00000da0

/* XCR0 components */
#define XC_X87          BIT(0)
#define XC_SSE          BIT(1)
#define XC_AVX          BIT(2)
#define XC_OPMASK       BIT(5)
#define XC_ZMM_HI256    BIT(6)
#define XC_HI16_ZMM     BIT(7)
#define XC_AVX512       (XC_OPMASK | XC_ZMM_HI256 | XC_HI16_ZMM)

/* The XSAVE area: legacy region, header, extended region. */
#define XS_HEADER       512
#define XS_EXTENDED     576
#define XCOMP_COMPACT   BIT(63)

#define HAS_XSAVE()     cf_has(1, 0, CF_ECX, 26)
#define HAS_AVX512F()   cf_has(7, 0, CF_EBX, 16)
#define HAS_XSAVEOPT()  cf_has(0xd, 1, CF_EAX, 0)
#define HAS_XSAVEC()    cf_has(0xd, 1, CF_EAX, 1)
#define HAS_XSAVES()    cf_has(0xd, 1, CF_EAX, 3)

/* The registers this file loads and compares. */
struct regs {
    u8 vec[32][64];     /* ZMM0-31; YMM and XMM are the low bytes */
    u16 k[8];           /* k0-k7, 16 bits (KMOVW) */
    u32 st[8];          /* the x87 stack as integers, ST0 first */
    u16 fcw;
    u32 mxcsr;
};

static u64 supported;   /* CPUID.0xD.0 EDX:EAX */
static u64 xcr0_test;   /* what the register tests enable */
static bool has_avx, has_avx512;
static u32 comp_size[64], comp_off[64];
static bool comp_align[64];
static struct regs pat_a, pat_b, got;
static u8 area[16384] __attribute__((aligned(64)));
static u8 area2[16384] __attribute__((aligned(64)));

static const char *const comp_name[8] = {
    "x87", "SSE", "AVX", NULL, NULL, "AVX-512 opmask", "AVX-512 ZMM_Hi256",
    "AVX-512 Hi16_ZMM",
};

/* ---- Instructions ---- */

static int xsetbv_safe(u32 xcr, u64 v)
{
    cf_vector = -1;
    asm volatile("1: xsetbv\n2:\n\t" CF_EXTABLE(1b, 2b)
                 : : "c"(xcr), "a"((u32)v), "d"((u32)(v >> 32)) : "memory");
    return cf_vector;
}

static int xgetbv_safe(u32 xcr, u64 *v)
{
    u32 a = 0, d = 0;

    cf_vector = -1;
    asm volatile("1: xgetbv\n2:\n\t" CF_EXTABLE(1b, 2b)
                 : "+a"(a), "+d"(d) : "c"(xcr) : "memory");
    *v = a | (u64)d << 32;
    return cf_vector;
}

static u64 xgetbv0(void)
{
    u64 v;

    xgetbv_safe(0, &v);
    return v;
}

/* name_safe(p, rfbm): the instruction on the area at p; vector or -1. */
#define XSAVE_OP(name)                                                   \
    static int name##_safe(void *p, u64 rfbm)                            \
    {                                                                    \
        cf_vector = -1;                                                  \
        asm volatile("1: " #name " (%0)\n2:\n\t" CF_EXTABLE(1b, 2b)     \
                     : : "r"(p), "a"((u32)rfbm), "d"((u32)(rfbm >> 32))  \
                     : "memory");                                        \
        return cf_vector;                                                \
    }
XSAVE_OP(xsave)
XSAVE_OP(xrstor)
XSAVE_OP(xsaveopt)
XSAVE_OP(xsavec)
XSAVE_OP(xsaves)
XSAVE_OP(xrstors)

static u64 *xstate_bv(u8 *a)
{
    return (u64 *)(a + XS_HEADER);
}

static u64 *xcomp_bv(u8 *a)
{
    return (u64 *)(a + XS_HEADER + 8);
}

/* ---- The registers ---- */

static void regs_load(const struct regs *r)
{
    asm volatile("fninit\n\t"
                 "fldcw %1\n\t"
                 ".irp i,7,6,5,4,3,2,1,0\n\t"
                 "fildl \\i*4(%0)\n\t"
                 ".endr\n\t"
                 "ldmxcsr %2"
                 : : "r"(r->st), "m"(r->fcw), "m"(r->mxcsr) : "memory");
    if (has_avx512) {
        asm volatile(".irp i,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,"
                     "16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31\n\t"
                     "vmovdqu64 \\i*64(%0), %%zmm\\i\n\t"
                     ".endr\n\t"
                     ".irp i,0,1,2,3,4,5,6,7\n\t"
                     "kmovw \\i*2(%1), %%k\\i\n\t"
                     ".endr"
                     : : "r"(r->vec), "r"(r->k) : "memory");
    } else if (has_avx) {
        asm volatile(".irp i,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n\t"
                     "vmovdqu \\i*64(%0), %%ymm\\i\n\t"
                     ".endr"
                     : : "r"(r->vec) : "memory");
    } else {
        asm volatile(".irp i,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n\t"
                     "movdqu \\i*64(%0), %%xmm\\i\n\t"
                     ".endr"
                     : : "r"(r->vec) : "memory");
    }
}

/* Store the registers in *r (popping the x87 stack). */
static void regs_store(struct regs *r)
{
    memset(r, 0, sizeof(*r));
    asm volatile("fnstcw %0\n\t"
                 ".irp i,0,1,2,3,4,5,6,7\n\t"
                 "fistpl \\i*4(%2)\n\t"
                 ".endr\n\t"
                 "stmxcsr %1"
                 : "=m"(r->fcw), "=m"(r->mxcsr) : "r"(r->st) : "memory");
    if (has_avx512) {
        asm volatile(".irp i,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,"
                     "16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31\n\t"
                     "vmovdqu64 %%zmm\\i, \\i*64(%0)\n\t"
                     ".endr\n\t"
                     ".irp i,0,1,2,3,4,5,6,7\n\t"
                     "kmovw %%k\\i, \\i*2(%1)\n\t"
                     ".endr"
                     : : "r"(r->vec), "r"(r->k) : "memory");
    } else if (has_avx) {
        asm volatile(".irp i,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n\t"
                     "vmovdqu %%ymm\\i, \\i*64(%0)\n\t"
                     ".endr"
                     : : "r"(r->vec) : "memory");
    } else {
        asm volatile(".irp i,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n\t"
                     "movdqu %%xmm\\i, \\i*64(%0)\n\t"
                     ".endr"
                     : : "r"(r->vec) : "memory");
    }
}

static void make_patterns(void)
{
    int i, j;

    for (i = 0; i < 32; i++) {
        for (j = 0; j < 64; j++) {
            pat_a.vec[i][j] = (i * 64 + j) * 13 + 1;
            pat_b.vec[i][j] = ~pat_a.vec[i][j];
        }
    }
    for (i = 0; i < 8; i++) {
        pat_a.k[i] = 0xa500 + i * 0x11;
        pat_b.k[i] = ~pat_a.k[i];
        pat_a.st[i] = 1000 + i;
        pat_b.st[i] = -3 * (i + 1);
    }
    pat_a.fcw = 0x27f;          /* every exception masked, 53 bits */
    pat_b.fcw = 0xf7f;          /* every exception masked, RC 11b */
    pat_a.mxcsr = 0x7f80;       /* every exception masked, RC 11b */
    pat_b.mxcsr = 0x3f80;
}

/* Component c of a and b agree (the parts this file loads). */
static bool comp_same(int c, const struct regs *a, const struct regs *b)
{
    int i;

    for (i = 0; i < 32; i++) {
        const u8 *p = a->vec[i], *q = b->vec[i];

        if ((c == 1 && i < 16 && memcmp(p, q, 16)) ||
            (c == 2 && i < 16 && memcmp(p + 16, q + 16, 16)) ||
            (c == 6 && i < 16 && memcmp(p + 32, q + 32, 32)) ||
            (c == 7 && i >= 16 && memcmp(p, q, 64))) {
            return false;
        }
    }
    switch (c) {
    case 0:
        return a->fcw == b->fcw && !memcmp(a->st, b->st, sizeof(a->st));
    case 1:
        return a->mxcsr == b->mxcsr;
    case 5:
        return !memcmp(a->k, b->k, sizeof(a->k));
    }
    return true;
}

/* Component c of r is zero (the vector and opmask components). */
static bool comp_zero(int c, const struct regs *r)
{
    static const struct regs zero;
    struct regs t = *r;

    t.mxcsr = 0;
    return comp_same(c, &t, &zero);
}

/* The components of xcr0_test whose registers differ between a and b. */
static u64 comps_differ(const struct regs *a, const struct regs *b)
{
    u64 m = 0;
    int c;

    for (c = 0; c < 8; c++) {
        if ((xcr0_test & BIT(c)) && !comp_same(c, a, b)) {
            m |= BIT(c);
        }
    }
    return m;
}

/* "how: <component> comes back", for every component of xcr0_test. */
static void report_back(const char *how, const struct regs *want)
{
    int c;

    regs_store(&got);
    for (c = 0; c < 8; c++) {
        if (xcr0_test & BIT(c)) {
            report(comp_same(c, want, &got), "%s: the %s registers come back",
                   how, comp_name[c]);
        }
    }
}

/* Component c of the area (at off in it) holds r's registers. */
static bool area_has(const u8 *a, int c, u32 off, const struct regs *r)
{
    u64 k;
    int i;

    for (i = 0; i < 16; i++) {
        if ((c == 1 && memcmp(a + 160 + 16 * i, r->vec[i], 16)) ||
            (c == 2 && memcmp(a + off + 16 * i, r->vec[i] + 16, 16)) ||
            (c == 6 && memcmp(a + off + 32 * i, r->vec[i] + 32, 32)) ||
            (c == 7 && memcmp(a + off + 64 * i, r->vec[16 + i], 64))) {
            return false;
        }
    }
    switch (c) {
    case 0:
        return *(const u16 *)a == r->fcw;
    case 1:
        return *(const u32 *)(a + 24) == r->mxcsr;
    case 5:
        for (i = 0; i < 8; i++) {
            memcpy(&k, a + off + 8 * i, 8);
            if (k != r->k[i]) {
                return false;
            }
        }
    }
    return true;
}

/* The offset of each component in the compacted format for xcomp. */
static void compacted_offsets(u64 xcomp, u32 *off)
{
    u32 o = XS_EXTENDED;
    int i;

    for (i = 2; i < 63; i++) {
        off[i] = 0;
        if (!(xcomp & BIT(i))) {
            continue;
        }
        if (comp_align[i]) {
            o = (o + 63) & ~63U;
        }
        off[i] = o;
        o += comp_size[i];
    }
}

/* The area holds pat_a's registers: one report per component. */
static void report_area(const char *how, const u8 *a, const u32 *off)
{
    int c;

    for (c = 0; c < 8; c++) {
        if (xcr0_test & BIT(c)) {
            report(area_has(a, c, off[c], &pat_a), "%s: the %s registers "
                   "are in the area where CPUID.0xD says (offset %u)", how,
                   comp_name[c], c < 2 ? 0 : off[c]);
        }
    }
}

/* ---- CPUID.0xD ---- */

/* The XSAVE area's size for an XCR0, from the sub-leaves. */
static u32 expected_size(u64 xcr0)
{
    u32 size = XS_EXTENDED;
    int i;

    for (i = 2; i < 63; i++) {
        if ((xcr0 & BIT(i)) && comp_off[i] + comp_size[i] > size) {
            size = comp_off[i] + comp_size[i];
        }
    }
    return size;
}

/* XSETBV xcr0, then CPUID.0xD.0 EBX is its size. */
static u32 check_size(u64 xcr0, const char *what)
{
    int v = xsetbv_safe(0, xcr0);
    u64 now = xgetbv0();
    u32 ebx = cpuid_count(0xd, 0).b;

    report(v < 0 && now == xcr0, "XSETBV %s, XGETBV reads it back (%s, "
           "0x%llx for 0x%llx)", what, cf_vec_name(v),
           (unsigned long long)now, (unsigned long long)xcr0);
    report(ebx == expected_size(xcr0), "CPUID.0xD.0 EBX with XCR0 = %s is "
           "the end of its highest component (%u, %u expected)", what, ebx,
           expected_size(xcr0));
    return ebx;
}

static void test_cpuid(void)
{
    struct cpuid r = cpuid_count(0xd, 0), s;
    u32 ebx3, ebx7;
    int i, bad = -1;

    report((supported & (XC_X87 | XC_SSE)) == (XC_X87 | XC_SSE),
           "CPUID.0xD.0 EAX: x87 and SSE supported (0x%llx)",
           (unsigned long long)supported);
    report(!(supported & (BIT(8) | BIT(10) | BIT(11) | BIT(12) | BIT(13) |
                          BIT(14) | BIT(15) | BIT(16) | BIT(63))),
           "CPUID.0xD.0 EDX:EAX: no supervisor or reserved components "
           "(0x%llx)", (unsigned long long)supported);
    for (i = 2; i < 63; i++) {
        if (!(supported & BIT(i))) {
            continue;
        }
        s = cpuid_count(0xd, i);
        if (!s.a || s.b < XS_EXTENDED || s.b + s.a > r.c || (s.c & 1)) {
            bad = i;
        }
    }
    report(bad < 0, "CPUID.0xD sub-leaves of the XCR0 components: a size, "
           "an offset past the header, within ECX, not supervisor "
           "(first bad: %d)", bad);

    ebx3 = check_size(XC_X87 | XC_SSE, "x87|SSE");
    if (has_avx) {
        ebx7 = check_size(XC_X87 | XC_SSE | XC_AVX, "x87|SSE|AVX");
        report(ebx7 > ebx3, "CPUID.0xD.0 EBX grows with XCR0.AVX "
               "(%u, then %u)", ebx3, ebx7);
    }
    check_size(supported, "every supported component");
    r = cpuid_count(0xd, 0);
    report(r.c >= r.b && r.c == expected_size(supported),
           "CPUID.0xD.0 ECX: the size for every supported component, "
           ">= EBX (%u, EBX %u)", r.c, r.b);
    xsetbv_safe(0, XC_X87 | XC_SSE);
    r = cpuid_count(0xd, 0);
    report(r.c == expected_size(supported), "CPUID.0xD.0 ECX does not "
           "depend on XCR0 (%u)", r.c);
    s = cpuid_count(0xd, 1);
    report_info("CPUID.0xD.1 EAX (0x%x): XSAVEOPT %d, XSAVEC %d, XGETBV1 %d, "
                "XSAVES %d", s.a, s.a & 1, (s.a >> 1) & 1, (s.a >> 2) & 1,
                (s.a >> 3) & 1);
}

/* ---- XSETBV and XGETBV ---- */

static void expect_xsetbv_gp(u32 xcr, u64 v, const char *what)
{
    u64 before = xgetbv0();
    int r = xsetbv_safe(xcr, v);

    report(r == GP_VECTOR && xgetbv0() == before, "XSETBV %s: #GP, XCR0 "
           "unchanged (%s, 0x%llx)", what, cf_vec_name(r),
           (unsigned long long)v);
}

static void test_xsetbv(void)
{
    u64 v;
    int i, r;

    xsetbv_safe(0, XC_X87 | XC_SSE);
    expect_xsetbv_gp(0, XC_SSE, "without x87");
    expect_xsetbv_gp(0, XC_X87 | XC_AVX, "with AVX but not SSE");
    expect_xsetbv_gp(0, XC_X87 | XC_SSE | XC_AVX512,
                     "with AVX-512 but not AVX");
    expect_xsetbv_gp(0, XC_X87 | XC_SSE | XC_AVX | XC_OPMASK,
                     "with AVX-512 opmask alone");
    expect_xsetbv_gp(0, XC_X87 | XC_SSE | XC_AVX | XC_OPMASK |
                     XC_ZMM_HI256, "with AVX-512 opmask and ZMM_Hi256 only");
    expect_xsetbv_gp(0, XC_X87 | XC_SSE | XC_AVX | XC_ZMM_HI256 |
                     XC_HI16_ZMM, "with AVX-512 ZMM_Hi256 and Hi16_ZMM only");
    for (i = 2; i < 63 && (supported & BIT(i)); i++) {
        /* the first component CPUID.0xD.0 does not list */
    }
    r = xsetbv_safe(0, XC_X87 | XC_SSE | BIT(i));
    report(r == GP_VECTOR, "XSETBV with the first unsupported component "
           "raises #GP (bit %d; %s)", i, cf_vec_name(r));
    expect_xsetbv_gp(0, XC_X87 | XC_SSE | BIT(63), "with bit 63");
    expect_xsetbv_gp(1, XC_X87 | XC_SSE, "to XCR1");
    r = xgetbv_safe(2, &v);
    report(r == GP_VECTOR, "XGETBV of XCR2 (none) raises #GP (%s)",
           cf_vec_name(r));
    if (cf_has(0xd, 1, CF_EAX, 2)) {
        xsetbv_safe(0, XC_X87 | XC_SSE);
        r = xgetbv_safe(1, &v);
        report(r < 0 && !(v & ~(XC_X87 | XC_SSE)),
               "XGETBV of XCR1 (XINUSE): within XCR0 (%s, 0x%llx)",
               cf_vec_name(r), (unsigned long long)v);
    }
}

/* ---- Saving and restoring the registers ---- */

static void test_save_restore(void)
{
    u32 off[64];
    u64 bv;
    int v, c;

    xsetbv_safe(0, xcr0_test);
    memset(area, 0, sizeof(area));
    regs_load(&pat_a);
    v = xsave_safe(area, xcr0_test);
    regs_load(&pat_b);
    bv = *xstate_bv(area);
    report(v < 0 && (bv & xcr0_test) == xcr0_test && !(bv & ~xcr0_test),
           "XSAVE: XSTATE_BV has every component in use, nothing else "
           "(%s, 0x%llx, XCR0 0x%llx)", cf_vec_name(v),
           (unsigned long long)bv, (unsigned long long)xcr0_test);
    report(*xcomp_bv(area) == 0, "XSAVE leaves XCOMP_BV alone (0x%llx)",
           (unsigned long long)*xcomp_bv(area));
    report_area("XSAVE", area, comp_off);
    v = xrstor_safe(area, xcr0_test);
    report(v < 0, "XRSTOR of XSAVE's area (%s)", cf_vec_name(v));
    report_back("XSAVE, clobber, XRSTOR", &pat_a);

    /* Exits to the hypervisor and to QEMU keep the registers. */
    regs_load(&pat_a);
    cpuid(0);
    inb(0x80);
    rdmsr(0x1b);
    cpuid(1);
    report_back("CPUID, IN, RDMSR", &pat_a);

    /* RFBM without SSE: the XMM area is left alone. */
    memset(area2, 0xcc, 512);
    memset(area2 + XS_HEADER, 0, 64);
    regs_load(&pat_a);
    v = xsave_safe(area2, XC_X87);
    bv = *xstate_bv(area2);
    report(v < 0 && bv == XC_X87 && area2[160] == 0xcc &&
           area2[415] == 0xcc && area_has(area2, 0, 0, &pat_a),
           "XSAVE with RFBM = x87: x87 saved, XMM area and XSTATE_BV's "
           "other bits left alone (%s, 0x%llx, 0x%x)", cf_vec_name(v),
           (unsigned long long)bv, area2[160]);

    /* XRSTOR with an RFBM bit clear leaves that component alone. */
    regs_load(&pat_b);
    v = xrstor_safe(area, XC_X87);
    regs_store(&got);
    report(v < 0 && comp_same(0, &pat_a, &got) &&
           !(comps_differ(&pat_b, &got) & ~XC_X87),
           "XRSTOR with RFBM = x87: x87 restored, the other components "
           "keep their values (%s, differing 0x%llx)", cf_vec_name(v),
           (unsigned long long)comps_differ(&pat_b, &got));

    /* XSTATE_BV[1] clear: SSE is initialized, the rest loaded. */
    memcpy(area2, area, sizeof(area));
    *xstate_bv(area2) &= ~XC_SSE;
    regs_load(&pat_b);
    v = xrstor_safe(area2, xcr0_test);
    regs_store(&got);
    report(v < 0 && comp_zero(1, &got) &&
           !(comps_differ(&pat_a, &got) & ~XC_SSE),
           "XRSTOR with XSTATE_BV[1] clear: XMM registers zero, the rest "
           "loaded (%s, differing from the area 0x%llx)", cf_vec_name(v),
           (unsigned long long)comps_differ(&pat_a, &got));

    /* XSTATE_BV clear: everything in its init state. */
    *xstate_bv(area2) = 0;
    regs_load(&pat_b);
    v = xrstor_safe(area2, xcr0_test);
    {
        struct {
            u32 fcw, fsw, ftw, rest[4];
        } env;

        asm volatile("fnstenv %0" : "=m"(env));
        report(v < 0 && (env.fcw & 0xffff) == 0x37f &&
               (env.fsw & 0xffff) == 0 && (env.ftw & 0xffff) == 0xffff,
               "XRSTOR with XSTATE_BV clear: x87 in its init state (%s, "
               "FCW 0x%x, FSW 0x%x, FTW 0x%x)", cf_vec_name(v),
               env.fcw & 0xffff, env.fsw & 0xffff, env.ftw & 0xffff);
    }
    regs_store(&got);
    for (c = 1; c < 8; c++) {
        if (xcr0_test & BIT(c)) {
            report(comp_zero(c, &got), "XRSTOR with XSTATE_BV clear: the "
                   "%s registers are zero", comp_name[c]);
        }
    }

    /* What XRSTOR refuses. */
    memcpy(area2, area, sizeof(area));
    area2[XS_HEADER + 16] = 1;
    v = xrstor_safe(area2, xcr0_test);
    report(v == GP_VECTOR, "XRSTOR with header byte 16 non-zero raises #GP "
           "(%s)", cf_vec_name(v));
    memcpy(area2, area, sizeof(area));
    *xstate_bv(area2) |= BIT(62);
    v = xrstor_safe(area2, xcr0_test);
    report(v == GP_VECTOR, "XRSTOR with an XSTATE_BV bit XCR0 does not have "
           "raises #GP (%s)", cf_vec_name(v));
    v = xsave_safe(area + 8, xcr0_test);
    report(v == GP_VECTOR, "XSAVE to an area not 64-byte aligned raises #GP "
           "(%s)", cf_vec_name(v));
    v = xrstor_safe(area + 32, xcr0_test);
    report(v == GP_VECTOR, "XRSTOR from an area not 64-byte aligned raises "
           "#GP (%s)", cf_vec_name(v));

    if (HAS_XSAVEOPT()) {
        memset(area2, 0, sizeof(area2));
        regs_load(&pat_a);
        v = xsaveopt_safe(area2, xcr0_test);
        bv = *xstate_bv(area2);
        report(v < 0 && (bv & xcr0_test) == xcr0_test,
               "XSAVEOPT: XSTATE_BV has every component in use (%s, 0x%llx)",
               cf_vec_name(v), (unsigned long long)bv);
        report_area("XSAVEOPT", area2, comp_off);
        regs_load(&pat_b);
        xrstor_safe(area2, xcr0_test);
        report_back("XSAVEOPT, clobber, XRSTOR", &pat_a);

        /* Restored from area2, XMM0 changed, an exit: saved again. */
        regs_load(&pat_a);
        xrstor_safe(area2, xcr0_test);
        cpuid(0);
        asm volatile("movdqu %0, %%xmm0" : : "m"(pat_b.vec[0][0]));
        inb(0x80);
        v = xsaveopt_safe(area2, xcr0_test);
        report(v < 0 && !memcmp(area2 + 160, pat_b.vec[0], 16),
               "XSAVEOPT after XRSTOR from the same area saves an XMM0 "
               "changed since (%s)", cf_vec_name(v));
    } else {
        report_skip("XSAVEOPT not advertised");
    }

    if (HAS_XSAVEC()) {
        compacted_offsets(xcr0_test, off);
        memset(area2, 0, sizeof(area2));
        regs_load(&pat_a);
        v = xsavec_safe(area2, xcr0_test);
        bv = *xstate_bv(area2);
        report(v < 0 && *xcomp_bv(area2) == (xcr0_test | XCOMP_COMPACT),
               "XSAVEC: XCOMP_BV is bit 63 and RFBM (%s, 0x%llx)",
               cf_vec_name(v), (unsigned long long)*xcomp_bv(area2));
        report((bv & xcr0_test) == xcr0_test && !(bv & ~xcr0_test),
               "XSAVEC: XSTATE_BV has every component in use, nothing else "
               "(0x%llx)", (unsigned long long)bv);
        report_area("XSAVEC (compacted)", area2, off);
        regs_load(&pat_b);
        v = xrstor_safe(area2, xcr0_test);
        report(v < 0, "XRSTOR of XSAVEC's compacted area (%s)",
               cf_vec_name(v));
        report_back("XSAVEC, clobber, XRSTOR", &pat_a);
    } else {
        report_skip("XSAVEC not advertised");
    }

    if (HAS_XSAVES()) {
        u64 xss;

        if (rdmsr_safe(MSR_XSS, &xss) >= 0 || wrmsr_safe(MSR_XSS, 0) >= 0) {
            report(false, "XSAVES advertised: IA32_XSS reads and takes 0");
        } else {
            compacted_offsets(xcr0_test, off);
            memset(area2, 0, sizeof(area2));
            regs_load(&pat_a);
            v = xsaves_safe(area2, xcr0_test);
            report(v < 0 && *xcomp_bv(area2) == (xcr0_test | XCOMP_COMPACT),
                   "XSAVES: XCOMP_BV is bit 63 and RFBM (%s, 0x%llx)",
                   cf_vec_name(v), (unsigned long long)*xcomp_bv(area2));
            report_area("XSAVES", area2, off);
            regs_load(&pat_b);
            v = xrstors_safe(area2, xcr0_test);
            report(v < 0, "XRSTORS of XSAVES's area (%s)", cf_vec_name(v));
            report_back("XSAVES, clobber, XRSTORS", &pat_a);
            v = xrstors_safe(area, xcr0_test);
            report(v == GP_VECTOR, "XRSTORS from a standard-format area "
                   "raises #GP (%s)", cf_vec_name(v));
            wrmsr(MSR_XSS, xss);
        }
    } else {
        report_skip("XSAVES not advertised");
    }
}

/* ---- What CR4.OSXSAVE and XCR0 allow ---- */

static int vex_safe(void)
{
    cf_vector = -1;
    asm volatile("1: vpxor %%xmm0, %%xmm0, %%xmm0\n2:\n\t"
                 CF_EXTABLE(1b, 2b) : : : "memory");
    return cf_vector;
}

static int evex_safe(void)
{
    cf_vector = -1;
    asm volatile("1: vpxorq %%zmm0, %%zmm0, %%zmm0\n2:\n\t"
                 CF_EXTABLE(1b, 2b) : : : "memory");
    return cf_vector;
}

static void test_enables(void)
{
    u64 cr4 = read_cr4(), v64;
    int v;

    if (has_avx) {
        xsetbv_safe(0, XC_X87 | XC_SSE);
        v = vex_safe();
        report(v == UD_VECTOR, "a VEX instruction with XCR0.AVX clear "
               "raises #UD (%s)", cf_vec_name(v));
        xsetbv_safe(0, XC_X87 | XC_SSE | XC_AVX);
        v = vex_safe();
        report(v < 0, "a VEX instruction with XCR0.AVX set runs (%s)",
               cf_vec_name(v));
    }
    if (has_avx512) {
        v = evex_safe();
        report(v == UD_VECTOR, "an EVEX instruction with XCR0's AVX-512 "
               "bits clear raises #UD (%s)", cf_vec_name(v));
        xsetbv_safe(0, xcr0_test);
        v = evex_safe();
        report(v < 0, "an EVEX instruction with XCR0's AVX-512 bits set "
               "runs (%s)", cf_vec_name(v));
    }

    xsetbv_safe(0, xcr0_test);
    write_cr4(cr4 & ~CR4_OSXSAVE);
    v = xgetbv_safe(0, &v64);
    report(v == UD_VECTOR, "XGETBV with CR4.OSXSAVE clear raises #UD (%s)",
           cf_vec_name(v));
    v = xsetbv_safe(0, XC_X87 | XC_SSE);
    report(v == UD_VECTOR, "XSETBV with CR4.OSXSAVE clear raises #UD (%s)",
           cf_vec_name(v));
    v = xsave_safe(area, XC_X87 | XC_SSE);
    report(v == UD_VECTOR, "XSAVE with CR4.OSXSAVE clear raises #UD (%s)",
           cf_vec_name(v));
    v = xrstor_safe(area, XC_X87 | XC_SSE);
    report(v == UD_VECTOR, "XRSTOR with CR4.OSXSAVE clear raises #UD (%s)",
           cf_vec_name(v));
    if (has_avx) {
        v = vex_safe();
        report(v == UD_VECTOR, "a VEX instruction with CR4.OSXSAVE clear "
               "raises #UD (%s)", cf_vec_name(v));
    }
    write_cr4(cr4);
    report(xgetbv0() == xcr0_test, "XCR0 unchanged across clearing and "
           "setting CR4.OSXSAVE (0x%llx)", (unsigned long long)xgetbv0());
}

void cf_main(void)
{
    u64 cr0 = read_cr0();
    struct cpuid r;
    int i;

    if (!HAS_XSAVE()) {
        report_skip("XSAVE not advertised");
        return;
    }
    /* boot.S: CR0.MP set, EM clear; CR4.OSFXSR set.  TS clear too. */
    if ((cr0 & (CR0_MP | CR0_EM | CR0_TS)) != CR0_MP ||
        !(read_cr4() & CR4_OSFXSR)) {
        cf_abort("CR0 0x%llx, CR4 0x%llx: not set up for SSE",
                 (unsigned long long)cr0, (unsigned long long)read_cr4());
    }
    write_cr4(read_cr4() | CR4_OSXSAVE);

    r = cpuid_count(0xd, 0);
    supported = r.a | (u64)r.d << 32;
    for (i = 2; i < 63; i++) {
        if (supported & BIT(i)) {
            r = cpuid_count(0xd, i);
            comp_size[i] = r.a;
            comp_off[i] = r.b;
            comp_align[i] = r.c & 2;
        }
    }
    has_avx = cf_has(1, 0, CF_ECX, 28) && (supported & XC_AVX);
    has_avx512 = has_avx && HAS_AVX512F() &&
                 (supported & XC_AVX512) == XC_AVX512;
    xcr0_test = XC_X87 | XC_SSE | (has_avx ? XC_AVX : 0) |
                (has_avx512 ? XC_AVX512 : 0);
    report_info("XCR0 supported 0x%llx; testing 0x%llx (AVX %d, AVX-512 %d)",
                (unsigned long long)supported, (unsigned long long)xcr0_test,
                has_avx, has_avx512);
    make_patterns();

    test_cpuid();
    test_xsetbv();
    if (cpuid_count(0xd, 0).c > sizeof(area)) {
        report_skip("the XSAVE area (%u bytes) is larger than ours",
                    cpuid_count(0xd, 0).c);
    } else {
        test_save_restore();
    }
    test_enables();
    xsetbv_safe(0, XC_X87 | XC_SSE);
}
