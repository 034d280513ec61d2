/*
 * Conformance: compatibility mode (a 32-bit code segment, L=0 D=1, with
 * EFER.LMA set), at ring 0 and ring 3.
 *
 * A far call from 64-bit mode into 32-bit code and the far return, with
 * the 32-bit stack and arithmetic in between; exceptions and INT n taken
 * in compatibility mode, which go through the 64-bit IDT and come back
 * by IRETQ; SYSCALL from compatibility mode (CSTAR) and from 64-bit mode
 * (LSTAR), SYSRET of both sizes; SYSENTER and SYSEXIT, which the vendors
 * disagree about in long mode: AMD does not recognize them (#UD), Intel
 * runs them, and Intel in turn does not recognize SYSCALL in
 * compatibility mode.  The vendor-dependent assertions name both
 * behaviours and expect the one of the vendor CPUID reports.
 *
 * Our own GDT, loaded for the test: boot.S's entries where they were,
 * then a block laid out as SYSCALL/SYSRET and SYSENTER/SYSEXIT want it
 * (see gdt_init()).  Ring 3 runs in the first 2 MiB, made user pages as
 * events.c does; it comes back to ring 0 by INT RING0_VECTOR.
 *
 * This work is licensed under the terms of the GNU GPL, version 2 or later.
 */
#include "cf.h"

const char cf_test_name[] = "compat";

#define MSR_SYSENTER_CS     0x00000174
#define MSR_SYSENTER_ESP    0x00000175
#define MSR_SYSENTER_EIP    0x00000176
#define MSR_EFER            0xc0000080
#define MSR_STAR            0xc0000081
#define MSR_LSTAR           0xc0000082
#define MSR_CSTAR           0xc0000083
#define MSR_SFMASK          0xc0000084
#define EFER_SCE            BIT(0)

#define RFLAGS_CF           0x1ULL
#define RFLAGS_IF           0x200ULL
#define RFLAGS_OF           0x800ULL
#define RFLAGS_AC           0x40000ULL
#define RFLAGS_TF           0x100ULL

/*
 * The selectors.  0x08-0x40 as in boot.S; SEP_CS is SYSENTER_CS: 64-bit
 * ring 0 code, then its stack, 32-bit ring 3 code, ring 3 data, 64-bit
 * ring 3 code and ring 3 data, which is also what STAR[63:48] = 0x70
 * gives SYSRET (32-bit code at +0, data at +8, 64-bit code at +16).
 */
#define KERNEL_CS           0x08
#define KERNEL_DS           0x10
#define KERNEL32_CS         0x18
#define SEP_CS              0x60
#define SEP_SS              0x68
#define USER32_CS           0x73
#define USER_DS             0x7b
#define USER64_CS           0x83
#define SYSRET_BASE         0x70
#define GDT_ENTRIES         18

#define RING0_VECTOR        0x81    /* from ring 3 back to ring 0 */
#define INT80_VECTOR        0x80    /* DPL 3: the 32-bit system call */
#define INT82_VECTOR        0x82    /* DPL 0: INT n at ring 0 */
#define INT80_RAX           0xfeedface00001234ULL

/* The flags ring 3 starts with: IF (the 8259 is masked), AC, OF, CF. */
#define USER_FLAGS          (0x2 | RFLAGS_IF | RFLAGS_AC | RFLAGS_OF | RFLAGS_CF)
#define SFMASK              (RFLAGS_AC | RFLAGS_IF | RFLAGS_TF)

/*
 * What the code below saw, written by asm (compatibility-mode code with
 * 32-bit absolute addresses, so all of it lies below 4 GiB): volatile.
 */
#define SEEN(type, name) \
    static volatile type name __attribute__((used))

/* The kernel's stack while ring 3 runs, and where INT RING0_VECTOR returns. */
SEEN(u64, cp_ring0_rsp);
SEEN(u64, cp_ring0_to);
/* The far call: RSP around it, the registers after it. */
SEEN(u64, cp_c_rsp_before);
SEEN(u64, cp_c_rsp_after);
SEEN(u64, cp_c_rbx);
SEEN(u64, cp_c_rdx);
SEEN(u64, cp_c_rx[8]);
/* Compatibility mode at ring 0. */
SEEN(u32, cp_c_esp_entry);
SEEN(u32, cp_c_ret_eip);
SEEN(u32, cp_c_ret_cs);
SEEN(u32, cp_c_cs);
SEEN(u32, cp_c_dec);
SEEN(u32, cp_c_push);
SEEN(u32, cp_c_add);
SEEN(u32, cp_c_addflags);
SEEN(u32, cp_c_cs2);
SEEN(u32, cp_c_dec2);
SEEN(u32, cp_c_int_esp);
SEEN(u32, cp_c_int_esp2);
/* Compatibility mode at ring 3 (the probe). */
SEEN(u32, cp_u_flags);
SEEN(u32, cp_u_dec);
SEEN(u32, cp_u_push);
SEEN(u32, cp_u_esp);
SEEN(u32, cp_u_eax);
/* The SYSCALL and SYSENTER entries: 1 CSTAR, 2 LSTAR, 3 SYSENTER_EIP. */
SEEN(u32, cp_sc_which);
SEEN(u64, cp_sc_rcx);
SEEN(u64, cp_sc_r11);
SEEN(u64, cp_sc_flags);
SEEN(u64, cp_sc_rsp);
SEEN(u16, cp_sc_cs);
SEEN(u16, cp_sc_ss);

