/*
 * Conformance test kernels: the library every test links with.
 *
 * A test kernel is one area (msr.c, ...): its cf_main() makes many
 * assertions through report(), each printed on COM1 as one line
 *
 *   cf-<test>: PASS: <what> (<observed>)    (or FAIL:, or SKIP: why)
 *
 * <what> names the assertion the same way under every accelerator (the
 * runner lines results up by it); what was observed goes in one final
 * parenthesis, which the runner ignores.
 *
 * and cf_exit() prints "cf-<test>: SUMMARY: <n> tests, <f> failures,
 * <s> skipped" and leaves through isa-debug-exit (QEMU exits 33 when
 * every assertion passed, 3 otherwise).  An exception nobody expected
 * is a failure and ends the test.
 *
 * Instructions that may fault run through the exception table: CF_TRY
 * names the instruction's address and where to continue, and cf_vector
 * is the vector it raised (-1 for none), cf_error the error code.
 *
 * This work is licensed under the terms of the GNU GPL, version 2 or later.
 */
#ifndef CF_H
#define CF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int64_t s64;

#define GP_VECTOR       13
#define UD_VECTOR       6
#define DB_VECTOR       1
#define PF_VECTOR       14
#define DE_VECTOR       0
#define BP_VECTOR       3
#define NP_VECTOR       11
#define SS_VECTOR       12
#define MF_VECTOR       16
#define XM_VECTOR       19

/* The registers cf_trap() sees; the order boot.S pushes them in. */
#ifndef CF_32BIT
struct cf_frame {
    u64 r15, r14, r13, r12, r11, r10, r9, r8;
    u64 rbp, rdi, rsi, rdx, rcx, rbx, rax;
    u64 vector, error;
    u64 rip, cs, rflags, rsp, ss;
};
#else
/*
 * The 32-bit kernel (modes.c, boot32.S): esp and ss only from another
 * ring, the v86_ segments only from virtual-8086 mode.
 */
struct cf_frame {
    u32 gs, fs, es, ds;
    u32 edi, esi, ebp, esp0, ebx, edx, ecx, eax;
    u32 vector, error;
    u32 eip, cs, eflags, esp, ss;
    u32 v86_es, v86_ds, v86_fs, v86_gs;
};
#endif

#ifdef CF_32BIT
/* boot32.S: ring 3, virtual-8086 mode (RM_SEG:ip) and real mode. */
void cf_user_call(void (*fn)(void));
void cf_vm86_call(u32 ip, u32 eflags);
void cf_ring0_return(void);
void cf_real_mode(void);
#endif

extern const char cf_test_name[];   /* each test defines it */
void cf_entry(void);                /* boot.S calls it in long mode */
void cf_trap(struct cf_frame *f);   /* every vector's stub calls it */
void cf_main(void);                 /* each test defines it */

extern volatile int cf_vector;     /* volatile: set by the handler */
extern volatile u64 cf_error;      /* volatile: set by the handler */
/*
 * With the vector: CR2 of a #PF, DR6 of a #DB (then cleared, and TF
 * cleared in the interrupted RFLAGS), the RIP the exception reported.
 */
extern volatile u64 cf_cr2, cf_dr6, cf_rip; /* volatile: the handler's */

/* From the linker script and boot.S. */
struct cf_ex_entry {
    u64 from, to;
};
extern const struct cf_ex_entry cf_ex_table_start[], cf_ex_table_end[];
extern const char cf_isr_stubs[];
extern u64 cf_gdt[];

/* from: the faulting instruction; to: where to go on. */
#ifndef CF_32BIT
#define CF_EXTABLE(from, to)                                        \
    ".pushsection ex_table, \"a\"\n\t"                                 \
    ".quad " #from ", " #to "\n\t.popsection\n\t"
#else
#define CF_EXTABLE(from, to)                                        \
    ".pushsection ex_table, \"a\"\n\t"                                 \
    ".long " #from ", 0, " #to ", 0\n\t.popsection\n\t"
#endif

/* A macro's value as a string, for asm text: CF_STR(NMI_VECTOR). */
#define CF_STR_(x) #x
#define CF_STR(x) CF_STR_(x)

void printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
void report(bool pass, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void report_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void report_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* An exception's name for a report ("#GP"; "no fault" for -1). */
const char *cf_vec_name(int v);
void cf_exit(void) __attribute__((noreturn));
void cf_abort(const char *fmt, ...)
    __attribute__((noreturn, format(printf, 1, 2)));

/* Port I/O */
static inline void outb(u16 port, u8 v)
{
    asm volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline u8 inb(u16 port)
{
    u8 v;

    asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static inline void outl(u16 port, u32 v)
{
    asm volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

/* CPUID */
struct cpuid {
    u32 a, b, c, d;
};

static inline struct cpuid cpuid_count(u32 fn, u32 idx)
{
    struct cpuid r;

    asm volatile("cpuid" : "=a"(r.a), "=b"(r.b), "=c"(r.c), "=d"(r.d)
                 : "a"(fn), "c"(idx));
    return r;
}

static inline struct cpuid cpuid(u32 fn)
{
    return cpuid_count(fn, 0);
}

/* Feature bits: CF_FEAT(leaf, subleaf, register, bit). */
enum { CF_EAX, CF_EBX, CF_ECX, CF_EDX };
bool cf_has(u32 leaf, u32 subleaf, int reg, int bit);
bool cf_is_amd(void);       /* AuthenticAMD or HygonGenuine */
bool cf_is_intel(void);

#define HAS_MTRR()      cf_has(1, 0, CF_EDX, 12)
#define HAS_MCA()       cf_has(1, 0, CF_EDX, 14)
#define HAS_PAT()       cf_has(1, 0, CF_EDX, 16)
#define HAS_X2APIC()    cf_has(1, 0, CF_ECX, 21)
#define HAS_TSC_ADJUST() cf_has(7, 0, CF_EBX, 1)
#define HAS_RDPID()     cf_has(7, 0, CF_ECX, 22)
#define HAS_NX()        cf_has(0x80000001, 0, CF_EDX, 20)
#define HAS_RDTSCP()    cf_has(0x80000001, 0, CF_EDX, 27)
#define HAS_SVM()       cf_has(0x80000001, 0, CF_ECX, 2)
#define HAS_PERFCTR_CORE() cf_has(0x80000001, 0, CF_ECX, 23)

/*
 * MSRs: the plain ones fault like the instruction; the _safe ones
 * return the vector (-1 for none).
 */
static inline int rdmsr_safe(u32 msr, u64 *val)
{
    u32 lo = 0, hi = 0;

    cf_vector = -1;
    asm volatile("1: rdmsr\n2:\n\t" CF_EXTABLE(1b, 2b)
                 : "+a"(lo), "+d"(hi) : "c"(msr) : "memory");
    *val = lo | (u64)hi << 32;
    return cf_vector;
}

static inline int wrmsr_safe(u32 msr, u64 val)
{
    cf_vector = -1;
    asm volatile("1: wrmsr\n2:\n\t" CF_EXTABLE(1b, 2b)
                 : : "c"(msr), "a"((u32)val), "d"((u32)(val >> 32))
                 : "memory");
    return cf_vector;
}

static inline u64 rdmsr(u32 msr)
{
    u32 lo, hi;

    asm volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return lo | (u64)hi << 32;
}

static inline void wrmsr(u32 msr, u64 val)
{
    asm volatile("wrmsr" : : "c"(msr), "a"((u32)val), "d"((u32)(val >> 32))
                 : "memory");
}

static inline u64 rdtsc(void)
{
    u32 lo, hi;

    asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return lo | (u64)hi << 32;
}

/* RDTSCP: -1 if it faulted, else 0 with *aux = TSC_AUX. */
static inline int rdtscp_safe(u64 *tsc, u32 *aux)
{
    u32 lo = 0, hi = 0, c = 0;

    cf_vector = -1;
    asm volatile("1: rdtscp\n2:\n\t" CF_EXTABLE(1b, 2b)
                 : "+a"(lo), "+d"(hi), "+c"(c) : : "memory");
    *tsc = lo | (u64)hi << 32;
    *aux = c;
    return cf_vector;
}

static inline u64 read_cr0(void)
{
    unsigned long v;    /* 32 bits in the 32-bit kernel */

    asm volatile("mov %%cr0, %0" : "=r"(v));
    return v;
}

static inline u64 read_cr4(void)
{
    unsigned long v;    /* 32 bits in the 32-bit kernel */

    asm volatile("mov %%cr4, %0" : "=r"(v));
    return v;
}

static inline void write_cr4(u64 v)
{
    asm volatile("mov %0, %%cr4" : : "r"((unsigned long)v) : "memory");
}

static inline void write_cr0(u64 v)
{
    asm volatile("mov %0, %%cr0" : : "r"((unsigned long)v) : "memory");
}

static inline u64 read_cr3(void)
{
    unsigned long v;    /* 32 bits in the 32-bit kernel */

    asm volatile("mov %%cr3, %0" : "=r"(v));
    return v;
}

static inline void write_cr3(u64 v)
{
    asm volatile("mov %0, %%cr3" : : "r"((unsigned long)v) : "memory");
}

static inline void invlpg(unsigned long va)
{
    asm volatile("invlpg (%0)" : : "r"(va) : "memory");
}

/*
 * write_crN_safe(v): MOV v to CRn through the exception table; the
 * vector it raised, or -1.  (v is truncated to 32 bits in the 32-bit
 * kernel.)
 */
#define CF_WRITE_CR_SAFE(n)                                              \
    static inline int write_cr##n##_safe(u64 v)                          \
    {                                                                    \
        cf_vector = -1;                                                  \
        asm volatile("1: mov %0, %%cr" #n "\n2:\n\t" CF_EXTABLE(1b, 2b) \
                     : : "r"((unsigned long)v) : "memory");              \
        return cf_vector;                                                \
    }
CF_WRITE_CR_SAFE(0)
CF_WRITE_CR_SAFE(3)
CF_WRITE_CR_SAFE(4)
#ifndef CF_32BIT
CF_WRITE_CR_SAFE(8)
#endif

/*
 * The local APIC in xAPIC mode: MMIO at cf_apic_base, which
 * cf_apic_init() sets from the APIC_BASE MSR (check first that the APIC
 * is on and not in x2APIC mode).  The registers more than one test uses.
 */
#define APIC_ID         0x20
#define APIC_TPR        0x80
#define APIC_EOI        0xb0
#define APIC_SVR        0xf0
#define APIC_IRR        0x200
#define APIC_ICR        0x300
#define APIC_ICR2       0x310
#define APIC_LVTT       0x320
#define APIC_LVT0       0x350
#define APIC_LVTERR     0x370
#define APIC_LVT_MASKED (1U << 16)
#define ICR_FIXED       0x000
#define ICR_NMI         0x400
#define ICR_BUSY        (1U << 12)
#define ICR_ASSERT      (1U << 14)

#ifndef CF_32BIT
extern u64 cf_apic_base;
void cf_apic_init(void);

/* boot.S: the multiboot information's physical address. */
extern u32 cf_multiboot_info;
/*
 * Set (or clear) the U bit of the entries that map the first 2 MiB in
 * boot.S's page tables (the current CR3's), for a trip to ring 3.
 */
void cf_user_pages(bool on);

/* "key=N" on the command line (QEMU's -append): N, or -1 if not there. */
long cf_cmdline_num(const char *key);

static inline u32 apic_read(u32 reg)
{
    return *(volatile u32 *)(cf_apic_base + reg);     /* volatile: MMIO */
}

static inline void apic_write(u32 reg, u32 v)
{
    *(volatile u32 *)(cf_apic_base + reg) = v;        /* volatile: MMIO */
}

/* Whether vec is pending in the IRR. */
static inline bool apic_irr(int vec)
{
    return apic_read(APIC_IRR + vec / 32 * 0x10) & (1U << (vec % 32));
}

/*
 * The IDT's long-mode gates: a test points a vector at its own stub
 * (CF_STUB(), CF_TRAP_COMMON()) and puts the old gate back afterwards.
 * Types: present, DPL 0 or 3, 64-bit interrupt or trap gate.
 */
#define CF_GATE_INTR        0x8e
#define CF_GATE_INTR_DPL3   0xee
#define CF_GATE_TRAP        0x8f

struct cf_gate {
    u16 off0, sel;
    u8 ist, type;
    u16 off1;
    u32 off2, zero;
} __attribute__((packed));

/* Vector vec's gate in the IDT that IDTR names (SIDT). */
struct cf_gate *cf_idt_gate(int vec);
/* Point vec at entry (selector 0x08); returns the gate it replaced. */
struct cf_gate cf_set_gate(int vec, const void *entry, u8 type, u8 ist);

/*
 * A test's own interrupt stubs, in a top-level asm():
 *
 *   "my_stub_x: push $0; push $" CF_STR(X_VECTOR) "; jmp my_common\n"
 *   CF_TRAP_COMMON(my_common, my_trap)
 *
 * Each stub pushes (error code or 0, vector) as boot.S's do; the common
 * part saves the registers in struct cf_frame's order, calls
 * handler(struct cf_frame *) (static: mark it __attribute__((used))),
 * restores them, drops the vector and error code and returns (IRETQ).
 * CF_STUB(name) is a stub's address.
 */
#define CF_TRAP_COMMON(label, handler)                                   \
    #label ":\n\t"                                                       \
    "push %rax; push %rbx; push %rcx; push %rdx; push %rsi; push %rdi\n\t" \
    "push %rbp; push %r8; push %r9; push %r10; push %r11; push %r12\n\t" \
    "push %r13; push %r14; push %r15\n\t"                                \
    "mov %rsp, %rdi\n\t"                                                 \
    "cld\n\t"                                                            \
    "call " #handler "\n\t"                                              \
    "pop %r15; pop %r14; pop %r13; pop %r12; pop %r11; pop %r10\n\t"     \
    "pop %r9; pop %r8; pop %rbp; pop %rdi; pop %rsi; pop %rdx\n\t"       \
    "pop %rcx; pop %rbx; pop %rax\n\t"                                   \
    "add $16, %rsp\n\t"                                                  \
    "iretq\n"

#define CF_STUB(name)                                                    \
    ({                                                                   \
        const void *p_;                                                  \
        asm("lea " #name "(%%rip), %0" : "=r"(p_));                      \
        p_;                                                              \
    })
#endif

void *memset(void *s, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
int strcmp(const char *a, const char *b);

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define BIT(n) (1ULL << (n))

#endif
