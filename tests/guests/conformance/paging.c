/*
 * Conformance: 64-bit (4-level) paging.
 *
 * A test region of our own page tables at 0x0000400000000000 (PML4
 * entry 128, next to boot.S's identity map): #PF error codes and CR2
 * for not-present, read-only and reserved-bit entries at every level,
 * the A and D bits, NX, 1 GiB pages, SMEP and SMAP, PCID and INVPCID,
 * CR4.LA57 in long mode, CR0.WP, and TLB invalidation by INVLPG, MOV CR3
 * and CR4.PGE.  Then ring 3 (test_user()): the U/S bit at every level,
 * the error codes with U set, read-only user pages whatever CR0.WP,
 * NX, and the A and D bits of user accesses.
 *
 * This work is licensed under the terms of the GNU GPL, version 2 or later.
 */
#include "cf.h"

const char cf_test_name[] = "paging";

#define MSR_EFER        0xc0000080
#define EFER_NXE        BIT(11)

#define CR0_WP          BIT(16)
#define CR4_PGE         BIT(7)
#define CR4_LA57        BIT(12)
#define CR4_PCIDE       BIT(17)
#define CR4_SMEP        BIT(20)
#define CR4_SMAP        BIT(21)
#define RFLAGS_AC       BIT(18)

#define PTE_P           BIT(0)
#define PTE_W           BIT(1)
#define PTE_U           BIT(2)
#define PTE_A           BIT(5)
#define PTE_D           BIT(6)
#define PTE_PS          BIT(7)
#define PTE_G           BIT(8)
#define PTE_NX          BIT(63)
#define PTE_ADDR        0x000ffffffffff000ULL

#define PFEC_P          0x1
#define PFEC_W          0x2
#define PFEC_U          0x4
#define PFEC_RSVD       0x8
#define PFEC_ID         0x10

/* The test region: PML4 entry 128; its PDPT entry 0 holds 4 KiB pages. */
#define BASE_PML4       128
#define BASE            0x0000400000000000ULL
#define VA(i)           (BASE + (i) * 0x1000ULL)
#define VA_2M           (BASE + 0x200000ULL)     /* PD entry 1: 2 MiB */
#define VA_1G           (BASE + 0x40000000ULL)   /* PDPT entry 1: 1 GiB */
#define PHYS_2M         0x2000000ULL    /* free RAM with -m 128 */
#define PHYS_FAR        0x5000000ULL    /* free RAM with -m 128 */

/*
 * The page the fetch tests jump to: "jmp *%rcx" back to the caller, at
 * offset 0 for ring 0 and at offset 0x10 for ring 3 (each address has
 * its own exception-table entry).
 */
#define EXEC_PAGE       7
#define EXEC_VA_LIT     0x0000400000007000
#define EXEC_USER_LIT   0x0000400000007010

#define PAGE_A          0       /* the frames of the data pages */
#define PAGE_B          1
#define PAGE_RO         2
#define NFRAMES         8

#define MAGIC_A         0xa11a11a11a11a11aULL
#define MAGIC_B         0xb22b22b22b22b22bULL

/* CF_EXTABLE with its arguments macro-expanded first. */
#define EXTABLE(from, to) CF_EXTABLE(from, to)

static u64 pdpt_t[512] __attribute__((aligned(4096)));
static u64 pd_t[512] __attribute__((aligned(4096)));
static u64 pt_t[512] __attribute__((aligned(4096)));
static u8 frames[NFRAMES][4096] __attribute__((aligned(4096)));
static volatile u64 far_magic = 0x1f00d1f00d1f00dULL; /* read via 1 GiB */

static u64 *pml4;
static int rsvd_bit;            /* MAXPHYADDR: the lowest reserved bit */

static int read_safe(u64 va, u64 *val)
{
    u64 v = 0;

    cf_vector = -1;
    asm volatile("1: mov (%1), %0\n2:\n\t" CF_EXTABLE(1b, 2b)
                 : "+r"(v) : "r"(va) : "memory");
    *val = v;
    return cf_vector;
}

static int write_safe(u64 va, u64 val)
{
    cf_vector = -1;
    asm volatile("1: mov %1, (%0)\n2:\n\t" CF_EXTABLE(1b, 2b)
                 : : "r"(va), "r"(val) : "memory");
    return cf_vector;
}

/*
 * Jump to EXEC_VA_LIT, which jumps back; a fault on the fetch goes on
 * too.  Not inlined: one exception-table entry for that address.
 */
static __attribute__((noinline)) int exec_safe(void)
{
    cf_vector = -1;
    asm volatile("lea 2f(%%rip), %%rcx\n\t"
                 "jmp *%0\n"
                 "2:\n\t" EXTABLE(EXEC_VA_LIT, 2b)
                 : : "r"((u64)EXEC_VA_LIT) : "rcx", "memory");
    return cf_vector;
}

static u64 frame(int i)
{
    return (u64)frames[i];
}

