/*
 * Conformance: real mode the way a boot loader uses it, BIOS calls.
 *
 * A 32-bit kernel (boot32.S) that goes down to real mode with the BIOS's
 * own IVT (SeaBIOS's vectors are still at 0 after the multiboot boot)
 * and calls the BIOS there, the results back in protected mode: INT 10h
 * against a VGA (the runner gives this kernel -vga std, see qemu-args):
 * video mode, cursor, teletype, characters and attributes, what they put
 * in text memory at 0xB8000, the display combination, EGA information
 * and VBE; INT 11h and INT 12h against the BDA; INT 15h's memory map
 * (E820h) against -m 128, E801h and AH=88h against it, the A20 state and
 * the configuration table; INT 16h's keyboard status; INT 1Ah's RTC time
 * and date against the CMOS, its tick count against the BDA and the time
 * of day, and the tick count going on with interrupts enabled in real
 * mode (PIT IRQ 0 through SeaBIOS's INT 08h), not with IF clear, and the
 * tick held meanwhile taken as soon as IF is set again.
 *
 * Each call is its own trip to real mode (cf_bios_int()), with CF set
 * going in and the registers preset to values no handler returns, so a
 * call that never reached its handler, or came back with its flags or
 * registers lost, fails.  Interrupts are enabled in real mode only for
 * the tick count, with the PIC masked down to IRQ 0 meanwhile.  We keep
 * off the BIOS's memory: the IVT and BDA (read only), the EBDA below
 * 0xA0000 and the ROMs; our buffers are at 0x7000, the real-mode code and
 * stack at 0x8000-0x17000.
 *
 * This work is licensed under the terms of the GNU GPL, version 2 or later.
 */
#include "cf.h"

const char cf_test_name[] = "bios";

/* cf_bios_int()'s registers (boot32.S: B_EAX ...): in, then out. */
struct bios_regs {
    u32 eax, ebx, ecx, edx, esi, edi, ebp;
    u32 ds, es, eflags;     /* segments: 16 bits */
    u32 spin;               /* a count-down after the INT, its flags */
};
void cf_bios_int(u32 vec, struct bios_regs *r);

#define EFLAGS_CF       0x0001
#define EFLAGS_FIXED    0x0002  /* bit 1 reads 1 */
#define EFLAGS_ZF       0x0040
#define EFLAGS_IF       0x0200

#define BUF             0x7000  /* E820 entry, VBE information */
#define SMAP            0x534d4150
#define E820_RAM        1

#define PIC1_IMR        0x21
#define PIC2_IMR        0xa1
#define CMOS_INDEX      0x70
#define CMOS_DATA       0x71
#define NMI_OFF         0x80    /* as SeaBIOS leaves it */

#define TICKS_PER_DAY   0x1800b0
#define MIB             0x100000u

/* BIOS data area */
#define BDA_EQUIPMENT   0x410
#define BDA_MEM_KB      0x413
#define BDA_EBDA_SEG    0x40e
#define BDA_SHIFT       0x417
#define BDA_VIDEO_MODE  0x449
#define BDA_CURSOR0     0x450
#define BDA_TICKS       0x46c

#define VGA_TEXT        0xb8000

void cf_trap(struct cf_frame *f)
{
    const struct cf_ex_entry *e;

    for (e = cf_ex_table_start; e < cf_ex_table_end; e++) {
        if (e->from == f->eip) {
            cf_vector = f->vector;
            cf_error = f->error;
            cf_rip = f->eip;
            f->eip = e->to;
            return;
        }
    }
    cf_abort("unexpected exception %u (error code 0x%x) at eip 0x%x, "
             "cs 0x%x", f->vector, f->error, f->eip, f->cs);
}

/*
 * Low memory, identity-mapped (paging is off): the BIOS's and the VGA's.
 * The address goes through an asm so that GCC does not take a constant
 * below 4 KiB for an offset from NULL.
 */
static volatile void *phys(u32 addr)
{
    asm("" : "+r"(addr));
    return (volatile void *)addr;
}

static u8 peek8(u32 addr)
{
    return *(volatile u8 *)phys(addr);
}

static u16 peek16(u32 addr)
{
    return *(volatile u16 *)phys(addr);
}

static u32 peek32(u32 addr)
{
    return *(volatile u32 *)phys(addr);
}

