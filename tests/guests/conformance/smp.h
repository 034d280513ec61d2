/*
 * Conformance test kernel smp: what smp.c and smp_tramp.S share.
 *
 * This work is licensed under the terms of the GNU GPL, version 2 or later.
 */
#ifndef SMP_H
#define SMP_H

#include "cf.h"

#define SMP_MAX_CPUS    16      /* as in smp_tramp.S */

/* smp.c fills these in before the SIPI; smp_tramp.S loads them. */
extern u32 smp_boot_cr0, smp_boot_cr3, smp_boot_cr4;
extern u64 smp_boot_efer;
struct smp_idt_desc {
    u16 limit;
    u64 base;
} __attribute__((packed));
extern struct smp_idt_desc smp_boot_idt;
extern volatile u32 smp_started;       /* volatile: APs LOCK XADD it */

/* smp_tramp.S: the real-mode code smp.c copies below 1 MiB. */
extern const char smp_tramp_start[], smp_tramp_end[];
struct smp_gdt_desc {
    u16 limit;
    u32 base;
} __attribute__((packed));
extern struct smp_gdt_desc smp_tramp_gdt;

/* smp.c: the interrupt stubs (16 bytes each from VEC_BASE), the NMI's. */
extern const char smp_stubs[], smp_stub_nmi[];

/* smp_tramp.S calls it on each AP. */
void smp_ap_main(u32 idx, u32 edx, u32 cs);

#endif
