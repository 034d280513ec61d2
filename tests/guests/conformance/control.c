/*
 * Conformance: control registers.
 *
 * Reserved bits of CR0, CR3, CR4 and CR8 raise #GP(0); so do the
 * combinations the architecture forbids.  Under nested paging a guest's
 * CR3 writes do not leave it: the CPU itself must refuse them (in the
 * lab, TCG's SVM: see patches/0014).
 *
 * This work is licensed under the terms of the GNU GPL, version 2 or later.
 */
#include "cf.h"

const char cf_test_name[] = "control";

static void test_cr0(void)
{
    u64 cr0 = read_cr0();
    int v;

    v = write_cr0_safe(cr0 | BIT(32));
    report(v == GP_VECTOR && cf_error == 0, "CR0 bit 32 (reserved) raises "
           "#GP(0) (%s)", cf_vec_name(v));
    write_cr0_safe(cr0);
    v = write_cr0_safe((cr0 | BIT(29)) & ~BIT(30));
    report(v == GP_VECTOR, "CR0.NW without CR0.CD raises #GP (%s)",
           cf_vec_name(v));
    write_cr0_safe(cr0);
    /*
     * A CPU that lets these through leaves 64-bit mode under our feet:
     * try them only on one that checks CR0 at all.
     */
    if (read_cr0() != cr0 || v != GP_VECTOR) {
        report_skip("CR0 is not checked: not clearing PE or PG");
        return;
    }
    v = write_cr0_safe(cr0 & ~1ULL);
    report(v == GP_VECTOR, "clearing CR0.PE with paging on raises #GP (%s)",
           cf_vec_name(v));
    v = write_cr0_safe(cr0 & ~BIT(31));
    report(v == GP_VECTOR, "clearing CR0.PG in 64-bit mode raises #GP (%s)",
           cf_vec_name(v));
    report(read_cr0() == cr0, "CR0 unchanged");
}

static void test_cr4(void)
{
    u64 cr4 = read_cr4();
    int v;

    v = write_cr4_safe(cr4 | BIT(31));
    report(v == GP_VECTOR && cf_error == 0, "CR4 bit 31 (reserved) raises "
           "#GP(0) (%s)", cf_vec_name(v));
    v = write_cr4_safe(cr4 | BIT(63));
    report(v == GP_VECTOR, "CR4 bit 63 (reserved) raises #GP (%s)",
           cf_vec_name(v));
    v = write_cr4_safe(cr4 & ~BIT(5));
    report(v == GP_VECTOR, "clearing CR4.PAE in long mode raises #GP (%s)",
           cf_vec_name(v));
    if (!cf_has(7, 0, CF_ECX, 16)) {
        v = write_cr4_safe(cr4 | BIT(12));
        report(v == GP_VECTOR, "CR4.LA57 without LA57 raises #GP (%s)",
               cf_vec_name(v));
    } else {
        v = write_cr4_safe(cr4 | BIT(12));
        report(v == GP_VECTOR, "CR4.LA57 cannot change in long mode (%s)",
               cf_vec_name(v));
    }
    if (!cf_has(1, 0, CF_ECX, 5)) {
        v = write_cr4_safe(cr4 | BIT(13));
        report(v == GP_VECTOR, "CR4.VMXE without VMX raises #GP (%s)",
               cf_vec_name(v));
    }
    report(read_cr4() == cr4, "CR4 unchanged");
    write_cr4(cr4);
}

static void test_cr3(void)
{
    u64 cr3 = read_cr3();
    int v;

    v = write_cr3_safe(cr3);
    report(v < 0, "reloading CR3 (%s)", cf_vec_name(v));
    /* Above any physical-address width (at most 52 bits). */
    v = write_cr3_safe(cr3 | BIT(62));
    report(v == GP_VECTOR && cf_error == 0, "CR3 bit 62 in long mode raises "
           "#GP(0) (%s)", cf_vec_name(v));
    report(read_cr3() == cr3, "CR3 unchanged");
}

static void test_cr8(void)
{
    int v;

    v = write_cr8_safe(16);
    report(v == GP_VECTOR, "CR8 bit 4 (reserved) raises #GP (%s)",
           cf_vec_name(v));
    v = write_cr8_safe(15);
    report(v < 0, "CR8 takes 15 (%s)", cf_vec_name(v));
    write_cr8_safe(0);
}

void cf_main(void)
{
    test_cr0();
    test_cr4();
    test_cr8();
    test_cr3();
}
