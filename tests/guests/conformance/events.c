/*
 * Conformance: interrupt and event delivery.
 *
 * Double faults (a contributory fault while delivering a contributory
 * fault, a #PF while delivering a #PF) and the benign pairs that are
 * not double faults; the interrupt shadows of STI and MOV SS, and
 * POPF's lack of one; HLT woken by a pending interrupt; NMIs, taken
 * with IF=0 and held while an NMI handler runs until its IRET; INT n,
 * INT3, ICEBP and INTO, and the gate privilege check from ring 3;
 * interrupt gates clear IF, trap gates keep it.
 *
 * Interrupts are self-IPIs through the local APIC (xAPIC, MMIO at the
 * APIC base), with the 8259 masked.  The handlers of the vectors below
 * are this file's own stubs (ev_trap()); every other vector still goes
 * to the library's cf_trap() and its exception table.
 *
 * This work is licensed under the terms of the GNU GPL, version 2 or later.
 */
#include "cf.h"

const char cf_test_name[] = "events";

#define DF_VECTOR       8
#define NMI_VECTOR      2
#define IRQ_VECTOR      0x40    /* the self-IPI */
#define RING0_VECTOR    0x81    /* from ring 3 back to ring 0 */
#define GATE_VECTOR     0x83    /* interrupt gate or trap gate */

#define RFLAGS_IF       0x200
#define DR6_BS          BIT(14)
#define DR6_INIT        0xffff0ff0ULL

#define KERNEL_CS       0x08
#define KERNEL_DS       0x10
#define USER_CS         0x23
#define USER_DS         0x2b

/* The ICR's self shorthand (the other xAPIC registers: cf.h). */
#define ICR_SELF        (1U << 18)

/* The inputs of an asm, as one macro argument: IN("r"(x), "a"(y)). */
#define IN(...) __VA_ARGS__

/*
 * The stubs: push (error code or 0, vector) as boot.S does, so that
 * ev_trap() gets a struct cf_frame.  #DF keeps the library's IST1.
 */
asm(".pushsection .text\n"
    ".align 16\n"
    "ev_stub_nmi: push $0; push $" CF_STR(NMI_VECTOR) "; jmp ev_common\n"
    "ev_stub_df: push $" CF_STR(DF_VECTOR) "; jmp ev_common\n"
    "ev_stub_irq: push $0; push $" CF_STR(IRQ_VECTOR) "; jmp ev_common\n"
    "ev_stub_ring0: push $0; push $" CF_STR(RING0_VECTOR) "; jmp ev_common\n"
    "ev_stub_gate: push $0; push $" CF_STR(GATE_VECTOR) "; jmp ev_common\n"
    CF_TRAP_COMMON(ev_common, ev_trap)
    ".popsection");

/* What the handlers saw, and what they should do. */
static volatile int irq_count;          /* volatile: set by the handler */
static volatile u64 irq_rip;            /* volatile: set by the handler */
static volatile u64 irq_skip;           /* volatile: a HLT to step over */
static volatile int nmi_count;          /* volatile: set by the handler */
static volatile u64 nmi_rip[2], nmi_rsp[2]; /* volatile: the handler's */
static volatile bool nmi_nest;          /* volatile: read by the handler */
static volatile int nmi_inside;         /* volatile: set by the handler */
static volatile int df_count;           /* volatile: set by the handler */
static volatile u64 df_error;           /* volatile: set by the handler */
static volatile u64 df_rsp, df_to;      /* volatile: read by the handler */
static volatile u64 ring0_rsp, ring0_to; /* volatile: read by the handler */
static volatile u64 gate_flags;         /* volatile: set by the handler */

/* Send an IPI; true once the ICR says it was delivered. */
static bool apic_ipi(u32 dest, u32 icr)
{
    int i;

    apic_write(APIC_ICR2, dest << 24);
    apic_write(APIC_ICR, icr);
    for (i = 0; i < 100000 && (apic_read(APIC_ICR) & ICR_BUSY); i++) {
        asm volatile("pause");
    }
    return !(apic_read(APIC_ICR) & ICR_BUSY);
}

