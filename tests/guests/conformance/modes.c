/*
 * Conformance: the CPU modes other than long mode.
 *
 * A 32-bit kernel (boot32.S): protected mode with paging off (segment
 * bases, limits, expand-down, read-only and not-present segments, the
 * checks of segment loads), 32-bit paging (4 KiB and 4 MiB pages, the
 * #PF error code and CR2, CR0.WP, the accessed and dirty bits the CPU
 * sets in the guest's tables), PAE paging (4 KiB and 2 MiB pages, NX,
 * reserved bits, the PDPTEs MOV to CR3 and CR0 load), real mode (back
 * from protected mode through a 16-bit code segment: segment * 16 +
 * offset, INT and exceptions through the IVT, segment limits, big real
 * mode) and virtual-8086 mode (what IOPL 0 and the missing I/O bitmap
 * send to the monitor).
 *
 * This work is licensed under the terms of the GNU GPL, version 2 or later.
 */
#include "cf.h"

const char cf_test_name[] = "modes";

#define KDATA           0x10
#define SEG_LIMIT       0x40    /* data, limit 0xfff */
#define SEG_EXPDOWN     0x48    /* data, expand-down, limit 0xfff */
#define SEG_RO          0x50    /* data, read-only */
#define SEG_NP          0x58    /* data, not present */
#define SEG_XO          0x60    /* code, execute-only */
#define SEG_BASE        0x68    /* data, base 0x10000 */
#define SEG_CODE_R      0x70    /* code, readable */

#define CR0_PE          BIT(0)
#define CR0_WP          BIT(16)
#define CR0_PG          BIT(31)
#define CR4_PSE         BIT(4)
#define CR4_PAE         BIT(5)
#define CR4_UMIP        BIT(11)
#define EFLAGS_IOPL3    0x3000
#define EFLAGS_VM       0x20000
#define MSR_EFER        0xc0000080
#define EFER_NXE        BIT(11)

#define PTE_P           BIT(0)
#define PTE_W           BIT(1)
#define PTE_U           BIT(2)
#define PTE_A           BIT(5)
#define PTE_D           BIT(6)
#define PTE_PS          BIT(7)
#define PTE_NX          BIT(63)

#define PFEC_P          0x1
#define PFEC_W          0x2
#define PFEC_U          0x4
#define PFEC_RSVD       0x8
#define PFEC_ID         0x10

#define TEST_VA         0x40000000u     /* the test pages */
#define BIG_VA          0x80000000u     /* a 4 MiB page */
#define BIG_PA          0x00400000u
#define PDPTE3_VA       0xc0000000u     /* through PDPTE 3 */

/* What the real-mode code records (boot32.S, at RM_BASE). */
struct rm_results {
    u32 cr0, alias, int_hit, int_ip, int_cs, int_dx;
    u32 de_vec, de_ip, gp_vec, gp_ip, big_read, resume, vec, ip;
    u32 big_vec, done;
    u32 int_ret, de_at, gp_at, v86_int, v86_cli, v86_out, v86_int_at;
};
#define RM ((volatile struct rm_results *)0x8000) /* volatile: CPU's */

/* What the last exception from virtual-8086 mode looked like. */
static volatile u32 v86_vector, v86_error;     /* volatile: the handler's */
static volatile u32 v86_cs, v86_ip, v86_eflags; /* volatile: the handler's */

void cf_trap(struct cf_frame *f)
{
    const struct cf_ex_entry *e;

    if (f->eflags & EFLAGS_VM) {
        /* The monitor: record it, back to cf_vm86_call()'s caller. */
        v86_vector = f->vector;
        v86_error = f->error;
        v86_cs = f->cs;
        v86_ip = f->eip;
        v86_eflags = f->eflags;
        f->eip = (u32)cf_ring0_return;
        f->cs = 0x08;
        f->eflags &= ~EFLAGS_VM;
        return;
    }
    for (e = cf_ex_table_start; e < cf_ex_table_end; e++) {
        if (e->from == f->eip) {
            cf_vector = f->vector;
            cf_error = f->error;
            cf_rip = f->eip;
            if (f->vector == PF_VECTOR) {
                u32 cr2;

                asm volatile("mov %%cr2, %0" : "=r"(cr2));
                cf_cr2 = cr2;
            }
            f->eip = e->to;
            return;
        }
    }
    cf_abort("unexpected exception %u (error code 0x%x) at eip 0x%x, "
             "cs 0x%x, esp 0x%x", f->vector, f->error, f->eip, f->cs,
             f->esp0 + 20);
}