/* The region as every test starts with it. */
static void region_reset(void)
{
    int i;

    memset(pdpt_t, 0, sizeof(pdpt_t));
    memset(pd_t, 0, sizeof(pd_t));
    memset(pt_t, 0, sizeof(pt_t));
    pml4[BASE_PML4] = (u64)pdpt_t | PTE_P | PTE_W | PTE_U;
    pdpt_t[0] = (u64)pd_t | PTE_P | PTE_W | PTE_U;
    pd_t[0] = (u64)pt_t | PTE_P | PTE_W | PTE_U;
    for (i = 0; i < NFRAMES; i++) {
        pt_t[i] = frame(i) | PTE_P | PTE_W;
    }
    *(u64 *)frames[PAGE_A] = MAGIC_A;
    *(u64 *)frames[PAGE_B] = MAGIC_B;
    frames[EXEC_PAGE][0] = 0xff;        /* jmp *%rcx */
    frames[EXEC_PAGE][1] = 0xe1;
    frames[EXEC_PAGE][0x10] = 0xff;
    frames[EXEC_PAGE][0x11] = 0xe1;
    write_cr3(read_cr3());
}

static void set_pte(int i, u64 v)
{
    pt_t[i] = v;
    invlpg(VA(i));
}

/* A read of va must raise #PF with error code ec and CR2 va. */
static void expect_pf_read(u64 va, u64 ec, const char *what)
{
    u64 v;
    int vec = read_safe(va, &v);

    report(vec == PF_VECTOR && cf_error == ec && cf_cr2 == va,
           "%s: #PF(0x%llx), CR2 (%s, 0x%llx, 0x%llx)", what,
           (unsigned long long)ec, cf_vec_name(vec),
           (unsigned long long)cf_error, (unsigned long long)cf_cr2);
}

static void test_walk(void)
{
    u64 cr0 = read_cr0(), va = VA(PAGE_RO) + 0x18, v, *ent;
    int vec;

    region_reset();
    vec = read_safe(VA(PAGE_A), &v);
    report(vec < 0 && v == MAGIC_A, "read through the 4-level test mapping "
           "(%s, 0x%llx)", cf_vec_name(vec), (unsigned long long)v);

    set_pte(PAGE_RO, 0);
    expect_pf_read(va, 0, "read of a not-present PTE");
    vec = write_safe(va, 1);
    report(vec == PF_VECTOR && cf_error == PFEC_W && cf_cr2 == va,
           "write to a not-present PTE: #PF(W), CR2 (%s, 0x%llx)",
           cf_vec_name(vec), (unsigned long long)cf_error);
    pd_t[0] &= ~PTE_P;
    invlpg(va);
    expect_pf_read(va, 0, "read through a not-present PDE");
    pd_t[0] |= PTE_P;

    set_pte(PAGE_RO, frame(PAGE_RO) | PTE_P);
    write_cr0(cr0 | CR0_WP);
    vec = write_safe(va, 1);
    report(vec == PF_VECTOR && cf_error == (PFEC_P | PFEC_W) && cf_cr2 == va,
           "CR0.WP=1: supervisor write to a read-only page: #PF(P|W), CR2 "
           "(%s, 0x%llx)", cf_vec_name(vec), (unsigned long long)cf_error);
    vec = read_safe(va, &v);
    report(vec < 0, "read of a read-only page (%s)", cf_vec_name(vec));
    write_cr0(cr0);

    if (rsvd_bit >= 52) {
        report_skip("MAXPHYADDR is 52: no reserved address bits");
    } else {
        u64 *path[4] = { &pt_t[PAGE_RO], &pd_t[0], &pdpt_t[0],
                         &pml4[BASE_PML4] };
        static const char *const names[4] = {
            "reserved address bit (MAXPHYADDR) in the PTE",
            "reserved address bit (MAXPHYADDR) in the PDE",
            "reserved address bit (MAXPHYADDR) in the PDPTE",
            "reserved address bit (MAXPHYADDR) in the PML4E",
        };
        int i;

        set_pte(PAGE_RO, frame(PAGE_RO) | PTE_P | PTE_W);
        for (i = 0; i < 4; i++) {
            ent = path[i];
            *ent |= BIT(rsvd_bit);
            invlpg(va);
            expect_pf_read(va, PFEC_P | PFEC_RSVD, names[i]);
            *ent &= ~BIT(rsvd_bit);
            invlpg(va);
        }
        if (rsvd_bit < 51) {
            pt_t[PAGE_RO] |= BIT(51);
            invlpg(va);
            expect_pf_read(va, PFEC_P | PFEC_RSVD,
                           "PTE bit 51 (reserved below 52-bit MAXPHYADDR)");
            pt_t[PAGE_RO] &= ~BIT(51);
            invlpg(va);
        } else {
            report_skip("MAXPHYADDR is 51: PTE bit 51 is an address bit");
        }
    }
    pml4[BASE_PML4] |= PTE_PS;
    invlpg(va);
    expect_pf_read(va, PFEC_P | PFEC_RSVD, "PS in the PML4E (reserved)");
    pml4[BASE_PML4] &= ~PTE_PS;
    invlpg(va);
}