/*
 * The self-NMI: addressed to our own APIC ID (Intel's xAPIC takes the
 * "self" shorthand with the fixed delivery mode only).
 */
static void self_nmi(void)
{
    apic_ipi(apic_read(APIC_ID) >> 24, ICR_NMI | ICR_ASSERT);
}

/* A fixed self-IPI of IRQ_VECTOR; true once it is pending in the IRR. */
static bool self_irq(void)
{
    int i;

    apic_ipi(0, ICR_SELF | ICR_ASSERT | ICR_FIXED | IRQ_VECTOR);
    for (i = 0; i < 100000 && !apic_irr(IRQ_VECTOR); i++) {
        asm volatile("pause");
    }
    return apic_irr(IRQ_VECTOR);
}

static void nmi_handler(struct cf_frame *f)
{
    int n = ++nmi_count, i;
    u32 a = 0, c = 0;

    if (n <= 2) {
        nmi_rip[n - 1] = f->rip;
        nmi_rsp[n - 1] = f->rsp;
    }
    if (n != 1 || !nmi_nest) {
        return;
    }
    self_nmi();
    /* CPUID exits to a hypervisor: a chance to inject it too early. */
    asm volatile("cpuid" : "+a"(a), "+c"(c) : : "rbx", "rdx");
    for (i = 0; i < 100000 && nmi_count == 1; i++) {
        asm volatile("pause");
    }
    nmi_inside = nmi_count;
}

static void __attribute__((used)) ev_trap(struct cf_frame *f)
{
    u64 flags;

    asm volatile("pushfq; popq %0" : "=r"(flags));
    switch (f->vector) {
    case NMI_VECTOR:
        nmi_handler(f);
        break;
    case DF_VECTOR:
        /* CS:RIP of a #DF are undefined: go on where the test said. */
        df_count++;
        df_error = f->error;
        f->rip = df_to;
        f->rsp = df_rsp;
        f->cs = KERNEL_CS;
        f->ss = KERNEL_DS;
        f->rflags = 2;
        break;
    case IRQ_VECTOR:
        irq_count++;
        irq_rip = f->rip;
        if (f->rip == irq_skip) {
            f->rip++;           /* taken before the HLT: do not hang */
        }
        apic_write(APIC_EOI, 0);
        break;
    case RING0_VECTOR:
        f->rip = ring0_to;
        f->rsp = ring0_rsp;
        f->cs = KERNEL_CS;
        f->ss = KERNEL_DS;
        f->rflags = 2;
        break;
    case GATE_VECTOR:
        gate_flags = flags;
        break;
    default:
        cf_abort("ev_trap: vector %llu", (unsigned long long)f->vector);
    }
}

static const void *lib_stub(int vec)
{
    return cf_isr_stubs + 16 * vec;
}

static const char *where(u64 rip, u64 a, const char *an, u64 b,
                         const char *bn)
{
    return rip == a ? an : rip == b ? bn : "elsewhere";
}

/*
 * EVENT(pre, insn, at, after): run pre (it may clobber RAX), then insn;
 * an exception on insn (at) or right after it (after) goes on after it,
 * cf_rip tells which.
 */
#define EVENT(pre, insn, at, after)                                      \
    do {                                                                 \
        cf_vector = -1;                                                  \
        asm volatile("lea 1f(%%rip), %0\n\t"                             \
                     "lea 2f(%%rip), %1\n\t"                             \
                     pre "\n"                                            \
                     "1: " insn "\n"                                     \
                     "2:\n\t" CF_EXTABLE(1b, 2b) CF_EXTABLE(2b, 2b)      \
                     : "=&r"(at), "=&r"(after) : : "rax", "memory");     \
    } while (0)

