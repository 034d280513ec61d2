/*
 * Conformance: the instruction emulator, through every form of MMIO a
 * guest can use.
 *
 * The MMIO is pc-testdev's 64 KiB of device memory at 0xff000000 (the
 * runner adds -device pc-testdev), which reads back what was written:
 * every access to it leaves the guest and is decoded and carried out by
 * the hypervisor's emulator (or QEMU's, under TCG).  Each check compares
 * with the same instruction on ordinary RAM.
 *
 * Then the faults an emulator must raise itself: MMIO accesses that cross
 * into a page the guest has not mapped (the device's last page is mapped
 * at a test address of our own, the next page not), string instructions
 * that reach such a page after some iterations, and non-canonical
 * addresses with MMIO on the other side.
 *
 * This work is licensed under the terms of the GNU GPL, version 2 or later.
 */
#include "cf.h"

const char cf_test_name[] = "emulator";

/* Device memory: every access must happen. */
typedef volatile u8 mmio8;          /* volatile: MMIO */
typedef volatile u16 mmio16;        /* volatile: MMIO */
typedef volatile u32 mmio32;        /* volatile: MMIO */
typedef volatile u64 mmio64;        /* volatile: MMIO */

#define MMIO            ((mmio8 *)0xff000000UL)
#define M8(off)         (*(mmio8 *)(MMIO + (off)))
#define M16(off)        (*(mmio16 *)(MMIO + (off)))
#define M32(off)        (*(mmio32 *)(MMIO + (off)))
#define M64(off)        (*(mmio64 *)(MMIO + (off)))

static u8 ram[4096] __attribute__((aligned(64)));

/*
 * The test mapping: PML4 entry 128 (next to boot.S's identity map), 4 KiB
 * pages: VA(0) the device's last page, VA(1) not present, VA(2) a page
 * of RAM, VA(3) not present.
 */
#define PTE_P           BIT(0)
#define PTE_W           BIT(1)
#define PTE_PWT         BIT(3)
#define PTE_PCD         BIT(4)
#define PTE_ADDR        0x000ffffffffff000ULL
#define PFEC_W          0x2
#define BASE_PML4       128
#define VA(i)           (0x0000400000000000ULL + (i) * 0x1000ULL)
#define MMIO_LAST       0xf000          /* the device's last page */
#define NONCANONICAL    0x8000000000000000ULL

static u64 pdpt_t[512] __attribute__((aligned(4096)));
static u64 pd_t[512] __attribute__((aligned(4096)));
static u64 pt_t[512] __attribute__((aligned(4096)));
static u8 ram_page[4096] __attribute__((aligned(4096)));

static void test_mov(void)
{
    u64 v;

    M8(0) = 0x5a;
    report(M8(0) == 0x5a, "MOV byte to and from MMIO (0x%x)", M8(0));
    M16(2) = 0xbeef;
    report(M16(2) == 0xbeef, "MOV word (0x%x)", M16(2));
    M32(4) = 0xdeadbeef;
    report(M32(4) == 0xdeadbeef, "MOV dword (0x%x)", M32(4));
    M64(8) = 0x0123456789abcdefULL;
    v = M64(8);
    report(v == 0x0123456789abcdefULL, "MOV qword (0x%llx)",
           (unsigned long long)v);
    /* MOV with an immediate, and with a high-byte register. */
    asm volatile("movl $0x11223344, (%0)" : : "r"(MMIO + 16) : "memory");
    report(M32(16) == 0x11223344, "MOV imm32 to MMIO (0x%x)", M32(16));
    asm volatile("movb %%ah, (%0)" : : "S"(MMIO + 20), "a"(0x7f00) : "memory");
    report(M8(20) == 0x7f, "MOV from AH to MMIO (0x%x)", M8(20));
    asm volatile("movb (%1), %%ah" : "+a"(v) : "S"(MMIO + 20));
    report(((v >> 8) & 0xff) == 0x7f, "MOV from MMIO to AH (0x%llx)",
           (unsigned long long)v);
    /* A misaligned qword. */
    asm volatile("movq %1, (%0)" : : "r"(MMIO + 33),
                 "r"(0xa1a2a3a4a5a6a7a8ULL) : "memory");
    v = M64(33);
    report(v == 0xa1a2a3a4a5a6a7a8ULL, "misaligned MOV qword (0x%llx)",
           (unsigned long long)v);
}

