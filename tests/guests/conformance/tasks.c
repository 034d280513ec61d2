/*
 * Conformance: hardware task switching in 32-bit protected mode.
 *
 * A 32-bit kernel (boot32.S) that switches tasks through TSSs as the
 * Intel SDM vol. 3 ("Task Management") and the AMD APM vol. 2 ("Legacy
 * Task Switching") describe it: JMP and CALL to a TSS, to a task gate in
 * the GDT, INT n and an exception through a task gate in the IDT, IRET
 * with NT back to the caller; the state saved in the old TSS and loaded
 * from the new one (EIP, EFLAGS, the eight registers, the six selectors,
 * CR3, LDTR), the busy bits, the back-link, NT and CR0.TS; the faults a
 * task switch raises before it commits (in the old task) and after (in
 * the new one); and a 16-bit TSS.  Under SVM a hypervisor intercepts
 * task switches and emulates them, so every field is checked.
 *
 * The kernel runs in a task of its own (main_tss, selector MAIN_TSS in a
 * GDT of its own, boot32.S's entries copied first).  Each scenario builds
 * fresh TSSs and descriptors, switches through go_ljmp/go_lcall/go_int
 * (which load known registers first and record what they come back
 * with), and a new task records what it starts with (task_entry) and
 * returns by JMP to MAIN_TSS or by IRET.  A switch that faults before
 * it commits lands in the exception table (go_*_fault); one that faults
 * after, in the new task, goes on at task_bad_resume; an unexpected
 * exception inside a task is reported and ends that task with a JMP back
 * to MAIN_TSS, so one broken scenario leaves the next ones their chance.
 *
 * This work is licensed under the terms of the GNU GPL, version 2 or later.
 */
#include "cf.h"

const char cf_test_name[] = "tasks";

/* boot32.S's selectors. */
#define KCODE           0x08
#define KDATA           0x10
#define UCODE           0x1b
#define UDATA           0x23    /* DPL 3 data: loadable at CPL 0 too */
#define SEG_RO          0x50    /* flat data, read-only */
#define SEG_BASE        0x68    /* data, base 0x10000 */
#define BOOT_TSS        0x28    /* TR until tasks_init() */
/* Ours, from entry 32 on (boot32.S has fifteen: room to grow). */
#define DATA2           0x100   /* flat data: the tasks' SS */
#define MAIN_TSS        0x108   /* the kernel's own task */
#define TSS_A           0x110
#define TSS_B           0x118
#define GATE            0x120   /* a task gate */
#define TSS_X           0x128   /* the error cases' TSS */
#define LDT_SEL         0x130
#define TSS16           0x138   /* a 16-bit TSS */
#define CODE16          0x140   /* its 16-bit code, based at task16_entry */
#define STACK16         0x148   /* its 16-bit stack */
#define DATA16          0x150   /* its data: rec16 */
#define GDT_ENTRIES     48
#define BAD_SEL         0xfff8  /* beyond the GDT limit */
#define LDT_DATA        0x0c    /* LDT entry 1 (TI=1, RPL 0) */

/* IDT vectors with task gates. */
#define VEC_GATE3       0x90    /* DPL 3 */
#define VEC_GATE0       0x91    /* DPL 0 */
#define TS_VECTOR       10

#define DESC_PRESENT    0x80
#define DESC_TSS32      0x89    /* present, DPL 0, available 32-bit TSS */
#define DESC_TSS16      0x81    /* present, DPL 0, available 16-bit TSS */
#define DESC_BUSY       0x02    /* the busy bit of a TSS descriptor's type */
#define DESC_TASKGATE   0x85    /* present, DPL 0, task gate */
#define DESC_DPL3       0x60
#define DESC_LDT        0x82    /* present, LDT */
#define DESC_DATA       0x93    /* present, read/write data, accessed */
#define DESC_CODE       0x9b    /* present, execute/read code, accessed */

#define CR0_TS          BIT(3)
#define CR0_PG          BIT(31)
#define CR4_PAE         BIT(5)
#define EFLAGS_NT       0x4000
#define PTE_P           BIT(0)
#define PTE_W           BIT(1)

/*
 * The flags the kernel switches away with and the new tasks start with:
 * arithmetic flags, DF and AC (harmless with CR0.AM clear) so that a
 * save or load of part of EFLAGS shows.  IF stays clear throughout.
 */
#define MAIN_EFLAGS     0x40cd7 /* AC DF OF SF ZF AF PF CF */
#define TASK_EFLAGS     0x40847 /* AC OF ZF PF CF */
#define TASK16_FLAGS    0x0847
#define LINK_MARK       0x5a5a5a50u  /* a back-link no switch should write */

#define TEST_VA         0x40000000u
#define MAGIC_MAIN      0x3a1a3a1au
#define MAGIC_TASK      0x7a5c7a5cu
#define MAGIC_LDT       0x1d71d7aau

/* A 32-bit TSS (SDM vol. 3, Figure "32-Bit Task-State Segment"). */
struct tss32 {
    u32 link, esp0, ss0, esp1, ss1, esp2, ss2, cr3, eip, eflags;
    u32 eax, ecx, edx, ebx, esp, ebp, esi, edi;
    u32 es, cs, ss, ds, fs, gs, ldt;
    u16 trap, iomap;
} __attribute__((packed));

/* A 16-bit TSS (Figure "16-Bit TSS Format"). */
struct tss16 {
    u16 link, sp0, ss0, sp1, ss1, sp2, ss2, ip, flags;
    u16 ax, cx, dx, bx, sp, bp, si, di;
    u16 es, cs, ss, ds, ldt;
} __attribute__((packed));

_Static_assert(sizeof(struct tss32) == 0x68, "32-bit TSS layout");
_Static_assert(sizeof(struct tss16) == 0x2c, "16-bit TSS layout");

/*
 * What a new task starts with (task_entry stores it first thing) and
 * what go_* come back with: the asm below uses these offsets.
 */
struct regs {
    u32 eax, ecx, edx, ebx, esp, ebp, esi, edi;        /* 0x00 */
    u32 eflags;                                        /* 0x20 */
    u16 es, cs, ss, ds, fs, gs;                        /* 0x24 */
    u16 tr, ldtr;                                      /* 0x30 */
    u32 cr0, cr3;                                      /* 0x34 */
    u32 ran;                                           /* 0x3c */
};

/* task16_entry's record, at DATA16:0. */
struct rec16 {
    u16 ax, cx, dx, bx, sp, bp, si, di;                /* 0x00 */
    u16 flags, es, cs, ss, ds, tr;                     /* 0x10 */
    u16 ran;                                           /* 0x1c */
};

_Static_assert(offsetof(struct regs, eflags) == 0x20 &&
               offsetof(struct regs, es) == 0x24 &&
               offsetof(struct regs, tr) == 0x30 &&
               offsetof(struct regs, cr0) == 0x34 &&
               offsetof(struct regs, ran) == 0x3c, "struct regs, the asm's");
_Static_assert(offsetof(struct rec16, flags) == 0x10 &&
               offsetof(struct rec16, ran) == 0x1c, "struct rec16, the asm's");

/* used: the asm below refers to these; volatile: the CPU writes them. */
static volatile struct regs probe __attribute__((used));
static volatile struct regs go_in __attribute__((used));
static volatile struct regs go_out __attribute__((used));
static volatile u32 go_esp __attribute__((used));    /* ESP at the switch */
static volatile u32 go_fault __attribute__((used));  /* it faulted */
static volatile u32 task_iret __attribute__((used)); /* leave by IRET:
                                                      * 1, 2 after a CMP */
static volatile u32 bad_resumed __attribute__((used));
static struct {
    u32 off;
    u16 sel;
} __attribute__((packed)) go_ptr __attribute__((used));
static volatile struct rec16 rec16 __attribute__((aligned(16)));