/*
 * DF_TRY(pre, insn, inputs): pre, then insn, which should fault; a #DF
 * goes on after insn with RSP as before pre, and so does a fault of
 * insn itself (cf_vector).
 */
#define DF_TRY(pre, insn, in)                                            \
    do {                                                                 \
        cf_vector = -1;                                                  \
        df_count = 0;                                                    \
        df_error = -1;                                                   \
        asm volatile("mov %%rsp, %[sp]\n\t"                              \
                     "lea 2f(%%rip), %%rax\n\t"                          \
                     "mov %%rax, %[to]\n\t"                              \
                     pre "\n"                                            \
                     "1: " insn "\n"                                     \
                     "2:\n\t" CF_EXTABLE(1b, 2b) CF_EXTABLE(2b, 2b)      \
                     : [sp] "=m"(df_rsp), [to] "=m"(df_to)               \
                     : in : "rax", "memory");                            \
    } while (0)

#define NONCANONICAL    0x8000000000000000ULL
#define UNMAPPED        0x0000100000000000ULL   /* beyond the 4 GiB map */

static void test_double_fault(void)
{
    struct cf_gate df = cf_set_gate(DF_VECTOR, CF_STUB(ev_stub_df),
                                    CF_GATE_INTR, 1);
    struct cf_gate *gp = cf_idt_gate(GP_VECTOR), *bp = cf_idt_gate(BP_VECTOR);
    struct cf_gate *db = cf_idt_gate(DB_VECTOR);
    struct cf_gate old;

    /* #GP, whose gate is not present: #NP while delivering it. */
    old = *gp;
    gp->type &= ~0x80;
    DF_TRY("", "movq (%[p]), %%rax", IN([p] "r"(NONCANONICAL)));
    *gp = old;
    report(df_count == 1 && df_error == 0 && cf_vector == -1,
           "#GP through a not-present gate (#NP): #DF, error code 0 "
           "(%d #DF, 0x%llx; %s)", df_count, (unsigned long long)df_error,
           cf_vec_name(cf_vector));

    /* #GP, whose gate's selector is a data segment: #GP delivering it. */
    old = *gp;
    gp->sel = KERNEL_DS;
    DF_TRY("", "movq (%[p]), %%rax", IN([p] "r"(NONCANONICAL)));
    *gp = old;
    report(df_count == 1 && df_error == 0 && cf_vector == -1,
           "#GP through a gate with a data segment selector (#GP): #DF, "
           "error code 0 (%d #DF, 0x%llx; %s)", df_count,
           (unsigned long long)df_error, cf_vec_name(cf_vector));

    /* #PF, with RSP on a page that is not mapped: #PF delivering it. */
    DF_TRY("mov %[stk], %%rsp", "movq (%[p]), %%rax",
           IN([p] "r"(UNMAPPED), [stk] "r"(UNMAPPED + 0x2000)));
    report(df_count == 1 && df_error == 0,
           "#PF with the stack not mapped (#PF delivering #PF): #DF, "
           "error code 0 (%d #DF, 0x%llx)", df_count,
           (unsigned long long)df_error);

    /* Benign, then contributory: the second is delivered, no #DF. */
    old = *bp;
    bp->type &= ~0x80;
    DF_TRY("", "int3", "i"(0));
    *bp = old;
    report(df_count == 0 && cf_vector == NP_VECTOR && cf_error == 0x1a,
           "INT3 through a not-present gate: #NP(0x1a), no #DF "
           "(%d #DF; %s, 0x%llx)", df_count, cf_vec_name(cf_vector),
           (unsigned long long)cf_error);

    old = *bp;
    bp->sel = KERNEL_DS;
    DF_TRY("", "int3", "i"(0));
    *bp = old;
    report(df_count == 0 && cf_vector == GP_VECTOR &&
           cf_error == KERNEL_DS,
           "INT3 through a gate with a data segment selector: #GP(selector), "
           "no #DF (%d #DF; %s, 0x%llx)", df_count, cf_vec_name(cf_vector),
           (unsigned long long)cf_error);

    old = *db;
    db->sel = KERNEL_DS;
    DF_TRY("", ".byte 0xf1", "i"(0));
    *db = old;
    report(df_count == 0 && cf_vector == GP_VECTOR &&
           (cf_error & ~3ULL) == KERNEL_DS,
           "ICEBP through a gate with a data segment selector: "
           "#GP(selector), no #DF (%d #DF; %s, 0x%llx)", df_count,
           cf_vec_name(cf_vector), (unsigned long long)cf_error);

    *cf_idt_gate(DF_VECTOR) = df;
}