static void test_movx(void)
{
    u64 r;

    M8(40) = 0x80;
    M16(42) = 0x8001;
    asm volatile("movzbq (%1), %0" : "=r"(r) : "r"(MMIO + 40));
    report(r == 0x80, "MOVZX byte from MMIO (0x%llx)", (unsigned long long)r);
    asm volatile("movsbq (%1), %0" : "=r"(r) : "r"(MMIO + 40));
    report(r == 0xffffffffffffff80ULL, "MOVSX byte from MMIO (0x%llx)",
           (unsigned long long)r);
    asm volatile("movzwl (%1), %k0" : "=r"(r) : "r"(MMIO + 42));
    report((u32)r == 0x8001, "MOVZX word from MMIO (0x%llx)",
           (unsigned long long)r);
    asm volatile("movswq (%1), %0" : "=r"(r) : "r"(MMIO + 42));
    report(r == 0xffffffffffff8001ULL, "MOVSX word from MMIO (0x%llx)",
           (unsigned long long)r);
    asm volatile("movslq (%1), %0" : "=r"(r) : "r"(MMIO + 4));
    report(r == 0xffffffffdeadbeefULL, "MOVSXD from MMIO (0x%llx)",
           (unsigned long long)r);
}

static bool mmio_equals(unsigned int off, const u8 *p, unsigned int n)
{
    unsigned int i;

    for (i = 0; i < n; i++) {
        if (M8(off + i) != p[i]) {
            return false;
        }
    }
    return true;
}

