/*
 * QTest for the hwvirt accelerator: a Linux guest under -accel hwvirt,
 * driven over QMP while it runs: info registers, stop/cont, an NMI,
 * system_reset and quit; then an SMP guest with the in-kernel APICs, and
 * a guest on the shadow MMU.
 *
 * Needs /dev/hwvirt and, in the environment, HWVIRT_TEST_KERNEL and
 * HWVIRT_TEST_INITRD (the lab's vmlinux and its Linux payload, which
 * prints HWVIRT-LINUX-MARKER and, with "hold", stays up).  Skipped
 * otherwise.  With HWVIRT_TEST_IMAGE (the Debian guest image of make
 * guest-image), also the lifecycle of a whole VM: system_reset,
 * system_powerdown (ACPI: the guest shuts down, QEMU exits 0), and quit
 * at any point, after which the module holds no VM.
 *
 * This work is licensed under the terms of the GNU GPL, version 2 or later.
 * See the COPYING file in the top-level directory.
 */

#include "qemu/osdep.h"
#include "libqtest.h"
#include "qobject/qdict.h"

#define MARKER "HWVIRT-LINUX-MARKER"

typedef struct Guest {
    QTestState *qts;
    char *serial;
} Guest;

/*
 * How many lines of the file at path hold what.  Only whole lines count:
 * the guest's UART writes a line a character at a time, and a marker
 * line read half-written would lack what follows the marker.
 */
static int count_text(const char *path, const char *what)
{
    g_autofree char *text = NULL;
    const char *p;
    int n = 0;

    if (!g_file_get_contents(path, &text, NULL, NULL)) {
        return 0;
    }
    for (p = text; (p = strstr(p, what)); p += strlen(what)) {
        if (strchr(p, '\n')) {
            n++;
        }
    }
    return n;
}

/* Wait up to limit seconds for the n-th what on the serial console. */
static bool wait_text(Guest *g, const char *what, int n, int limit)
{
    gint64 end = g_get_monotonic_time() + limit * G_USEC_PER_SEC;

    while (g_get_monotonic_time() < end) {
        if (count_text(g->serial, what) >= n) {
            return true;
        }
        g_usleep(100 * 1000);
    }
    return false;
}

static bool wait_markers(Guest *g, int n, int limit)
{
    return wait_text(g, MARKER, n, limit);
}

/* Text in the test's log, a message per line: for when a check fails. */
static void show_text(const char *title, const char *text)
{
    g_auto(GStrv) lines = g_strsplit(text ? text : "(none)", "\n", -1);
    int i;

    g_test_message("%s:", title);
    for (i = 0; lines[i]; i++) {
        g_test_message("| %s", lines[i]);
    }
}

/* The console so far. */
static void show_console(Guest *g, const char *why)
{
    g_autofree char *text = NULL;

    g_file_get_contents(g->serial, &text, NULL, NULL);
    g_test_message("%s", why);
    show_text("the console", text);
}

/* The n-th boot of the payload came up with cpus CPUs online. */
static void assert_cpus(Guest *g, int cpus, int n)
{
    g_autofree char *what = g_strdup_printf("cpus=%d", cpus);

    if (count_text(g->serial, what) != n) {
        show_console(g, "not every CPU came up");
    }
    g_assert_cmpint(count_text(g->serial, what), ==, n);
}

static const char *status(Guest *g)
{
    static char buf[32];
    QDict *rsp = qtest_qmp(g->qts, "{ 'execute': 'query-status' }");
    QDict *ret = qdict_get_qdict(rsp, "return");

    g_strlcpy(buf, qdict_get_str(ret, "status"), sizeof(buf));
    qobject_unref(rsp);
    return buf;
}

static char *reg(const char *regs, const char *name)
{
    const char *p = strstr(regs, name);

    return p ? g_strndup(p, strcspn(p, "\r\n ")) : g_strdup("(none)");
}