static void test_accessed_dirty(void)
{
    u64 *ent[4] = { &pml4[BASE_PML4], &pdpt_t[0], &pd_t[0],
                    &pt_t[PAGE_A] };
    u64 v;
    int i, vec, a = 0;

    region_reset();
    for (i = 0; i < 4; i++) {
        *ent[i] &= ~(PTE_A | PTE_D);
    }
    invlpg(VA(PAGE_A));
    vec = read_safe(VA(PAGE_A), &v);
    for (i = 0; i < 4; i++) {
        a |= !!(*ent[i] & PTE_A) << i;
    }
    report(vec < 0 && a == 0xf, "read sets A in the PML4E, PDPTE, PDE and "
           "PTE (%s, mask 0x%x)", cf_vec_name(vec), a);
    report(!(pt_t[PAGE_A] & PTE_D), "read leaves D clear in the PTE "
           "(0x%llx)", (unsigned long long)pt_t[PAGE_A]);
    vec = write_safe(VA(PAGE_A) + 8, 1);
    report(vec < 0 && (pt_t[PAGE_A] & PTE_D), "write sets D in the PTE "
           "(%s, 0x%llx)", cf_vec_name(vec), (unsigned long long)pt_t[PAGE_A]);

    /* Write first, with A and D clear: the CPU sets both. */
    pt_t[PAGE_B] &= ~(PTE_A | PTE_D);
    invlpg(VA(PAGE_B));
    vec = write_safe(VA(PAGE_B) + 8, 1);
    report(vec < 0 && (pt_t[PAGE_B] & (PTE_A | PTE_D)) == (PTE_A | PTE_D),
           "first access a write: A and D set in the PTE (%s, 0x%llx)",
           cf_vec_name(vec), (unsigned long long)pt_t[PAGE_B]);

    /* A 2 MiB page: the PDE is the leaf. */
    pd_t[1] = PHYS_2M | PTE_P | PTE_W | PTE_PS;
    invlpg(VA_2M);
    vec = read_safe(VA_2M + 0x1000, &v);
    report(vec < 0 && (pd_t[1] & (PTE_A | PTE_D)) == PTE_A,
           "read of a 2 MiB page sets A, not D, in the PDE (%s, 0x%llx)",
           cf_vec_name(vec), (unsigned long long)pd_t[1]);
    vec = write_safe(VA_2M + 0x1000, 1);
    report(vec < 0 && (pd_t[1] & PTE_D), "write to a 2 MiB page sets D in "
           "the PDE (%s, 0x%llx)", cf_vec_name(vec),
           (unsigned long long)pd_t[1]);
}

static void test_nx(void)
{
    u64 efer = rdmsr(MSR_EFER), va = VA(EXEC_PAGE), v;
    int vec;

    if (!HAS_NX()) {
        report_skip("NX not advertised (CPUID 0x80000001 EDX[20])");
        return;
    }
    region_reset();
    wrmsr(MSR_EFER, efer | EFER_NXE);
    vec = exec_safe();
    report(vec < 0, "EFER.NXE=1: fetch from a page without XD runs (%s)",
           cf_vec_name(vec));
    set_pte(EXEC_PAGE, frame(EXEC_PAGE) | PTE_P | PTE_W | PTE_NX);
    vec = exec_safe();
    report(vec == PF_VECTOR && cf_error == (PFEC_P | PFEC_ID) &&
           cf_cr2 == va, "EFER.NXE=1: fetch from an XD page: #PF(P|I/D), CR2 "
           "(%s, 0x%llx, 0x%llx)", cf_vec_name(vec),
           (unsigned long long)cf_error, (unsigned long long)cf_cr2);
    vec = read_safe(va, &v);
    report(vec < 0, "EFER.NXE=1: read of an XD page (%s)", cf_vec_name(vec));
    set_pte(EXEC_PAGE, 0);
    vec = exec_safe();
    report(vec == PF_VECTOR && cf_error == PFEC_ID && cf_cr2 == va,
           "EFER.NXE=1: fetch from a not-present page: #PF(I/D) "
           "(%s, 0x%llx)", cf_vec_name(vec), (unsigned long long)cf_error);

    wrmsr(MSR_EFER, efer & ~EFER_NXE);
    set_pte(EXEC_PAGE, frame(EXEC_PAGE) | PTE_P | PTE_W | PTE_NX);
    expect_pf_read(va, PFEC_P | PFEC_RSVD,
                   "EFER.NXE=0: read of a page with PTE bit 63 (reserved)");
    set_pte(EXEC_PAGE, frame(EXEC_PAGE) | PTE_P | PTE_W);
    pd_t[0] |= PTE_NX;
    invlpg(va);
    expect_pf_read(va, PFEC_P | PFEC_RSVD,
                   "EFER.NXE=0: PDE bit 63 (reserved)");
    pd_t[0] &= ~PTE_NX;
    invlpg(va);
    wrmsr(MSR_EFER, efer);
}