/* The frames the handlers saw (cp_trap(), called from asm): volatile. */
static volatile struct cf_frame home, int80, int82;
static volatile u64 int82_top;  /* the address above int82's frame */
static volatile int home_count;

static u64 gdt[GDT_ENTRIES] __attribute__((aligned(16)));
static u8 ring0_stack[8192] __attribute__((aligned(16)));
static u8 user_stack[4096] __attribute__((aligned(16)));
static u8 sep_stack[4096] __attribute__((aligned(16)));

/* A far pointer (m16:32), for LCALL from 64-bit mode: read by asm. */
static volatile struct {
    u32 off;
    u16 sel;
} __attribute__((packed)) cp_far __attribute__((used));

/*
 * The handlers of this file's vectors.  INT RING0_VECTOR from ring 3
 * goes back to the kernel where cp_run() left it.
 */
static void __attribute__((used)) cp_trap(struct cf_frame *f)
{
    switch (f->vector) {
    case RING0_VECTOR:
        home = *f;
        home_count++;
        f->rip = cp_ring0_to;
        f->rsp = cp_ring0_rsp;
        f->cs = KERNEL_CS;
        f->ss = KERNEL_DS;
        f->rflags = 2;
        break;
    case INT80_VECTOR:
        int80 = *f;
        f->rax = INT80_RAX;
        break;
    case INT82_VECTOR:
        int82 = *f;
        int82_top = (u64)&f->ss + 8;
        break;
    default:
        cf_abort("cp_trap: vector %llu", (unsigned long long)f->vector);
    }
}

/*
 * Ring 0, 64-bit:
 *
 * cp_run(launch, a, b, c, d, e) saves the kernel's context (callee-saved
 * registers, RSP in cp_ring0_rsp, cp_run_back in cp_ring0_to) and jumps
 * to launch with a-e in RSI, RDX, RCX, R8, R9; whatever launch starts
 * comes back to cp_run_back by INT RING0_VECTOR (or by jumping there with
 * RSP reloaded), which returns from cp_run().
 *
 * The launches: cp_go_iret (IRETQ to a=RIP, b=CS, c=RFLAGS, d=RSP,
 * e=SS), cp_go_sysret32 (SYSRET with 32-bit operand size to a=EIP,
 * b=R11, d=RSP), cp_go_sysexit (SYSEXIT in 64-bit mode to a=EDX,
 * d=ECX), cp_go_sysexit_compat (the same from compatibility mode at
 * ring 0, through a far call).
 */