static u32 read_cr0_32(void)
{
    return read_cr0();
}

/* Memory at a physical (identity-mapped) address: the CPU's or ring 3's. */
static u32 peek(u32 addr)
{
    return *(volatile u32 *)addr;       /* volatile: written behind our back */
}

static void poke(u32 addr, u32 v)
{
    *(volatile u32 *)addr = v;          /* volatile: read behind our back */
}

/*
 * Memory accesses that may fault: the vector (-1 for none).  The
 * segment ones load ES with sel first and KDATA after.
 */
static int read_safe(u32 addr, u32 *val)
{
    u32 v = 0;

    cf_vector = -1;
    asm volatile("1: movl (%1), %0\n2:\n\t" CF_EXTABLE(1b, 2b)
                 : "+r"(v) : "r"(addr) : "memory");
    *val = v;
    return cf_vector;
}

static int write_safe(u32 addr, u32 val)
{
    cf_vector = -1;
    asm volatile("1: movl %0, (%1)\n2:\n\t" CF_EXTABLE(1b, 2b)
                 : : "r"(val), "r"(addr) : "memory");
    return cf_vector;
}

static int seg_read(u16 sel, u32 off, u32 *val)
{
    u32 v = 0;

    cf_vector = -1;
    asm volatile("mov %w2, %%es\n"
                 "1: movl %%es:(%1), %0\n2:\n\t"
                 "mov %w3, %%es\n\t" CF_EXTABLE(1b, 2b)
                 : "+r"(v) : "r"(off), "r"(sel), "r"(KDATA) : "memory");
    *val = v;
    return cf_vector;
}

static int seg_readb(u16 sel, u32 off)
{
    cf_vector = -1;
    asm volatile("mov %w1, %%es\n"
                 "1: movb %%es:(%0), %%al\n2:\n\t"
                 "mov %w2, %%es\n\t" CF_EXTABLE(1b, 2b)
                 : : "r"(off), "r"(sel), "r"(KDATA) : "eax", "memory");
    return cf_vector;
}

static int seg_write(u16 sel, u32 off, u32 val)
{
    cf_vector = -1;
    asm volatile("mov %w2, %%es\n"
                 "1: movl %0, %%es:(%1)\n2:\n\t"
                 "mov %w3, %%es\n\t" CF_EXTABLE(1b, 2b)
                 : : "r"(val), "r"(off), "r"(sel), "r"(KDATA) : "memory");
    return cf_vector;
}

/* Load ES (SS if ss) with sel, then KDATA (SS unchanged if it faulted). */
static int seg_load(u16 sel, bool ss)
{
    cf_vector = -1;
    if (ss) {
        asm volatile("mov %%ss, %%edx\n"
                     "1: mov %w0, %%ss\n2:\n\t"
                     "mov %%edx, %%ss\n\t" CF_EXTABLE(1b, 2b)
                     : : "r"(sel) : "edx", "memory");
    } else {
        asm volatile("1: mov %w0, %%es\n2:\n\t"
                     "mov %w1, %%es\n\t" CF_EXTABLE(1b, 2b)
                     : : "r"(sel), "r"(KDATA) : "memory");
    }
    return cf_vector;
}

