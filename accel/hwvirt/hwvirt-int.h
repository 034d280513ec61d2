/*
 * hwvirt accelerator: state shared by the files of accel/hwvirt and
 * target/i386/hwvirt
 *
 * This work is licensed under the terms of the GNU GPL, version 2 or later.
 * See the COPYING file in the top-level directory.
 */

#ifndef HWVIRT_INT_H
#define HWVIRT_INT_H

#include "qemu/accel.h"
#include "system/hwvirt.h"

typedef struct HwvirtState {
    AccelState parent_obj;

    /* -accel hwvirt,device=PATH; NULL means /dev/hwvirt. */
    char *device;
    /* The /dev/hwvirt fd, -1 until init_machine opens it. */
    int fd;
} HwvirtState;

DECLARE_INSTANCE_CHECKER(HwvirtState, HWVIRT_STATE, TYPE_HWVIRT_ACCEL)

#endif /* HWVIRT_INT_H */