asm(".pushsection .text\n"
    ".align 16\n"
    "cp_stub_ring0: push $0; push $" CF_STR(RING0_VECTOR) "; jmp cp_common\n"
    "cp_stub_int80: push $0; push $" CF_STR(INT80_VECTOR) "; jmp cp_common\n"
    "cp_stub_int82: push $0; push $" CF_STR(INT82_VECTOR) "; jmp cp_common\n"
    CF_TRAP_COMMON(cp_common, cp_trap)

    "cp_run:\n\t"
    "push %rbx; push %rbp; push %r12; push %r13; push %r14; push %r15\n\t"
    "mov %rsp, cp_ring0_rsp(%rip)\n\t"
    "lea cp_run_back(%rip), %rax\n\t"
    "mov %rax, cp_ring0_to(%rip)\n\t"
    "jmp *%rdi\n"
    "cp_run_back:\n\t"
    /* SYSENTER comes back with CS = SEP_CS: our GDT's, not boot.S's. */
    "pushq $" CF_STR(KERNEL_CS) "\n\t"
    "lea 1f(%rip), %rax\n\t"
    "pushq %rax\n\t"
    "lretq\n"
    "1: mov $" CF_STR(KERNEL_DS) ", %eax\n\t"
    "mov %eax, %ss; mov %eax, %ds; mov %eax, %es\n\t"
    "pop %r15; pop %r14; pop %r13; pop %r12; pop %rbp; pop %rbx\n\t"
    "ret\n"

    "cp_go_iret:\n\t"
    "push %r9; push %r8; push %rcx; push %rdx; push %rsi\n\t"
    "iretq\n"

    "cp_go_sysret32:\n\t"
    "mov %rdx, %r11; mov %r8, %rsp; mov %rsi, %rcx\n\t"
    "sysretl\n"

    "cp_go_sysexit:\n\t"
    "mov %r8, %rcx; mov %rsi, %rdx\n"
    "cp_sysexit64_at: sysexitl\n"
    "cp_sysexit64_after:\n\t"
    "mov cp_ring0_rsp(%rip), %rsp\n\t"
    "jmp cp_run_back\n"
    CF_EXTABLE(cp_sysexit64_at, cp_sysexit64_after)

    "cp_go_sysexit_compat:\n\t"
    "mov %r8, %rcx; mov %rsi, %rdx\n\t"
    "lcall *cp_far(%rip)\n\t"
    "mov cp_ring0_rsp(%rip), %rsp\n\t"
    "jmp cp_run_back\n"

    /*
     * SYSCALL's entries run on the caller's stack (SYSCALL leaves RSP
     * alone): note what arrived, return by SYSRET of the caller's size.
     */
#define SC_RECORD(which)                                                 \
    "movl $" #which ", cp_sc_which(%rip)\n\t"                            \
    "mov %rsp, cp_sc_rsp(%rip)\n\t"                                      \
    "mov %rcx, cp_sc_rcx(%rip)\n\t"                                      \
    "mov %r11, cp_sc_r11(%rip)\n\t"                                      \
    "pushfq; popq cp_sc_flags(%rip)\n\t"                                 \
    "movw %cs, cp_sc_cs(%rip)\n\t"                                       \
    "movw %ss, cp_sc_ss(%rip)\n\t"
    "cp_cstar_entry:\n\t"
    SC_RECORD(1)
    "sysretl\n"
    "cp_lstar_entry:\n\t"
    SC_RECORD(2)
    "sysretq\n"
    /* SYSENTER's goes straight back to the kernel. */
    "cp_sysenter_entry:\n\t"
    SC_RECORD(3)
    "mov cp_ring0_rsp(%rip), %rsp\n\t"
    "jmp cp_run_back\n"

    /*
     * cp_farcall(&far pointer): known values in R8-R15, RBX and RDX, a
     * far call (m16:32) into compatibility mode, and what came back.
     */
    "cp_farcall:\n\t"
    "push %rbx; push %rbp; push %r12; push %r13; push %r14; push %r15\n\t"
    "mov $0x0808080808080808, %r8\n\t"
    "mov $0x0909090909090909, %r9\n\t"
    "mov $0x0a0a0a0a0a0a0a0a, %r10\n\t"
    "mov $0x0b0b0b0b0b0b0b0b, %r11\n\t"
    "mov $0x0c0c0c0c0c0c0c0c, %r12\n\t"
    "mov $0x0d0d0d0d0d0d0d0d, %r13\n\t"
    "mov $0x0e0e0e0e0e0e0e0e, %r14\n\t"
    "mov $0x0f0f0f0f0f0f0f0f, %r15\n\t"
    "mov $0xdeadbeefcafef00d, %rbx\n\t"
    "mov $0x1111222233334444, %rdx\n\t"
    "mov %rsp, cp_c_rsp_before(%rip)\n\t"
    "lcall *(%rdi)\n"
    "cp_farcall_ret:\n\t"
    "mov %rsp, cp_c_rsp_after(%rip)\n\t"
    "mov %rbx, cp_c_rbx(%rip)\n\t"
    "mov %rdx, cp_c_rdx(%rip)\n\t"
    "mov %r8, cp_c_rx+0(%rip)\n\t"
    "mov %r9, cp_c_rx+8(%rip)\n\t"
    "mov %r10, cp_c_rx+16(%rip)\n\t"
    "mov %r11, cp_c_rx+24(%rip)\n\t"
    "mov %r12, cp_c_rx+32(%rip)\n\t"
    "mov %r13, cp_c_rx+40(%rip)\n\t"
    "mov %r14, cp_c_rx+48(%rip)\n\t"
    "mov %r15, cp_c_rx+56(%rip)\n\t"
    "pop %r15; pop %r14; pop %r13; pop %r12; pop %rbp; pop %rbx\n\t"
    "ret\n"

    /* 64-bit mode at ring 3: SYSCALL, then home. */
    "cp_u64_syscall:\n"
    "cp_u64_syscall_at: syscall\n"
    "cp_u64_syscall_after: int $" CF_STR(RING0_VECTOR) "\n"
    CF_EXTABLE(cp_u64_syscall_at, cp_u64_syscall_after)

    /*
     * Compatibility mode.  0x48 is DEC EAX there and a REX.W prefix in
     * 64-bit mode: EAX 5 becomes 4 only in compatibility mode.
     */
#define C32_DEC(to)                                                      \
    "mov $5, %eax; .byte 0x48; nop; mov %eax, " #to "\n\t"
#define C32_PUSH(to)                                                     \
    "mov %esp, %eax; push %eax; sub %esp, %eax; pop %ecx; "              \
    "mov %eax, " #to "\n\t"
#define C32_CS(to)                                                       \
    "xor %eax, %eax; mov %cs, %ax; mov %eax, " #to "\n\t"
/* Ring 3 data: IRETQ to ring 3 nulls DS and ES, which 32-bit code needs. */
#define C32_USER_DS                                                      \
    "mov $" CF_STR(USER_DS) ", %eax; mov %eax, %ds; mov %eax, %es\n\t"
    ".code32\n"

    /* Ring 0, called by cp_farcall() (RBX, RDX, R8-R15 known). */
    "cp_c32_farcall:\n\t"
    "mov %esp, cp_c_esp_entry\n\t"
    "mov (%esp), %eax; mov %eax, cp_c_ret_eip\n\t"
    "mov 4(%esp), %eax; mov %eax, cp_c_ret_cs\n\t"
    C32_CS(cp_c_cs)
    C32_DEC(cp_c_dec)
    C32_PUSH(cp_c_push)
    "mov $0xffffffff, %eax; add $2, %eax\n\t"
    "pushfl; popl cp_c_addflags; mov %eax, cp_c_add\n\t"
    "mov $0x12345678, %ebx\n"
    "cp_c32_ud_at: ud2\n"
    "cp_c32_ud_after:\n\t"
    C32_CS(cp_c_cs2)
    C32_DEC(cp_c_dec2)
    /* INT n with ESP 4 bytes off a 16-byte boundary. */
    "mov %esp, %esi\n\t"
    "and $~15, %esp; sub $4, %esp\n\t"
    "mov %esp, cp_c_int_esp\n\t"
    "int $" CF_STR(INT82_VECTOR) "\n\t"
    "mov %esp, cp_c_int_esp2\n\t"
    "mov %esi, %esp\n\t"
    "lret\n"

    /* Ring 0, called by cp_go_sysexit_compat: SYSEXIT; LRET on a fault. */
    "cp_c32_sysexit:\n"
    "cp_c32_sysexit_at: sysexit\n"
    "cp_c32_sysexit_after: lret\n"

    /*
     * Ring 3: the probe notes EFLAGS as it arrived, whether 0x48 is DEC,
     * a PUSH's size, and goes home (the frame has CS, SS and ESP).
     */
    "cp_u32_probe:\n\t"
    C32_USER_DS
    "pushfl; popl cp_u_flags\n\t"
    C32_DEC(cp_u_dec)
    C32_PUSH(cp_u_push)
    "int $" CF_STR(RING0_VECTOR) "\n"
    "cp_u32_probe_end:\n"

    "cp_u32_syscall:\n\t"
    C32_USER_DS
    "cp_u32_syscall_at: syscall\n"
    "cp_u32_syscall_after: jmp cp_u32_probe\n"

    "cp_u32_sysenter:\n\t"
    C32_USER_DS
    "cp_u32_sysenter_at: sysenter\n"
    "cp_u32_sysenter_after: jmp cp_u32_probe\n"

    "cp_u32_ud:\n\t"
    C32_USER_DS
    "cp_u32_ud_at: ud2\n"
    "cp_u32_ud_after: jmp cp_u32_probe\n"

    "cp_u32_int80:\n\t"
    C32_USER_DS
    "mov %esp, cp_u_esp\n\t"
    "mov $0x5a5a5a5a, %eax\n"
    "cp_u32_int80_at: int $" CF_STR(INT80_VECTOR) "\n"
    "cp_u32_int80_after:\n\t"
    "mov %eax, cp_u_eax\n\t"
    "jmp cp_u32_probe\n"
    ".code64\n"
    CF_EXTABLE(cp_c32_ud_at, cp_c32_ud_after)
    CF_EXTABLE(cp_c32_sysexit_at, cp_c32_sysexit_after)
    CF_EXTABLE(cp_u32_syscall_at, cp_u32_syscall_after)
    CF_EXTABLE(cp_u32_sysenter_at, cp_u32_sysenter_after)
    CF_EXTABLE(cp_u32_ud_at, cp_u32_ud_after)
    ".popsection");