static void test_string(void)
{
    u64 rcx, rsi, rdi;
    unsigned int i;
    bool same;

    for (i = 0; i < 256; i++) {
        ram[i] = i * 7 + 3;
    }
    /* REP MOVSB/W/D/Q, RAM to MMIO. */
    rcx = 64;
    rsi = (u64)(ram);
    rdi = (u64)(MMIO + 0x100);
    asm volatile("rep movsb" : "+c"(rcx), "+S"(rsi), "+D"(rdi)
                 : : "memory");
    report(rcx == 0 && mmio_equals(0x100, ram, 64),
           "REP MOVSB RAM to MMIO (rcx %llu)", (unsigned long long)rcx);
    rcx = 16;
    rsi = (u64)(ram + 64);
    rdi = (u64)(MMIO + 0x200);
    asm volatile("rep movsl" : "+c"(rcx), "+S"(rsi), "+D"(rdi)
                 : : "memory");
    report(rcx == 0 && mmio_equals(0x200, ram + 64, 64),
           "REP MOVSD RAM to MMIO (rcx %llu)", (unsigned long long)rcx);
    rcx = 8;
    rsi = (u64)(ram + 128);
    rdi = (u64)(MMIO + 0x300);
    asm volatile("rep movsq" : "+c"(rcx), "+S"(rsi), "+D"(rdi)
                 : : "memory");
    report(rcx == 0 && mmio_equals(0x300, ram + 128, 64),
           "REP MOVSQ RAM to MMIO (rcx %llu)", (unsigned long long)rcx);

    /* MMIO to RAM. */
    memset(ram + 1024, 0, 64);
    rcx = 32;
    rsi = (u64)(MMIO + 0x100);
    rdi = (u64)(ram + 1024);
    asm volatile("rep movsw" : "+c"(rcx), "+S"(rsi), "+D"(rdi)
                 : : "memory");
    report(rcx == 0 && !memcmp(ram + 1024, ram, 64),
           "REP MOVSW MMIO to RAM (rcx %llu)", (unsigned long long)rcx);

    /* DF=1: backwards, from the last element. */
    rcx = 16;
    rsi = (u64)(ram + 60);
    rdi = (u64)(MMIO + 0x43c);
    asm volatile("std; rep movsl; cld" : "+c"(rcx), "+S"(rsi), "+D"(rdi)
                 : : "memory");
    report(rcx == 0 && mmio_equals(0x400, ram, 64) &&
           rdi == (u64)(MMIO + 0x3fc),
           "REP MOVSD with DF=1 to MMIO (rcx %llu, rdi 0x%llx)",
           (unsigned long long)rcx, (unsigned long long)rdi);

    /* STOS, LODS. */
    rcx = 32;
    rdi = (u64)(MMIO + 0x500);
    asm volatile("rep stosw" : "+c"(rcx), "+D"(rdi)
                 : "a"(0x1234) : "memory");
    same = rcx == 0;
    for (i = 0; i < 32; i++) {
        same &= M16(0x500 + 2 * i) == 0x1234;
    }
    report(same, "REP STOSW to MMIO (rcx %llu)", (unsigned long long)rcx);
    {
        u64 rax = 0;

        rsi = (u64)(MMIO + 0x200);
        asm volatile("lodsq" : "+S"(rsi), "=a"(rax) : : "memory");
        report(rax == *(u64 *)(ram + 64) && rsi == (u64)(MMIO + 0x208),
               "LODSQ from MMIO (0x%llx)", (unsigned long long)rax);
    }

    /* CMPS and SCAS: stop at the first difference. */
    M8(0x600 + 10) = ram[10] ^ 0xff;
    for (i = 0; i < 10; i++) {
        M8(0x600 + i) = ram[i];
    }
    rcx = 64;
    rsi = (u64)(ram);
    rdi = (u64)(MMIO + 0x600);
    asm volatile("repe cmpsb" : "+c"(rcx), "+S"(rsi), "+D"(rdi)
                 : : "memory", "cc");
    report(rcx == 64 - 11 && rsi == (u64)(ram + 11),
           "REPE CMPSB RAM against MMIO stops after the difference "
           "(rcx %llu)", (unsigned long long)rcx);
    rcx = 64;
    rdi = (u64)(MMIO + 0x600);
    asm volatile("repne scasb" : "+c"(rcx), "+D"(rdi)
                 : "a"(ram[5]) : "memory", "cc");
    report(rcx == 64 - 6 && rdi == (u64)(MMIO + 0x606),
           "REPNE SCASB in MMIO finds the byte (rcx %llu)",
           (unsigned long long)rcx);
}

static void test_alu(void)
{
    u64 flags = 0;

    M32(0x700) = 0x0f0f0f0f;
    asm volatile("orl $0xf0000000, (%0)" : : "r"(MMIO + 0x700)
                 : "memory", "cc");
    report(M32(0x700) == 0xff0f0f0f, "OR to MMIO (0x%x)", M32(0x700));
    asm volatile("andl $0x00ffffff, (%0)" : : "r"(MMIO + 0x700)
                 : "memory", "cc");
    report(M32(0x700) == 0x000f0f0f, "AND to MMIO (0x%x)", M32(0x700));
    asm volatile("xorl %1, (%0)" : : "r"(MMIO + 0x700), "r"(0x000f0000)
                 : "memory", "cc");
    report(M32(0x700) == 0x00000f0f, "XOR to MMIO (0x%x)", M32(0x700));
    asm volatile("addl $0xfffff0f1, (%1); pushfq; popq %0"
                 : "+r"(flags) : "r"(MMIO + 0x700) : "memory", "cc");
    report(M32(0x700) == 0 && (flags & 0x41) == 0x41,
           "ADD to MMIO sets ZF and CF (0x%x, flags 0x%llx)", M32(0x700),
           (unsigned long long)flags);
    M64(0x708) = 5;
    asm volatile("subq $7, (%0)" : : "r"(MMIO + 0x708) : "memory", "cc");
    report(M64(0x708) == (u64)-2, "SUB qword to MMIO (0x%llx)",
           (unsigned long long)M64(0x708));
    asm volatile("incq (%0); negq (%0); notq (%0)" : : "r"(MMIO + 0x708)
                 : "memory", "cc");
    report(M64(0x708) == (u64)-2, "INC, NEG, NOT on MMIO (0x%llx)",
           (unsigned long long)M64(0x708));
    M16(0x712) = 0x1234;
    asm volatile("cmpw $0x1234, (%1); pushfq; popq %0"
                 : "=r"(flags) : "r"(MMIO + 0x712) : "memory", "cc");
    report(flags & 0x40, "CMP with MMIO (flags 0x%llx)",
           (unsigned long long)flags);
    asm volatile("testw $0x0004, (%1); pushfq; popq %0"
                 : "=r"(flags) : "r"(MMIO + 0x712) : "memory", "cc");
    report(!(flags & 0x40), "TEST with MMIO (flags 0x%llx)",
           (unsigned long long)flags);
}