static bool setup_apic(void)
{
    u64 msr = rdmsr(0x1b);

    if (!(msr & BIT(11)) || (msr & BIT(10))) {
        report_skip("the local APIC is off or in x2APIC mode (APIC_BASE "
                    "0x%llx): no interrupt tests", (unsigned long long)msr);
        return false;
    }
    cf_apic_init();
    apic_write(APIC_LVTT, APIC_LVT_MASKED);
    apic_write(APIC_LVT0, APIC_LVT_MASKED);
    apic_write(APIC_LVTERR, APIC_LVT_MASKED);
    apic_write(APIC_SVR, 0x100 | 0xff);
    apic_write(APIC_TPR, 0);
    return true;
}

static void test_shadows(void)
{
    struct cf_gate old = cf_set_gate(IRQ_VECTOR, CF_STUB(ev_stub_irq),
                                     CF_GATE_INTR, 0);
    bool pending;
    u64 a, b;

    asm volatile("cli");
    irq_count = 0;
    irq_skip = 0;
    pending = self_irq();
    report(pending && irq_count == 0,
           "a fixed self-IPI with IF=0: pending in the IRR, not delivered "
           "(IRR %d, %d delivered)", pending, irq_count);

    /* STI: interrupts are recognized after the next instruction. */
    asm volatile("lea 1f(%%rip), %0\n\t"
                 "lea 2f(%%rip), %1\n\t"
                 "sti\n"
                 "1: nop\n"
                 "2: cli"
                 : "=&r"(a), "=&r"(b) : : "memory");
    report(pending && irq_count == 1 && irq_rip == b,
           "STI; NOP with an interrupt pending: taken after the NOP "
           "(%d delivered, %s)", irq_count,
           where(irq_rip, a, "right after STI", b, "after the NOP"));

    /* STI; HLT: HLT runs in the shadow, the interrupt wakes it. */
    irq_count = 0;
    pending = self_irq();
    asm volatile("lea 1f(%%rip), %0\n\t"
                 "lea 2f(%%rip), %1\n\t"
                 "mov %0, %2\n\t"
                 "sti\n"
                 "1: hlt\n"
                 "2: cli"
                 : "=&r"(a), "=&r"(b), "=m"(irq_skip) : : "memory");
    irq_skip = 0;
    report(pending && irq_count == 1 && irq_rip == b,
           "STI; HLT with an interrupt pending: HLT wakes, RIP after it "
           "(%d delivered, %s)", irq_count,
           where(irq_rip, a, "before HLT", b, "after HLT"));

    /* POPF setting IF has no shadow. */
    irq_count = 0;
    pending = self_irq();
    asm volatile("lea 1f(%%rip), %0\n\t"
                 "lea 2f(%%rip), %1\n\t"
                 "pushfq\n\t"
                 "orq $" CF_STR(RFLAGS_IF) ", (%%rsp)\n\t"
                 "popfq\n"
                 "1: nop\n"
                 "2: cli"
                 : "=&r"(a), "=&r"(b) : : "memory");
    report(pending && irq_count == 1 && irq_rip == a,
           "POPF setting IF with an interrupt pending: taken right after it "
           "(%d delivered, %s)", irq_count,
           where(irq_rip, a, "right after POPF", b, "after the NOP"));

    *cf_idt_gate(IRQ_VECTOR) = old;
}