static void test_protected(void)
{
    u32 cr0 = read_cr0_32(), v;
    int vec;

    report((cr0 & CR0_PE) && !(cr0 & CR0_PG),
           "32-bit protected mode, paging off: CR0.PE=1, CR0.PG=0 (0x%x)",
           cr0);

    poke(0x10010, 0x5e65ba5e);
    vec = seg_read(SEG_BASE, 0x10, &v);
    report(vec < 0 && v == 0x5e65ba5e,
           "a data segment's base: base 0x10000 offset 0x10 is linear "
           "0x10010 (%s, 0x%x)", cf_vec_name(vec), v);

    vec = seg_read(SEG_LIMIT, 0xffc, &v);
    report(vec < 0, "limit 0xfff: a dword at 0xffc is inside (%s)",
           cf_vec_name(vec));
    vec = seg_read(SEG_LIMIT, 0xffd, &v);
    report(vec == GP_VECTOR && cf_error == 0,
           "limit 0xfff: a dword at 0xffd crosses it: #GP(0) (%s, 0x%llx)",
           cf_vec_name(vec), (unsigned long long)cf_error);
    vec = seg_readb(SEG_LIMIT, 0x1000);
    report(vec == GP_VECTOR && cf_error == 0,
           "limit 0xfff: a byte at 0x1000: #GP(0) (%s, 0x%llx)",
           cf_vec_name(vec), (unsigned long long)cf_error);
    vec = seg_write(SEG_LIMIT, 0x2000, 0);
    report(vec == GP_VECTOR && cf_error == 0,
           "limit 0xfff: a write at 0x2000: #GP(0) (%s, 0x%llx)",
           cf_vec_name(vec), (unsigned long long)cf_error);

    vec = seg_read(SEG_EXPDOWN, 0x800, &v);
    report(vec == GP_VECTOR && cf_error == 0,
           "expand-down, limit 0xfff: a dword at 0x800: #GP(0) (%s, 0x%llx)",
           cf_vec_name(vec), (unsigned long long)cf_error);
    vec = seg_readb(SEG_EXPDOWN, 0xfff);
    report(vec == GP_VECTOR && cf_error == 0,
           "expand-down, limit 0xfff: a byte at 0xfff: #GP(0) (%s, 0x%llx)",
           cf_vec_name(vec), (unsigned long long)cf_error);
    poke(0x1000, 0xd0e1d0e1);
    vec = seg_read(SEG_EXPDOWN, 0x1000, &v);
    report(vec < 0 && v == 0xd0e1d0e1,
           "expand-down, limit 0xfff: a dword at 0x1000 is inside (%s, 0x%x)",
           cf_vec_name(vec), v);

    vec = seg_read(SEG_RO, 0x10010, &v);
    report(vec < 0 && v == 0x5e65ba5e,
           "read-only data segment: a read works (%s)", cf_vec_name(vec));
    vec = seg_write(SEG_RO, 0x10010, 0);
    report(vec == GP_VECTOR && cf_error == 0 && peek(0x10010) == 0x5e65ba5e,
           "read-only data segment: a write raises #GP(0), memory unchanged "
           "(%s, 0x%llx)", cf_vec_name(vec), (unsigned long long)cf_error);
    poke(0x10010, 0x5e65ba5e);
    vec = seg_write(SEG_CODE_R, 0x10010, 0);
    report(vec == GP_VECTOR && cf_error == 0 && peek(0x10010) == 0x5e65ba5e,
           "readable code segment in ES: a write raises #GP(0) (%s, 0x%llx)",
           cf_vec_name(vec), (unsigned long long)cf_error);
    poke(0x10010, 0x5e65ba5e);
    vec = seg_read(SEG_CODE_R, 0x10010, &v);
    report(vec < 0 && v == 0x5e65ba5e,
           "readable code segment in ES: a read works (%s)", cf_vec_name(vec));

    vec = seg_load(SEG_NP, false);
    report(vec == NP_VECTOR && cf_error == SEG_NP,
           "loading a not-present data segment: #NP(selector) (%s, 0x%llx)",
           cf_vec_name(vec), (unsigned long long)cf_error);
    vec = seg_load(SEG_XO, false);
    report(vec == GP_VECTOR && cf_error == SEG_XO,
           "loading an execute-only code segment into ES: #GP(selector) "
           "(%s, 0x%llx)", cf_vec_name(vec), (unsigned long long)cf_error);
    vec = seg_load(SEG_RO, true);
    report(vec == GP_VECTOR && cf_error == SEG_RO,
           "loading a read-only data segment into SS: #GP(selector) "
           "(%s, 0x%llx)", cf_vec_name(vec), (unsigned long long)cf_error);
    vec = seg_load(KDATA | 3, false);
    report(vec == GP_VECTOR && cf_error == KDATA,
           "loading a DPL 0 data segment with RPL 3: #GP(selector) "
           "(%s, 0x%llx)", cf_vec_name(vec), (unsigned long long)cf_error);
    vec = seg_read(0, 0x10010, &v);
    report(vec == GP_VECTOR && cf_error == 0,
           "an access through a null ES: #GP(0) (%s, 0x%llx)",
           cf_vec_name(vec), (unsigned long long)cf_error);
}

/* Ring 3: one access, its address and value in these. */
static volatile u32 user_addr, user_val; /* volatile: ring 3 sets them */
static volatile int user_vec;           /* volatile: ring 3 sets it */

static void user_read(void)
{
    u32 v;

    user_vec = read_safe(user_addr, &v);
    user_val = v;
}

static void user_write(void)
{
    user_vec = write_safe(user_addr, user_val);
}

static void user_sgdt(void)
{
    static u8 gdtr[6];

    cf_vector = -1;
    asm volatile("1: sgdt %0\n2:\n\t" CF_EXTABLE(1b, 2b)
                 : "=m"(gdtr) : : "memory");
    user_vec = cf_vector;
}