/* INT vec in real mode; CF set going in, as no handler leaves it on success. */
static struct bios_regs bios(u8 vec, struct bios_regs r)
{
    r.eflags |= EFLAGS_FIXED | EFLAGS_CF;
    cf_bios_int(vec, &r);
    r.ds &= 0xffff;
    r.es &= 0xffff;
    return r;
}

#define CF(r)   (!!((r).eflags & EFLAGS_CF))
#define AX(r)   ((r).eax & 0xffff)
#define AL(r)   ((r).eax & 0xff)
#define AH(r)   (((r).eax >> 8) & 0xff)
#define BX(r)   ((r).ebx & 0xffff)
#define BL(r)   ((r).ebx & 0xff)
#define CX(r)   ((r).ecx & 0xffff)
#define DX(r)   ((r).edx & 0xffff)

static u8 cmos(u8 reg)
{
    outb(CMOS_INDEX, NMI_OFF | reg);
    return inb(CMOS_DATA);
}

static bool is_bcd(u8 v, u8 limit)
{
    return (v & 0xf) <= 9 && (v >> 4) <= 9 && v < limit;
}

static u32 bcd(u8 v)
{
    return (v >> 4) * 10 + (v & 0xf);
}

/* The CMOS clock's time of day in seconds (BCD, 24 hours, as SeaBIOS sets it). */
static u32 cmos_time(void)
{
    int i;

    for (i = 0; i < 1000000 && (cmos(0x0a) & 0x80); i++) {
        /* update in progress: at most 2 ms */
    }
    return bcd(cmos(0x04)) * 3600 + bcd(cmos(0x02)) * 60 + bcd(cmos(0x00));
}

/* a - b in seconds, both times of day: the shorter way round midnight. */
static u32 tod_diff(u32 a, u32 b)
{
    u32 d = a > b ? a - b : b - a;

    return d > 43200 ? 86400 - d : d;
}

/* Ticks in the BDA since t0, across midnight. */
static u32 ticks_since(u32 t0)
{
    u32 t = peek32(BDA_TICKS);

    return t >= t0 ? t - t0 : t + TICKS_PER_DAY - t0;
}

/*
 * INT 1Ah: the RTC through the BIOS against the CMOS read from here, the
 * tick count against the BDA and the time of day; then the tick count
 * going on with interrupts enabled in real mode, and not without.
 */