static u64 gdt[GDT_ENTRIES] __attribute__((aligned(16)));
static u64 ldt[2] __attribute__((aligned(16)));
static u32 ldt_data[4] __attribute__((aligned(16)));
/* 128-byte aligned: no TSS crosses a page. */
static struct tss32 main_tss __attribute__((aligned(128)));
static struct tss32 tss_a __attribute__((aligned(128)));
static struct tss32 tss_b __attribute__((aligned(128)));
static struct tss32 tss_x __attribute__((aligned(128)));
static struct tss16 tss16 __attribute__((aligned(128)));
static u8 stack_a[4096] __attribute__((aligned(16)));
static u8 stack_b[4096] __attribute__((aligned(16)));
static u8 stack_x[4096] __attribute__((aligned(16)));
static u8 stack16[4096] __attribute__((aligned(16)));
static u8 trap_stack[8192] __attribute__((aligned(16)));

/* What task_body() saw, from inside the new task. */
static struct {
    struct tss32 main;          /* the old TSS, just saved */
    u32 link;                   /* the new TSS's back-link field */
    bool busy_main, busy_self;  /* the two descriptors' busy bits */
    u32 top;                    /* the dword at the new task's ESP */
} snap;
static void (*task_hook)(void);        /* more for task_body() to do */
static volatile u32 hook_val;          /* what the hook read */

/* What cf_trap() saw with the exception. */
static volatile u16 trap_tr;           /* volatile: the handler's */
static volatile bool fix_segs;         /* volatile: the handler's */

/* The asm's labels. */
void go_ljmp(void), go_lcall(void), go_int(void);
void go_ljmp_cmp(void), go_lcall_cmp(void);
extern const char go_ljmp_ret[], go_lcall_ret[], go_int_ret[];
extern const char task_entry[], task_after_ljmp[], task_after_iret[];
extern const char task_bad_entry[], task_bad_resume[];
extern const char task16_entry[], task16_back[];
void user_int_gate3(void), user_int_gate0(void);
void user_ljmp(void), user_lcall(void);
extern const char user_int_gate3_ret[], user_lcall_ret[];
extern volatile u32 user_cs;
void gp_task_fault(void);
extern const char gp_task_at[], gp_task_after[];
extern volatile u32 gp_task_done;
void iret_nt(void);

/* The registers a task records and go_* load: see struct regs. */
#define STORE_REGS(rec)                                                  \
    "mov %eax, " #rec "+0x00\n\tmov %ecx, " #rec "+0x04\n\t"             \
    "mov %edx, " #rec "+0x08\n\tmov %ebx, " #rec "+0x0c\n\t"             \
    "mov %esp, " #rec "+0x10\n\tmov %ebp, " #rec "+0x14\n\t"             \
    "mov %esi, " #rec "+0x18\n\tmov %edi, " #rec "+0x1c\n\t"             \
    "pushfl\n\tpopl " #rec "+0x20\n\t"                                   \
    "mov %es, " #rec "+0x24\n\tmov %cs, " #rec "+0x26\n\t"               \
    "mov %ss, " #rec "+0x28\n\tmov %ds, " #rec "+0x2a\n\t"               \
    "mov %fs, " #rec "+0x2c\n\tmov %gs, " #rec "+0x2e\n\t"

asm(
    ".pushsection .text\n"
    /*
     * go_ljmp, go_lcall, go_int: switch away with go_in's registers,
     * EFLAGS, ES, FS and GS (ESP: go_esp) through go_ptr (INT: the DPL 3
     * task gate); back at <name>_ret with what the old TSS gave back,
     * recorded in go_out.  A switch that faults goes on at <name>_fault
     * with go_fault set.  C calls them: callee-saved registers kept.
     * pre: an instruction between POPF and the switch.
     */
    ".macro GO name, insn, pre\n"
    "   .globl \\name, \\name\\()_ret\n"
    "\\name:\n"
    "   push %ebp\n push %ebx\n push %esi\n push %edi\n"
    "   mov %esp, go_esp\n"
    "   movl $0, go_fault\n"
    "   mov go_in+0x24, %es\n mov go_in+0x2c, %fs\n mov go_in+0x2e, %gs\n"
    "   pushl go_in+0x20\n"
    "   mov go_in+0x00, %eax\n mov go_in+0x04, %ecx\n"
    "   mov go_in+0x08, %edx\n mov go_in+0x0c, %ebx\n"
    "   mov go_in+0x14, %ebp\n mov go_in+0x18, %esi\n"
    "   mov go_in+0x1c, %edi\n"
    "   popfl\n"
    "   \\pre\n"
    "\\name\\()_at:\n"
    "   \\insn\n"
    "\\name\\()_ret:\n"
    STORE_REGS(go_out)
    "   jmp 1f\n"
    "\\name\\()_fault:\n"
    "   movl $1, go_fault\n"
    "1: cld\n"
    "   mov $" CF_STR(KDATA) ", %eax\n"
    "   mov %eax, %ds\n mov %eax, %es\n mov %eax, %ss\n"
    "   xor %eax, %eax\n mov %eax, %fs\n mov %eax, %gs\n"
    "   mov go_esp, %esp\n"
    "   pop %edi\n pop %esi\n pop %ebx\n pop %ebp\n"
    "   ret\n"
    "   .pushsection ex_table, \"a\"\n"
    "   .long \\name\\()_at, 0, \\name\\()_fault, 0\n"
    "   .popsection\n"
    ".endm\n"
    "GO go_ljmp, \"ljmp *go_ptr\"\n"
    "GO go_lcall, \"lcall *go_ptr\"\n"
    "GO go_int, \"int $" CF_STR(VEC_GATE3) "\"\n"
    "GO go_ljmp_cmp, \"ljmp *go_ptr\", \"cmp %eax, %eax\"\n"
    "GO go_lcall_cmp, \"lcall *go_ptr\", \"cmp %eax, %eax\"\n"

    /*
     * Every new 32-bit task starts here (its TSS's EIP): record the
     * state the switch loaded before touching any of it, then
     * task_body(), then back to MAIN_TSS by JMP or (task_iret) by IRET,
     * right after a CMP for task_iret 2; task_after_ljmp/iret is the EIP
     * the switch saves.  DS must be flat and writable.  A task resumed
     * after that is a failure.
     */
    ".globl task_entry, task_after_ljmp, task_after_iret\n"
    "task_entry:\n"
    STORE_REGS(probe)
    "   str probe+0x30\n"
    "   sldt probe+0x32\n"
    "   mov %cr0, %eax\n mov %eax, probe+0x34\n"
    "   mov %cr3, %eax\n mov %eax, probe+0x38\n"
    "   movl $1, probe+0x3c\n"
    "   mov $" CF_STR(KDATA) ", %eax\n mov %eax, %es\n"
    "   cld\n"
    "   call task_body\n"
    "   mov task_iret, %eax\n"
    "   cmp $1, %eax\n"
    "   je 1f\n"
    "   cmp $2, %eax\n"
    "   je 2f\n"
    "   ljmp $" CF_STR(MAIN_TSS) ", $0\n"
    "task_after_ljmp:\n"
    "   call task_resumed\n"
    "1: iret\n"
    "task_after_iret:\n"
    "   call task_resumed\n"
    "2: cmp %eax, %eax\n"
    "   iret\n"
    "   call task_resumed\n"

    /*
     * A task whose DS cannot be loaded: the #TS comes in the new task,
     * at its first instruction; cf_trap() sends any exception in the
     * new task on to task_bad_resume, whatever EIP it reports (the UD2
     * is for a switch that did not fault).
     */
    ".globl task_bad_entry, task_bad_resume\n"
    "task_bad_entry:\n"
    "   ud2\n"
    "task_bad_resume:\n"
    "   movl $1, bad_resumed\n"
    "   ljmp $" CF_STR(MAIN_TSS) ", $0\n"
    "   call task_resumed\n"

    /*
     * The 16-bit task: CS based at task16_entry, DS at rec16, a 16-bit
     * stack.  It records what it starts with, loads other values for
     * the switch back to save, and JMPs to MAIN_TSS.
     */
    ".globl task16_entry, task16_back\n"
    "task16_entry:\n"
    ".code16\n"
    "   mov %ax, 0x00\n mov %cx, 0x02\n mov %dx, 0x04\n mov %bx, 0x06\n"
    "   mov %sp, 0x08\n mov %bp, 0x0a\n mov %si, 0x0c\n mov %di, 0x0e\n"
    "   pushf\n popw 0x10\n"
    "   mov %es, 0x12\n mov %cs, 0x14\n mov %ss, 0x16\n mov %ds, 0x18\n"
    "   str 0x1a\n"
    "   movw $1, 0x1c\n"
    "   push %ds\n pop %es\n"
    "   mov $0x6116, %ax\n mov $0x6226, %cx\n mov $0x6336, %dx\n"
    "   mov $0x6446, %bx\n mov $0x6556, %bp\n mov $0x6666, %si\n"
    "   mov $0x6776, %di\n"
    "   pushw $0x0c93\n popf\n"
    "   ljmp $" CF_STR(MAIN_TSS) ", $0\n"
    "task16_back:\n"
    "   jmp task16_back\n"
    ".code32\n"

    /* Ring 3 (cf_user_call): INT n to the DPL 3 and DPL 0 task gates. */
    ".globl user_int_gate3, user_int_gate3_ret, user_cs\n"
    "user_int_gate3:\n"
    "   int $" CF_STR(VEC_GATE3) "\n"
    "user_int_gate3_ret:\n"
    "   mov %cs, user_cs\n"
    "   ret\n"
    ".globl user_int_gate0\n"
    "user_int_gate0:\n"
    "   movl $-1, cf_vector\n"
    "1: int $" CF_STR(VEC_GATE0) "\n"
    "2: ret\n"
    "   .pushsection ex_table, \"a\"\n"
    "   .long 1b, 0, 2b, 0\n"
    "   .popsection\n"

    /* Ring 3: JMP to a TSS and CALL through a task gate, via go_ptr. */
    ".globl user_ljmp, user_lcall, user_lcall_ret\n"
    "user_ljmp:\n"
    "   movl $-1, cf_vector\n"
    "1: ljmp *go_ptr\n"
    "2: ret\n"
    "   .pushsection ex_table, \"a\"\n"
    "   .long 1b, 0, 2b, 0\n"
    "   .popsection\n"
    "user_lcall:\n"
    "   lcall *go_ptr\n"
    "user_lcall_ret:\n"
    "   mov %cs, user_cs\n"
    "   ret\n"

    /*
     * A #GP (a selector beyond the GDT limit) for the IDT's task gate:
     * the handler task moves the saved EIP on to gp_task_after.
     */
    ".globl gp_task_fault, gp_task_at, gp_task_after, gp_task_done\n"
    "gp_task_fault:\n"
    "   movl $0, gp_task_done\n"
    "   mov $" CF_STR(BAD_SEL) ", %eax\n"
    "gp_task_at:\n"
    "   mov %eax, %es\n"
    "gp_task_after:\n"
    "   movl $1, gp_task_done\n"
    "   mov $" CF_STR(KDATA) ", %eax\n"
    "   mov %eax, %es\n"
    "   ret\n"

    /* IRET with NT set; NT clear again whether it faulted or not. */
    ".globl iret_nt\n"
    "iret_nt:\n"
    "   pushfl\n orl $" CF_STR(EFLAGS_NT) ", (%esp)\n popfl\n"
    "1: iret\n"
    "2: pushfl\n andl $~" CF_STR(EFLAGS_NT) ", (%esp)\n popfl\n"
    "   ret\n"
    "   .pushsection ex_table, \"a\"\n"
    "   .long 1b, 0, 2b, 0\n"
    "   .popsection\n"

    ".pushsection .data\n"
    "user_cs: .long 0\n"
    "gp_task_done: .long 0\n"
    ".popsection\n"
    ".popsection\n");