void cp_run(const void *launch, u64 a, u64 b, u64 c, u64 d, u64 e);
void cp_farcall(const void *far);

#define LABEL(name) ((u64)CF_STUB(name))

static u64 user_sp(void)
{
    return (u64)user_stack + sizeof(user_stack);
}

/* Ring 3 in compatibility mode (USER32_CS) or 64-bit mode, by IRETQ. */
static void run_user(u64 rip, u64 cs, u64 rflags)
{
    cp_run(CF_STUB(cp_go_iret), rip, cs, rflags, user_sp(), USER_DS);
}

static void forget(void)
{
    memset((void *)&home, 0xff, sizeof(home));
    memset((void *)&int80, 0xff, sizeof(int80));
    home_count = 0;
    cp_u_flags = cp_u_dec = cp_u_push = cp_u_esp = cp_u_eax = -1;
    cp_sc_which = 0;
    cp_sc_rcx = cp_sc_r11 = cp_sc_flags = cp_sc_rsp = -1;
    cp_sc_cs = cp_sc_ss = 0xffff;
    cf_vector = -1;
    cf_rip = 0;
}

/* Home from the probe, in compatibility mode at ring 3. */
static bool probed_user32(void)
{
    return home_count == 1 && home.cs == USER32_CS && home.ss == USER_DS &&
           home.rip == LABEL(cp_u32_probe_end) && cp_u_dec == 4 &&
           cp_u_push == 4;
}