static void test_linux_qmp(void)
{
    Guest g;
    g_autofree char *dir = g_dir_make_tmp("hwvirt-test-XXXXXX", NULL);
    const char *kernel = g_getenv("HWVIRT_TEST_KERNEL");
    const char *initrd = g_getenv("HWVIRT_TEST_INITRD");
    g_autofree char *regs1 = NULL, *regs2 = NULL, *rip1 = NULL, *rip2 = NULL;
    g_autofree char *cr0 = NULL, *info = NULL;

    g.serial = g_build_filename(dir, "serial.log", NULL);
    g.qts = qtest_initf("-accel hwvirt -m 256 -kernel %s -initrd %s "
                        "-append 'console=ttyS0 quiet hold' "
                        "-serial file:%s", kernel, initrd, g.serial);

    g_assert_true(wait_markers(&g, 1, 180));
    g_assert_cmpstr(status(&g), ==, "running");

    /*
     * The registers of a running 64-bit Linux: paging and long mode, in
     * the kernel (CS 0x10) or, if its init is still on its way to sleep,
     * in user mode (CS 0x33).
     */
    regs1 = qtest_hmp(g.qts, "info registers");
    cr0 = reg(regs1, "CR0=");
    g_assert_nonnull(strstr(regs1, "RIP="));
    if (!strstr(regs1, "CS =0010") && !strstr(regs1, "CS =0033")) {
        show_text("info registers", regs1);
    }
    g_assert_true(strstr(regs1, "CS =0010") || strstr(regs1, "CS =0033"));
    g_assert_nonnull(strstr(regs1, "EFER=0000000000000d01"));
    g_assert_cmpstr(cr0, ==, "CR0=80050033");

    /* info hwvirt: the MMU (nested paging where the CPU has it). */
    info = qtest_hmp(g.qts, "info hwvirt");
    g_assert_nonnull(strstr(info, "mmu: "));
    g_assert_nonnull(strstr(info, "kernel-irqchip: split"));
    g_assert_nonnull(strstr(info, "exits "));

    /* Stopped, the vCPU stays where it is. */
    qtest_qmp_assert_success(g.qts, "{ 'execute': 'stop' }");
    g_assert_cmpstr(status(&g), ==, "paused");
    g_free(regs1);
    regs1 = qtest_hmp(g.qts, "info registers");
    g_usleep(300 * 1000);
    regs2 = qtest_hmp(g.qts, "info registers");
    rip1 = reg(regs1, "RIP=");
    rip2 = reg(regs2, "RIP=");
    g_assert_cmpstr(rip1, ==, rip2);
    qtest_qmp_assert_success(g.qts, "{ 'execute': 'cont' }");
    g_assert_cmpstr(status(&g), ==, "running");

    /*
     * An NMI reaches the guest: nothing in it claims one, so Linux says
     * so on the console (at KERN_EMERG, which "quiet" does not hide).
     */
    qtest_qmp_assert_success(g.qts, "{ 'execute': 'inject-nmi' }");
    g_assert_true(wait_text(&g, "NMI received for unknown reason", 1, 30));
    g_assert_cmpstr(status(&g), ==, "running");

    /* A reset boots Linux again. */
    qtest_qmp_assert_success(g.qts, "{ 'execute': 'system_reset' }");
    g_assert_true(wait_markers(&g, 2, 180));
    g_assert_cmpstr(status(&g), ==, "running");

    /* And quit ends QEMU. */
    qtest_qmp_assert_success(g.qts, "{ 'execute': 'quit' }");
    qtest_quit(g.qts);

    unlink(g.serial);
    rmdir(dir);
    g_free(g.serial);
}

/*
 * An SMP guest with the local APICs in the module (the default): Linux
 * brings up 4 CPUs by INIT/SIPI; "info lapic" shows an AP's APIC as the
 * guest programmed it (QEMU's copy comes from the module); stop/cont and
 * a reset (the APs wait for a SIPI again) work on every CPU.
 */