static void test_mov_ss(void)
{
    u64 a, b, ss;

    /* MOV SS with TF: the single-step trap waits one instruction. */
    cf_vector = -1;
    cf_dr6 = 0;
    asm volatile("mov %%ss, %k2\n\t"
                 "lea 1f(%%rip), %0\n\t"
                 "lea 2f(%%rip), %1\n\t"
                 "pushfq; orq $0x100, (%%rsp); popfq\n\t"
                 "mov %k2, %%ss\n"
                 "1: nop\n"
                 "2:\n\t" CF_EXTABLE(1b, 1b) CF_EXTABLE(2b, 2b)
                 : "=&r"(a), "=&r"(b), "=&r"(ss) : : "memory");
    report(cf_vector == DB_VECTOR && cf_rip == b && (cf_dr6 & DR6_BS),
           "single-step over MOV SS: #DB after the next instruction, "
           "DR6.BS (%s, %s, DR6 0x%llx)", cf_vec_name(cf_vector),
           where(cf_rip, a, "right after MOV SS", b, "after the NOP"),
           (unsigned long long)cf_dr6);

    EVENT("", ".byte 0x17", a, b);
    report(cf_vector == UD_VECTOR && cf_rip == a,
           "POP SS in 64-bit mode: #UD (%s)", cf_vec_name(cf_vector));
}

static void test_nmi(void)
{
    struct cf_gate old = cf_set_gate(NMI_VECTOR, CF_STUB(ev_stub_nmi),
                                     CF_GATE_INTR, 0);
    int i;

    asm volatile("cli");
    nmi_count = 0;
    nmi_nest = false;
    self_nmi();
    for (i = 0; i < 1000000 && nmi_count < 1; i++) {
        asm volatile("pause");
    }
    report(nmi_count == 1, "self-NMI with IF=0: delivered (%d NMIs)",
           nmi_count);

    nmi_count = 0;
    nmi_inside = 0;
    nmi_rip[0] = nmi_rip[1] = nmi_rsp[0] = nmi_rsp[1] = 0;
    nmi_nest = true;
    self_nmi();
    for (i = 0; i < 1000000 && nmi_count < 2; i++) {
        asm volatile("pause");
    }
    nmi_nest = false;
    report(nmi_inside == 1 && nmi_count == 2,
           "an NMI sent in the NMI handler waits for its IRET "
           "(%d NMIs before the IRET, %d after)", nmi_inside, nmi_count);
    /* Both interrupt the same instruction, with the same stack. */
    report(nmi_count == 2 && nmi_rip[1] == nmi_rip[0] &&
           nmi_rsp[1] == nmi_rsp[0],
           "the held NMI is taken right at the IRET's return address "
           "(%s)", nmi_count < 2 ? "not taken" :
           nmi_rip[1] == nmi_rip[0] && nmi_rsp[1] == nmi_rsp[0] ? "there" :
           "elsewhere");

    *cf_idt_gate(NMI_VECTOR) = old;
}