static const char *vendor_name(void)
{
    return cf_is_intel() ? "Intel" : "AMD";
}

/* Boot.S's descriptors, then the SYSENTER/SYSRET block from SEP_CS. */
static void gdt_init(void)
{
    struct {
        u16 limit;
        u64 base;
    } __attribute__((packed)) d;

    memcpy(gdt, cf_gdt, 9 * sizeof(u64));
    gdt[SEP_CS / 8] = 0x00af9b000000ffffULL;       /* 64-bit code, DPL 0 */
    gdt[SEP_SS / 8] = 0x00cf93000000ffffULL;       /* data, DPL 0 */
    gdt[USER32_CS / 8] = 0x00cffb000000ffffULL;    /* 32-bit code, DPL 3 */
    gdt[USER_DS / 8] = 0x00cff3000000ffffULL;      /* data, DPL 3 */
    gdt[USER64_CS / 8] = 0x00affb000000ffffULL;    /* 64-bit code, DPL 3 */
    gdt[(USER64_CS + 8) / 8] = 0x00cff3000000ffffULL;
    d.limit = sizeof(gdt) - 1;
    d.base = (u64)gdt;
    asm volatile("lgdt %0" : : "m"(d));
}

static void test_far_call(void)
{
    u64 ret = LABEL(cp_farcall_ret);
    int i, kept = 0;

    cp_far.off = LABEL(cp_c32_farcall);
    cp_far.sel = KERNEL32_CS;
    cf_vector = -1;
    cp_farcall((const void *)&cp_far);

    report(cp_c_cs == KERNEL32_CS && cp_c_dec == 4,
           "far call (m16:32) from 64-bit mode to a 32-bit code segment "
           "runs in compatibility mode (CS 0x%x, 0x48 %s)", cp_c_cs,
           cp_c_dec == 4 ? "is DEC EAX" : "is not DEC EAX");
    report(cp_c_esp_entry == (u32)(cp_c_rsp_before - 8) &&
           cp_c_ret_eip == (u32)ret && (cp_c_ret_cs & 0xffff) == KERNEL_CS,
           "far call with 32-bit operand size pushes a 4-byte CS and a "
           "4-byte EIP (ESP moved by %d, EIP 0x%x, CS 0x%x)",
           (int)((u32)cp_c_rsp_before - cp_c_esp_entry), cp_c_ret_eip,
           cp_c_ret_cs & 0xffff);
    report(cp_c_push == 4, "PUSH in compatibility mode moves ESP by 4 (%u)",
           cp_c_push);
    report(cp_c_add == 1 && (cp_c_addflags & RFLAGS_CF),
           "32-bit ADD in compatibility mode wraps at 32 bits and sets CF "
           "(0x%x, EFLAGS 0x%x)", cp_c_add, cp_c_addflags);
    report(cf_vector == UD_VECTOR && cf_rip == LABEL(cp_c32_ud_at) &&
           cp_c_cs2 == KERNEL32_CS && cp_c_dec2 == 4,
           "#UD in compatibility mode at ring 0: 64-bit IDT handler, IRETQ "
           "back to compatibility mode (%s, CS 0x%x after)",
           cf_vec_name(cf_vector), cp_c_cs2);
    report(int82.cs == KERNEL32_CS && int82.ss == KERNEL_DS &&
           int82.rsp == cp_c_int_esp && (int82_top & 15) == 0 &&
           cp_c_int_esp2 == cp_c_int_esp,
           "INT n in compatibility mode: 64-bit frame with SS:RSP on a "
           "16-byte aligned stack, IRETQ restores ESP (CS 0x%llx SS 0x%llx "
           "RSP 0x%llx ESP 0x%x top 0x%llx)",
           (unsigned long long)int82.cs, (unsigned long long)int82.ss,
           (unsigned long long)int82.rsp, cp_c_int_esp,
           (unsigned long long)int82_top);
    report(cp_c_rsp_after == cp_c_rsp_before,
           "far return (32-bit LRET) from compatibility mode to 64-bit mode "
           "restores RSP (0x%llx, 0x%llx)",
           (unsigned long long)cp_c_rsp_after,
           (unsigned long long)cp_c_rsp_before);
    for (i = 0; i < 8; i++) {
        kept += cp_c_rx[i] == 0x0101010101010101ULL * (8 + i);
    }
    report(kept == 8, "R8-R15 preserved across a trip through compatibility "
           "mode (%d of 8)", kept);
    /* The manuals leave the upper halves undefined after a mode switch. */
    report_info("after compatibility mode: RBX (written by a 32-bit MOV) "
                "0x%llx, RDX (not written) 0x%llx",
                (unsigned long long)cp_c_rbx, (unsigned long long)cp_c_rdx);
}