static void test_atomic(void)
{
    u64 r, flags;
    u32 eax, edx;

    M64(0x800) = 0x1111;
    r = 0x2222;
    asm volatile("xchgq %0, (%1)" : "+r"(r) : "r"(MMIO + 0x800) : "memory");
    report(r == 0x1111 && M64(0x800) == 0x2222, "XCHG with MMIO (0x%llx)",
           (unsigned long long)r);

    r = 0x2222;
    asm volatile("lock cmpxchgq %2, (%3); pushfq; popq %1"
                 : "+a"(r), "=r"(flags) : "r"(0x3333ULL), "r"(MMIO + 0x800)
                 : "memory", "cc");
    report((flags & 0x40) && M64(0x800) == 0x3333,
           "LOCK CMPXCHG on MMIO, equal: stores (0x%llx)",
           (unsigned long long)M64(0x800));
    r = 0x2222;
    asm volatile("lock cmpxchgq %2, (%3); pushfq; popq %1"
                 : "+a"(r), "=r"(flags) : "r"(0x4444ULL), "r"(MMIO + 0x800)
                 : "memory", "cc");
    report(!(flags & 0x40) && r == 0x3333 && M64(0x800) == 0x3333,
           "LOCK CMPXCHG on MMIO, different: loads RAX (0x%llx)",
           (unsigned long long)r);

    M64(0x808) = 0x0000000100000002ULL;
    eax = 2;
    edx = 1;
    asm volatile("lock cmpxchg8b (%2)"
                 : "+a"(eax), "+d"(edx) : "r"(MMIO + 0x808),
                   "b"(0x55), "c"(0x66) : "memory", "cc");
    report(M64(0x808) == 0x0000006600000055ULL, "LOCK CMPXCHG8B on MMIO "
           "(0x%llx)", (unsigned long long)M64(0x808));


    M32(0x820) = 0;
    asm volatile("lock btsl $5, (%1); pushfq; popq %0"
                 : "=r"(flags) : "r"(MMIO + 0x820) : "memory", "cc");
    report(M32(0x820) == 0x20 && !(flags & 1), "LOCK BTS on MMIO (0x%x)",
           M32(0x820));
    asm volatile("btrl $5, (%1); pushfq; popq %0"
                 : "=r"(flags) : "r"(MMIO + 0x820) : "memory", "cc");
    report(M32(0x820) == 0 && (flags & 1), "BTR on MMIO (0x%x)", M32(0x820));
    asm volatile("btcl $31, (%1); btl $31, (%1); pushfq; popq %0"
                 : "=r"(flags) : "r"(MMIO + 0x820) : "memory", "cc");
    report(M32(0x820) == 0x80000000 && (flags & 1), "BTC, BT on MMIO (0x%x)",
           M32(0x820));
    r = 0x42;
    asm volatile("lock xaddq %0, (%1)" : "+r"(r) : "r"(MMIO + 0x808)
                 : "memory", "cc");
    report(r == 0x0000006600000055ULL && M64(0x808) == 0x0000006600000097ULL,
           "LOCK XADD on MMIO (0x%llx)", (unsigned long long)M64(0x808));
}