static void test_umip(void)
{
    u32 cr4 = read_cr4();

    if (!cf_has(7, 0, CF_ECX, 2)) {
        report_skip("UMIP: not in CPUID");
        return;
    }
    write_cr4(cr4 | CR4_UMIP);
    cf_user_call(user_sgdt);
    write_cr4(cr4);
    report(user_vec == GP_VECTOR && cf_error == 0,
           "CR4.UMIP: SGDT at CPL 3 raises #GP(0) (%s, 0x%llx)",
           cf_vec_name(user_vec), (unsigned long long)cf_error);
    cf_user_call(user_sgdt);
    report(user_vec < 0, "CR4.UMIP clear: SGDT at CPL 3 works (%s)",
           cf_vec_name(user_vec));
}

/* Page-aligned, as the CPU wants them. */
static u32 pd[1024] __attribute__((aligned(4096)));
static u32 pt_id[2][1024] __attribute__((aligned(4096)));   /* 0-8 MiB */
static u32 pt_test[2][1024] __attribute__((aligned(4096)));
static u8 frames[4][4096] __attribute__((aligned(4096)));

static u64 pdpt[4] __attribute__((aligned(32)));
static u64 pdpt_bad[4] __attribute__((aligned(32)));
static u64 pae_pd[2][512] __attribute__((aligned(4096)));
static u64 pae_pt[512] __attribute__((aligned(4096)));

#define FRAME(i) ((u32)frames[i])


/* A #PF with this error code at this address. */
static bool is_pf(int vec, u32 ec, u32 addr)
{
    return vec == PF_VECTOR && cf_error == ec && cf_cr2 == addr;
}

static void fmt(char *buf, size_t size, const char *f, ...)
{
    va_list ap;

    va_start(ap, f);
    vsnprintf(buf, size, f, ap);
    va_end(ap);
}

/* What was seen, for a report: "#PF, 0x5, 0x40000040". */
static const char *pf_seen(int vec)
{
    static char buf[64];

    fmt(buf, sizeof(buf), "%s, 0x%llx, 0x%llx", cf_vec_name(vec),
        (unsigned long long)cf_error, (unsigned long long)cf_cr2);
    return buf;
}

static void user_access(void (*fn)(void), u32 addr, u32 val)
{
    user_addr = addr;
    user_val = val;
    user_vec = -1;
    cf_error = cf_cr2 = 0;
    cf_user_call(fn);
}

