/*
 * hwvirt accelerator: the accelerator object and /dev/hwvirt
 *
 * This work is licensed under the terms of the GNU GPL, version 2 or later.
 * See the COPYING file in the top-level directory.
 */

#include "qemu/osdep.h"
#include <sys/ioctl.h>
#include <linux/hwvirt.h>

#include "qemu/accel.h"
#include "qemu/error-report.h"
#include "qapi/error.h"
#include "qom/object.h"
#include "system/hwvirt.h"
#include "hwvirt-int.h"
#include "trace.h"

bool hwvirt_allowed;

#define HWVIRT_DEFAULT_DEVICE "/dev/hwvirt"

static void hwvirt_explain_open_failure(const char *path, int err)
{
    error_report("cannot open %s: %s", path, strerror(err));
    switch (err) {
    case ENOENT:
    case ENODEV:
    case ENXIO:
        error_printf("The hwvirt kernel module is not loaded.  Load it with\n"
                     "    sudo modprobe hwvirt            (installed, e.g. "
                     "with DKMS)\n"
                     "    sudo insmod linux-module/hwvirt.ko   (from a "
                     "build tree)\n"
                     "and check 'dmesg | grep hwvirt': the module needs a "
                     "CPU with AMD-V\n"
                     "(SVM) or VT-x (VMX) enabled in the firmware.  Use "
                     "'-accel hwvirt -accel tcg'\n"
                     "to fall back to emulation.\n");
        break;
    case EACCES:
    case EPERM:
        error_printf("You may not use %s.  Check its owner and mode "
                     "('ls -l %s')\n"
                     "and that your user is in its group ('id').\n",
                     path, path);
        break;
    }
}

static int hwvirt_open_device(HwvirtState *s)
{
    const char *path = s->device ? s->device : HWVIRT_DEFAULT_DEVICE;
    int version;

    s->fd = qemu_open_old(path, O_RDWR | O_CLOEXEC);
    if (s->fd < 0) {
        int err = errno;

        hwvirt_explain_open_failure(path, err);
        return -err;
    }

    version = ioctl(s->fd, HWVIRT_GET_API_VERSION, 0);
    if (version != HWVIRT_API_VERSION) {
        if (version < 0) {
            error_report("%s does not answer HWVIRT_GET_API_VERSION: "
                         "%s", path, strerror(errno));
        } else {
            error_report("%s speaks API version %d, this QEMU needs "
                         "version %d", path, version, HWVIRT_API_VERSION);
        }
        error_printf("Load the hwvirt.ko built from the same hwvirt source "
                     "as this QEMU\n"
                     "('modinfo hwvirt' shows the module's version).\n");
        close(s->fd);
        s->fd = -1;
        return -EPROTO;
    }
    trace_hwvirt_open(path, version);
    return 0;
}

static int hwvirt_init_machine(MachineState *ms)
{
    HwvirtState *s = HWVIRT_STATE(current_accel());
    int ret;

    ret = hwvirt_open_device(s);
    if (ret < 0) {
        return ret;
    }

    error_report("this hwvirt.ko cannot create VMs yet");
    close(s->fd);
    s->fd = -1;
    return -ENOSYS;
}

static char *hwvirt_get_device(Object *obj, Error **errp)
{
    return g_strdup(HWVIRT_STATE(obj)->device);
}

static void hwvirt_set_device(Object *obj, const char *value, Error **errp)
{
    HwvirtState *s = HWVIRT_STATE(obj);

    g_free(s->device);
    s->device = g_strdup(value);
}

static void hwvirt_accel_instance_init(Object *obj)
{
    HwvirtState *s = HWVIRT_STATE(obj);

    s->fd = -1;
}

static void hwvirt_accel_class_init(ObjectClass *oc, void *data)
{
    AccelClass *ac = ACCEL_CLASS(oc);

    ac->name = "HWVIRT";
    ac->init_machine = hwvirt_init_machine;
    ac->allowed = &hwvirt_allowed;

    object_class_property_add_str(oc, "device", hwvirt_get_device,
                                  hwvirt_set_device);
    object_class_property_set_description(oc, "device",
        "Path of the hwvirt device (default " HWVIRT_DEFAULT_DEVICE ")");
}

static const TypeInfo hwvirt_accel_type = {
    .name = TYPE_HWVIRT_ACCEL,
    .parent = TYPE_ACCEL,
    .instance_size = sizeof(HwvirtState),
    .instance_init = hwvirt_accel_instance_init,
    .class_init = hwvirt_accel_class_init,
};

static void hwvirt_type_init(void)
{
    type_register_static(&hwvirt_accel_type);
}

type_init(hwvirt_type_init);