static void test_stack(void)
{
    u64 r;

    M64(0x900) = 0xcafef00d;
    asm volatile("pushq (%1); popq %0" : "=r"(r) : "r"(MMIO + 0x900)
                 : "memory");
    report(r == 0xcafef00d, "PUSH from MMIO (0x%llx)", (unsigned long long)r);
    asm volatile("pushq %0; popq (%1)" : : "r"(0xfeedULL), "r"(MMIO + 0x908)
                 : "memory");
    report(M64(0x908) == 0xfeed, "POP to MMIO (0x%llx)",
           (unsigned long long)M64(0x908));
}

static void test_sse(void)
{
    static u8 src[16] __attribute__((aligned(16))) = {
        1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
    static u8 dst[16] __attribute__((aligned(16)));

    /* (the library is built without SSE: nothing else uses XMM0) */
    asm volatile("movdqa (%0), %%xmm0; movdqu %%xmm0, (%1)"
                 : : "r"(src), "r"(MMIO + 0xa00) : "memory");
    report(mmio_equals(0xa00, src, 16), "MOVDQU to MMIO");
    asm volatile("movdqa (%0), %%xmm0; movdqa %%xmm0, (%1)"
                 : : "r"(MMIO + 0xa00), "r"(dst) : "memory");
    report(!memcmp(dst, src, 16), "MOVDQA from MMIO");
    asm volatile("movq (%0), %%xmm0; movq %%xmm0, (%1)"
                 : : "r"(src + 8), "r"(MMIO + 0xa10) : "memory");
    report(mmio_equals(0xa10, src + 8, 8), "MOVQ from XMM to MMIO");
    asm volatile("movd (%0), %%xmm0; movd %%xmm0, (%1)"
                 : : "r"(MMIO + 0xa00), "r"(dst) : "memory");
    report(*(u32 *)dst == 0x04030201, "MOVD from MMIO (0x%x)", *(u32 *)dst);
}

/* Shifts and rotates with a memory operand (group 2). */
static void test_shift(void)
{
    u64 flags = 0;

    M8(0x710) = 0x80;
    asm volatile("shlb $1, (%1); pushfq; popq %0"
                 : "+r"(flags) : "r"(MMIO + 0x710) : "memory", "cc");
    report(M8(0x710) == 0 && (flags & 1), "SHL byte on MMIO (0x%x)",
           M8(0x710));
    M32(0x714) = 0x80000001;
    asm volatile("rorl $4, (%0)" : : "r"(MMIO + 0x714) : "memory", "cc");
    report(M32(0x714) == 0x18000000, "ROR dword on MMIO (0x%x)",
           M32(0x714));
}

/*
 * Every group 2 operation on MMIO gives the result and the flags it gives
 * on RAM (this CPU's own execution), from the same RFLAGS (CF set): count
 * 1, an immediate count, a count in CL above the operand's width.  OF is
 * compared for count 1 only, AF never (undefined).
 */
#define SHIFT_VS_RAM(mn, cnt_insn, cnt, name)                                \
    do {                                                                  \
        u32 ram = 0x8000a5c3, mmio_val;                                   \
        u64 fram, fmmio, mask = 0xc5 | ((cnt) == 1 ? 0x800 : 0);          \
        asm volatile("pushq $0x3; popfq; " mn "l " cnt_insn "(%1); "      \
                     "pushfq; popq %0"                                    \
                     : "=r"(fram) : "r"(&ram), "c"(cnt) : "memory", "cc"); \
        M32(0x730) = 0x8000a5c3;                                          \
        asm volatile("pushq $0x3; popfq; " mn "l " cnt_insn "(%1); "      \
                     "pushfq; popq %0"                                    \
                     : "=r"(fmmio) : "r"(MMIO + 0x730), "c"(cnt)          \
                     : "memory", "cc");                                   \
        mmio_val = M32(0x730);                                            \
        report(mmio_val == ram && !((fram ^ fmmio) & mask),               \
               name " on MMIO: as on RAM (0x%x 0x%x, flags 0x%llx 0x%llx)", \
               mmio_val, ram, (unsigned long long)fmmio,                  \
               (unsigned long long)fram);                                 \
    } while (0)

static void test_shift_all(void)
{
    SHIFT_VS_RAM("rol", "$1, ", 1, "ROL by 1");
    SHIFT_VS_RAM("ror", "$1, ", 1, "ROR by 1");
    SHIFT_VS_RAM("rcl", "$1, ", 1, "RCL by 1");
    SHIFT_VS_RAM("rcr", "$1, ", 1, "RCR by 1");
    SHIFT_VS_RAM("shl", "$1, ", 1, "SHL by 1");
    SHIFT_VS_RAM("shr", "$1, ", 1, "SHR by 1");
    SHIFT_VS_RAM("sar", "$1, ", 1, "SAR by 1");
    SHIFT_VS_RAM("rol", "$7, ", 7, "ROL by 7");
    SHIFT_VS_RAM("rcr", "$7, ", 7, "RCR by 7");
    SHIFT_VS_RAM("shr", "$7, ", 7, "SHR by 7");
    SHIFT_VS_RAM("sar", "$7, ", 7, "SAR by 7");
    SHIFT_VS_RAM("rol", "%%cl, ", 40, "ROL by CL=40");
    SHIFT_VS_RAM("rcl", "%%cl, ", 40, "RCL by CL=40");
    SHIFT_VS_RAM("shl", "%%cl, ", 40, "SHL by CL=40");
    SHIFT_VS_RAM("sar", "%%cl, ", 33, "SAR by CL=33");
    SHIFT_VS_RAM("shl", "%%cl, ", 0, "SHL by CL=0");
}

/* A 16-byte MMIO access. */
static void test_cmpxchg16b(void)
{
    u64 lo = 1, hi = 2;

    if (!cf_has(1, 0, CF_ECX, 13)) {
        report_skip("CMPXCHG16B not advertised");
        return;
    }
    M64(0x810) = 1;
    M64(0x818) = 2;
    asm volatile("lock cmpxchg16b (%2)"
                 : "+a"(lo), "+d"(hi) : "r"(MMIO + 0x810),
                   "b"(0x77ULL), "c"(0x88ULL) : "memory", "cc");
    report(M64(0x810) == 0x77 && M64(0x818) == 0x88,
           "LOCK CMPXCHG16B on MMIO (0x%llx 0x%llx)",
           (unsigned long long)M64(0x810), (unsigned long long)M64(0x818));
}

static bool map_init(void)
{
    u64 *pml4 = (u64 *)(read_cr3() & PTE_ADDR);

    if (pml4[BASE_PML4]) {
        report_skip("PML4 entry %d is in use: no cross-page tests", BASE_PML4);
        return false;
    }
    pdpt_t[0] = (u64)pd_t | PTE_P | PTE_W;
    pd_t[0] = (u64)pt_t | PTE_P | PTE_W;
    pt_t[0] = ((u64)MMIO + MMIO_LAST) | PTE_P | PTE_W | PTE_PCD | PTE_PWT;
    pt_t[2] = (u64)ram_page | PTE_P | PTE_W;
    pml4[BASE_PML4] = (u64)pdpt_t | PTE_P | PTE_W;
    write_cr3(read_cr3());
    return true;
}

static void map_fini(void)
{
    u64 *pml4 = (u64 *)(read_cr3() & PTE_ADDR);

    pml4[BASE_PML4] = 0;
    write_cr3(read_cr3());
}

/* The MMIO page's last two bytes, as the device has them. */
static u16 mmio_tail(void)
{
    return M8(MMIO_LAST + 0xffe) | M8(MMIO_LAST + 0xfff) << 8;
}

static void test_cross_page(void)
{
    u64 va = VA(0) + 0xffe, r = 0x5555555555555555ULL;

    /* A dword, two bytes in the MMIO page and two in the next, unmapped. */
    M8(MMIO_LAST + 0xffe) = 0xa5;
    M8(MMIO_LAST + 0xfff) = 0x5a;
    cf_vector = -1;
    asm volatile("1: movl (%1), %k0\n2:\n\t" CF_EXTABLE(1b, 2b)
                 : "+r"(r) : "r"(va) : "memory");
    report(cf_vector == PF_VECTOR && cf_error == 0 && cf_cr2 == VA(1) &&
           r == 0x5555555555555555ULL,
           "MOV dword from MMIO across into a not-present page: #PF(0), CR2 "
           "= the second page, register unchanged (%s, 0x%llx, 0x%llx)",
           cf_vec_name(cf_vector), (unsigned long long)cf_error,
           (unsigned long long)cf_cr2);

    cf_vector = -1;
    asm volatile("1: movl %k1, (%0)\n2:\n\t" CF_EXTABLE(1b, 2b)
                 : : "r"(va), "r"(0x11223344) : "memory");
    report(cf_vector == PF_VECTOR && cf_error == PFEC_W &&
           cf_cr2 == VA(1) && mmio_tail() == 0x5aa5,
           "MOV dword to MMIO across into a not-present page: #PF(W), CR2 = "
           "the second page, nothing written to the device (%s, 0x%llx, "
           "0x%llx, 0x%x)", cf_vec_name(cf_vector),
           (unsigned long long)cf_error, (unsigned long long)cf_cr2,
           mmio_tail());
}

/*
 * REP string instructions that reach VA(1) or VA(3) after some
 * iterations: every iteration before the faulting one is done, RCX, RSI
 * and RDI describe the faulting one (CR2), as for a restart.
 */
static void test_rep_fault(void)
{
    u64 rcx, rsi, rdi;
    unsigned int i;
    bool same;

    for (i = 0; i < 8; i++) {
        ram[i] = 0xc0 + i;
        M8(MMIO_LAST + 0xff8 + i) = 0;
    }
    /* RAM to MMIO: four bytes land in the device, then VA(1). */
    rcx = 8;
    rsi = (u64)ram;
    rdi = VA(0) + 0xffc;
    cf_vector = -1;
    asm volatile("1: rep movsb\n2:\n\t" CF_EXTABLE(1b, 2b)
                 : "+c"(rcx), "+S"(rsi), "+D"(rdi) : : "memory");
    same = true;
    for (i = 0; i < 4; i++) {
        same &= M8(MMIO_LAST + 0xffc + i) == ram[i];
    }
    report(cf_vector == PF_VECTOR && cf_error == PFEC_W && cf_cr2 == VA(1) &&
           rcx == 4 && rsi == (u64)ram + 4 && rdi == VA(1) && same,
           "REP MOVSB RAM to MMIO into a not-present page: #PF(W) after 4 "
           "bytes, RCX/RSI/RDI at the faulting byte (%s, rcx %llu, rdi "
           "0x%llx, %s)", cf_vec_name(cf_vector), (unsigned long long)rcx,
           (unsigned long long)rdi, same ? "written" : "not written");

    /* MMIO to RAM: the destination runs from VA(2) into VA(3). */
    for (i = 0; i < 8; i++) {
        M8(MMIO_LAST + 0x100 + i) = 0xd0 + i;
    }
    memset(ram_page + 0xff0, 0, 16);
    rcx = 8;
    rsi = VA(0) + 0x100;
    rdi = VA(2) + 0xffd;
    cf_vector = -1;
    asm volatile("1: rep movsb\n2:\n\t" CF_EXTABLE(1b, 2b)
                 : "+c"(rcx), "+S"(rsi), "+D"(rdi) : : "memory");
    same = ram_page[0xffd] == 0xd0 && ram_page[0xffe] == 0xd1 &&
           ram_page[0xfff] == 0xd2;
    report(cf_vector == PF_VECTOR && cf_error == PFEC_W && cf_cr2 == VA(3) &&
           rcx == 5 && rsi == VA(0) + 0x103 && rdi == VA(3) && same,
           "REP MOVSB MMIO to RAM into a not-present page: #PF(W) after 3 "
           "bytes, RCX/RSI/RDI at the faulting byte (%s, rcx %llu, rdi "
           "0x%llx, %s)", cf_vec_name(cf_vector), (unsigned long long)rcx,
           (unsigned long long)rdi, same ? "written" : "not written");

    /* STOSB from RAM into VA(3). */
    memset(ram_page + 0xff0, 0, 16);
    rcx = 16;
    rdi = VA(2) + 0xffa;
    cf_vector = -1;
    asm volatile("1: rep stosb\n2:\n\t" CF_EXTABLE(1b, 2b)
                 : "+c"(rcx), "+D"(rdi) : "a"(0x77) : "memory");
    same = true;
    for (i = 0xffa; i < 0x1000; i++) {
        same &= ram_page[i] == 0x77;
    }
    report(cf_vector == PF_VECTOR && cf_error == PFEC_W && cf_cr2 == VA(3) &&
           rcx == 10 && rdi == VA(3) && same,
           "REP STOSB from RAM into a not-present page: #PF(W) after 6 bytes, "
           "RCX/RDI at the faulting byte (%s, rcx %llu, rdi 0x%llx, %s)",
           cf_vec_name(cf_vector), (unsigned long long)rcx,
           (unsigned long long)rdi, same ? "written" : "not written");
}

static void test_noncanonical(void)
{
    u64 rcx = 4, rsi = (u64)(MMIO + 0x100), rdi = NONCANONICAL, r = 7;

    /* MOVS reads MMIO, then cannot write: nothing moves. */
    cf_vector = -1;
    asm volatile("1: rep movsb\n2:\n\t" CF_EXTABLE(1b, 2b)
                 : "+c"(rcx), "+S"(rsi), "+D"(rdi) : : "memory");
    report(cf_vector == GP_VECTOR && cf_error == 0 && rcx == 4 &&
           rsi == (u64)(MMIO + 0x100) && rdi == NONCANONICAL,
           "REP MOVSB from MMIO with a non-canonical RDI: #GP(0), RCX, RSI, "
           "RDI unchanged (%s, 0x%llx, rcx %llu)", cf_vec_name(cf_vector),
           (unsigned long long)cf_error, (unsigned long long)rcx);

    /* The MMIO address as base, a non-canonical sum with the index. */
    cf_vector = -1;
    asm volatile("1: movl (%1,%2), %k0\n2:\n\t" CF_EXTABLE(1b, 2b)
                 : "+r"(r) : "r"(MMIO), "r"(NONCANONICAL) : "memory");
    report(cf_vector == GP_VECTOR && cf_error == 0 && r == 7,
           "MOV from MMIO base plus an index, non-canonical: #GP(0) (%s, "
           "0x%llx)", cf_vec_name(cf_vector), (unsigned long long)cf_error);
    cf_vector = -1;
    M32(0xb00) = 0x600d600d;
    asm volatile("1: movl %k2, (%0,%1)\n2:\n\t" CF_EXTABLE(1b, 2b)
                 : : "r"(MMIO + 0xb00), "r"(NONCANONICAL), "r"(0xbad)
                 : "memory");
    report(cf_vector == GP_VECTOR && cf_error == 0 &&
           M32(0xb00) == 0x600d600d,
           "MOV to MMIO base plus an index, non-canonical: #GP(0), nothing "
           "written (%s, 0x%llx, 0x%x)", cf_vec_name(cf_vector),
           (unsigned long long)cf_error, M32(0xb00));
}

void cf_main(void)
{
    test_mov();
    test_movx();
    test_string();
    test_alu();
    test_atomic();
    test_stack();
    test_sse();
    if (map_init()) {
        test_cross_page();
        test_rep_fault();
        map_fini();
    }
    test_noncanonical();
    /* Last: what kvm_amd stops on (CMPXCHG16B). */
    test_shift();
    test_shift_all();
    test_cmpxchg16b();
}