static void test_paging32(void)
{
    u32 cr0 = read_cr0_32(), cr4 = read_cr4(), v;
    int i, j, vec;

    /* 0-8 MiB identity-mapped, user and writable; the rest per test. */
    for (i = 0; i < 2; i++) {
        pd[i] = (u32)pt_id[i] | PTE_P | PTE_W | PTE_U;
        for (j = 0; j < 1024; j++) {
            pt_id[i][j] = (i * 1024 + j) * 4096 | PTE_P | PTE_W | PTE_U;
        }
    }
    pd[TEST_VA >> 22] = (u32)pt_test[0] | PTE_P | PTE_W | PTE_U;
    pt_test[0][0] = FRAME(0) | PTE_P | PTE_W;           /* supervisor */
    pt_test[0][1] = 0;                                  /* not present */
    pt_test[0][2] = FRAME(1) | PTE_P | PTE_U;           /* user, read-only */
    pt_test[0][3] = FRAME(2) | PTE_P;                   /* sup., read-only */
    pt_test[0][4] = FRAME(3) | PTE_P | PTE_W | PTE_U;   /* A and D */
    /* A supervisor PDE over a user PTE. */
    pd[(TEST_VA >> 22) + 1] = (u32)pt_test[1] | PTE_P | PTE_W;
    pt_test[1][0] = FRAME(3) | PTE_P | PTE_W | PTE_U;

    write_cr4(cr4 & ~(CR4_PAE | CR4_PSE));
    write_cr3((u32)pd);
    write_cr0(cr0 | CR0_PG | CR0_WP);

    poke(FRAME(0) + 0, 0);
    vec = write_safe(TEST_VA + 8, 0x32b17a9e);
    report(vec < 0 && peek(FRAME(0) + 8) == 0x32b17a9e,
           "32-bit paging: a 4 KiB page maps its frame (%s, 0x%x)",
           cf_vec_name(vec), peek(FRAME(0) + 8));

    vec = read_safe(TEST_VA + 0x1010, &v);
    report(is_pf(vec, 0, TEST_VA + 0x1010),
           "32-bit paging: read of a not-present page: #PF(0), CR2 "
           "(%s)", pf_seen(vec));
    vec = write_safe(TEST_VA + 0x1020, 0);
    report(is_pf(vec, PFEC_W, TEST_VA + 0x1020),
           "32-bit paging: write to a not-present page: #PF(W), CR2 "
           "(%s)", pf_seen(vec));

    poke(FRAME(2) + 0x30, 0);
    vec = write_safe(TEST_VA + 0x3030, 1);
    report(is_pf(vec, PFEC_P | PFEC_W, TEST_VA + 0x3030) &&
           peek(FRAME(2) + 0x30) == 0,
           "CR0.WP=1: supervisor write to a read-only page: #PF(P|W) "
           "(%s)", pf_seen(vec));
    write_cr0(cr0 | CR0_PG);
    vec = write_safe(TEST_VA + 0x3030, 2);
    report(vec < 0 && peek(FRAME(2) + 0x30) == 2,
           "CR0.WP=0: supervisor write to a read-only page works (%s, %u)",
           cf_vec_name(vec), peek(FRAME(2) + 0x30));
    write_cr0(cr0 | CR0_PG | CR0_WP);

    user_access(user_read, TEST_VA + 0x40, 0);
    report(is_pf(user_vec, PFEC_P | PFEC_U, TEST_VA + 0x40),
           "user read of a supervisor page: #PF(P|U) (%s)",
           pf_seen(user_vec));
    poke(FRAME(1) + 0x50, 0x05e4ead);
    user_access(user_read, TEST_VA + 0x2050, 0);
    report(user_vec < 0 && user_val == 0x05e4ead,
           "user read of a user read-only page works (%s, 0x%x)",
           cf_vec_name(user_vec), user_val);
    user_access(user_write, TEST_VA + 0x2050, 0);
    report(is_pf(user_vec, PFEC_P | PFEC_W | PFEC_U, TEST_VA + 0x2050) &&
           peek(FRAME(1) + 0x50) == 0x05e4ead,
           "user write to a user read-only page: #PF(P|W|U) "
           "(%s)", pf_seen(user_vec));
    user_access(user_write, TEST_VA + 0x1060, 0);
    report(is_pf(user_vec, PFEC_W | PFEC_U, TEST_VA + 0x1060),
           "user write to a not-present page: #PF(W|U) (%s)",
           pf_seen(user_vec));
    user_access(user_read, TEST_VA + 0x400070, 0);
    report(is_pf(user_vec, PFEC_P | PFEC_U, TEST_VA + 0x400070),
           "user read through a supervisor PDE and a user PTE: #PF(P|U) "
           "(%s)", pf_seen(user_vec));

    /* Accessed and dirty: the CPU sets them in our tables. */
    pd[TEST_VA >> 22] &= ~(PTE_A | PTE_D);
    pt_test[0][4] &= ~(PTE_A | PTE_D);
    write_cr3((u32)pd);
    vec = read_safe(TEST_VA + 0x4000, &v);
    report(vec < 0 && (pt_test[0][4] & (PTE_A | PTE_D)) == PTE_A &&
           (pd[TEST_VA >> 22] & PTE_A),
           "32-bit paging: a read sets A in the PTE and the PDE, not D "
           "(PTE 0x%x, PDE 0x%x)", pt_test[0][4], pd[TEST_VA >> 22]);
    vec = write_safe(TEST_VA + 0x4000, 1);
    report(vec < 0 && (pt_test[0][4] & (PTE_A | PTE_D)) == (PTE_A | PTE_D),
           "32-bit paging: a write sets D in the PTE (PTE 0x%x)",
           pt_test[0][4]);

    /* PDE.PS is ignored without CR4.PSE: the PDE points to a table. */
    pd[BIG_VA >> 22] = (u32)pt_test[0] | PTE_P | PTE_W | PTE_PS;
    write_cr3((u32)pd);
    poke(FRAME(0) + 0x80, 0x9a9e7ab1);
    vec = read_safe(BIG_VA + 0x80, &v);
    report(vec < 0 && v == 0x9a9e7ab1,
           "CR4.PSE=0: PDE.PS is ignored, the PDE points to a page table "
           "(%s, 0x%x)", cf_vec_name(vec), v);

    if (cf_has(1, 0, CF_EDX, 3)) {
        write_cr4((cr4 & ~CR4_PAE) | CR4_PSE);
        pd[BIG_VA >> 22] = BIG_PA | PTE_P | PTE_W | PTE_PS;
        write_cr3((u32)pd);
        poke(BIG_PA + 0x3ff000, 0x4b16ba9e);
        vec = read_safe(BIG_VA + 0x3ff000, &v);
        report(vec < 0 && v == 0x4b16ba9e,
               "CR4.PSE=1: a 4 MiB page maps its 4 MiB (%s, 0x%x)",
               cf_vec_name(vec), v);
        vec = write_safe(BIG_VA + 0x3ff004, 7);
        report(vec < 0 && (pd[BIG_VA >> 22] & (PTE_A | PTE_D)) ==
               (PTE_A | PTE_D),
               "CR4.PSE=1: a write sets A and D in the 4 MiB PDE (0x%x)",
               pd[BIG_VA >> 22]);
    } else {
        report_skip("4 MiB pages: no PSE in CPUID");
    }

    write_cr0(cr0);
    write_cr4(cr4);
}

