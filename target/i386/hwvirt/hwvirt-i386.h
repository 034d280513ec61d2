/*
 * hwvirt accelerator: what the files of target/i386/hwvirt share
 *
 * This work is licensed under the terms of the GNU GPL, version 2 or later.
 * See the COPYING file in the top-level directory.
 */

#ifndef HWVIRT_I386_H
#define HWVIRT_I386_H

#include "cpu.h"

/* hwvirt-apic.c: QEMU's copy of the in-kernel APIC, from the module. */
int hwvirt_apic_get(X86CPU *cpu);

#endif /* HWVIRT_I386_H */