static void test_1g(void)
{
    u64 va_near = VA_1G + (u64)&far_magic, va_far = VA_1G + PHYS_FAR, v;
    int vec;

    region_reset();
    pdpt_t[1] = 0 | PTE_P | PTE_W | PTE_PS;
    invlpg(va_near);
    invlpg(va_far);
    if (!cf_has(0x80000001, 0, CF_EDX, 26)) {
        expect_pf_read(va_near, PFEC_P | PFEC_RSVD,
                       "PS in a PDPTE without PDPE1GB (reserved)");
        pdpt_t[1] = 0;
        return;
    }
    *(volatile u64 *)PHYS_FAR = MAGIC_B;    /* volatile: read via VA_1G */
    vec = read_safe(va_near, &v);
    report(vec < 0 && v == far_magic, "1 GiB page: read at offset of a "
           "kernel variable (%s, 0x%llx)", cf_vec_name(vec),
           (unsigned long long)v);
    vec = read_safe(va_far, &v);
    report(vec < 0 && v == MAGIC_B, "1 GiB page: read at offset 80 MiB "
           "(%s, 0x%llx)", cf_vec_name(vec), (unsigned long long)v);
    report((pdpt_t[1] & (PTE_A | PTE_D)) == PTE_A, "1 GiB page: read sets A, "
           "not D, in the PDPTE (0x%llx)", (unsigned long long)pdpt_t[1]);
    vec = write_safe(va_far + 8, MAGIC_A);
    report(vec < 0 && (pdpt_t[1] & PTE_D) &&
           /* volatile: written via VA_1G */
           *(volatile u64 *)(PHYS_FAR + 8) == MAGIC_A,
           "1 GiB page: write lands at the physical offset, sets D (%s, 0x%llx)",
           cf_vec_name(vec), (unsigned long long)pdpt_t[1]);
    pdpt_t[1] |= BIT(13);
    invlpg(va_far);
    expect_pf_read(va_far, PFEC_P | PFEC_RSVD,
                   "1 GiB PDPTE bit 13 (reserved)");
    pdpt_t[1] = 0;
    invlpg(va_far);
}

static int stac_safe(void)
{
    cf_vector = -1;
    asm volatile("1: stac\n2:\n\t" CF_EXTABLE(1b, 2b) : : : "memory");
    return cf_vector;
}

static int clac_safe(void)
{
    cf_vector = -1;
    asm volatile("1: clac\n2:\n\t" CF_EXTABLE(1b, 2b) : : : "memory");
    return cf_vector;
}

static void test_smep_smap(void)
{
    u64 cr4 = read_cr4(), va = VA(EXEC_PAGE), v;
    int vec;

    region_reset();
    set_pte(EXEC_PAGE, frame(EXEC_PAGE) | PTE_P | PTE_W | PTE_U);
    if (!cf_has(7, 0, CF_EBX, 7)) {
        vec = write_cr4_safe(cr4 | CR4_SMEP);
        report(vec == GP_VECTOR, "CR4.SMEP without SMEP raises #GP (%s)",
               cf_vec_name(vec));
        write_cr4(cr4);
    } else {
        vec = exec_safe();
        report(vec < 0, "CR4.SMEP=0: supervisor fetch from a user page runs "
               "(%s)", cf_vec_name(vec));
        write_cr4(cr4 | CR4_SMEP);
        vec = exec_safe();
        report(vec == PF_VECTOR && cf_error == (PFEC_P | PFEC_ID) &&
               cf_cr2 == va, "CR4.SMEP=1: supervisor fetch from a user page: "
               "#PF(P|I/D), CR2 (%s, 0x%llx, 0x%llx)", cf_vec_name(vec),
               (unsigned long long)cf_error, (unsigned long long)cf_cr2);
        vec = read_safe(va, &v);
        report(vec < 0, "CR4.SMEP=1: supervisor read of a user page (%s)",
               cf_vec_name(vec));
        write_cr4(cr4);
    }

    va = VA(PAGE_A);
    set_pte(PAGE_A, frame(PAGE_A) | PTE_P | PTE_W | PTE_U);
    if (!cf_has(7, 0, CF_EBX, 20)) {
        vec = write_cr4_safe(cr4 | CR4_SMAP);
        report(vec == GP_VECTOR, "CR4.SMAP without SMAP raises #GP (%s)",
               cf_vec_name(vec));
        write_cr4(cr4);
        vec = stac_safe();
        report(vec == UD_VECTOR, "STAC without SMAP raises #UD (%s)",
               cf_vec_name(vec));
        vec = clac_safe();
        report(vec == UD_VECTOR, "CLAC without SMAP raises #UD (%s)",
               cf_vec_name(vec));
        return;
    }
    vec = read_safe(va, &v);
    report(vec < 0, "CR4.SMAP=0: supervisor read of a user page (%s)",
           cf_vec_name(vec));
    write_cr4(cr4 | CR4_SMAP);
    clac_safe();
    expect_pf_read(va, PFEC_P,
                   "CR4.SMAP=1, AC=0: supervisor read of a user page");
    vec = write_safe(va + 8, 1);
    report(vec == PF_VECTOR && cf_error == (PFEC_P | PFEC_W),
           "CR4.SMAP=1, AC=0: supervisor write to a user page: #PF(P|W) "
           "(%s, 0x%llx)", cf_vec_name(vec), (unsigned long long)cf_error);
    vec = stac_safe();
    report(vec < 0, "STAC with SMAP (%s)", cf_vec_name(vec));
    vec = read_safe(va, &v);
    report(vec < 0 && v == MAGIC_A, "CR4.SMAP=1, AC=1 (STAC): supervisor "
           "read of a user page (%s, 0x%llx)", cf_vec_name(vec),
           (unsigned long long)v);
    vec = clac_safe();
    report(vec < 0, "CLAC with SMAP (%s)", cf_vec_name(vec));
    expect_pf_read(va, PFEC_P,
                   "CR4.SMAP=1, after CLAC: supervisor read of a user page");
    write_cr4(cr4);
}

static int invpcid_safe(u64 type, u64 pcid, u64 la)
{
    struct {
        u64 pcid, la;
    } __attribute__((aligned(16))) desc = { pcid, la };

    cf_vector = -1;
    asm volatile("1: invpcid %0, %1\n2:\n\t" CF_EXTABLE(1b, 2b)
                 : : "m"(desc), "r"(type) : "memory");
    return cf_vector;
}