static u16 str(void)
{
    u16 v;

    asm volatile("str %0" : "=r"(v));
    return v;
}

static u16 sldt(void)
{
    u16 v;

    asm volatile("sldt %0" : "=r"(v));
    return v;
}

static void clts(void)
{
    asm volatile("clts");
}

/* The CPU and the other task change memory behind the compiler's back. */
static void barrier(void)
{
    asm volatile("" : : : "memory");
}

static u64 seg_desc(u32 base, u32 limit, u8 access, u8 flags)
{
    return (limit & 0xffff) | (u64)(base & 0xffffff) << 16 |
           (u64)access << 40 | (u64)((limit >> 16) & 0xf) << 48 |
           (u64)(flags & 0xf) << 52 | (u64)(base >> 24) << 56;
}

static u64 gate_desc(u16 tss_sel, u8 access)
{
    return (u64)tss_sel << 16 | (u64)access << 40;
}

static void set_tss(u16 sel, void *tss, u32 limit, u8 access)
{
    gdt[sel >> 3] = seg_desc((u32)tss, limit, access, 0);
}

static bool busy(u16 sel)
{
    return (sel >> 3) < GDT_ENTRIES && !(sel & 4) &&
           ((gdt[sel >> 3] >> 41) & 1);
}

/* A 32-bit TSS's base from its descriptor (NULL outside our GDT). */
static struct tss32 *tss_of(u16 sel)
{
    u64 d;

    if ((sel >> 3) >= GDT_ENTRIES || (sel & 4)) {
        return NULL;
    }
    d = gdt[sel >> 3];
    return (struct tss32 *)(u32)(((d >> 16) & 0xffffff) | ((d >> 56) << 24));
}

static u64 *idt(void)
{
    struct {
        u16 limit;
        u32 base;
    } __attribute__((packed)) d;

    asm volatile("sidt %0" : "=m"(d));
    return (u64 *)d.base;
}

/* Called in each new task (task_entry), on its stack. */
static __attribute__((used)) void task_body(void)
{
    struct tss32 *self = tss_of(probe.tr);

    memcpy(&snap.main, &main_tss, sizeof(main_tss));
    snap.link = self ? self->link : 0;
    snap.busy_main = busy(MAIN_TSS);
    snap.busy_self = busy(probe.tr);
    snap.top = *(volatile u32 *)probe.esp;
    if (task_hook) {
        task_hook();
    }
}

static __attribute__((used)) void task_resumed(void)
{
    cf_abort("a task that had switched away was resumed (TR 0x%x)", str());
}

void cf_trap(struct cf_frame *f)
{
    const struct cf_ex_entry *e;
    u16 tr = str();

    if (fix_segs && tr != MAIN_TSS) {
        /*
         * The fault a new task's selectors raise (test_errors()): its
         * data segments may not be loadable, and it goes on at
         * task_bad_resume.
         */
        cf_vector = f->vector;
        cf_error = f->error;
        cf_rip = f->eip;
        trap_tr = tr;
        f->ds = f->es = KDATA;
        f->fs = f->gs = 0;
        f->eip = (u32)task_bad_resume;
        fix_segs = false;
        return;
    }
    for (e = cf_ex_table_start; e < cf_ex_table_end; e++) {
        if (e->from == f->eip) {
            cf_vector = f->vector;
            cf_error = f->error;
            cf_rip = f->eip;
            trap_tr = tr;
            f->eip = e->to;
            return;
        }
    }
    if (tr != MAIN_TSS && tr != BOOT_TSS) {
        /*
         * In a new task (TR neither ours nor, before tasks_init(),
         * boot32.S's): report it, and JMP back to the kernel's task
         * (made available for it), which goes on after its switch.
         */
        report(false, "no unexpected exception in a new task (vector %u, "
               "error code 0x%x, eip 0x%x, TR 0x%x)", f->vector, f->error,
               f->eip, tr);
        gdt[MAIN_TSS >> 3] &= ~((u64)DESC_BUSY << 40);
        asm volatile("ljmp $" CF_STR(MAIN_TSS) ", $0" : : : "memory");
    }
    cf_abort("unexpected exception %u (error code 0x%x) at eip 0x%x, "
             "cs 0x%x, TR 0x%x", f->vector, f->error, f->eip, f->cs, tr);
}