static u32 max_phys_bits(void)
{
    if (cpuid(0x80000000).a >= 0x80000008) {
        return cpuid(0x80000008).a & 0xff;
    }
    return 36;
}

/*
 * Call the RET at TEST_VA + 0x1000: -1 if it returned, else the vector
 * of the fetch fault.  Not inlined: one exception table entry for it.
 */
static __attribute__((noinline)) int exec_nx_page(void)
{
    cf_vector = -1;
    asm volatile("call *%0\n\t"
                 "jmp 2f\n"
                 "1: add $4, %%esp\n"
                 "2:\n\t" CF_EXTABLE(0x40001000, 1b)
                 : : "r"(TEST_VA + 0x1000) : "memory");
    return cf_vector;
}

/*
 * MOV to CR3 (or to CR0, via_cr0) with a reserved bit in
 * PDPTE 3 (which nothing runs through).  Intel's CPUs load the PDPTEs
 * there and raise #GP(0) (SDM vol. 3, 4.4.1); AMD's do in "host-only"
 * legacy PAE mode, but in a guest with nested paging read them on
 * demand (APM vol. 2, 15.25.10): then an access through the PDPTE
 * raises #PF(P|RSVD).
 */
static void test_pdpte(u32 cr0, u64 bit, const char *name, bool via_cr0)
{
    int vec, vec2 = -1;
    u32 v;
    bool ok;

    memcpy(pdpt_bad, pdpt, sizeof(pdpt));
    pdpt_bad[3] = (u32)pae_pd[1] | PTE_P | bit;
    if (via_cr0) {
        write_cr0(cr0);
        write_cr3((u32)pdpt_bad);
        vec = write_cr0_safe(cr0 | CR0_PG);
    } else {
        vec = write_cr3_safe((u32)pdpt_bad);
    }
    if (vec < 0) {
        vec2 = read_safe(PDPTE3_VA, &v);
        write_cr0(cr0);
    }
    write_cr3((u32)pdpt);
    write_cr0(cr0 | CR0_PG);
    if (cf_is_intel()) {
        ok = vec == GP_VECTOR && cf_error == 0;
    } else {
        ok = (vec == GP_VECTOR && cf_error == 0) ||
             (vec < 0 && is_pf(vec2, PFEC_P | PFEC_RSVD, PDPTE3_VA));
    }
    report(ok, "PAE: %s in a present PDPTE: #GP on the MOV to %s that loads "
           "it (or, AMD nested paging, #PF(P|RSVD) on use) (%s, then %s)",
           name, via_cr0 ? "CR0" : "CR3", cf_vec_name(vec),
           cf_vec_name(vec2));
}