static void test_smp_lapic(void)
{
    Guest g;
    g_autofree char *dir = g_dir_make_tmp("hwvirt-test-XXXXXX", NULL);
    const char *kernel = g_getenv("HWVIRT_TEST_KERNEL");
    const char *initrd = g_getenv("HWVIRT_TEST_INITRD");
    g_autofree char *lapic = NULL, *cpus = NULL;

    g.serial = g_build_filename(dir, "serial.log", NULL);
    g.qts = qtest_initf("-accel hwvirt -smp 4 -m 256 -kernel %s -initrd %s "
                        "-append 'console=ttyS0 loglevel=4 hold' "
                        "-serial file:%s", kernel, initrd, g.serial);

    g_assert_true(wait_markers(&g, 1, 240));
    assert_cpus(&g, 4, 1);

    lapic = qtest_hmp(g.qts, "info lapic 2");
    g_assert_nonnull(strstr(lapic, "dumping local APIC state for CPU 2"));
    g_assert_nonnull(strstr(lapic, "APIC enabled"));
    cpus = qtest_hmp(g.qts, "info cpus");
    g_assert_nonnull(strstr(cpus, "CPU #3"));

    qtest_qmp_assert_success(g.qts, "{ 'execute': 'stop' }");
    g_assert_cmpstr(status(&g), ==, "paused");
    qtest_qmp_assert_success(g.qts, "{ 'execute': 'cont' }");

    qtest_qmp_assert_success(g.qts, "{ 'execute': 'system_reset' }");
    g_assert_true(wait_markers(&g, 2, 240));
    assert_cpus(&g, 4, 2);

    qtest_qmp_assert_success(g.qts, "{ 'execute': 'quit' }");
    qtest_quit(g.qts);

    unlink(g.serial);
    rmdir(dir);
    g_free(g.serial);
}

/* The number after name in text ("name   123"), or -1. */
static long long counter(const char *text, const char *name)
{
    const char *p = strstr(text, name);

    return p ? g_ascii_strtoll(p + strlen(name), NULL, 10) : -1;
}

/*
 * Linux on the shadow MMU: it boots, info hwvirt says so and shows the
 * shadow MMU at work, and a reset starts it over on fresh roots.
 */
static void test_shadow(void)
{
    Guest g;
    g_autofree char *dir = g_dir_make_tmp("hwvirt-test-XXXXXX", NULL);
    const char *kernel = g_getenv("HWVIRT_TEST_KERNEL");
    const char *initrd = g_getenv("HWVIRT_TEST_INITRD");
    g_autofree char *info = NULL;

    g.serial = g_build_filename(dir, "serial.log", NULL);
    g.qts = qtest_initf("-accel hwvirt,mmu=shadow -m 256 -kernel %s "
                        "-initrd %s -append 'console=ttyS0 quiet hold' "
                        "-serial file:%s", kernel, initrd, g.serial);

    g_assert_true(wait_markers(&g, 1, 240));
    info = qtest_hmp(g.qts, "info hwvirt");
    if (!strstr(info, "mmu: shadow") || counter(info, "shadow_pages") <= 0) {
        show_text("info hwvirt", info);
    }
    g_assert_nonnull(strstr(info, "mmu: shadow"));
    g_assert_cmpint(counter(info, "shadow_pages"), >, 0);
    g_assert_cmpint(counter(info, "cr3_loads"), >, 0);
    g_assert_cmpint(counter(info, "roots_reused"), >, 0);

    qtest_qmp_assert_success(g.qts, "{ 'execute': 'system_reset' }");
    g_assert_true(wait_markers(&g, 2, 240));

    qtest_qmp_assert_success(g.qts, "{ 'execute': 'quit' }");
    qtest_quit(g.qts);

    unlink(g.serial);
    rmdir(dir);
    g_free(g.serial);
}

#define READY "HWVIRT-GUEST-READY"

/* Seconds since t0 (a g_get_monotonic_time()). */
static double since(gint64 t0)
{
    return (g_get_monotonic_time() - t0) / (double)G_USEC_PER_SEC;
}

/* VMs in hwvirt.ko now (its debugfs directories), or -1 if unknown. */
static int module_vms(void)
{
    g_autoptr(GDir) d = g_dir_open("/sys/kernel/debug/hwvirt", 0, NULL);
    const char *name;
    int n = 0;

    if (!d) {
        return -1;
    }
    while ((name = g_dir_read_name(d))) {
        n += g_str_has_prefix(name, "vm");
    }
    return n;
}

/* The Debian image with -smp 4, virtio disk and NIC, VGA; writes discarded. */
static void debian_start(Guest *g, const char *dir)
{
    g->serial = g_build_filename(dir, "serial.log", NULL);
    g->qts = qtest_initf("-accel hwvirt -cpu host -smp 4 -m 1024 -vga std "
                         "-drive file=%s,if=virtio,format=qcow2,snapshot=on "
                         "-nic user,model=virtio-net-pci -serial file:%s",
                         g_getenv("HWVIRT_TEST_IMAGE"), g->serial);
}