static void test_user32(void)
{
    forget();
    run_user(LABEL(cp_u32_probe), USER32_CS, 2);
    report(probed_user32() && home.rsp == user_sp(),
           "IRETQ to a 32-bit code segment at ring 3: compatibility mode, "
           "PUSH moves ESP by 4 (CS 0x%llx SS 0x%llx, EAX %d after DEC, "
           "push %d)", (unsigned long long)home.cs,
           (unsigned long long)home.ss, (int)cp_u_dec, (int)cp_u_push);

    forget();
    run_user(LABEL(cp_u32_ud), USER32_CS, 2);
    report(cf_vector == UD_VECTOR && cf_rip == LABEL(cp_u32_ud_at) &&
           probed_user32(),
           "#UD in compatibility mode at ring 3: 64-bit IDT handler, IRETQ "
           "back to ring 3 compatibility mode (%s, CS 0x%llx)",
           cf_vec_name(cf_vector), (unsigned long long)home.cs);

    forget();
    run_user(LABEL(cp_u32_int80), USER32_CS, 2);
    report(int80.cs == USER32_CS && int80.ss == USER_DS &&
           int80.rsp == cp_u_esp && int80.rip == LABEL(cp_u32_int80_after) &&
           (u32)int80.rax == 0x5a5a5a5a,
           "INT 0x80 through a DPL 3 gate from compatibility mode ring 3: "
           "64-bit frame with ring 3's CS, SS, ESP and EIP (CS 0x%llx SS "
           "0x%llx RSP 0x%llx)", (unsigned long long)int80.cs,
           (unsigned long long)int80.ss, (unsigned long long)int80.rsp);
    report(cp_u_eax == (u32)INT80_RAX && probed_user32(),
           "IRETQ from the INT 0x80 handler returns to compatibility mode "
           "ring 3 with the handler's EAX (0x%x, CS 0x%llx)", cp_u_eax,
           (unsigned long long)home.cs);
}

/* SYSCALL cleared what SFMASK has (AC, IF) and kept OF and CF. */
static bool sfmasked(void)
{
    return (cp_sc_flags & ~0x2ULL) == (USER_FLAGS & ~SFMASK & ~0x2ULL);
}