static void test_pae(void)
{
    u32 cr0 = read_cr0_32(), cr4 = read_cr4(), v;
    u32 maxphys = max_phys_bits();
    u64 efer = 0;
    bool nx = HAS_NX();
    int i, vec;

    pdpt[0] = (u32)pae_pd[0] | PTE_P;
    pdpt[1] = (u32)pae_pd[1] | PTE_P;
    pdpt[2] = pdpt[3] = 0;
    for (i = 0; i < 4; i++) {
        pae_pd[0][i] = (u64)i << 21 | PTE_P | PTE_W | PTE_U | PTE_PS;
    }
    pae_pd[1][0] = (u32)pae_pt | PTE_P | PTE_W;
    pae_pd[1][1] = BIG_PA | PTE_P | PTE_W | PTE_PS;
    pae_pd[1][2] = BIG_PA | PTE_P | PTE_W | PTE_PS | BIT(13);
    pae_pd[1][3] = (u32)pae_pt | PTE_P | PTE_W |
                   (maxphys < 52 ? BIT(maxphys) : 0);
    pae_pt[0] = FRAME(0) | PTE_P | PTE_W;
    pae_pt[1] = FRAME(1) | PTE_P | PTE_W;
    pae_pt[2] = FRAME(2) | PTE_P | PTE_W | PTE_NX;
    pae_pt[3] = 0;
    frames[1][0] = 0xc3;        /* RET */

    write_cr4((cr4 & ~CR4_PSE) | CR4_PAE);
    write_cr3((u32)pdpt);
    write_cr0(cr0 | CR0_PG | CR0_WP);

    poke(FRAME(0) + 0x10, 0);
    vec = write_safe(TEST_VA + 0x10, 0x9ae4ba9e);
    report(vec < 0 && peek(FRAME(0) + 0x10) == 0x9ae4ba9e,
           "PAE paging: a 4 KiB page maps its frame (%s, 0x%x)",
           cf_vec_name(vec), peek(FRAME(0) + 0x10));
    vec = read_safe(TEST_VA + 0x3008, &v);
    report(is_pf(vec, 0, TEST_VA + 0x3008),
           "PAE paging: read of a not-present page: #PF(0), CR2 "
           "(%s)", pf_seen(vec));

    poke(BIG_PA + 0x1ff000, 0x2b16ba9e);
    pae_pd[1][1] &= ~(PTE_A | PTE_D);
    write_cr3((u32)pdpt);
    vec = read_safe(TEST_VA + 0x200000 + 0x1ff000, &v);
    report(vec < 0 && v == 0x2b16ba9e,
           "PAE paging: a 2 MiB page maps its 2 MiB (%s, 0x%x)",
           cf_vec_name(vec), v);
    report((pae_pd[1][1] & (PTE_A | PTE_D)) == PTE_A,
           "PAE paging: a read sets A in the 2 MiB PDE, not D (0x%llx)",
           (unsigned long long)pae_pd[1][1]);
    vec = write_safe(TEST_VA + 0x200000 + 0x1ff004, 1);
    report(vec < 0 && (pae_pd[1][1] & (PTE_A | PTE_D)) == (PTE_A | PTE_D),
           "PAE paging: a write sets D in the 2 MiB PDE (0x%llx)",
           (unsigned long long)pae_pd[1][1]);

    vec = read_safe(TEST_VA + 0x400000, &v);
    report(is_pf(vec, PFEC_P | PFEC_RSVD, TEST_VA + 0x400000),
           "PAE paging: bit 13 (reserved) in a 2 MiB PDE: #PF(P|RSVD) "
           "(%s)", pf_seen(vec));
    if (maxphys < 52) {
        vec = read_safe(TEST_VA + 0x600000, &v);
        report(is_pf(vec, PFEC_P | PFEC_RSVD, TEST_VA + 0x600000),
               "PAE paging: bit MAXPHYADDR (reserved) in a PDE: "
               "#PF(P|RSVD) (%s, MAXPHYADDR %u)",
               pf_seen(vec), maxphys);
    }

    /* NX: bit 63 reserved without EFER.NXE, execute-disable with it. */
    vec = read_safe(TEST_VA + 0x2000, &v);
    report(is_pf(vec, PFEC_P | PFEC_RSVD, TEST_VA + 0x2000),
           "PAE paging, EFER.NXE=0: bit 63 in a PTE is reserved: "
           "#PF(P|RSVD) (%s)", pf_seen(vec));
    vec = exec_nx_page();
    report(vec < 0, "PAE paging: code runs from a page without NX (%s)",
           cf_vec_name(vec));
    if (nx) {
        efer = rdmsr(MSR_EFER);
        wrmsr(MSR_EFER, efer | EFER_NXE);
        pae_pt[1] |= PTE_NX;
        invlpg(TEST_VA + 0x1000);
        vec = read_safe(TEST_VA + 0x1000, &v);
        report(vec < 0 && (v & 0xff) == 0xc3,
               "EFER.NXE=1: a read from an NX page works (%s)",
               cf_vec_name(vec));
        vec = exec_nx_page();
        report(is_pf(vec, PFEC_P | PFEC_ID, TEST_VA + 0x1000),
               "EFER.NXE=1: a fetch from an NX page: #PF(P|I/D), CR2 "
               "(%s)", pf_seen(vec));
        vec = read_safe(TEST_VA + 0x2000, &v);
        report(vec < 0, "EFER.NXE=1: bit 63 is no longer reserved (%s)",
               cf_vec_name(vec));
        wrmsr(MSR_EFER, efer);
    } else {
        report_skip("NX: not in CPUID");
    }

    test_pdpte(cr0 | CR0_WP, BIT(62), "bit 62 (reserved)", false);
    test_pdpte(cr0 | CR0_WP, BIT(1), "bit 1 (R/W, reserved)", false);
    test_pdpte(cr0 | CR0_WP, BIT(62), "bit 62 (reserved)", true);

    write_cr0(cr0);
    write_cr4(cr4);
}