static void debian_done(Guest *g, const char *dir)
{
    unlink(g->serial);
    rmdir(dir);
    g_free(g->serial);
}

/*
 * A whole VM's lifecycle: boot to the guest's ready line, system_reset
 * boots it again, system_powerdown has it shut down by ACPI and QEMU
 * exit 0 (qtest_quit() checks the status); the module keeps no VM.
 */
static void test_debian_lifecycle(void)
{
    Guest g;
    g_autofree char *dir = g_dir_make_tmp("hwvirt-test-XXXXXX", NULL);
    int vms = module_vms();
    gint64 end, t0 = g_get_monotonic_time();

    debian_start(&g, dir);
    if (!wait_text(&g, READY, 1, 600)) {
        show_console(&g, "the guest did not get ready");
    }
    g_assert_true(wait_text(&g, READY, 1, 1));
    g_test_message("ready %.1f s after QEMU started", since(t0));
    if (count_text(g.serial, "cpus=4") != 1) {
        show_console(&g, "the guest does not have 4 CPUs online");
    }
    g_assert_cmpint(count_text(g.serial, "cpus=4"), ==, 1);

    t0 = g_get_monotonic_time();
    qtest_qmp_assert_success(g.qts, "{ 'execute': 'system_reset' }");
    if (!wait_text(&g, READY, 2, 600)) {
        show_console(&g, "the guest did not get ready after system_reset");
    }
    g_assert_true(wait_text(&g, READY, 2, 1));
    g_test_message("ready %.1f s after system_reset", since(t0));

    t0 = g_get_monotonic_time();
    qtest_qmp_assert_success(g.qts, "{ 'execute': 'system_powerdown' }");
    end = g_get_monotonic_time() + 180 * G_USEC_PER_SEC;
    while (qtest_probe_child(g.qts) && g_get_monotonic_time() < end) {
        g_usleep(200 * 1000);
    }
    if (qtest_probe_child(g.qts)) {
        show_console(&g, "QEMU still runs 180 s after system_powerdown");
    }
    g_assert_false(qtest_probe_child(g.qts));
    g_test_message("QEMU exited %.1f s after system_powerdown", since(t0));
    qtest_quit(g.qts);                  /* asserts exit status 0 */
    g_assert_cmpint(module_vms(), ==, vms);
    debian_done(&g, dir);
}

/* quit in SeaBIOS, in GRUB, in the kernel: nothing stays in the module. */
static void test_debian_quit(void)
{
    static const int after_ms[] = { 500, 4000, 30000 };
    int vms = module_vms(), i;

    for (i = 0; i < G_N_ELEMENTS(after_ms); i++) {
        Guest g;
        g_autofree char *dir = g_dir_make_tmp("hwvirt-test-XXXXXX", NULL);

        debian_start(&g, dir);
        g_usleep(after_ms[i] * 1000);
        g_assert_cmpint(module_vms(), ==, vms + 1);
        qtest_qmp_assert_success(g.qts, "{ 'execute': 'quit' }");
        qtest_quit(g.qts);
        g_assert_cmpint(module_vms(), ==, vms);
        debian_done(&g, dir);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    if (access("/dev/hwvirt", R_OK | W_OK) ||
        !g_getenv("HWVIRT_TEST_KERNEL") || !g_getenv("HWVIRT_TEST_INITRD")) {
        g_test_skip("needs /dev/hwvirt, HWVIRT_TEST_KERNEL and "
                    "HWVIRT_TEST_INITRD (run it in the lab)");
        return g_test_run();
    }
    qtest_add_func("/hwvirt/linux-qmp", test_linux_qmp);
    qtest_add_func("/hwvirt/smp-lapic", test_smp_lapic);
    qtest_add_func("/hwvirt/shadow", test_shadow);
    if (g_getenv("HWVIRT_TEST_IMAGE")) {
        qtest_add_func("/hwvirt/debian/lifecycle", test_debian_lifecycle);
        qtest_add_func("/hwvirt/debian/quit", test_debian_quit);
    }
    return g_test_run();
}