/*
 * The kernel's own GDT (boot32.S's entries, then ours) and task: its
 * TSS has the ring 0 stack for ring 3's exceptions and INT 0x81.
 */
static void tasks_init(void)
{
    struct {
        u16 limit;
        u32 base;
    } __attribute__((packed)) d;

    asm volatile("sgdt %0" : "=m"(d));
    if (d.limit + 1 > DATA2) {
        cf_abort("boot32.S's GDT reaches 0x%x, ours start at 0x%x",
                 d.limit + 1, DATA2);
    }
    memcpy(gdt, (void *)d.base, d.limit + 1);
    gdt[DATA2 >> 3] = seg_desc(0, 0xfffff, DESC_DATA, 0xc);
    main_tss.ss0 = KDATA;
    main_tss.esp0 = (u32)trap_stack + sizeof(trap_stack);
    main_tss.iomap = sizeof(main_tss);
    set_tss(MAIN_TSS, &main_tss, sizeof(main_tss) - 1, DESC_TSS32);
    d.limit = sizeof(gdt) - 1;
    d.base = (u32)gdt;
    asm volatile("lgdt %0\n\tltr %w1" : : "m"(d), "r"(MAIN_TSS) : "memory");
}

/*
 * Before each scenario: the kernel's task running and busy with no
 * back-link, CR3 as now (what a switch back loads), CR0.TS clear,
 * nothing recorded.
 */
static void fresh(void)
{
    if (str() != MAIN_TSS) {
        set_tss(MAIN_TSS, &main_tss, sizeof(main_tss) - 1, DESC_TSS32);
        asm volatile("ltr %w0" : : "r"(MAIN_TSS));
    }
    set_tss(MAIN_TSS, &main_tss, sizeof(main_tss) - 1,
            DESC_TSS32 | DESC_BUSY);
    main_tss.link = 0;
    main_tss.cr3 = read_cr3();
    main_tss.ldt = 0;
    memset((void *)&probe, 0, sizeof(probe));
    memset((void *)&go_out, 0, sizeof(go_out));
    memset(&snap, 0, sizeof(snap));
    task_hook = NULL;
    task_iret = 0;
    hook_val = 0;
    cf_vector = -1;
    cf_error = 0;
    trap_tr = 0;
    fix_segs = false;
    clts();

    /* Distinct from every new task's. */
    go_in.eax = 0xe0000a0a;
    go_in.ecx = 0xe0000c0c;
    go_in.edx = 0xe0000d0d;
    go_in.ebx = 0xe0000b0b;
    go_in.ebp = 0xe0000b9b;
    go_in.esi = 0xe0000515;
    go_in.edi = 0xe0000d1d;
    go_in.eflags = MAIN_EFLAGS;
    go_in.es = SEG_RO;
    go_in.fs = SEG_BASE;
    go_in.gs = UDATA;
    barrier();
}

/*
 * A fresh 32-bit TSS starting at eip on its own stack, in ring 0 with
 * flat CS, DS and SS (DATA2, not DS's descriptor) and other ES, FS, GS;
 * registers that tell seed's TSS from any other; its descriptor
 * available.
 */
static void task_init(u16 sel, struct tss32 *t, u8 *stack, const void *eip,
                      u32 seed)
{
    memset(t, 0, sizeof(*t));
    t->link = LINK_MARK;
    t->cr3 = read_cr3();
    t->eip = (u32)eip;
    t->eflags = TASK_EFLAGS;
    t->eax = 0x1a1a0000 | seed;
    t->ecx = 0x1c1c0000 | seed;
    t->edx = 0x1d1d0000 | seed;
    t->ebx = 0x1b1b0000 | seed;
    t->esp = (u32)stack + 4096;
    t->ebp = 0x1bbb0000 | seed;
    t->esi = 0x15150000 | seed;
    t->edi = 0x1d1d1d00 | seed;
    t->cs = KCODE;
    t->ss = DATA2;
    t->ds = KDATA;
    t->es = UDATA;
    t->fs = SEG_RO;
    t->gs = SEG_BASE;
    t->iomap = sizeof(*t);
    set_tss(sel, t, sizeof(*t) - 1, DESC_TSS32);
}

static void go(void (*how)(void), u16 sel)
{
    go_ptr.off = 0;
    go_ptr.sel = sel;
    barrier();
    how();
    barrier();
}

/* Which of the probe's registers differ from the TSS's: a bit each. */
static u32 gpr_diff(const struct tss32 *t)
{
    const u32 want[8] = { t->eax, t->ecx, t->edx, t->ebx,
                          t->esp, t->ebp, t->esi, t->edi };
    const u32 got[8] = { probe.eax, probe.ecx, probe.edx, probe.ebx,
                         probe.esp, probe.ebp, probe.esi, probe.edi };
    u32 diff = 0;
    int i;

    for (i = 0; i < 8; i++) {
        diff |= (want[i] != got[i]) << i;
    }
    return diff;
}

/* Which of the probe's ES, CS, SS, DS, FS, GS differ from the TSS's. */
static u32 sel_diff(const struct tss32 *t)
{
    const u32 want[6] = { t->es, t->cs, t->ss, t->ds, t->fs, t->gs };
    const u16 got[6] = { probe.es, probe.cs, probe.ss,
                         probe.ds, probe.fs, probe.gs };
    u32 diff = 0;
    int i;

    for (i = 0; i < 6; i++) {
        diff |= ((u16)want[i] != got[i]) << i;
    }
    return diff;
}

/*
 * Which of the fields a switch saved in t (registers, EFLAGS, selectors:
 * their low 16 bits, the Pentium's upper ones being 0 and the 486's
 * undefined) differ from r's, with esp and the code and stack selectors:
 * a bit each, in struct regs order.
 */
static u32 saved_diff(const struct tss32 *t, const volatile struct regs *r,
                      u32 esp, u16 cs, u16 ss)
{
    const u32 want[15] = { r->eax, r->ecx, r->edx, r->ebx, esp, r->ebp,
                           r->esi, r->edi, r->eflags, r->es, cs, ss,
                           KDATA, r->fs, r->gs };
    const u32 got[15] = { t->eax, t->ecx, t->edx, t->ebx, t->esp, t->ebp,
                          t->esi, t->edi, t->eflags, t->es & 0xffff,
                          t->cs & 0xffff, t->ss & 0xffff, t->ds & 0xffff,
                          t->fs & 0xffff, t->gs & 0xffff };
    u32 diff = 0;
    int i;

    for (i = 0; i < 15; i++) {
        diff |= (want[i] != got[i]) << i;
    }
    return diff;
}

/* The same for what go_* came back with (go_out against go_in). */
static u32 back_diff(void)
{
    const u32 want[15] = { go_in.eax, go_in.ecx, go_in.edx, go_in.ebx,
                           go_esp, go_in.ebp, go_in.esi, go_in.edi,
                           go_in.eflags, go_in.es, KCODE, KDATA, KDATA,
                           go_in.fs, go_in.gs };
    const u32 got[15] = { go_out.eax, go_out.ecx, go_out.edx, go_out.ebx,
                          go_out.esp, go_out.ebp, go_out.esi, go_out.edi,
                          go_out.eflags, go_out.es, go_out.cs, go_out.ss,
                          go_out.ds, go_out.fs, go_out.gs };
    u32 diff = 0;
    int i;

    for (i = 0; i < 15; i++) {
        diff |= (want[i] != got[i]) << i;
    }
    return diff | (go_fault << 15);
}