static void test_pcid(void)
{
    u64 cr3 = read_cr3(), cr4 = read_cr4(), v;
    int vec, t;

    region_reset();
    if (!cf_has(1, 0, CF_ECX, 17)) {
        vec = write_cr4_safe(cr4 | CR4_PCIDE);
        report(vec == GP_VECTOR, "CR4.PCIDE without PCID raises #GP (%s)",
               cf_vec_name(vec));
        write_cr4(cr4);
    } else {
        write_cr3(cr3 | 1);
        vec = write_cr4_safe(cr4 | CR4_PCIDE);
        report(vec == GP_VECTOR && cf_error == 0, "setting CR4.PCIDE with "
               "CR3[11:0] != 0 raises #GP(0) (%s)", cf_vec_name(vec));
        write_cr4(cr4);
        write_cr3(cr3);
        vec = write_cr4_safe(cr4 | CR4_PCIDE);
        report(vec < 0, "setting CR4.PCIDE with CR3[11:0] = 0 (%s)",
               cf_vec_name(vec));
        vec = write_cr3_safe(cr3 | 1);
        report(vec < 0 && read_cr3() == (cr3 | 1), "MOV CR3 with PCID 1 "
               "(%s, 0x%llx)", cf_vec_name(vec),
               (unsigned long long)read_cr3());
        vec = read_safe(VA(PAGE_A), &v);
        report(vec < 0 && v == MAGIC_A, "PCID 1: read through the test "
               "mapping (%s)", cf_vec_name(vec));
        vec = write_cr3_safe(cr3 | 1 | BIT(63));
        report(vec < 0 && read_cr3() == (cr3 | 1), "MOV CR3 with bit 63 "
               "(no flush): bit 63 does not stay in CR3 (%s, 0x%llx)",
               cf_vec_name(vec), (unsigned long long)read_cr3());
        vec = write_cr3_safe(cr3 | BIT(63));
        report(vec < 0 && read_cr3() == cr3, "MOV CR3 back to PCID 0 with "
               "bit 63 (%s, 0x%llx)", cf_vec_name(vec),
               (unsigned long long)read_cr3());

        if (!cf_has(7, 0, CF_EBX, 10)) {
            vec = invpcid_safe(2, 0, 0);
            report(vec == UD_VECTOR, "INVPCID without INVPCID raises #UD "
                   "(%s)", cf_vec_name(vec));
        } else {
            for (t = 0; t < 4; t++) {
                vec = invpcid_safe(t, 1, VA(PAGE_A));
                report(vec < 0, "INVPCID type %d (%s)", t, cf_vec_name(vec));
            }
            vec = invpcid_safe(4, 1, VA(PAGE_A));
            report(vec == GP_VECTOR && cf_error == 0, "INVPCID type 4 "
                   "(invalid) raises #GP(0) (%s)", cf_vec_name(vec));
            vec = invpcid_safe(0, 1, 0x8000000000000000ULL);
            report(vec == GP_VECTOR && cf_error == 0, "INVPCID type 0 with "
                   "a non-canonical address raises #GP(0) (%s)",
                   cf_vec_name(vec));
            vec = invpcid_safe(1, 0x1000, 0);
            report(vec == GP_VECTOR && cf_error == 0, "INVPCID type 1 with "
                   "PCID above 4095 raises #GP(0) (%s)", cf_vec_name(vec));
        }
        write_cr3(cr3);
        write_cr4(cr4);
    }
    if (cf_has(7, 0, CF_EBX, 10) && !(read_cr4() & CR4_PCIDE)) {
        vec = invpcid_safe(1, 1, 0);
        report(vec == GP_VECTOR, "CR4.PCIDE=0: INVPCID type 1 with PCID 1 "
               "raises #GP (%s)", cf_vec_name(vec));
    }
}

static void test_la57(void)
{
    u64 cr4 = read_cr4();
    int vec;

    report_info("CPUID.7.0:ECX[16] (LA57) is %d",
                cf_has(7, 0, CF_ECX, 16));
    vec = write_cr4_safe(cr4 | CR4_LA57);
    report(vec == GP_VECTOR, "setting CR4.LA57 in long mode raises #GP (%s)",
           cf_vec_name(vec));
    report(read_cr4() == cr4, "CR4 unchanged after CR4.LA57 (0x%llx)",
           (unsigned long long)read_cr4());
}

static void test_wp(void)
{
    u64 cr0 = read_cr0(), va = VA(PAGE_RO), v = 0;
    int vec;

    region_reset();
    set_pte(PAGE_RO, frame(PAGE_RO) | PTE_P);
    write_cr0(cr0 & ~CR0_WP);
    vec = write_safe(va, MAGIC_B);
    read_safe(va, &v);
    report(vec < 0 && v == MAGIC_B, "CR0.WP=0: supervisor write to a "
           "read-only page (%s, 0x%llx)", cf_vec_name(vec),
           (unsigned long long)v);
    write_cr0(cr0 | CR0_WP);
    vec = write_safe(va, MAGIC_A);
    read_safe(va, &v);
    report(vec == PF_VECTOR && cf_error == (PFEC_P | PFEC_W) &&
           v == MAGIC_B, "CR0.WP=1: supervisor write to a read-only page "
           "faults, memory unchanged (%s, 0x%llx)", cf_vec_name(vec),
           (unsigned long long)v);
    write_cr0(cr0);
}