static void test_real_mode(void)
{
    poke(0x200000, 0xb16ea1);
    poke(0x200004, 0);
    poke(0x12350, 0);
    cf_real_mode();
    report(RM->done == 1, "real mode: there and back to protected mode "
           "(0x%x)", RM->done);
    if (RM->done != 1) {
        return;
    }
    report(!(RM->cr0 & CR0_PE), "real mode: CR0.PE reads 0 (0x%x)", RM->cr0);
    report(peek(0x12350) == 0x5eca1234 && RM->alias == 0x5eca1234,
           "real mode: 0x1234:0x10 is linear 0x12350, and so is 0x1235:0 "
           "(0x%x, 0x%x)", peek(0x12350), RM->alias);
    report(RM->int_hit == 0x40 && RM->int_ip == RM->int_ret &&
           RM->int_cs == 0x800 && (RM->int_dx & 0xffff) == 0x4242,
           "real mode: INT 0x40 through the IVT, CS:IP after the INT pushed, "
           "IRET back (0x%x, %x:%x)", RM->int_hit, RM->int_cs, RM->int_ip);
    report(RM->de_vec == 0 && RM->de_ip == RM->de_at,
           "real mode: DIV by zero: #DE through the IVT, IP of the DIV "
           "(%d, 0x%x)", (int)RM->de_vec, RM->de_ip);
    report(RM->gp_vec == 13 && RM->gp_ip == RM->gp_at,
           "real mode: a 32-bit offset beyond the 64 KiB limit: #GP "
           "through the IVT (%d, 0x%x)", (int)RM->gp_vec, RM->gp_ip);
    report((int)RM->big_vec == -1 && RM->big_read == 0xb16ea1 &&
           peek(0x200004) == 0xb16b16,
           "big real mode: a 4 GiB FS limit from protected mode reaches "
           "2 MiB (fault %d, 0x%x, 0x%x)", (int)RM->big_vec, RM->big_read,
           peek(0x200004));
}

static void test_vm86(void)
{
    if (RM->done != 1) {
        report_skip("virtual-8086 mode: the real-mode code did not run");
        return;
    }
    poke(0x12360, 0);
    v86_vector = -1;
    cf_vm86_call(RM->v86_int, 0x2);
    report(peek(0x12360) == 0x00086086,
           "virtual-8086 mode: 0x1234:0x20 is linear 0x12360 (0x%x)",
           peek(0x12360));
    report(v86_vector == GP_VECTOR && v86_error == 0 && v86_cs == 0x800 &&
           v86_ip == RM->v86_int_at && (v86_eflags & EFLAGS_VM),
           "virtual-8086 mode, IOPL 0: INT n raises #GP(0) at the INT "
           "(%s, 0x%x, %x:%x)", cf_vec_name(v86_vector), v86_error, v86_cs,
           v86_ip);
    v86_vector = -1;
    cf_vm86_call(RM->v86_cli, 0x2);
    report(v86_vector == GP_VECTOR && v86_error == 0 &&
           v86_ip == RM->v86_cli,
           "virtual-8086 mode, IOPL 0: CLI raises #GP(0) (%s, 0x%x, %x:%x)",
           cf_vec_name(v86_vector), v86_error, v86_cs, v86_ip);
    v86_vector = -1;
    cf_vm86_call(RM->v86_cli, 0x2 | EFLAGS_IOPL3);
    report(v86_vector == GP_VECTOR && v86_ip == RM->v86_cli + 1,
           "virtual-8086 mode, IOPL 3: CLI runs, HLT raises #GP "
           "(%s, %x:%x)", cf_vec_name(v86_vector), v86_cs, v86_ip);
    v86_vector = -1;
    cf_vm86_call(RM->v86_out, 0x2 | EFLAGS_IOPL3);
    report(v86_vector == GP_VECTOR && v86_error == 0 &&
           v86_ip == RM->v86_out,
           "virtual-8086 mode: OUT without an I/O bitmap raises #GP(0), "
           "IOPL 3 or not (%s, 0x%x, %x:%x)", cf_vec_name(v86_vector),
           v86_error, v86_cs, v86_ip);
}

void cf_main(void)
{
    test_protected();
    test_umip();
    test_paging32();
    test_pae();
    /* Last: a CPU that cannot leave protected mode stops the kernel. */
    test_real_mode();
    test_vm86();
}
