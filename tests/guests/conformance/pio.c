/*
 * Conformance: port I/O.
 *
 * IN and OUT of every size, with the port in DX or in the instruction,
 * and the string forms with REP, with DF=1 and across a page boundary;
 * a port nothing decodes reads as all ones.  The device is pc-testdev's
 * 4-byte scratch port at 0xe0 (the runner adds -device pc-testdev).
 *
 * This work is licensed under the terms of the GNU GPL, version 2 or later.
 */
#include "cf.h"

const char cf_test_name[] = "pio";

#define SCRATCH         0xe0
#define UNASSIGNED      0x1230          /* nothing decodes it on pc */

static u8 buf[3 * 4096] __attribute__((aligned(4096)));

static void test_in_out(void)
{
    u32 v;
    u16 w;
    u8 b;

    outl(SCRATCH, 0x12345678);
    asm volatile("inl %1, %0" : "=a"(v) : "Nd"((u16)SCRATCH));
    report(v == 0x12345678, "OUT/IN dword, port in DX (0x%x)", v);
    asm volatile("outw %0, $0xe0" : : "a"((u16)0xabcd));
    asm volatile("inw $0xe0, %0" : "=a"(w));
    report(w == 0xabcd, "OUT/IN word, immediate port (0x%x)", w);
    asm volatile("inl $0xe0, %0" : "=a"(v));
    report(v == 0x1234abcd, "a word OUT leaves the upper half (0x%x)", v);
    asm volatile("outb %0, $0xe2" : : "a"((u8)0x99));
    asm volatile("inb $0xe2, %0" : "=a"(b));
    report(b == 0x99, "OUT/IN byte at an offset (0x%x)", b);
    asm volatile("inl $0xe0, %0" : "=a"(v));
    report(v == 0x1299abcd, "the byte landed in its lane (0x%x)", v);
}

static void test_unassigned(void)
{
    u32 v;
    u16 w;
    u8 b;

    asm volatile("inb %1, %0" : "=a"(b) : "Nd"((u16)UNASSIGNED));
    report(b == 0xff, "IN byte from an unassigned port reads 0xff (0x%x)", b);
    asm volatile("inw %1, %0" : "=a"(w) : "Nd"((u16)UNASSIGNED));
    report(w == 0xffff, "IN word from an unassigned port (0x%x)", w);
    asm volatile("inl %1, %0" : "=a"(v) : "Nd"((u16)UNASSIGNED));
    report(v == 0xffffffff, "IN dword from an unassigned port (0x%x)", v);
    asm volatile("outl %0, %1" : : "a"(0), "Nd"((u16)UNASSIGNED));
    report(true, "OUT to an unassigned port is ignored");
}

static void test_string(void)
{
    u64 rcx, rdi, rsi;
    u8 *p = buf + 4096 - 6;     /* crosses into the next page */
    u32 v;
    bool ok = true;
    int i;

    /* REP INSB from an unassigned port: all 0xff, across the page. */
    memset(buf, 0, sizeof(buf));
    rcx = 12;
    rdi = (u64)p;
    asm volatile("rep insb" : "+c"(rcx), "+D"(rdi)
                 : "d"((u16)UNASSIGNED) : "memory");
    for (i = 0; i < 12; i++) {
        ok &= p[i] == 0xff;
    }
    report(ok && rcx == 0 && rdi == (u64)(p + 12) && p[12] == 0 && p[-1] == 0,
           "REP INSB across a page boundary (rcx %llu)",
           (unsigned long long)rcx);

    /* REP INSD with DF=1: backwards. */
    outl(SCRATCH, 0xa5a5a5a5);
    memset(buf, 0, sizeof(buf));
    rcx = 4;
    rdi = (u64)(buf + 4096 + 4);
    asm volatile("std; rep insl; cld" : "+c"(rcx), "+D"(rdi)
                 : "d"((u16)SCRATCH) : "memory");
    ok = rcx == 0 && rdi == (u64)(buf + 4096 - 12);
    for (i = -8; i < 8; i++) {
        ok &= buf[4096 + i] == 0xa5;
    }
    report(ok && buf[4096 - 9] == 0 && buf[4096 + 8] == 0,
           "REP INSD with DF=1 across a page boundary (rdi 0x%llx)",
           (unsigned long long)rdi);

    /* REP OUTSW: the last word written stays in the port. */
    for (i = 0; i < 16; i++) {
        buf[4096 - 8 + i] = i + 1;
    }
    rcx = 8;
    rsi = (u64)(buf + 4096 - 8);
    asm volatile("rep outsw" : "+c"(rcx), "+S"(rsi)
                 : "d"((u16)SCRATCH) : "memory");
    asm volatile("inw $0xe0, %w0" : "=a"(v));
    report(rcx == 0 && (v & 0xffff) == 0x100f,
           "REP OUTSW across a page boundary, last word in the port (0x%x)",
           v & 0xffff);

    /* OUTSB with DF=1, single. */
    rsi = (u64)(buf + 4096 - 8);
    asm volatile("std; outsb; cld" : "+S"(rsi) : "d"((u16)SCRATCH)
                 : "memory");
    asm volatile("inb $0xe0, %b0" : "=a"(v));
    report((v & 0xff) == 1 && rsi == (u64)(buf + 4096 - 9),
           "OUTSB with DF=1 (0x%x)", v & 0xff);

    /* REP with RCX=0 does nothing. */
    rcx = 0;
    rdi = (u64)buf;
    buf[0] = 0x11;
    asm volatile("rep insb" : "+c"(rcx), "+D"(rdi)
                 : "d"((u16)UNASSIGNED) : "memory");
    report(buf[0] == 0x11 && rdi == (u64)buf,
           "REP INSB with RCX=0 does nothing");
}

void cf_main(void)
{
    test_in_out();
    test_unassigned();
    test_string();
}