static void test_jmp(void)
{
    struct tss32 a0;
    u32 cr0;

    fresh();
    task_init(TSS_A, &tss_a, stack_a, task_entry, 0xa);
    a0 = tss_a;
    go(go_ljmp, TSS_A);
    cr0 = read_cr0();

    report(probe.ran && probe.eflags == a0.eflags,
           "ljmp to a TSS: the new task starts at its TSS's EIP with its "
           "EFLAGS (ran %u, eflags 0x%x)", probe.ran, probe.eflags);
    report(probe.ran && !gpr_diff(&a0),
           "ljmp to a TSS: the eight general registers come from the new "
           "TSS (differing: 0x%x)", gpr_diff(&a0));
    report(probe.ran && !sel_diff(&a0),
           "ljmp to a TSS: ES, CS, SS, DS, FS, GS come from the new TSS "
           "(differing: 0x%x, cs 0x%x ss 0x%x)", sel_diff(&a0), probe.cs,
           probe.ss);
    report(probe.ran && probe.tr == TSS_A && (probe.cr0 & CR0_TS) &&
           !(probe.eflags & EFLAGS_NT),
           "ljmp to a TSS: TR is the new TSS's selector, CR0.TS is set, "
           "NT is clear (TR 0x%x, CR0 0x%x, eflags 0x%x)", probe.tr,
           probe.cr0, probe.eflags);
    report(probe.ran && snap.main.eip == (u32)go_ljmp_ret,
           "ljmp to a TSS: the old TSS's EIP is the instruction after the "
           "ljmp (0x%x, want 0x%x)", snap.main.eip, (u32)go_ljmp_ret);
    report(probe.ran &&
           !saved_diff(&snap.main, &go_in, go_esp, KCODE, KDATA),
           "ljmp to a TSS: the old TSS gets EFLAGS, the general registers "
           "and the selectors (differing: 0x%x, eflags 0x%x)",
           saved_diff(&snap.main, &go_in, go_esp, KCODE, KDATA),
           snap.main.eflags);
    report(probe.ran && !snap.busy_main && snap.busy_self,
           "ljmp to a TSS: the old TSS's descriptor becomes available, "
           "the new one's busy (old %u, new %u)", snap.busy_main,
           snap.busy_self);
    report(probe.ran && snap.link == LINK_MARK,
           "ljmp to a TSS: the new TSS's back-link is not written (0x%x)",
           snap.link);

    /* task_entry went back by JMP. */
    report(!back_diff(),
           "ljmp back: the first task goes on after its ljmp with the "
           "registers, EFLAGS and selectors it saved (differing: 0x%x)",
           back_diff());
    report(str() == MAIN_TSS && busy(MAIN_TSS) && !busy(TSS_A) &&
           (cr0 & CR0_TS) && tss_a.eip == (u32)task_after_ljmp,
           "ljmp back: TR is the first task's again, its TSS busy, the "
           "second's available with the EIP after its ljmp, CR0.TS set "
           "(TR 0x%x, busy %u %u, eip 0x%x, CR0 0x%x)", str(),
           busy(MAIN_TSS), busy(TSS_A), tss_a.eip, cr0);
    clts();
}

static void test_call(void)
{
    struct tss32 b0;

    fresh();
    task_init(TSS_B, &tss_b, stack_b, task_entry, 0xb);
    task_iret = 1;
    b0 = tss_b;
    go(go_lcall, TSS_B);

    report(probe.ran && (snap.link & 0xffff) == MAIN_TSS,
           "lcall to a TSS: the new TSS's back-link is the caller's TR "
           "(0x%x)", snap.link);
    report(probe.ran && probe.eflags == (b0.eflags | EFLAGS_NT),
           "lcall to a TSS: the new task runs with its EFLAGS and NT set "
           "(0x%x)", probe.eflags);
    report(probe.ran && !gpr_diff(&b0) && !sel_diff(&b0) &&
           probe.tr == TSS_B,
           "lcall to a TSS: registers, selectors and TR come from the new "
           "TSS (differing: 0x%x 0x%x, TR 0x%x)", gpr_diff(&b0),
           sel_diff(&b0), probe.tr);
    report(probe.ran && snap.busy_main && snap.busy_self,
           "lcall to a TSS: the caller's TSS stays busy, the new one "
           "becomes busy (%u, %u)", snap.busy_main, snap.busy_self);
    report(probe.ran &&
           !saved_diff(&snap.main, &go_in, go_esp, KCODE, KDATA) &&
           snap.main.eip == (u32)go_lcall_ret,
           "lcall to a TSS: the caller's TSS gets the EIP after the lcall "
           "and its state (differing: 0x%x, eip 0x%x)",
           saved_diff(&snap.main, &go_in, go_esp, KCODE, KDATA),
           snap.main.eip);
    report(!back_diff(),
           "iret with NT: back to the caller after its lcall with its "
           "registers, EFLAGS and selectors (differing: 0x%x)", back_diff());
    report(str() == MAIN_TSS && busy(MAIN_TSS) && !busy(TSS_B),
           "iret with NT: TR is the caller's, the called TSS is available "
           "again, the caller's busy (TR 0x%x, busy %u %u)", str(),
           busy(MAIN_TSS), busy(TSS_B));
    report(!(tss_b.eflags & EFLAGS_NT) && tss_b.eip == (u32)task_after_iret,
           "iret with NT: the called TSS saves EFLAGS with NT clear and the "
           "EIP after the iret (eflags 0x%x, eip 0x%x)", tss_b.eflags,
           tss_b.eip);
    clts();
}

/*
 * The arithmetic flags of the instruction just before the switch: the
 * old TSS saves them, and the new task still starts with its TSS's.
 */
static void test_flags(void)
{
    const u32 cmp_flags = (MAIN_EFLAGS & ~0x8d5) | 0x44;  /* ZF PF */
    struct tss32 t0;

    fresh();
    task_init(TSS_A, &tss_a, stack_a, task_entry, 0xfa);
    t0 = tss_a;
    go(go_ljmp_cmp, TSS_A);
    report(probe.ran && probe.eflags == t0.eflags &&
           snap.main.eflags == cmp_flags,
           "ljmp to a TSS right after a CMP: the new task starts with its "
           "TSS's EFLAGS, the old TSS gets the CMP's flags (0x%x, saved "
           "0x%x, want 0x%x)", probe.eflags, snap.main.eflags, cmp_flags);
    clts();

    fresh();
    task_init(TSS_B, &tss_b, stack_b, task_entry, 0xfb);
    task_iret = 1;
    t0 = tss_b;
    go(go_lcall_cmp, TSS_B);
    report(probe.ran && probe.eflags == (t0.eflags | EFLAGS_NT) &&
           snap.main.eflags == cmp_flags && go_out.eflags == cmp_flags,
           "lcall to a TSS right after a CMP: the new task starts with its "
           "TSS's EFLAGS and NT, the caller gets the CMP's flags back (0x%x, "
           "saved 0x%x, back 0x%x)", probe.eflags, snap.main.eflags,
           go_out.eflags);
    clts();

    /* The called task's own flags: AC and the CMP's, NT cleared. */
    fresh();
    task_init(TSS_B, &tss_b, stack_b, task_entry, 0xfc);
    task_iret = 2;
    go(go_lcall, TSS_B);
    report(probe.ran && tss_b.eflags == ((TASK_EFLAGS & ~0x8d5) | 0x44) &&
           !back_diff(),
           "iret with NT right after a CMP: the called TSS saves the CMP's "
           "flags, NT clear, and the caller gets its own back (saved 0x%x, "
           "want 0x%x, differing 0x%x)", tss_b.eflags,
           (TASK_EFLAGS & ~0x8d5) | 0x44, back_diff());
    clts();
}

