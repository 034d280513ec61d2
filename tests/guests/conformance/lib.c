/*
 * Conformance test kernels: console, reports, exceptions, exit.
 *
 * This work is licensed under the terms of the GNU GPL, version 2 or later.
 */
#include "cf.h"

#define COM1            0x3f8
#define EXIT_PORT       0xf4    /* isa-debug-exit */
#define EXIT_OK         0x10    /* QEMU exits (0x10 << 1) | 1 = 33 */
#define EXIT_FAIL       0x01    /* QEMU exits 3 */

volatile int cf_vector = -1;      /* volatile: set by the handler */
volatile u64 cf_error;             /* volatile: set by the handler */
volatile u64 cf_cr2, cf_dr6, cf_rip; /* volatile: set by the handler */

static int tests, failures, skipped;

/* The 32-bit kernel brings its own IDT (boot32.S) and cf_trap() (modes.c). */
#ifndef CF_32BIT
#define MSR_APIC_BASE   0x1b
#define KERNEL_CS       0x08

u64 cf_apic_base;

static struct cf_gate idt[256] __attribute__((aligned(16)));

static struct {
    u16 limit;
    u64 base;
} __attribute__((packed)) idt_desc;

/* A TSS: IST1 is a stack for #DF and #MC, so a broken stack still reports. */
static struct {
    u32 res0;
    u64 rsp[3];
    u64 res1;
    u64 ist[7];
    u64 res2;
    u16 res3, iopb;
} __attribute__((packed, aligned(16))) tss;
static u8 ist_stack[8192] __attribute__((aligned(16)));
#endif

void *memset(void *s, int c, size_t n)
{
    u8 *p = s;

    while (n--) {
        *p++ = c;
    }
    return s;
}

void *memcpy(void *d, const void *s, size_t n)
{
    u8 *p = d;
    const u8 *q = s;

    while (n--) {
        *p++ = *q++;
    }
    return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const u8 *p = a, *q = b;

    for (; n; n--, p++, q++) {
        if (*p != *q) {
            return *p - *q;
        }
    }
    return 0;
}

int strcmp(const char *a, const char *b)
{
    while (*a && *a == *b) {
        a++;
        b++;
    }
    return (u8)*a - (u8)*b;
}

const char *cf_vec_name(int v)
{
    static const char *const names[32] = {
        "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM",
        "#DF", NULL, "#TS", "#NP", "#SS", "#GP", "#PF", NULL,
        "#MF", "#AC", "#MC", "#XM",
    };
    static char buf[] = "vector 000";

    if (v < 0) {
        return "no fault";
    }
    if (v < 32 && names[v]) {
        return names[v];
    }
    buf[7] = '0' + v / 100 % 10;
    buf[8] = '0' + v / 10 % 10;
    buf[9] = '0' + v % 10;
    return buf;
}

static void serial_init(void)
{
    outb(COM1 + 1, 0x00);       /* no interrupts */
    outb(COM1 + 3, 0x80);       /* DLAB */
    outb(COM1 + 0, 0x01);       /* 115200 baud */
    outb(COM1 + 1, 0x00);
    outb(COM1 + 3, 0x03);       /* 8N1 */
    outb(COM1 + 2, 0x07);       /* FIFO on, cleared */
}

static void serial_putc(char c)
{
    int i;

    for (i = 0; i < 100000 && !(inb(COM1 + 5) & 0x20); i++) {
        /* wait for the transmitter */
    }
    outb(COM1, c);
}

static void puts_raw(const char *s)
{
    while (*s) {
        if (*s == '\n') {
            serial_putc('\r');
        }
        serial_putc(*s++);
    }
}

/* vsnprintf: %d %i %u %x %X %p %s %c %%, with l/ll, width, '0', '-', '#'. */
struct out {
    char *buf;
    size_t size, len;
};

static void put(struct out *o, char c)
{
    if (o->len + 1 < o->size) {
        o->buf[o->len] = c;
    }
    o->len++;
}