static void test_int1a(void)
{
    struct bios_regs r;
    u32 t, t0, now, ticks0, bda, secs, n, on, off, held;
    u8 imr1, imr2, date[4];
    u64 tsc0, tsc_on;

    r = bios(0x1a, (struct bios_regs){ .eax = 0x0200, .ecx = 0xffff,
                                       .edx = 0xffff });
    now = cmos_time();
    t = bcd(r.ecx >> 8) * 3600 + bcd(r.ecx & 0xff) * 60 + bcd(r.edx >> 8);
    report(!CF(r) && is_bcd(r.ecx >> 8, 0x24) && is_bcd(r.ecx, 0x60) &&
           is_bcd(r.edx >> 8, 0x60) && tod_diff(t, now) <= 2,
           "INT 1Ah AH=02h: RTC time in BCD, CF clear, within 2 s of the "
           "CMOS clock read from protected mode (CF=%d, CX=%04x DH=%02x, "
           "CMOS %u s, BIOS %u s)", CF(r), CX(r), DX(r) >> 8, now, t);

    r = bios(0x1a, (struct bios_regs){ .eax = 0x0400, .ecx = 0xffff,
                                       .edx = 0xffff });
    date[0] = cmos(0x32);
    date[1] = cmos(0x09);
    date[2] = cmos(0x08);
    date[3] = cmos(0x07);
    report(!CF(r) && is_bcd(r.ecx >> 8, 0x9a) && is_bcd(r.ecx, 0x9a) &&
           is_bcd(r.edx >> 8, 0x13) && is_bcd(r.edx, 0x32) &&
           (r.edx & 0xff00) && (r.edx & 0xff) &&
           (r.ecx & 0xffff) == (date[0] << 8 | date[1]) &&
           (r.edx & 0xffff) == (date[2] << 8 | date[3]),
           "INT 1Ah AH=04h: RTC date in BCD, CF clear, the CMOS's "
           "(CF=%d, CX=%04x DX=%04x, CMOS %02x%02x-%02x-%02x)", CF(r),
           CX(r), DX(r), date[0], date[1], date[2], date[3]);

    r = bios(0x1a, (struct bios_regs){ .eax = 0xffff0000, .ecx = 0xffff,
                                       .edx = 0xffff });
    ticks0 = CX(r) << 16 | DX(r);
    bda = peek32(BDA_TICKS);
    report(!CF(r) && ticks0 == bda && ticks0 < TICKS_PER_DAY,
           "INT 1Ah AH=00h: the tick count is the BDA's at 0x46C, CF clear "
           "(CF=%d, %u, BDA %u)", CF(r), ticks0, bda);

    /* SeaBIOS set it from the RTC at POST: 65536 / 1193182 s a tick. */
    secs = (u64)ticks0 * 65536 / 1193182;
    now = cmos_time();
    report(tod_diff(secs, now) <= 10,
           "INT 1Ah AH=00h: the tick count is the RTC time of day, to 10 s "
           "(%u s, RTC %u s)", secs, now);

    /*
     * IRQ 0 alone unmasked.  Each trip runs INT 11h (whose handler,
     * unlike INT 1Ah's, never enables interrupts itself) with IF as
     * given, then counts down: the timer interrupts as POPF sets IF or
     * during the count-down, and SeaBIOS's INT 08h counts the tick in the
     * BDA.  A tick every 55 ms: two take 110 ms at most; we give up after
     * 2^32 TSC cycles (1 s or more).
     */
    imr1 = inb(PIC1_IMR);
    imr2 = inb(PIC2_IMR);
    outb(PIC2_IMR, 0xff);
    outb(PIC1_IMR, 0xfe);
    t0 = peek32(BDA_TICKS);
    tsc0 = rdtsc();
    n = 0;
    do {
        r = bios(0x11, (struct bios_regs){ .eflags = EFLAGS_IF,
                                           .spin = 100000 });
        n++;
    } while (ticks_since(t0) < 2 && rdtsc() - tsc0 < (1ULL << 32));
    on = ticks_since(t0);
    tsc_on = rdtsc() - tsc0;

    /*
     * The same with IF clear for 2^29 TSC cycles (a tick or more below
     * 9 GHz): no tick, the one that came waits in the PIC, and the trip
     * whose POPF sets IF takes it before its CLI.
     */
    t0 = peek32(BDA_TICKS);
    tsc0 = rdtsc();
    do {
        bios(0x11, (struct bios_regs){ .spin = 100000 });
    } while (rdtsc() - tsc0 < (1ULL << 29));
    off = ticks_since(t0);
    bios(0x11, (struct bios_regs){ .eflags = EFLAGS_IF });
    held = ticks_since(t0) - off;
    outb(PIC1_IMR, imr1);
    outb(PIC2_IMR, imr2);

    report(on >= 2 && (r.eflags & EFLAGS_IF),
           "real mode, IF=1: the BDA tick count goes on: IRQ 0 through "
           "SeaBIOS's INT 08h (%u ticks, %u calls, %llu TSC cycles, IMR "
           "%02x %02x)", on, n, (unsigned long long)tsc_on, imr1, imr2);
    report(off == 0, "real mode, IF=0: no tick in 2^29 TSC cycles (%u)",
           off);
    report(held >= 1, "real mode: the IRQ 0 held while IF=0 is taken once "
           "POPF sets IF, before the next CLI (%u ticks)", held);
}

/* INT 11h and INT 12h: what the BDA holds. */
static void test_int11_12(void)
{
    struct bios_regs r;
    u16 bda, ebda;

    r = bios(0x11, (struct bios_regs){ .eax = 0xffffffff });
    bda = peek16(BDA_EQUIPMENT);
    report(AX(r) == bda && (bda & 0x30) == 0x20,
           "INT 11h: the equipment word is the BDA's at 0x410, 80x25 "
           "color (AX=%04x, BDA %04x)", AX(r), bda);

    r = bios(0x12, (struct bios_regs){ .eax = 0xffffffff });
    bda = peek16(BDA_MEM_KB);
    ebda = peek16(BDA_EBDA_SEG);
    report(AX(r) == bda && AX(r) >= 512 && AX(r) <= 640 &&
           ebda == AX(r) * 64,
           "INT 12h: conventional memory in KiB is the BDA's at 0x413, the "
           "EBDA right above it (AX=%u, BDA %u, EBDA segment %04x)", AX(r),
           bda, ebda);
}