static void test_gates(void)
{
    u64 *idt_base = idt(), old3 = idt_base[VEC_GATE3];
    u64 old0 = idt_base[VEC_GATE0];

    /* JMP and CALL name the gate; TR gets the gate's TSS. */
    fresh();
    task_init(TSS_A, &tss_a, stack_a, task_entry, 0x1a);
    gdt[GATE >> 3] = gate_desc(TSS_A, DESC_TASKGATE);
    go(go_ljmp, GATE);
    report(probe.ran && probe.tr == TSS_A && snap.busy_self &&
           !snap.busy_main && !(probe.eflags & EFLAGS_NT) &&
           snap.link == LINK_MARK && !back_diff() && str() == MAIN_TSS,
           "ljmp through a GDT task gate: the gate's TSS runs (TR is the "
           "TSS, not the gate), no nesting, and ljmps back (TR 0x%x, "
           "eflags 0x%x, back 0x%x)", probe.tr, probe.eflags, back_diff());
    clts();

    fresh();
    task_init(TSS_B, &tss_b, stack_b, task_entry, 0x1b);
    gdt[GATE >> 3] = gate_desc(TSS_B, DESC_TASKGATE);
    task_iret = 1;
    go(go_lcall, GATE);
    report(probe.ran && probe.tr == TSS_B &&
           (snap.link & 0xffff) == MAIN_TSS && (probe.eflags & EFLAGS_NT) &&
           snap.main.eip == (u32)go_lcall_ret &&
           !back_diff() && str() == MAIN_TSS && !busy(TSS_B),
           "lcall through a GDT task gate: its TSS runs nested (back-link, "
           "NT), its iret returns after the lcall (TR 0x%x, link 0x%x, "
           "eflags 0x%x, back 0x%x)", probe.tr, snap.link, probe.eflags,
           back_diff());
    clts();

    /* INT n through an IDT task gate: a nested task, nothing pushed. */
    fresh();
    task_init(TSS_A, &tss_a, stack_a, task_entry, 0x2a);
    idt_base[VEC_GATE3] = gate_desc(TSS_A, DESC_TASKGATE | DESC_DPL3);
    task_iret = 1;
    go(go_int, 0);
    report(probe.ran && probe.tr == TSS_A &&
           (snap.link & 0xffff) == MAIN_TSS && (probe.eflags & EFLAGS_NT) &&
           probe.esp == (u32)stack_a + 4096 &&
           snap.main.eip == (u32)go_int_ret,
           "int n through an IDT task gate: its TSS runs nested, nothing "
           "pushed, the old TSS has the EIP after the int (TR 0x%x, link "
           "0x%x, eflags 0x%x, esp 0x%x)", probe.tr, snap.link,
           probe.eflags, probe.esp);
    report(!back_diff() && str() == MAIN_TSS && !busy(TSS_A),
           "int n through an IDT task gate: iret returns after the int "
           "with the registers (differing: 0x%x, TR 0x%x)", back_diff(),
           str());
    clts();

    /* From ring 3: the ring 0 task runs, IRET goes back to ring 3. */
    fresh();
    task_init(TSS_B, &tss_b, stack_b, task_entry, 0x3b);
    idt_base[VEC_GATE3] = gate_desc(TSS_B, DESC_TASKGATE | DESC_DPL3);
    task_iret = 1;
    user_cs = 0;
    cf_user_call(user_int_gate3);
    barrier();
    report(probe.ran && probe.tr == TSS_B && probe.cs == KCODE &&
           (snap.link & 0xffff) == MAIN_TSS &&
           (snap.main.cs & 0xffff) == UCODE &&
           (snap.main.ss & 0xffff) == UDATA &&
           snap.main.eip == (u32)user_int_gate3_ret,
           "int n from ring 3 through a DPL 3 IDT task gate: the ring 0 "
           "task runs, the old TSS has ring 3's CS, SS and EIP (cs 0x%x, "
           "saved cs 0x%x ss 0x%x eip 0x%x)", probe.cs, snap.main.cs,
           snap.main.ss, snap.main.eip);
    report(user_cs == UCODE && str() == MAIN_TSS && !busy(TSS_B),
           "int n from ring 3 through a task gate: iret goes back to ring 3 "
           "(cs 0x%x, TR 0x%x)", user_cs, str());
    clts();

    fresh();
    task_init(TSS_A, &tss_a, stack_a, task_entry, 0x3a);
    idt_base[VEC_GATE0] = gate_desc(TSS_A, DESC_TASKGATE);
    cf_user_call(user_int_gate0);
    barrier();
    report(cf_vector == GP_VECTOR &&
           cf_error == (VEC_GATE0 << 3 | 2) && !probe.ran &&
           str() == MAIN_TSS,
           "int n from ring 3 to a DPL 0 IDT task gate: #GP(n * 8 + 2), no "
           "task switch (%s, 0x%llx, ran %u)", cf_vec_name(cf_vector),
           (unsigned long long)cf_error, probe.ran);

    idt_base[VEC_GATE3] = old3;
    idt_base[VEC_GATE0] = old0;

    /*
     * From ring 3 a TSS's DPL is checked when it is the target, not
     * when a task gate (whose DPL is checked) names it.
     */
    fresh();
    task_init(TSS_X, &tss_x, stack_x, task_entry, 0x3c);
    go_ptr.off = 0;
    go_ptr.sel = TSS_X;
    cf_user_call(user_ljmp);
    barrier();
    report(cf_vector == GP_VECTOR && cf_error == TSS_X && !probe.ran &&
           str() == MAIN_TSS && !busy(TSS_X),
           "ljmp from ring 3 to a DPL 0 TSS: #GP(TSS selector), no task "
           "switch (%s, 0x%llx, ran %u)", cf_vec_name(cf_vector),
           (unsigned long long)cf_error, probe.ran);
    clts();

    fresh();
    task_init(TSS_B, &tss_b, stack_b, task_entry, 0x3d);
    gdt[GATE >> 3] = gate_desc(TSS_B, DESC_TASKGATE | DESC_DPL3);
    task_iret = 1;
    user_cs = 0;
    go_ptr.off = 0;
    go_ptr.sel = GATE | 3;
    cf_user_call(user_lcall);
    barrier();
    report(probe.ran && probe.tr == TSS_B && (probe.eflags & EFLAGS_NT) &&
           (snap.main.cs & 0xffff) == UCODE &&
           snap.main.eip == (u32)user_lcall_ret && user_cs == UCODE &&
           str() == MAIN_TSS && !busy(TSS_B),
           "lcall from ring 3 through a DPL 3 task gate to a DPL 0 TSS: "
           "the task runs nested, its iret returns to ring 3 (TR 0x%x, "
           "saved cs 0x%x eip 0x%x, cs 0x%x)", probe.tr, snap.main.cs,
           snap.main.eip, user_cs);
    clts();
}

/* The #GP handler task: past the faulting instruction on IRET. */
static void gp_hook(void)
{
    main_tss.eip = (u32)gp_task_after;
}