static void put_num(struct out *o, u64 v, int base, bool neg, int width,
                    char pad, bool left, bool upper)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char tmp[24];
    int n = 0, len;

    do {
        tmp[n++] = digits[v % base];
        v /= base;
    } while (v);
    len = n + neg;
    if (neg && pad == '0') {
        put(o, '-');
    }
    while (!left && width > len) {
        put(o, pad);
        width--;
    }
    if (neg && pad != '0') {
        put(o, '-');
    }
    while (n) {
        put(o, tmp[--n]);
    }
    while (left && width > len) {
        put(o, ' ');
        width--;
    }
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct out o = { buf, size, 0 };

    for (; *fmt; fmt++) {
        int width = 0, lng = 0;
        bool left = false, alt = false;
        char pad = ' ';
        u64 v;

        if (*fmt != '%') {
            put(&o, *fmt);
            continue;
        }
        fmt++;
        for (;; fmt++) {
            if (*fmt == '-') {
                left = true;
            } else if (*fmt == '#') {
                alt = true;
            } else {
                break;
            }
        }
        if (*fmt == '0') {
            pad = '0';
            fmt++;
        }
        while (*fmt >= '0' && *fmt <= '9') {
            width = width * 10 + (*fmt++ - '0');
        }
        while (*fmt == 'l') {
            lng++;
            fmt++;
        }
        switch (*fmt) {
        case 'd':
        case 'i': {
            s64 s = lng ? va_arg(ap, long long) : va_arg(ap, int);
            u64 mag = s;

            if (s < 0) {
                mag = -mag;
            }
            put_num(&o, mag, 10, s < 0, width, pad, left, false);
            break;
        }
        case 'u':
        case 'x':
        case 'X':
            v = lng ? va_arg(ap, unsigned long long) : va_arg(ap, unsigned int);
            if (alt && *fmt != 'u') {
                put(&o, '0');
                put(&o, 'x');
            }
            put_num(&o, v, *fmt == 'u' ? 10 : 16, false, width, pad, left,
                    *fmt == 'X');
            break;
        case 'p':
            put(&o, '0');
            put(&o, 'x');
            put_num(&o, (uintptr_t)va_arg(ap, void *), 16, false, width, pad,
                    left, false);
            break;
        case 's': {
            const char *s = va_arg(ap, const char *);
            int len = 0;

            s = s ? s : "(null)";
            while (s[len]) {
                len++;
            }
            while (!left && width-- > len) {
                put(&o, ' ');
            }
            while (*s) {
                put(&o, *s++);
            }
            while (left && width-- > len) {
                put(&o, ' ');
            }
            break;
        }
        case 'c':
            put(&o, (char)va_arg(ap, int));
            break;
        case '%':
            put(&o, '%');
            break;
        default:
            put(&o, '%');
            put(&o, *fmt);
            break;
        }
    }
    if (size) {
        buf[o.len < size ? o.len : size - 1] = 0;
    }
    return o.len;
}

void printf(const char *fmt, ...)
{
    char buf[256];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    puts_raw(buf);
}

static void vreport(const char *kind, const char *fmt, va_list ap)
{
    char buf[200];

    vsnprintf(buf, sizeof(buf), fmt, ap);
    printf("cf-%s: %s: %s\n", cf_test_name, kind, buf);
}

void report(bool pass, const char *fmt, ...)
{
    va_list ap;

    tests++;
    failures += !pass;
    va_start(ap, fmt);
    vreport(pass ? "PASS" : "FAIL", fmt, ap);
    va_end(ap);
}

void report_skip(const char *fmt, ...)
{
    va_list ap;

    skipped++;
    va_start(ap, fmt);
    vreport("SKIP", fmt, ap);
    va_end(ap);
}

void report_info(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vreport("INFO", fmt, ap);
    va_end(ap);
}

void cf_exit(void)
{
    printf("cf-%s: SUMMARY: %d tests, %d failures, %d skipped\n",
           cf_test_name, tests, failures, skipped);
    outb(EXIT_PORT, failures ? EXIT_FAIL : EXIT_OK);
    printf("cf-%s: no isa-debug-exit device: halting\n", cf_test_name);
    for (;;) {
        asm volatile("cli; hlt");
    }
}

void cf_abort(const char *fmt, ...)
{
    va_list ap;

    tests++;
    failures++;
    va_start(ap, fmt);
    vreport("FAIL", fmt, ap);
    va_end(ap);
    cf_exit();
}

#ifndef CF_32BIT
void cf_trap(struct cf_frame *f)
{
    const struct cf_ex_entry *e;

    for (e = cf_ex_table_start; e < cf_ex_table_end; e++) {
        if (e->from == f->rip) {
            cf_vector = f->vector;
            cf_error = f->error;
            cf_rip = f->rip;
            if (f->vector == PF_VECTOR) {
                asm volatile("mov %%cr2, %0" : "=r"(cf_cr2));
            }
            if (f->vector == DB_VECTOR) {
                /* A test single-steps one instruction at a time. */
                asm volatile("mov %%dr6, %0" : "=r"(cf_dr6));
                asm volatile("mov %0, %%dr6" : : "r"(0xffff0ff0ULL));
                f->rflags &= ~0x100ULL;
            }
            f->rip = e->to;
            return;
        }
    }
    cf_abort("unexpected exception %llu (error code 0x%llx) at rip 0x%llx, "
             "rsp 0x%llx", (unsigned long long)f->vector,
             (unsigned long long)f->error, (unsigned long long)f->rip,
             (unsigned long long)f->rsp);
}
#endif

static u32 cpuid_max_basic, cpuid_max_ext;
static char vendor[13];

