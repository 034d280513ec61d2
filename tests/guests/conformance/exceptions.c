/*
 * Conformance: exceptions and debug events.
 *
 * Each exception a guest can raise arrives with its vector, its error
 * code and the RIP the architecture says (the faulting instruction for
 * faults, the next one for traps), also when the instruction exits to
 * the hypervisor or to QEMU; single-step (TF) and debug registers work
 * across such instructions.
 *
 * This work is licensed under the terms of the GNU GPL, version 2 or later.
 */
#include "cf.h"

const char cf_test_name[] = "exceptions";

#define DR6_BS          BIT(14)
#define DR6_B0          BIT(0)
#define RFLAGS_TF       0x100

/* The inputs of an asm, as one macro argument: IN("r"(x), "a"(y)). */
#define IN(...) __VA_ARGS__

/*
 * FAULT_AT(insn, at, inputs, clobbers...): run insn; a fault on it goes
 * on after it.  Sets at to insn's address.
 */
#define FAULT_AT(insn, at, in, ...)                                      \
    do {                                                                 \
        cf_vector = -1;                                                  \
        asm volatile("lea 1f(%%rip), %0\n"                               \
                     "1: " insn "\n2:\n\t" CF_EXTABLE(1b, 2b)            \
                     : "=&r"(at) : in : "memory", ##__VA_ARGS__);        \
    } while (0)

static void test_faults(void)
{
    u64 at;
    volatile u64 zero = 0;      /* volatile: no division folded away */

    FAULT_AT("divq %1", at, IN("r"((u64)zero), "a"(1ULL), "d"(0ULL)));
    report(cf_vector == DE_VECTOR && cf_rip == at,
           "DIV by zero: #DE at the DIV (%s)", cf_vec_name(cf_vector));

    FAULT_AT("ud2", at, "i"(0));
    report(cf_vector == UD_VECTOR && cf_rip == at, "UD2: #UD at UD2 (%s)",
           cf_vec_name(cf_vector));

    FAULT_AT("movq (%1), %%rax", at, "r"(0x8000000000000000ULL));
    report(cf_vector == GP_VECTOR && cf_error == 0 && cf_rip == at,
           "non-canonical load: #GP(0) (%s, 0x%llx)", cf_vec_name(cf_vector),
           (unsigned long long)cf_error);

    FAULT_AT("movq (%1), %%rax", at, "r"(0x0000100000000000ULL));
    report(cf_vector == PF_VECTOR && cf_error == 0 &&
           cf_cr2 == 0x0000100000000000ULL && cf_rip == at,
           "load from a not-present page: #PF, error code 0, CR2 (%s, 0x%llx, 0x%llx)",
           cf_vec_name(cf_vector), (unsigned long long)cf_error,
           (unsigned long long)cf_cr2);

    FAULT_AT("movq %%rax, (%1)", at, "r"(0x0000100000000008ULL));
    report(cf_vector == PF_VECTOR && cf_error == 2 &&
           cf_cr2 == 0x0000100000000008ULL,
           "store to a not-present page: #PF, error code W (%s, 0x%llx)",
           cf_vec_name(cf_vector), (unsigned long long)cf_error);

    cf_vector = -1;
    asm volatile("push %%rbp\n\t"
                 "mov %1, %%rbp\n\t"
                 "1: movq (%%rbp), %%rax\n"
                 "2: pop %%rbp\n\t" CF_EXTABLE(1b, 2b)
                 : : "i"(0), "r"(0x8000000000000000ULL) : "rax", "memory");
    report(cf_vector == SS_VECTOR && cf_error == 0,
           "non-canonical load through RBP: #SS(0) (%s, 0x%llx)",
           cf_vec_name(cf_vector), (unsigned long long)cf_error);

    FAULT_AT("mov %w1, %%fs", at, "r"(0x40));
    report(cf_vector == NP_VECTOR && cf_error == 0x40 && cf_rip == at,
           "loading a not-present data segment: #NP(selector) (%s, 0x%llx)",
           cf_vec_name(cf_vector), (unsigned long long)cf_error);
    asm volatile("mov %w0, %%fs" : : "r"(0));

    FAULT_AT("mov %w1, %%fs", at, "r"(0x1000));
    report(cf_vector == GP_VECTOR && cf_error == 0x1000,
           "a selector beyond the GDT limit: #GP(selector) (%s, 0x%llx)",
           cf_vec_name(cf_vector), (unsigned long long)cf_error);
    asm volatile("mov %w0, %%fs" : : "r"(0));
}

static void test_syscall_ud(void)
{
    u64 efer = rdmsr(0xc0000080), at;

    wrmsr(0xc0000080, efer & ~1ULL);
    FAULT_AT("syscall", at, "i"(0), "rcx", "r11");
    report(cf_vector == UD_VECTOR && cf_rip == at,
           "SYSCALL with EFER.SCE clear: #UD (%s)", cf_vec_name(cf_vector));
    wrmsr(0xc0000080, efer);
}

/*
 * TRAP_AFTER(insn, after, inputs, clobbers...): a trap right after insn
 * goes on there; after is the address after insn.
 */
#define TRAP_AFTER(insn, after, in, ...)                                 \
    do {                                                                 \
        cf_vector = -1;                                                  \
        asm volatile("lea 2f(%%rip), %0\n"                               \
                     insn "\n2:\n\t" CF_EXTABLE(2b, 2b)                  \
                     : "=&r"(after) : in : "memory", ##__VA_ARGS__);     \
    } while (0)

static void test_traps(void)
{
    u64 after;

    TRAP_AFTER("int3", after, "i"(0));
    report(cf_vector == BP_VECTOR && cf_rip == after,
           "INT3: #BP, RIP after it (%s)", cf_vec_name(cf_vector));

    TRAP_AFTER("int $0x80", after, "i"(0));
    report(cf_vector == 0x80 && cf_rip == after,
           "INT 0x80: vector 0x80, RIP after it (%s)", cf_vec_name(cf_vector));

    TRAP_AFTER(".byte 0xf1", after, "i"(0));
    report(cf_vector == DB_VECTOR && cf_rip == after,
           "ICEBP: #DB, RIP after it (%s)", cf_vec_name(cf_vector));
}

/*
 * STEP(insn): set TF with POPF, run insn (the trap comes after it), and
 * check the #DB: after insn, with DR6.BS.
 */
#define STEP(name, insn, in, ...)                                        \
    do {                                                                 \
        u64 after;                                                       \
        cf_vector = -1;                                                  \
        cf_dr6 = 0;                                                      \
        asm volatile("lea 2f(%%rip), %0\n\t"                             \
                     "pushfq; orq $0x100, (%%rsp); popfq\n\t"            \
                     insn "\n2:\n\t" CF_EXTABLE(2b, 2b)                  \
                     : "=&r"(after) : in : "memory", ##__VA_ARGS__);     \
        report(cf_vector == DB_VECTOR && cf_rip == after &&              \
               (cf_dr6 & DR6_BS),                                        \
               "single-step over %s: #DB after it, DR6.BS (%s, rip %s, " \
               "DR6 0x%llx)", name, cf_vec_name(cf_vector),                  \
               cf_rip == after ? "right" : "wrong",                      \
               (unsigned long long)cf_dr6);                              \
    } while (0)

static void test_single_step(void)
{
    u32 a = 0, c = 0;

    STEP("NOP", "nop", "i"(0));
    STEP("CPUID (an exit to the hypervisor)", "cpuid", IN("a"(a), "c"(c)),
         "rbx", "rdx");
    STEP("OUT (an exit to QEMU)", "outb %%al, $0x80", "a"(0));
    STEP("IN (an exit to QEMU)", "inb $0x61, %%al", "i"(0), "rax");
    STEP("RDMSR (an exit)", "rdmsr", "c"(0xc0000080), "rax", "rdx");
    STEP("an MMIO read (HPET)", "movl 0xfed00000, %%eax", "i"(0), "rax");
    STEP("a local APIC read", "movl 0xfee00030, %%eax", "i"(0), "rax");
}

static void test_debug_registers(void)
{
    static volatile u32 watched;        /* volatile: the CPU watches it */
    u64 at, after;

    /* DR0 on an instruction: a fault before it runs. */
    asm volatile("lea 1f(%%rip), %0\n\t"
                 "mov %0, %%dr0\n\t"
                 "mov %1, %%dr7\n\t"
                 "1: nop\n"
                 "2:\n\t" CF_EXTABLE(1b, 2b)
                 : "=&r"(at) : "r"(0x401ULL) : "memory");
    asm volatile("mov %0, %%dr7" : : "r"(0x400ULL));
    report(cf_vector == DB_VECTOR && cf_rip == at && (cf_dr6 & DR6_B0),
           "DR0 execute breakpoint: #DB before the instruction, DR6.B0 "
           "(%s, DR6 0x%llx)", cf_vec_name(cf_vector),
           (unsigned long long)cf_dr6);

    /* DR0 on data, writes of 4 bytes: a trap after the store. */
    cf_vector = -1;
    asm volatile("mov %1, %%dr0\n\t"
                 "mov %2, %%dr7\n\t"
                 "lea 2f(%%rip), %0\n\t"
                 "movl $1, (%1)\n"
                 "2:\n\t" CF_EXTABLE(2b, 2b)
                 : "=&r"(after)
                 : "r"(&watched),
                   "r"(0x400ULL | 1 | (1ULL << 16) | (3ULL << 18))
                 : "memory");
    asm volatile("mov %0, %%dr7" : : "r"(0x400ULL));
    report(cf_vector == DB_VECTOR && cf_rip == after && (cf_dr6 & DR6_B0) &&
           watched == 1,
           "DR0 write watchpoint: #DB after the store, DR6.B0 (%s, DR6 0x%llx)",
           cf_vec_name(cf_vector), (unsigned long long)cf_dr6);
}

static void test_fpu_exceptions(void)
{
    static const u32 mxcsr_zm_clear = 0x1f80 & ~(1U << 9);
    static const u32 mxcsr_default = 0x1f80;
    static const u16 fcw_zm_clear = 0x037f & ~(1U << 2);
    static const float one = 1.0f, zero = 0.0f;
    u64 at;

    /* SSE divide by zero, unmasked: #XM (CR4.OSXMMEXCPT is set). */
    asm volatile("ldmxcsr %0" : : "m"(mxcsr_zm_clear));
    /* (the library is built without SSE: nothing else uses XMM0) */
    FAULT_AT("movss %1, %%xmm0; divss %2, %%xmm0", at, IN("m"(one), "m"(zero)));
    report(cf_vector == XM_VECTOR, "SSE divide by zero, unmasked: #XM (%s)",
           cf_vec_name(cf_vector));
    asm volatile("ldmxcsr %0" : : "m"(mxcsr_default));

    /* x87 divide by zero, unmasked: #MF on the next waiting instruction. */
    asm volatile("fninit; fldcw %0" : : "m"(fcw_zm_clear));
    cf_vector = -1;
    asm volatile("fld1; fldz; fdivrp\n\t"
                 "lea 1f(%%rip), %0\n"
                 "1: fwait\n"
                 "2:\n\t" CF_EXTABLE(1b, 2b)
                 : "=&r"(at) : : "memory");
    report(cf_vector == MF_VECTOR && cf_rip == at,
           "x87 divide by zero, unmasked: #MF on FWAIT (%s)",
           cf_vec_name(cf_vector));
    asm volatile("fninit");
}

void cf_main(void)
{
    test_faults();
    test_syscall_ud();
    test_traps();
    test_single_step();
    test_debug_registers();
    test_fpu_exceptions();
}