/* INT 15h: the memory map, the other memory sizes, A20, the table. */
static void test_int15(void)
{
    struct e820 {
        u64 base, len;
        u32 type;
    } __attribute__((packed)) map[32];
    struct bios_regs r;
    u64 end0 = 0, end1 = 0, usable = 0, e801_end, prev_end = 0;
    u32 cont = 0, kib, n = 0, i, bad_type = 0;
    bool calls_ok = true, ended = false, sorted = true, hole = true;
    u16 base_kib = peek16(BDA_MEM_KB);
    u32 lin;

    do {
        memset((void *)BUF, 0xff, sizeof(map[0]));
        r = bios(0x15, (struct bios_regs){ .eax = 0xe820, .ebx = cont,
                                           .ecx = 20, .edx = SMAP,
                                           .edi = BUF, .es = 0 });
        if (CF(r) || r.eax != SMAP || r.ecx != 20) {
            calls_ok = false;
            break;
        }
        memcpy(&map[n++], (void *)BUF, sizeof(map[0]));
        cont = r.ebx;
        ended = !cont;
    } while (!ended && n < ARRAY_SIZE(map));
    report(calls_ok && ended,
           "INT 15h AX=E820h: each call returns 'SMAP', CF clear, ECX=20, "
           "and the walk ends with EBX=0 (CF=%d, EAX=%08x, ECX=%u, "
           "%u entries)", CF(r), r.eax, r.ecx, n);

    for (i = 0; i < n; i++) {
        u64 end = map[i].base + map[i].len;

        report_info("E820 %u: %llx-%llx type %u", i,
                    (unsigned long long)map[i].base,
                    (unsigned long long)end, map[i].type);
        if (!map[i].len || end < map[i].base || map[i].base < prev_end) {
            sorted = false;
        }
        if (map[i].type < 1 || map[i].type > 5) {
            bad_type++;
        }
        prev_end = end;
        if (map[i].type != E820_RAM) {
            continue;
        }
        usable += map[i].len;
        if (map[i].base < 0x100000 && end > 0xa0000) {
            hole = false;
        }
        if (map[i].base == 0) {
            end0 = end;
        }
        if (map[i].base == MIB) {
            end1 = end;
        }
    }
    report(n && sorted && !bad_type,
           "INT 15h AX=E820h: entries non-empty, sorted, not overlapping, "
           "of types 1-5 (%u entries, %u of other types)", n, bad_type);
    report(end0 == base_kib * 1024 && hole,
           "INT 15h AX=E820h: usable RAM from 0 to the EBDA (INT 12h), none "
           "in 0xA0000-0xFFFFF (to 0x%llx, BDA %u KiB)",
           (unsigned long long)end0, base_kib);
    report(end1 > 127 * MIB && end1 <= 128 * MIB &&
           usable > 127 * MIB && usable <= 128 * MIB,
           "INT 15h AX=E820h: usable RAM from 1 MiB to within 1 MiB of "
           "-m 128, the same in all (to 0x%llx, %llu KiB usable)",
           (unsigned long long)end1, (unsigned long long)usable / 1024);

    r = bios(0x15, (struct bios_regs){ .eax = 0xe801, .ebx = 0xffff,
                                       .ecx = 0xffff, .edx = 0xffff });
    e801_end = 16ULL * MIB + (u64)DX(r) * 0x10000;
    report(!CF(r) && AX(r) == CX(r) && BX(r) == DX(r) && CX(r) == 15 * 1024 &&
           e801_end >= end1 && e801_end <= end1 + MIB,
           "INT 15h AX=E801h: CF clear, 15 MiB between 1 and 16 MiB, the "
           "64 KiB blocks above ending with E820's RAM (CF=%d, AX=%04x "
           "BX=%04x CX=%04x DX=%04x, E820 to 0x%llx)", CF(r), AX(r), BX(r),
           CX(r), DX(r), (unsigned long long)end1);

    r = bios(0x15, (struct bios_regs){ .eax = 0x8800 });
    kib = end1 > MIB ? (end1 - MIB) / 1024 : 0;
    report(!CF(r) && AX(r) >= (kib < 15 * 1024 ? kib : 15 * 1024) &&
           AX(r) <= kib,
           "INT 15h AH=88h: CF clear, extended memory in KiB between 15 MiB "
           "and E820's (CF=%d, AX=%u, E820 %u KiB)", CF(r), AX(r), kib);

    /* We run above 1 MiB: A20 is on. */
    r = bios(0x15, (struct bios_regs){ .eax = 0x2402 });
    report(!CF(r) && AH(r) == 0 && AL(r) == 1,
           "INT 15h AX=2402h: A20 enabled, CF clear (CF=%d, AX=%04x)",
           CF(r), AX(r));

    r = bios(0x15, (struct bios_regs){ .eax = 0xc000, .ebx = 0xffff,
                                       .es = 0 });
    lin = r.es * 16 + BX(r);
    report(!CF(r) && AH(r) == 0 && lin >= 0xf0000 && lin < 0xffff8 &&
           peek16(lin) >= 8,
           "INT 15h AH=C0h: the configuration table is in the BIOS ROM, CF "
           "clear (CF=%d, AH=%02x, %04x:%04x, length %u, model %02x)",
           CF(r), AH(r), r.es, BX(r), lin < 0xffff8 ? peek16(lin) : 0,
           lin < 0xffff8 ? peek8(lin + 2) : 0);
}