bool cf_has(u32 leaf, u32 subleaf, int reg, int bit)
{
    struct cpuid r;
    u32 v;

    if (leaf < 0x80000000 ? leaf > cpuid_max_basic : leaf > cpuid_max_ext) {
        return false;
    }
    r = cpuid_count(leaf, subleaf);
    v = reg == CF_EAX ? r.a : reg == CF_EBX ? r.b : reg == CF_ECX ? r.c : r.d;
    return v & (1U << bit);
}

bool cf_is_amd(void)
{
    return !strcmp(vendor, "AuthenticAMD") || !strcmp(vendor, "HygonGenuine");
}

bool cf_is_intel(void)
{
    return !strcmp(vendor, "GenuineIntel");
}

#ifndef CF_32BIT
static void idt_init(void)
{
    u64 tss_base = (u64)&tss;
    int i;

    for (i = 0; i < 256; i++) {
        u64 off = (u64)cf_isr_stubs + 16 * i;

        idt[i] = (struct cf_gate) {
            .off0 = off, .sel = KERNEL_CS, .type = CF_GATE_INTR,
            .off1 = off >> 16, .off2 = off >> 32,
            .ist = (i == 8 || i == 18) ? 1 : 0,
        };
    }
    /* INT3, INTO reachable from ring 3 as on a usual OS. */
    idt[3].type = idt[4].type = CF_GATE_INTR_DPL3;
    idt_desc.limit = sizeof(idt) - 1;
    idt_desc.base = (u64)idt;
    asm volatile("lidt %0" : : "m"(idt_desc));

    tss.ist[0] = (u64)ist_stack + sizeof(ist_stack);
    tss.iopb = sizeof(tss);
    cf_gdt[6] = (sizeof(tss) - 1) | (tss_base & 0xffffff) << 16 |
                0x89ULL << 40 | ((tss_base >> 24) & 0xff) << 56;
    cf_gdt[7] = tss_base >> 32;
    asm volatile("ltr %w0" : : "r"(0x30));
}

struct cf_gate *cf_idt_gate(int vec)
{
    struct {
        u16 limit;
        u64 base;
    } __attribute__((packed)) d;

    asm volatile("sidt %0" : "=m"(d));
    return (struct cf_gate *)d.base + vec;
}

struct cf_gate cf_set_gate(int vec, const void *entry, u8 type, u8 ist)
{
    struct cf_gate *g = cf_idt_gate(vec), old = *g;
    u64 off = (u64)entry;

    *g = (struct cf_gate) {
        .off0 = off, .sel = KERNEL_CS, .ist = ist, .type = type,
        .off1 = off >> 16, .off2 = off >> 32,
    };
    return old;
}

void cf_apic_init(void)
{
    cf_apic_base = rdmsr(MSR_APIC_BASE) & 0xfffff000ULL;
}

void cf_user_pages(bool on)
{
    u64 mask = 0x000ffffffffff000ULL;
    u64 *pml4 = (u64 *)(read_cr3() & mask);
    u64 *pdpt = (u64 *)(pml4[0] & mask);
    u64 *pd = (u64 *)(pdpt[0] & mask);

    if (on) {
        pml4[0] |= 4;
        pdpt[0] |= 4;
        pd[0] |= 4;
    } else {
        pd[0] &= ~4ULL;
        pdpt[0] &= ~4ULL;
        pml4[0] &= ~4ULL;
    }
    write_cr3(read_cr3());
}

long cf_cmdline_num(const char *key)
{
    u32 *mbi = (u32 *)(u64)cf_multiboot_info;
    const char *s, *start;
    size_t n = 0;

    while (key[n]) {
        n++;
    }
    if (!mbi || !(mbi[0] & (1U << 2)) || !mbi[4]) {
        return -1;
    }
    start = (const char *)(u64)mbi[4];
    for (s = start; *s; s++) {
        if ((s == start || s[-1] == ' ') && !memcmp(s, key, n) &&
            s[n] == '=') {
            long v = 0;

            for (s += n + 1; *s >= '0' && *s <= '9'; s++) {
                v = v * 10 + *s - '0';
            }
            return v;
        }
    }
    return -1;
}
#endif

void cf_entry(void)
{
    struct cpuid r;

    serial_init();
#ifndef CF_32BIT
    idt_init();
#endif
    r = cpuid(0);
    cpuid_max_basic = r.a;
    memcpy(vendor, &r.b, 4);
    memcpy(vendor + 4, &r.d, 4);
    memcpy(vendor + 8, &r.c, 4);
    cpuid_max_ext = cpuid(0x80000000).a;
    if (cpuid_max_ext < 0x80000000) {
        cpuid_max_ext = 0;
    }
    printf("cf-%s: START: vendor %s, max leaves 0x%x 0x%x\n", cf_test_name,
           vendor, cpuid_max_basic, cpuid_max_ext);
    cf_main();
    cf_exit();
}