static void test_int(void)
{
    struct cf_gate old80 = *cf_idt_gate(0x80), old82 = *cf_idt_gate(0x82);
    struct cf_gate oldg;
    u64 at, after;

    EVENT("", "int3", at, after);
    report(cf_vector == BP_VECTOR && cf_rip == after,
           "INT3: #BP, RIP after it (%s, %s)", cf_vec_name(cf_vector),
           where(cf_rip, at, "at it", after, "after it"));

    EVENT("", ".byte 0xcd, 0x03", at, after);
    report(cf_vector == BP_VECTOR && cf_rip == after,
           "INT 3 (CD 03): #BP, RIP after it (%s, %s)",
           cf_vec_name(cf_vector),
           where(cf_rip, at, "at it", after, "after it"));

    asm volatile("mov %0, %%dr6" : : "r"(DR6_INIT));
    cf_dr6 = 0;
    EVENT("", ".byte 0xf1", at, after);
    report(cf_vector == DB_VECTOR && cf_rip == after &&
           !(cf_dr6 & (DR6_BS | 0xf)),
           "ICEBP: #DB, RIP after it, DR6.BS and B0-B3 clear "
           "(%s, %s, DR6 0x%llx)",
           cf_vec_name(cf_vector),
           where(cf_rip, at, "at it", after, "after it"),
           (unsigned long long)cf_dr6);

    /* With OF set: a CPU that runs INTO raises #OF. */
    EVENT("mov $0x7f, %%al; add $1, %%al", ".byte 0xce", at, after);
    report(cf_vector == UD_VECTOR && cf_rip == at,
           "INTO in 64-bit mode: #UD (%s)", cf_vec_name(cf_vector));

    cf_set_gate(0x80, lib_stub(0x80), CF_GATE_INTR, 0);
    EVENT("", "int $0x80", at, after);
    report(cf_vector == 0x80 && cf_rip == after,
           "INT 0x80 through a DPL 0 gate from ring 0: delivered, RIP after "
           "it (%s)", cf_vec_name(cf_vector));

    cf_set_gate(0x82, lib_stub(0x82), CF_GATE_INTR_DPL3, 0);
    EVENT("", "int $0x82", at, after);
    report(cf_vector == 0x82 && cf_rip == after,
           "INT 0x82 through a DPL 3 gate from ring 0: delivered, RIP after "
           "it (%s)", cf_vec_name(cf_vector));

    /* Interrupt gates clear IF, trap gates do not. */
    oldg = cf_set_gate(GATE_VECTOR, CF_STUB(ev_stub_gate), CF_GATE_INTR, 0);
    gate_flags = -1;
    asm volatile("sti; int $" CF_STR(GATE_VECTOR) "; cli" : : : "memory");
    report(!(gate_flags & RFLAGS_IF),
           "INT n through an interrupt gate: IF clear in the handler "
           "(RFLAGS 0x%llx)", (unsigned long long)gate_flags);
    cf_set_gate(GATE_VECTOR, CF_STUB(ev_stub_gate), CF_GATE_TRAP, 0);
    gate_flags = 0;
    asm volatile("sti; int $" CF_STR(GATE_VECTOR) "; cli" : : : "memory");
    report(gate_flags & RFLAGS_IF,
           "INT n through a trap gate: IF kept in the handler "
           "(RFLAGS 0x%llx)", (unsigned long long)gate_flags);
    *cf_idt_gate(GATE_VECTOR) = oldg;

    *cf_idt_gate(0x80) = old80;
    *cf_idt_gate(0x82) = old82;
}

/*
 * Ring 3: the first 2 MiB (this kernel, its data and stacks) become
 * user pages, the TSS gets an RSP0, and RING3(insn) runs insn in ring
 * 3 between IRETQ and INT RING0_VECTOR, with at/after as in EVENT.
 */
static u8 ring0_stack[8192] __attribute__((aligned(16)));
static u8 user_stack[8192] __attribute__((aligned(16)));

#define RING3(insn, at, after)                                           \
    do {                                                                 \
        cf_vector = -1;                                                  \
        asm volatile("lea 1f(%%rip), %0\n\t"                             \
                     "lea 2f(%%rip), %1\n\t"                             \
                     "mov %%rsp, %[sp]\n\t"                              \
                     "lea 9f(%%rip), %%rax\n\t"                          \
                     "mov %%rax, %[to]\n\t"                              \
                     "pushq $" CF_STR(USER_DS) "\n\t"                    \
                     "pushq %[usp]\n\t"                                  \
                     "pushq $2\n\t"                                      \
                     "pushq $" CF_STR(USER_CS) "\n\t"                    \
                     "lea 1f(%%rip), %%rax\n\t"                          \
                     "pushq %%rax\n\t"                                   \
                     "iretq\n"                                           \
                     "1: " insn "\n"                                     \
                     "2: int $" CF_STR(RING0_VECTOR) "\n"                \
                     "9: mov $" CF_STR(KERNEL_DS) ", %%eax\n\t"          \
                     "mov %%eax, %%ds\n\t"                               \
                     "mov %%eax, %%es\n\t"                               \
                     CF_EXTABLE(1b, 2b) CF_EXTABLE(2b, 2b)               \
                     : "=&r"(at), "=&r"(after),                          \
                       [sp] "=m"(ring0_rsp), [to] "=m"(ring0_to)         \
                     : [usp] "r"(user_stack + sizeof(user_stack))        \
                     : "rax", "memory");                                 \
    } while (0)