static void test_syscall(void)
{
    u64 efer = rdmsr(MSR_EFER);
    bool intel = cf_is_intel();

    wrmsr(MSR_EFER, efer | EFER_SCE);
    wrmsr(MSR_STAR, (u64)SYSRET_BASE << 48 | (u64)KERNEL_CS << 32);
    wrmsr(MSR_LSTAR, LABEL(cp_lstar_entry));
    wrmsr(MSR_CSTAR, LABEL(cp_cstar_entry));
    wrmsr(MSR_SFMASK, SFMASK);

    /* SYSRET to compatibility mode, straight from the kernel. */
    forget();
    cp_run(CF_STUB(cp_go_sysret32), LABEL(cp_u32_probe), USER_FLAGS, 0,
           user_sp(), 0);
    report(probed_user32() && home.rsp == user_sp() &&
           cp_u_flags == USER_FLAGS,
           "SYSRET with 32-bit operand size: compatibility mode ring 3, CS = "
           "STAR[63:48]|3, SS = +8|3, EIP = ECX, EFLAGS = R11 "
           "(CS 0x%llx SS 0x%llx, EFLAGS 0x%x)", (unsigned long long)home.cs,
           (unsigned long long)home.ss, cp_u_flags);

    /* SYSCALL from compatibility mode: AMD's CSTAR, Intel's #UD. */
    forget();
    run_user(LABEL(cp_u32_syscall), USER32_CS, USER_FLAGS);
    if (!cf_is_amd() && !intel) {
        report_skip("vendor neither AMD nor Intel: SYSCALL in compatibility "
                    "mode not tested");
    } else {
        report(intel ? cf_vector == UD_VECTOR && cp_sc_which == 0 &&
                       cf_rip == LABEL(cp_u32_syscall_at)
                     : cf_vector == -1 && cp_sc_which == 1,
               "SYSCALL in compatibility mode at ring 3 follows the vendor: "
               "CSTAR on AMD, #UD on Intel (%s: %s, entry %u)",
               vendor_name(), cf_vec_name(cf_vector), cp_sc_which);
    }
    if (intel || !cf_is_amd()) {
        report_skip("SYSCALL from compatibility mode: registers (Intel: #UD)");
        report_skip("SYSCALL from compatibility mode: RFLAGS (Intel: #UD)");
        report_skip("SYSRET (32-bit) from the CSTAR handler (Intel: #UD)");
    } else {
        report(cp_sc_cs == KERNEL_CS && cp_sc_ss == KERNEL_DS &&
               cp_sc_rcx == LABEL(cp_u32_syscall_after) &&
               cp_sc_r11 == USER_FLAGS && cp_sc_rsp == user_sp(),
               "SYSCALL from compatibility mode: CS, SS from STAR[47:32], RCX "
               "= the return EIP, R11 = RFLAGS, RSP kept (CS 0x%x SS 0x%x RCX "
               "0x%llx R11 0x%llx)", cp_sc_cs, cp_sc_ss,
               (unsigned long long)cp_sc_rcx, (unsigned long long)cp_sc_r11);
        report(sfmasked(),
               "SYSCALL from compatibility mode: RFLAGS masked by SFMASK, the "
               "other flags kept (0x%llx)", (unsigned long long)cp_sc_flags);
        report(probed_user32() && cp_u_flags == USER_FLAGS,
               "SYSRET (32-bit) from the CSTAR handler returns to the "
               "compatibility-mode caller at ring 3 (CS 0x%llx, EFLAGS 0x%x)",
               (unsigned long long)home.cs, cp_u_flags);
    }

    /* SYSCALL from 64-bit mode: LSTAR, on every vendor. */
    forget();
    run_user(LABEL(cp_u64_syscall), USER64_CS, USER_FLAGS);
    report(cf_vector == -1 && cp_sc_which == 2 && cp_sc_cs == KERNEL_CS &&
           cp_sc_ss == KERNEL_DS &&
           cp_sc_rcx == LABEL(cp_u64_syscall_after) &&
           cp_sc_r11 == USER_FLAGS,
           "SYSCALL in 64-bit mode at ring 3 goes to LSTAR: CS, SS from "
           "STAR[47:32], RCX = the return RIP, R11 = RFLAGS (%s, entry %u, "
           "RCX 0x%llx R11 0x%llx)", cf_vec_name(cf_vector), cp_sc_which,
           (unsigned long long)cp_sc_rcx, (unsigned long long)cp_sc_r11);
    report(sfmasked(),
           "SYSCALL from 64-bit mode: RFLAGS masked by SFMASK, the other "
           "flags kept (0x%llx)", (unsigned long long)cp_sc_flags);
    report(home_count == 1 && home.cs == USER64_CS && home.ss == USER_DS &&
           home.rip == LABEL(cp_u64_syscall_after) + 2,
           "SYSRET with 64-bit operand size: 64-bit mode ring 3, CS = "
           "STAR[63:48]+16|3, SS = STAR[63:48]+8|3 (CS 0x%llx SS 0x%llx)",
           (unsigned long long)home.cs, (unsigned long long)home.ss);

    /* EFER.SCE=0: #UD, whatever the vendor. */
    wrmsr(MSR_EFER, efer & ~EFER_SCE);
    forget();
    run_user(LABEL(cp_u32_syscall), USER32_CS, USER_FLAGS);
    report(cf_vector == UD_VECTOR && cf_rip == LABEL(cp_u32_syscall_at) &&
           cp_sc_which == 0 && probed_user32(),
           "SYSCALL with EFER.SCE=0 in compatibility mode at ring 3: #UD "
           "(%s, entry %u)", cf_vec_name(cf_vector), cp_sc_which);

    wrmsr(MSR_EFER, efer);
    wrmsr(MSR_STAR, 0);
    wrmsr(MSR_LSTAR, 0);
    wrmsr(MSR_CSTAR, 0);
    wrmsr(MSR_SFMASK, 0);
}