static void test_invlpg(void)
{
    u64 cr4 = read_cr4(), va = VA(3), v;
    int vec;

    region_reset();
    set_pte(3, frame(PAGE_A) | PTE_P | PTE_W);
    read_safe(va, &v);
    pt_t[3] = frame(PAGE_B) | PTE_P | PTE_W;
    read_safe(va, &v);
    report_info("PTE changed without INVLPG: %s mapping used",
                v == MAGIC_A ? "stale" : v == MAGIC_B ? "new" : "no");
    invlpg(va);
    vec = read_safe(va, &v);
    report(vec < 0 && v == MAGIC_B, "after INVLPG the new mapping is used "
           "(%s, 0x%llx)", cf_vec_name(vec), (unsigned long long)v);
    pt_t[3] = frame(PAGE_A) | PTE_P | PTE_W;
    write_cr3(read_cr3());
    vec = read_safe(va, &v);
    report(vec < 0 && v == MAGIC_A, "after MOV CR3 the new mapping is used "
           "(%s, 0x%llx)", cf_vec_name(vec), (unsigned long long)v);
    pt_t[3] = 0;
    write_cr3(read_cr3());
    expect_pf_read(va, 0, "after MOV CR3 a cleared PTE is not present");

    if (!cf_has(1, 0, CF_EDX, 13)) {
        report_skip("PGE not advertised (CPUID.1:EDX[13])");
        return;
    }
    write_cr4(cr4 | CR4_PGE);
    set_pte(3, frame(PAGE_A) | PTE_P | PTE_W | PTE_G);
    read_safe(va, &v);
    pt_t[3] = frame(PAGE_B) | PTE_P | PTE_W | PTE_G;
    write_cr3(read_cr3());
    read_safe(va, &v);
    /* May survive: a TLB may drop any entry at any time. */
    report_info("global entry after MOV CR3: %s mapping used",
                v == MAGIC_A ? "stale (kept)" : v == MAGIC_B ? "new" : "no");
    write_cr4(cr4 & ~CR4_PGE);
    write_cr4(cr4 | CR4_PGE);
    vec = read_safe(va, &v);
    report(vec < 0 && v == MAGIC_B, "after toggling CR4.PGE a global PTE's "
           "new mapping is used (%s, 0x%llx)", cf_vec_name(vec),
           (unsigned long long)v);
    pt_t[3] = frame(PAGE_A) | PTE_P | PTE_W | PTE_G;
    invlpg(va);
    vec = read_safe(va, &v);
    report(vec < 0 && v == MAGIC_A, "INVLPG flushes a global entry "
           "(%s, 0x%llx)", cf_vec_name(vec), (unsigned long long)v);
    write_cr4(cr4);
}

/*
 * Ring 3: the first 2 MiB (this kernel, its data and stacks) become user
 * pages while test_user() runs, the TSS gets an RSP0, and each access
 * below runs at ring 3 between IRETQ and INT RING0_VECTOR; a fault goes
 * on after the access (still at ring 3) as in read_safe().
 */
#define KERNEL_CS       0x08
#define KERNEL_DS       0x10
#define USER_CS         0x23
#define USER_DS         0x2b
#define RING0_VECTOR    0x81

static u8 ring0_stack[8192] __attribute__((aligned(16)));
static u8 user_stack[4096] __attribute__((aligned(16)));
static volatile u64 ring0_rsp, ring0_to; /* volatile: read by the handler */

asm(".pushsection .text\n"
    ".align 16\n"
    "pg_stub_ring0: push $0; push $" CF_STR(RING0_VECTOR) "; jmp pg_common\n"
    CF_TRAP_COMMON(pg_common, pg_trap)
    ".popsection");

/* INT RING0_VECTOR from ring 3: back to the kernel where it left. */
static void __attribute__((used)) pg_trap(struct cf_frame *f)
{
    f->rip = ring0_to;
    f->rsp = ring0_rsp;
    f->cs = KERNEL_CS;
    f->ss = KERNEL_DS;
    f->rflags = 2;
}

/* To ring 3 at 1:, back from 2: (RAX is the scratch register). */
#define TO_RING3                                                         \
    "mov %%rsp, %[sp]\n\t"                                               \
    "lea 9f(%%rip), %%rax\n\t"                                           \
    "mov %%rax, %[to]\n\t"                                               \
    "pushq $" CF_STR(USER_DS) "\n\t"                                     \
    "pushq %[usp]\n\t"                                                   \
    "pushq $2\n\t"                                                       \
    "pushq $" CF_STR(USER_CS) "\n\t"                                     \
    "lea 1f(%%rip), %%rax\n\t"                                           \
    "pushq %%rax\n\t"                                                    \
    "iretq\n"
#define FROM_RING3                                                       \
    "2: int $" CF_STR(RING0_VECTOR) "\n"                                 \
    "9: mov $" CF_STR(KERNEL_DS) ", %%eax\n\t"                           \
    "mov %%eax, %%ds\n\t"                                                \
    "mov %%eax, %%es\n\t"
#define RING3_OUT [sp] "=m"(ring0_rsp), [to] "=m"(ring0_to)
#define RING3_IN [usp] "r"(user_stack + sizeof(user_stack))