static void test_ring3(void)
{
    u64 tss = (cf_gdt[6] >> 16 & 0xffffff) | (cf_gdt[6] >> 56) << 24 |
              cf_gdt[7] << 32;
    u64 rsp0 = (u64)ring0_stack + sizeof(ring0_stack), old_rsp0;
    struct cf_gate old80 = *cf_idt_gate(0x80), old82 = *cf_idt_gate(0x82);
    struct cf_gate oldr;
    u64 at, after;

    /* .text comes first, .bss last: the user stack is above the code. */
    if ((u64)user_stack + sizeof(user_stack) > 0x200000) {
        report_skip("the kernel ends above 2 MiB: no ring 3 tests");
        return;
    }
    memcpy(&old_rsp0, (void *)(tss + 4), 8);
    memcpy((void *)(tss + 4), &rsp0, 8);
    cf_user_pages(true);
    oldr = cf_set_gate(RING0_VECTOR, CF_STUB(ev_stub_ring0),
                       CF_GATE_INTR_DPL3, 0);
    cf_set_gate(0x80, lib_stub(0x80), CF_GATE_INTR, 0);
    cf_set_gate(0x82, lib_stub(0x82), CF_GATE_INTR_DPL3, 0);

    RING3("int $0x80", at, after);
    report(cf_vector == GP_VECTOR && cf_error == 0x402 && cf_rip == at,
           "INT 0x80 through a DPL 0 gate from ring 3: #GP(0x402) "
           "(%s, 0x%llx)", cf_vec_name(cf_vector),
           (unsigned long long)cf_error);

    RING3("int $0x82", at, after);
    report(cf_vector == 0x82 && cf_rip == after,
           "INT 0x82 through a DPL 3 gate from ring 3: delivered, RIP after "
           "it (%s)", cf_vec_name(cf_vector));

    RING3("int3", at, after);
    report(cf_vector == BP_VECTOR && cf_rip == after,
           "INT3 through a DPL 3 gate from ring 3: #BP, RIP after it (%s)",
           cf_vec_name(cf_vector));

    RING3(".byte 0xcd, 0x01", at, after);
    report(cf_vector == GP_VECTOR && cf_error == 0x0a && cf_rip == at,
           "INT 1 (CD 01) through the DPL 0 #DB gate from ring 3: #GP(0xa) "
           "(%s, 0x%llx)", cf_vec_name(cf_vector),
           (unsigned long long)cf_error);

    RING3(".byte 0xf1", at, after);
    report(cf_vector == DB_VECTOR && cf_rip == after,
           "ICEBP through the DPL 0 #DB gate from ring 3: #DB, no privilege "
           "check (%s)", cf_vec_name(cf_vector));

    *cf_idt_gate(RING0_VECTOR) = oldr;
    *cf_idt_gate(0x80) = old80;
    *cf_idt_gate(0x82) = old82;
    cf_user_pages(false);
    memcpy((void *)(tss + 4), &old_rsp0, 8);
}

void cf_main(void)
{
    bool apic;

    /* The 8259 (its timer, from the firmware) stays quiet. */
    asm volatile("cli");
    outb(0x21, 0xff);
    outb(0xa1, 0xff);
    apic = setup_apic();
    test_double_fault();
    test_int();
    test_mov_ss();
    test_ring3();
    if (apic) {
        test_shadows();
        test_nmi();
    }
}