/* INT 16h: nobody types, so no key waits; the shift flags are the BDA's. */
static void test_int16(void)
{
    struct bios_regs r;

    r = bios(0x16, (struct bios_regs){ .eax = 0x0100 });
    report(r.eflags & EFLAGS_ZF,
           "INT 16h AH=01h: no key waiting: ZF=1 (EFLAGS %x, AX=%04x)",
           r.eflags, AX(r));

    r = bios(0x16, (struct bios_regs){ .eax = 0x02ff });
    report(AL(r) == peek8(BDA_SHIFT) && AL(r) != 0xff,
           "INT 16h AH=02h: the shift flags are the BDA's at 0x417 "
           "(AL=%02x, BDA %02x)", AL(r), peek8(BDA_SHIFT));
}

static void set_cursor(u8 row, u8 col)
{
    bios(0x10, (struct bios_regs){ .eax = 0x0200, .ebx = 0,
                                   .edx = row << 8 | col });
}

static u16 get_cursor(void)
{
    return DX(bios(0x10, (struct bios_regs){ .eax = 0x0300, .ebx = 0,
                                             .edx = 0xffff }));
}

/* INT 10h AH=08h at (row, col): attribute << 8 | character. */
static u16 read_char(u8 row, u8 col)
{
    set_cursor(row, col);
    return AX(bios(0x10, (struct bios_regs){ .eax = 0x08ff, .ebx = 0 }));
}

static u16 vga_text(u8 row, u8 col)
{
    return peek16(VGA_TEXT + (row * 80 + col) * 2);
}