static void test_exception(void)
{
    u64 *idt_base = idt(), old = idt_base[GP_VECTOR];

    fresh();
    task_init(TSS_X, &tss_x, stack_x, task_entry, 0x0d);
    task_iret = 1;
    task_hook = gp_hook;
    idt_base[GP_VECTOR] = gate_desc(TSS_X, DESC_TASKGATE);
    gp_task_fault();
    barrier();
    idt_base[GP_VECTOR] = old;

    report(probe.ran && probe.tr == TSS_X &&
           (snap.link & 0xffff) == MAIN_TSS && (probe.eflags & EFLAGS_NT) &&
           snap.busy_main && snap.busy_self,
           "#GP through an IDT task gate: the handler task runs nested "
           "(back-link, NT, both TSSs busy) (ran %u, TR 0x%x, link 0x%x, "
           "eflags 0x%x)", probe.ran, probe.tr, snap.link, probe.eflags);
    report(probe.ran && probe.esp == (u32)stack_x + 4096 - 4 &&
           probe.ss == DATA2 && snap.top == BAD_SEL,
           "#GP through an IDT task gate: the error code is pushed on the "
           "new task's stack, SS:ESP from its TSS (esp 0x%x, want 0x%x, "
           "error code 0x%x)", probe.esp, (u32)stack_x + 4096 - 4, snap.top);
    report(probe.ran && snap.main.eip == (u32)gp_task_at &&
           snap.main.eax == BAD_SEL,
           "#GP through an IDT task gate: the faulting task's TSS has the "
           "EIP of the faulting instruction (0x%x, want 0x%x)",
           snap.main.eip, (u32)gp_task_at);
    report(gp_task_done && str() == MAIN_TSS && !busy(TSS_X) &&
           !(tss_x.eflags & EFLAGS_NT),
           "#GP through an IDT task gate: the handler's iret resumes the "
           "faulting task at the EIP it fixed up (done %u, TR 0x%x, "
           "busy %u)", gp_task_done, str(), busy(TSS_X));
    clts();
}

/*
 * A switch that must fault before it commits: the vector and error
 * code, and no switch at all (TR, the busy bits, CR0.TS, no task ran).
 */
static void expect_no_switch(bool faulted, int vec, u32 err, u64 target,
                             u16 target_sel, const char *what)
{
    u32 cr0 = read_cr0();

    report(faulted && cf_vector == vec && cf_error == err && !probe.ran &&
           str() == MAIN_TSS && busy(MAIN_TSS) && !(cr0 & CR0_TS) &&
           gdt[target_sel >> 3] == target,
           "%s: %s(0x%x), no task switch (%s, 0x%llx, ran %u, TR 0x%x, "
           "CR0 0x%x)", what, cf_vec_name(vec), err, cf_vec_name(cf_vector),
           (unsigned long long)cf_error, probe.ran, str(), cr0);
    clts();
}

static void test_errors(void)
{
    u64 d;

    /* Busy: the SDM and the APM give #GP(TSS selector) for JMP and CALL. */
    fresh();
    task_init(TSS_X, &tss_x, stack_x, task_entry, 0xe1);
    gdt[TSS_X >> 3] |= (u64)DESC_BUSY << 40;
    d = gdt[TSS_X >> 3];
    go(go_ljmp, TSS_X);
    expect_no_switch(go_fault, GP_VECTOR, TSS_X, d, TSS_X,
                     "ljmp to a busy TSS");

    fresh();
    task_init(TSS_X, &tss_x, stack_x, task_entry, 0xe2);
    gdt[TSS_X >> 3] |= (u64)DESC_BUSY << 40;
    d = gdt[TSS_X >> 3];
    go(go_lcall, TSS_X);
    expect_no_switch(go_fault, GP_VECTOR, TSS_X, d, TSS_X,
                     "lcall to a busy TSS");

    fresh();
    d = gdt[MAIN_TSS >> 3];
    go(go_ljmp, MAIN_TSS);
    expect_no_switch(go_fault, GP_VECTOR, MAIN_TSS, d, MAIN_TSS,
                     "ljmp to the running task's own TSS");

    fresh();
    task_init(TSS_X, &tss_x, stack_x, task_entry, 0xe3);
    gdt[TSS_X >> 3] |= (u64)DESC_BUSY << 40;
    gdt[GATE >> 3] = gate_desc(TSS_X, DESC_TASKGATE);
    d = gdt[TSS_X >> 3];
    go(go_ljmp, GATE);
    expect_no_switch(go_fault, GP_VECTOR, TSS_X, d, TSS_X,
                     "ljmp through a task gate to a busy TSS");

    fresh();
    task_init(TSS_X, &tss_x, stack_x, task_entry, 0xe4);
    set_tss(TSS_X, &tss_x, 0x40, DESC_TSS32);
    d = gdt[TSS_X >> 3];
    go(go_ljmp, TSS_X);
    expect_no_switch(go_fault, TS_VECTOR, TSS_X, d, TSS_X,
                     "ljmp to a TSS with limit 0x40 (below 0x67)");

    fresh();
    task_init(TSS_X, &tss_x, stack_x, task_entry, 0xe5);
    set_tss(TSS_X, &tss_x, 0x40, DESC_TSS32);
    d = gdt[TSS_X >> 3];
    go(go_lcall, TSS_X);
    expect_no_switch(go_fault, TS_VECTOR, TSS_X, d, TSS_X,
                     "lcall to a TSS with limit 0x40 (below 0x67)");

    fresh();
    task_init(TSS_X, &tss_x, stack_x, task_entry, 0xe6);
    set_tss(TSS_X, &tss_x, sizeof(tss_x) - 1, DESC_TSS32 & ~DESC_PRESENT);
    d = gdt[TSS_X >> 3];
    go(go_lcall, TSS_X);
    expect_no_switch(go_fault, NP_VECTOR, TSS_X, d, TSS_X,
                     "lcall to a not-present TSS");

    /* IRET with NT: the back-link must name a busy TSS. */
    fresh();
    task_init(TSS_X, &tss_x, stack_x, task_entry, 0xe7);
    d = gdt[TSS_X >> 3];
    main_tss.link = TSS_X;
    barrier();
    iret_nt();
    barrier();
    expect_no_switch(cf_vector >= 0, TS_VECTOR, TSS_X, d, TSS_X,
                     "iret with NT whose back-link TSS is available");
    main_tss.link = 0;

    /*
     * A DS selector beyond the GDT limit: the switch has committed when
     * it loads DS, so the #TS comes in the new task (TR changed), at the
     * new task's first instruction, through an ordinary interrupt gate.
     */
    fresh();
    task_init(TSS_A, &tss_a, stack_a, task_bad_entry, 0xe8);
    tss_a.ds = BAD_SEL;
    tss_a.es = KDATA;
    tss_a.fs = tss_a.gs = 0;
    bad_resumed = 0;
    fix_segs = true;
    go(go_ljmp, TSS_A);
    fix_segs = false;
    report(cf_vector == TS_VECTOR && cf_error == BAD_SEL &&
           trap_tr == TSS_A && bad_resumed && !go_fault &&
           str() == MAIN_TSS,
           "ljmp to a TSS whose DS is beyond the GDT limit: #TS(DS "
           "selector) after the switch, in the new task (%s, 0x%llx, TR "
           "0x%x, resumed %u)", cf_vec_name(cf_vector),
           (unsigned long long)cf_error, trap_tr, bad_resumed);
    report(cf_vector == TS_VECTOR && cf_rip == (u32)task_bad_entry,
           "ljmp to a TSS whose DS is beyond the GDT limit: the #TS "
           "reports the new task's first instruction, not the ljmp "
           "(eip 0x%llx, want 0x%x)", (unsigned long long)cf_rip,
           (u32)task_bad_entry);
    clts();
}

/* The new task's view of the test page. */
static void read_test_page(void)
{
    hook_val = *(volatile u32 *)TEST_VA;
}

static u32 pd_main[1024] __attribute__((aligned(4096)));
static u32 pd_task[1024] __attribute__((aligned(4096)));
static u32 pt_id[2][1024] __attribute__((aligned(4096)));   /* 0-8 MiB */
static u32 pt_test[2][1024] __attribute__((aligned(4096)));
static u32 frames[2][1024] __attribute__((aligned(4096)));