static int user_read_safe(u64 va, u64 *val)
{
    u64 v = 0;

    cf_vector = -1;
    asm volatile(TO_RING3
                 "1: mov (%[va]), %[v]\n"
                 FROM_RING3
                 CF_EXTABLE(1b, 2b)
                 : RING3_OUT, [v] "+r"(v) : RING3_IN, [va] "r"(va)
                 : "rax", "memory");
    *val = v;
    return cf_vector;
}

static int user_write_safe(u64 va, u64 val)
{
    cf_vector = -1;
    asm volatile(TO_RING3
                 "1: mov %[v], (%[va])\n"
                 FROM_RING3
                 CF_EXTABLE(1b, 2b)
                 : RING3_OUT : RING3_IN, [va] "r"(va), [v] "r"(val)
                 : "rax", "memory");
    return cf_vector;
}

/* Ring 3 jumps to EXEC_USER_LIT, which jumps back (or faults). */
static __attribute__((noinline)) int user_exec_safe(void)
{
    cf_vector = -1;
    asm volatile(TO_RING3
                 "1: lea 2f(%%rip), %%rcx\n\t"
                 "jmp *%[va]\n"
                 FROM_RING3
                 EXTABLE(EXEC_USER_LIT, 2b)
                 : RING3_OUT : RING3_IN, [va] "r"((u64)EXEC_USER_LIT)
                 : "rax", "rcx", "memory");
    return cf_vector;
}

/* Set (or clear) the U bit of the entries mapping the first 2 MiB. */
static void user_pages(bool on)
{
    u64 *pdpt = (u64 *)(pml4[0] & PTE_ADDR);
    u64 *pd = (u64 *)(pdpt[0] & PTE_ADDR);

    if (on) {
        pml4[0] |= PTE_U;
        pdpt[0] |= PTE_U;
        pd[0] |= PTE_U;
    } else {
        pd[0] &= ~PTE_U;
        pdpt[0] &= ~PTE_U;
        pml4[0] &= ~PTE_U;
    }
    write_cr3(read_cr3());
}

/* A ring 3 read (or write) of va must raise #PF(ec) with CR2 va. */
static void expect_user_pf(bool write, u64 va, u64 ec, const char *what)
{
    u64 v;
    int vec = write ? user_write_safe(va, MAGIC_B) : user_read_safe(va, &v);

    report(vec == PF_VECTOR && cf_error == ec && cf_cr2 == va,
           "%s: #PF(0x%llx), CR2 (%s, 0x%llx, 0x%llx)", what,
           (unsigned long long)ec, cf_vec_name(vec),
           (unsigned long long)cf_error, (unsigned long long)cf_cr2);
}

static void test_user_nx(void)
{
    u64 efer = rdmsr(MSR_EFER), va = EXEC_USER_LIT;
    int vec;

    if (!HAS_NX()) {
        report_skip("NX not advertised: ring 3 fetches not tested");
        return;
    }
    /* With NXE set, so that the I/D bit is defined on both vendors. */
    wrmsr(MSR_EFER, efer | EFER_NXE);
    set_pte(EXEC_PAGE, frame(EXEC_PAGE) | PTE_P | PTE_W | PTE_U);
    vec = user_exec_safe();
    report(vec < 0, "EFER.NXE=1: ring 3 fetch from a user page runs (%s)",
           cf_vec_name(vec));
    set_pte(EXEC_PAGE, frame(EXEC_PAGE) | PTE_P | PTE_W | PTE_U | PTE_NX);
    vec = user_exec_safe();
    report(vec == PF_VECTOR && cf_error == (PFEC_P | PFEC_U | PFEC_ID) &&
           cf_cr2 == va, "EFER.NXE=1: ring 3 fetch from an XD user page: "
           "#PF(P|U|I/D), CR2 (%s, 0x%llx, 0x%llx)", cf_vec_name(vec),
           (unsigned long long)cf_error, (unsigned long long)cf_cr2);
    set_pte(EXEC_PAGE, frame(EXEC_PAGE) | PTE_P | PTE_W);
    vec = user_exec_safe();
    report(vec == PF_VECTOR && cf_error == (PFEC_P | PFEC_U | PFEC_ID) &&
           cf_cr2 == va, "EFER.NXE=1: ring 3 fetch from a supervisor page: "
           "#PF(P|U|I/D), CR2 (%s, 0x%llx, 0x%llx)", cf_vec_name(vec),
           (unsigned long long)cf_error, (unsigned long long)cf_cr2);
    wrmsr(MSR_EFER, efer);
}

