/*
 * hwvirt accelerator: an explicit -accel hwvirt is tried before an
 * earlier -accel tcg
 *
 * QEMU tries repeated -accel options in the order given and keeps the
 * first that initializes (configure_accelerators() in system/vl.c).
 * libvirt runs a <domain type='qemu'> with its own "-accel tcg" first,
 * and the arguments of <qemu:commandline> come near the end, so an
 * "-accel hwvirt" added there would never be tried: TCG always starts.
 *
 * Before the accelerators are tried, every -accel hwvirt that comes
 * after an -accel tcg moves to just before the first -accel tcg, the
 * hwvirt options keeping their own order.  TCG thus becomes the
 * fallback when hwvirt cannot start.  Nothing else moves:
 * "-accel hwvirt -accel tcg" and "-accel kvm -accel tcg" stay as they
 * are.  "-machine accel=" lists are not touched (vl.c refuses them
 * together with -accel anyway).
 *
 * This is common code, built whether or not the hwvirt accelerator is:
 * it looks at the accelerators' names only.
 *
 * This work is licensed under the terms of the GNU GPL, version 2 or later.
 * See the COPYING file in the top-level directory.
 */

#include "qemu/osdep.h"
#include "qemu/option.h"
#include "qemu/option_int.h"
#include "system/hwvirt.h"
#include "trace.h"

void hwvirt_accel_order(QemuOptsList *accel_opts)
{
    QemuOpts *opts, *next_opts, *first_tcg = NULL;
    int pos = 0, tcg_pos = 0;

    QTAILQ_FOREACH_SAFE(opts, &accel_opts->head, next, next_opts) {
        const char *name = qemu_opt_get(opts, "accel");

        pos++;
        if (!first_tcg && g_strcmp0(name, "tcg") == 0) {
            first_tcg = opts;
            tcg_pos = pos;
        } else if (first_tcg && g_strcmp0(name, "hwvirt") == 0) {
            QTAILQ_REMOVE(&accel_opts->head, opts, next);
            QTAILQ_INSERT_BEFORE(first_tcg, opts, next);
            trace_hwvirt_accel_before_tcg(pos, tcg_pos);
        }
    }
}