/* INT 10h: the VGA BIOS (SeaVGABIOS), text mode 3. */
static void test_int10(void)
{
    static const char text[] = "hwvirt";
    const int len = sizeof(text) - 1;
    struct bios_regs r;
    u16 got[8], mem[8], pos, pos2;
    bool ok;
    int i;

    report(peek16(0x10 * 4 + 2) == 0xc000 && peek16(0x15 * 4 + 2) == 0xf000 &&
           peek16(0x1a * 4 + 2) == 0xf000,
           "the IVT at 0 is the BIOS's: INT 10h in the VGA BIOS at C000h, "
           "INT 15h and 1Ah at F000h (%04x:%04x, %04x:%04x, %04x:%04x)",
           peek16(0x42), peek16(0x40), peek16(0x56), peek16(0x54),
           peek16(0x6a), peek16(0x68));

    bios(0x10, (struct bios_regs){ .eax = 0x0003 });
    r = bios(0x10, (struct bios_regs){ .eax = 0x0f00, .ebx = 0xffff });
    report(AL(r) == 3 && AH(r) == 80 && (BX(r) >> 8) == 0 &&
           peek8(BDA_VIDEO_MODE) == 3,
           "INT 10h AH=00h, AH=0Fh: mode 3 set reads back, 80 columns, page "
           "0, in the BDA too (AX=%04x, BH=%02x, BDA %02x)", AX(r),
           BX(r) >> 8, peek8(BDA_VIDEO_MODE));

    set_cursor(3, 5);
    pos = get_cursor();
    report(pos == 0x0305 && peek16(BDA_CURSOR0) == 0x0305,
           "INT 10h AH=02h, AH=03h: the cursor position set reads back, "
           "in the BDA too (DX=%04x, BDA %04x)", pos, peek16(BDA_CURSOR0));

    for (i = 0; i < len; i++) {
        bios(0x10, (struct bios_regs){ .eax = 0x0e00 | text[i],
                                       .ebx = 0x0007 });
    }
    pos = get_cursor();
    bios(0x10, (struct bios_regs){ .eax = 0x0e0d, .ebx = 0x0007 });
    bios(0x10, (struct bios_regs){ .eax = 0x0e0a, .ebx = 0x0007 });
    pos2 = get_cursor();
    report(pos == 0x0305 + len && pos2 == 0x0400,
           "INT 10h AH=0Eh: teletype moves the cursor past the text, CR LF "
           "to the next line's start (DX=%04x, then %04x)", pos, pos2);

    ok = true;
    for (i = 0; i < len; i++) {
        got[i] = read_char(3, 5 + i);
        ok = ok && got[i] == (0x0700 | text[i]);
    }
    report(ok, "INT 10h AH=08h: the characters teletype wrote read back, "
           "attribute 07h (%04x %04x %04x %04x %04x %04x)",
           got[0], got[1], got[2], got[3], got[4], got[5]);

    /* Three 'X's in yellow on blue, the cursor staying where it is. */
    set_cursor(4, 5);
    bios(0x10, (struct bios_regs){ .eax = 0x0900 | 'X', .ebx = 0x001e,
                                   .ecx = 3 });
    pos = get_cursor();
    for (i = 0; i < 4; i++) {
        got[i] = read_char(4, 5 + i);
    }
    report(pos == 0x0405 && got[0] == 0x1e58 && got[1] == 0x1e58 &&
           got[2] == 0x1e58 && got[3] == 0x0720,
           "INT 10h AH=09h: a character and attribute three times, read "
           "back by AH=08h, cursor unmoved (DX=%04x; %04x %04x %04x %04x)",
           pos, got[0], got[1], got[2], got[3]);

    ok = true;
    for (i = 0; i < len; i++) {
        mem[i] = vga_text(3, 5 + i);
        ok = ok && mem[i] == (0x0700 | text[i]);
    }
    for (i = 0; i < 4; i++) {
        ok = ok && vga_text(4, 5 + i) == (i < 3 ? 0x1e58 : 0x0720);
    }
    report(ok, "VGA text memory at 0xB8000, read from protected mode, "
           "holds what INT 10h wrote (%04x %04x %04x %04x %04x %04x, "
           "%04x %04x %04x %04x)", mem[0], mem[1], mem[2], mem[3], mem[4],
           mem[5], vga_text(4, 5), vga_text(4, 6), vga_text(4, 7),
           vga_text(4, 8));

    r = bios(0x10, (struct bios_regs){ .eax = 0x1a00, .ebx = 0xffff });
    report(AL(r) == 0x1a && BL(r) == 0x08,
           "INT 10h AX=1A00h: display combination: AL=1Ah, VGA color "
           "(AX=%04x, BX=%04x)", AX(r), BX(r));

    r = bios(0x10, (struct bios_regs){ .eax = 0x1200, .ebx = 0xff10 });
    report(BX(r) == 0x0003,
           "INT 10h AH=12h BL=10h: EGA information: color, 256 KiB "
           "(BX=%04x, CX=%04x)", BX(r), CX(r));

    memset((void *)BUF, 0, 512);
    memcpy((void *)BUF, "VBE2", 4);
    r = bios(0x10, (struct bios_regs){ .eax = 0x4f00, .edi = BUF,
                                       .es = 0 });
    report(AX(r) == 0x004f && !memcmp((void *)BUF, "VESA", 4) &&
           peek16(BUF + 4) >= 0x0200 && peek16(BUF + 18) >= 16,
           "INT 10h AX=4F00h: VBE controller information: AX=004Fh, "
           "'VESA', version 2.0 or later, 1 MiB or more (AX=%04x, "
           "%02x%02x%02x%02x, version %04x, %u KiB)", AX(r), peek8(BUF),
           peek8(BUF + 1), peek8(BUF + 2), peek8(BUF + 3), peek16(BUF + 4),
           peek16(BUF + 18) * 64);
}

void cf_main(void)
{
    test_int1a();
    test_int11_12();
    test_int15();
    test_int16();
    test_int10();
}