static void test_cr3(void)
{
    u32 cr0 = read_cr0(), cr4 = read_cr4(), cr3_old = read_cr3();
    u32 cr3_back, main_val;
    int i, j;

    /* Two address spaces, the same but for TEST_VA's frame. */
    for (i = 0; i < 2; i++) {
        for (j = 0; j < 1024; j++) {
            pt_id[i][j] = (i * 1024 + j) * 4096 | PTE_P | PTE_W;
        }
        pd_main[i] = pd_task[i] = (u32)pt_id[i] | PTE_P | PTE_W;
    }
    pt_test[0][0] = (u32)frames[0] | PTE_P | PTE_W;
    pt_test[1][0] = (u32)frames[1] | PTE_P | PTE_W;
    pd_main[TEST_VA >> 22] = (u32)pt_test[0] | PTE_P | PTE_W;
    pd_task[TEST_VA >> 22] = (u32)pt_test[1] | PTE_P | PTE_W;
    frames[0][0] = MAGIC_MAIN;
    frames[1][0] = MAGIC_TASK;

    write_cr4(cr4 & ~CR4_PAE);
    write_cr3((u32)pd_main);
    write_cr0(cr0 | CR0_PG);

    fresh();    /* main_tss.cr3: pd_main */
    task_init(TSS_A, &tss_a, stack_a, task_entry, 0xc3);
    tss_a.cr3 = (u32)pd_task;
    task_hook = read_test_page;
    go(go_ljmp, TSS_A);
    cr3_back = read_cr3();
    main_val = *(volatile u32 *)TEST_VA;

    write_cr0(cr0);
    write_cr3(cr3_old);
    write_cr4(cr4);
    main_tss.cr3 = cr3_old;

    report(probe.ran && probe.cr3 == (u32)pd_task && hook_val == MAGIC_TASK,
           "paging: a task switch loads CR3 from the new TSS, the new task "
           "sees its own mapping (CR3 0x%x, want 0x%x, read 0x%x)",
           probe.cr3, (u32)pd_task, hook_val);
    report(cr3_back == (u32)pd_main && main_val == MAGIC_MAIN,
           "paging: the switch back loads the first TSS's CR3 and its "
           "mapping (CR3 0x%x, want 0x%x, read 0x%x)", cr3_back,
           (u32)pd_main, main_val);
    clts();
}

/* FS names a segment of the new task's LDT. */
static void read_ldt_seg(void)
{
    u32 v;

    asm volatile("mov %%fs:4, %0" : "=r"(v));
    hook_val = v;
}

static void test_ldt(void)
{
    u16 ldtr;

    ldt_data[1] = MAGIC_LDT;
    ldt[0] = 0;
    ldt[1] = seg_desc((u32)ldt_data, sizeof(ldt_data) - 1, DESC_DATA, 0x4);
    gdt[LDT_SEL >> 3] = seg_desc((u32)ldt, sizeof(ldt) - 1, DESC_LDT, 0);

    fresh();
    task_init(TSS_A, &tss_a, stack_a, task_entry, 0x1d);
    tss_a.ldt = LDT_SEL;
    tss_a.fs = LDT_DATA;
    task_hook = read_ldt_seg;
    go(go_ljmp, TSS_A);
    ldtr = sldt();

    report(probe.ran && probe.ldtr == LDT_SEL,
           "the new TSS's LDT selector is loaded into LDTR (0x%x)",
           probe.ldtr);
    report(probe.ran && probe.fs == LDT_DATA && hook_val == MAGIC_LDT,
           "FS from the new TSS names a segment of the new LDT, usable in "
           "the task (fs 0x%x, read 0x%x)", probe.fs, hook_val);
    report(ldtr == 0 && !back_diff(),
           "the switch back loads the first TSS's LDT selector, null "
           "(0x%x)", ldtr);
    clts();
}

static void test_tss16(void)
{
    struct tss16 t0;

    fresh();
    memset(&tss16, 0, sizeof(tss16));
    memset((void *)&rec16, 0, sizeof(rec16));
    tss16.link = 0x5a50;
    tss16.ip = 0;
    tss16.flags = TASK16_FLAGS;
    tss16.ax = 0x16a1;
    tss16.cx = 0x16c1;
    tss16.dx = 0x16d1;
    tss16.bx = 0x16b1;
    tss16.sp = 0xff0;
    tss16.bp = 0x16b9;
    tss16.si = 0x1651;
    tss16.di = 0x16d9;
    tss16.es = UDATA;
    tss16.cs = CODE16;
    tss16.ss = STACK16;
    tss16.ds = DATA16;
    tss16.ldt = 0;
    gdt[CODE16 >> 3] = seg_desc((u32)task16_entry, 0xffff, DESC_CODE, 0);
    gdt[STACK16 >> 3] = seg_desc((u32)stack16, sizeof(stack16) - 1,
                                 DESC_DATA, 0);
    gdt[DATA16 >> 3] = seg_desc((u32)&rec16, sizeof(rec16) - 1,
                                DESC_DATA, 0);
    set_tss(TSS16, &tss16, sizeof(tss16) - 1, DESC_TSS16);
    t0 = tss16;
    go(go_ljmp, TSS16);

    report(rec16.ran && rec16.flags == t0.flags && rec16.ax == t0.ax &&
           rec16.cx == t0.cx && rec16.dx == t0.dx && rec16.bx == t0.bx &&
           rec16.sp == t0.sp && rec16.bp == t0.bp && rec16.si == t0.si &&
           rec16.di == t0.di,
           "ljmp to a 16-bit TSS: the task starts at its IP with its FLAGS "
           "and 16-bit registers (ran %u, flags 0x%x, ax 0x%x, sp 0x%x, "
           "di 0x%x)", rec16.ran, rec16.flags, rec16.ax, rec16.sp, rec16.di);
    report(rec16.ran && rec16.es == t0.es && rec16.cs == t0.cs &&
           rec16.ss == t0.ss && rec16.ds == t0.ds && rec16.tr == TSS16,
           "ljmp to a 16-bit TSS: ES, CS, SS, DS and TR from the 16-bit "
           "TSS (es 0x%x cs 0x%x ss 0x%x ds 0x%x TR 0x%x)", rec16.es,
           rec16.cs, rec16.ss, rec16.ds, rec16.tr);
    report(main_tss.eip == (u32)go_ljmp_ret && !back_diff() &&
           str() == MAIN_TSS && busy(MAIN_TSS) && !busy(TSS16),
           "ljmp to a 16-bit TSS and back: the 32-bit TSS saves and "
           "restores the first task, the 16-bit TSS is available again "
           "(eip 0x%x, differing 0x%x, TR 0x%x)", main_tss.eip, back_diff(),
           str());
    report(tss16.ip == (u16)(task16_back - task16_entry) &&
           tss16.flags == 0x0c93 && tss16.ax == 0x6116 &&
           tss16.cx == 0x6226 && tss16.dx == 0x6336 && tss16.bx == 0x6446 &&
           tss16.sp == 0xff0 && tss16.bp == 0x6556 && tss16.si == 0x6666 &&
           tss16.di == 0x6776 && tss16.es == DATA16 && tss16.cs == CODE16 &&
           tss16.ss == STACK16 && tss16.ds == DATA16 && tss16.link == 0x5a50,
           "ljmp back from a 16-bit TSS: IP, FLAGS, the registers and the "
           "selectors are saved at the 16-bit TSS's offsets (ip 0x%x, "
           "flags 0x%x, ax 0x%x, sp 0x%x, es 0x%x)", tss16.ip, tss16.flags,
           tss16.ax, tss16.sp, tss16.es);
    clts();
}

void cf_main(void)
{
    tasks_init();
    test_jmp();
    test_call();
    test_flags();
    test_gates();
    test_exception();
    test_errors();
    test_ldt();
    test_cr3();
    test_tss16();
}
