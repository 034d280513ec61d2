/*
 * Conformance: a triple fault.
 *
 * With an IDT of limit 0, INT3 raises #GP, whose delivery raises #GP
 * again: #DF, whose delivery fails too, and the CPU shuts down.  QEMU
 * (-no-reboot) then exits with status 0.  The runner checks that exit
 * and this kernel's one line before it; it never reports a summary, so
 * it is built apart from the other kernels (alone/triple.elf).
 *
 * This work is licensed under the terms of the GNU GPL, version 2 or later.
 */
#include "cf.h"

const char cf_test_name[] = "triple";

void cf_main(void)
{
    struct {
        u16 limit;
        u64 base;
    } __attribute__((packed)) idtr = { 0, 0 };

    printf("cf-triple: INFO: shutting down by a triple fault\n");
    asm volatile("lidt %0; int3" : : "m"(idtr) : "memory");
    printf("cf-triple: FAIL: the CPU went on after a triple fault\n");
    cf_exit();
}