static void test_user(void)
{
    extern char cf_end[];
    u64 tss = (cf_gdt[6] >> 16 & 0xffffff) | (cf_gdt[6] >> 56) << 24 |
              cf_gdt[7] << 32;
    u64 rsp0 = (u64)ring0_stack + sizeof(ring0_stack), old_rsp0;
    u64 cr0 = read_cr0(), va = VA(PAGE_A), ro = VA(PAGE_RO), v;
    u64 *ent[4] = { &pml4[BASE_PML4], &pdpt_t[0], &pd_t[0], &pt_t[PAGE_A] };
    static const char *const upper[3] = {
        "ring 3: read of a user page under a PDE with U=0",
        "ring 3: read of a user page under a PDPTE with U=0",
        "ring 3: read of a user page under a PML4E with U=0",
    };
    struct cf_gate old;
    int i, vec, a = 0;

    /* .text comes first, .bss last: everything ring 3 needs is below. */
    if ((u64)cf_end > 0x200000) {
        report_skip("the kernel ends above 2 MiB: no ring 3 tests");
        return;
    }
    memcpy(&old_rsp0, (void *)(tss + 4), 8);
    memcpy((void *)(tss + 4), &rsp0, 8);
    old = cf_set_gate(RING0_VECTOR, CF_STUB(pg_stub_ring0),
                      CF_GATE_INTR_DPL3, 0);
    user_pages(true);
    region_reset();

    /* PAGE_A a user page, PAGE_RO a read-only one, PAGE_B supervisor. */
    set_pte(PAGE_A, frame(PAGE_A) | PTE_P | PTE_W | PTE_U);
    set_pte(PAGE_RO, frame(PAGE_RO) | PTE_P | PTE_U);
    vec = user_read_safe(va, &v);
    report(vec < 0 && v == MAGIC_A, "ring 3: read of a user page (%s, "
           "0x%llx)", cf_vec_name(vec), (unsigned long long)v);
    expect_user_pf(false, VA(PAGE_B), PFEC_P | PFEC_U,
                   "ring 3: read of a supervisor page");
    expect_user_pf(true, VA(PAGE_B) + 8, PFEC_P | PFEC_W | PFEC_U,
                   "ring 3: write to a supervisor page");

    /* CR0.WP is for supervisor writes: a user write faults either way. */
    *(u64 *)frames[PAGE_RO] = MAGIC_A;
    write_cr0(cr0 & ~CR0_WP);
    vec = user_write_safe(ro, MAGIC_B);
    report(vec == PF_VECTOR && cf_error == (PFEC_P | PFEC_W | PFEC_U) &&
           cf_cr2 == ro && *(u64 *)frames[PAGE_RO] == MAGIC_A,
           "CR0.WP=0: ring 3 write to a read-only user page: #PF(P|W|U), "
           "memory unchanged (%s, 0x%llx)", cf_vec_name(vec),
           (unsigned long long)cf_error);
    write_cr0(cr0 | CR0_WP);
    vec = user_write_safe(ro, MAGIC_B);
    report(vec == PF_VECTOR && cf_error == (PFEC_P | PFEC_W | PFEC_U) &&
           cf_cr2 == ro && *(u64 *)frames[PAGE_RO] == MAGIC_A,
           "CR0.WP=1: ring 3 write to a read-only user page: #PF(P|W|U), "
           "memory unchanged (%s, 0x%llx)", cf_vec_name(vec),
           (unsigned long long)cf_error);
    write_cr0(cr0);
    vec = user_read_safe(ro, &v);
    report(vec < 0 && v == MAGIC_A, "ring 3: read of a read-only user page "
           "(%s)", cf_vec_name(vec));

    /* U must be set at every level: clear it in one upper entry at a time. */
    for (i = 0; i < 3; i++) {
        u64 *e = ent[2 - i];

        *e &= ~PTE_U;
        invlpg(va);
        expect_user_pf(false, va, PFEC_P | PFEC_U, upper[i]);
        *e |= PTE_U;
        invlpg(va);
    }

    set_pte(3, 0);
    expect_user_pf(false, VA(3), PFEC_U, "ring 3: read of a not-present page");
    expect_user_pf(true, VA(3) + 8, PFEC_W | PFEC_U,
                   "ring 3: write to a not-present page");

    /* A and D from ring 3. */
    for (i = 0; i < 4; i++) {
        *ent[i] &= ~(PTE_A | PTE_D);
    }
    invlpg(va);
    vec = user_read_safe(va, &v);
    for (i = 0; i < 4; i++) {
        a |= !!(*ent[i] & PTE_A) << i;
    }
    report(vec < 0 && a == 0xf && !(pt_t[PAGE_A] & PTE_D),
           "ring 3 read sets A in the PML4E, PDPTE, PDE and PTE, not D "
           "(%s, mask 0x%x, PTE 0x%llx)", cf_vec_name(vec), a,
           (unsigned long long)pt_t[PAGE_A]);
    vec = user_write_safe(va + 8, 1);
    report(vec < 0 && (pt_t[PAGE_A] & PTE_D), "ring 3 write sets D in the "
           "PTE (%s, 0x%llx)", cf_vec_name(vec),
           (unsigned long long)pt_t[PAGE_A]);

    test_user_nx();

    user_pages(false);
    *cf_idt_gate(RING0_VECTOR) = old;
    memcpy((void *)(tss + 4), &old_rsp0, 8);
}

void cf_main(void)
{
    u32 maxphy = 36;

    if (cpuid(0x80000000).a >= 0x80000008) {
        maxphy = cpuid(0x80000008).a & 0xff;
    }
    rsvd_bit = maxphy;
    report_info("MAXPHYADDR %u", maxphy);
    pml4 = (u64 *)(read_cr3() & PTE_ADDR);
    if (pml4[BASE_PML4]) {
        cf_abort("PML4 entry %d is in use", BASE_PML4);
    }
    test_walk();
    test_accessed_dirty();
    test_nx();
    test_1g();
    test_smep_smap();
    test_pcid();
    test_la57();
    test_wp();
    test_invlpg();
    test_user();
    pml4[BASE_PML4] = 0;
    write_cr3(read_cr3());
}