static void test_sysenter(void)
{
    u64 esp = (u64)sep_stack + sizeof(sep_stack);
    bool intel = cf_is_intel();
    bool ok;

    if (!cf_is_amd() && !intel) {
        report_skip("vendor neither AMD nor Intel: SYSENTER and SYSEXIT in "
                    "long mode not tested");
        return;
    }
    wrmsr(MSR_SYSENTER_CS, SEP_CS);
    wrmsr(MSR_SYSENTER_ESP, esp);
    wrmsr(MSR_SYSENTER_EIP, LABEL(cp_sysenter_entry));

    forget();
    run_user(LABEL(cp_u32_sysenter), USER32_CS, USER_FLAGS);
    if (intel) {
        ok = cf_vector == -1 && cp_sc_which == 3 && cp_sc_cs == SEP_CS &&
             cp_sc_ss == SEP_SS && cp_sc_rsp == esp &&
             !(cp_sc_flags & RFLAGS_IF);
    } else {
        ok = cf_vector == UD_VECTOR &&
             cf_rip == LABEL(cp_u32_sysenter_at) && cp_sc_which == 0 &&
             probed_user32();
    }
    report(ok, "SYSENTER in compatibility mode at ring 3 follows the vendor: "
           "#UD on AMD; Intel: 64-bit ring 0, SYSENTER_CS/EIP/ESP, IF=0 "
           "(%s: %s, entry %u, CS 0x%x SS 0x%x)", vendor_name(),
           cf_vec_name(cf_vector), cp_sc_which, cp_sc_cs, cp_sc_ss);

    wrmsr(MSR_SYSENTER_CS, 0);
    forget();
    run_user(LABEL(cp_u32_sysenter), USER32_CS, USER_FLAGS);
    ok = cf_rip == LABEL(cp_u32_sysenter_at) && cp_sc_which == 0 &&
         probed_user32() &&
         (intel ? cf_vector == GP_VECTOR && cf_error == 0
                : cf_vector == UD_VECTOR);
    report(ok, "SYSENTER with SYSENTER_CS=0 in compatibility mode at ring 3 "
           "follows the vendor: #UD on AMD, #GP(0) on Intel (%s: %s, "
           "0x%llx)", vendor_name(), cf_vec_name(cf_vector),
           (unsigned long long)cf_error);
    wrmsr(MSR_SYSENTER_CS, SEP_CS);

    /* SYSEXIT from 64-bit mode, 32-bit operand size. */
    forget();
    cp_run(CF_STUB(cp_go_sysexit), LABEL(cp_u32_probe), 0, 0, user_sp(), 0);
    if (intel) {
        ok = cf_vector == -1 && probed_user32() && home.rsp == user_sp();
    } else {
        ok = cf_vector == UD_VECTOR && cf_rip == LABEL(cp_sysexit64_at) &&
             home_count == 0;
    }
    report(ok, "SYSEXIT (32-bit) in 64-bit mode follows the vendor: #UD on "
           "AMD; Intel: compatibility mode ring 3, CS/SS = SYSENTER_CS+16/24|3"
           ", EDX, ECX (%s: %s, CS 0x%x)", vendor_name(),
           cf_vec_name(cf_vector), (u16)home.cs);

    /* SYSEXIT from compatibility mode at ring 0. */
    forget();
    cp_far.off = LABEL(cp_c32_sysexit);
    cp_far.sel = KERNEL32_CS;
    cp_run(CF_STUB(cp_go_sysexit_compat), LABEL(cp_u32_probe), 0, 0,
           user_sp(), 0);
    if (intel) {
        ok = cf_vector == -1 && probed_user32() && home.rsp == user_sp();
    } else {
        ok = cf_vector == UD_VECTOR && cf_rip == LABEL(cp_c32_sysexit_at) &&
             home_count == 0;
    }
    report(ok, "SYSEXIT in compatibility mode at ring 0 follows the vendor: "
           "#UD on AMD, compatibility mode ring 3 on Intel (%s: %s, CS "
           "0x%x)", vendor_name(), cf_vec_name(cf_vector), (u16)home.cs);

    wrmsr(MSR_SYSENTER_CS, 0);
    wrmsr(MSR_SYSENTER_ESP, 0);
    wrmsr(MSR_SYSENTER_EIP, 0);
}

void cf_main(void)
{
    extern char cf_end[];
    u64 tss = (cf_gdt[6] >> 16 & 0xffffff) | (cf_gdt[6] >> 56) << 24 |
              cf_gdt[7] << 32;
    u64 rsp0 = (u64)ring0_stack + sizeof(ring0_stack), old_rsp0;
    struct cf_gate old80 = *cf_idt_gate(INT80_VECTOR);
    struct cf_gate old81 = *cf_idt_gate(RING0_VECTOR);
    struct cf_gate old82 = *cf_idt_gate(INT82_VECTOR);
    struct {
        u16 limit;
        u64 base;
    } __attribute__((packed)) old_gdt;

    /* Ring 3 runs with IF set: the 8259 (the firmware's timer) stays quiet. */
    asm volatile("cli");
    outb(0x21, 0xff);
    outb(0xa1, 0xff);

    asm volatile("sgdt %0" : "=m"(old_gdt));
    gdt_init();
    cf_set_gate(INT80_VECTOR, CF_STUB(cp_stub_int80), CF_GATE_INTR_DPL3, 0);
    cf_set_gate(RING0_VECTOR, CF_STUB(cp_stub_ring0), CF_GATE_INTR_DPL3, 0);
    cf_set_gate(INT82_VECTOR, CF_STUB(cp_stub_int82), CF_GATE_INTR, 0);

    test_far_call();

    /* .text comes first, .bss last: everything ring 3 needs is below. */
    if ((u64)cf_end > 0x200000) {
        report_skip("the kernel ends above 2 MiB: no ring 3 tests");
    } else {
        memcpy(&old_rsp0, (void *)(tss + 4), 8);
        memcpy((void *)(tss + 4), &rsp0, 8);
        cf_user_pages(true);
        test_user32();
        test_syscall();
        test_sysenter();
        cf_user_pages(false);
        memcpy((void *)(tss + 4), &old_rsp0, 8);
    }

    *cf_idt_gate(INT80_VECTOR) = old80;
    *cf_idt_gate(RING0_VECTOR) = old81;
    *cf_idt_gate(INT82_VECTOR) = old82;
    asm volatile("lgdt %0" : : "m"(old_gdt));
}
