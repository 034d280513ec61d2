/*
 * Helpers for the module selftests: a VM with one memory slot, vCPUs in
 * real, protected or long mode, guest code from guest.S, TAP output.
 *
 * This work is licensed under the terms of the GNU GPL, version 2 or later.
 */
#ifndef HWVIRT_TEST_LIB_H
#define HWVIRT_TEST_LIB_H

#include <stddef.h>
#include <stdint.h>

#include <linux/hwvirt.h>

#define GUEST_CODE	0x1000		/* where blobs are copied */
#define GUEST_PT	0x10000		/* long-mode page tables */
#define GUEST_PT_PD	0x14000		/* ...their 8 page directories */
#define GUEST_GDT	0x8000
#define GUEST_IDT	0x6000		/* set_idt64() */

struct tvm {
	int sys;			/* /dev/hwvirt */
	int fd;				/* the VM */
	uint8_t *mem;			/* slot 0 at gpa 0 */
	size_t mem_size;
};

struct tvcpu {
	struct tvm *vm;
	int fd;
	struct hwvirt_run *run;
};

/* Guest code in guest.S. */
#define DECLARE_BLOB(name) extern const uint8_t name[], name##_end[]
DECLARE_BLOB(guest_pio);
DECLARE_BLOB(guest_mmio);
DECLARE_BLOB(guest_cpuid);
DECLARE_BLOB(guest_spin);
DECLARE_BLOB(guest_peek);
DECLARE_BLOB(guest_string);
DECLARE_BLOB(guest_fpu);
DECLARE_BLOB(guest_bench_cpuid);
DECLARE_BLOB(guest_bench_pio);
DECLARE_BLOB(guest_prot);
DECLARE_BLOB(guest_triple);
DECLARE_BLOB(guest_long);
DECLARE_BLOB(guest_la57);
DECLARE_BLOB(guest_cr4_la57);
DECLARE_BLOB(guest_peek64);
DECLARE_BLOB(guest_apic);
DECLARE_BLOB(guest_ap);
DECLARE_BLOB(guest_pg32);
DECLARE_BLOB(guest_pg64);
extern const uint8_t guest_pg32_pf[], guest_pg64_pf[];
extern const uint8_t guest_apic_isr_40[];
DECLARE_BLOB(guest_apic_bench);
DECLARE_BLOB(guest_dirty);
DECLARE_BLOB(guest_notify);
DECLARE_BLOB(guest_pvclock);
extern const uint8_t guest_pvclock_gp[];
extern const uint8_t guest_apic_bench_isr_40[];
#define BLOB_SIZE(name) ((size_t)(name##_end - name))

extern int test_failed;

/* TAP: one result line; check() is ok/not ok from a condition. */
void ok(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void not_ok(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#define check(cond, ...) do { if (cond) ok(__VA_ARGS__); else not_ok(__VA_ARGS__); } while (0)

/* CLOCK_MONOTONIC, in ns. */
uint64_t now_ns(void);

/* Die with a message if a set-up step fails (not a test result). */
void fail_setup(const char *what) __attribute__((noreturn));

/* The MMU of the VMs tvm_create() makes (HWVIRT_MMU_*; --mmu=). */
extern int test_mmu_mode;

int open_dev(void);
int tvm_create(struct tvm *vm, size_t mem_size);
int tvm_create_flags(struct tvm *vm, size_t mem_size, uint32_t flags);
void tvm_destroy(struct tvm *vm);
int tvcpu_create(struct tvm *vm, struct tvcpu *v, int id);
void tvcpu_close(struct tvcpu *v);

void load_blob(struct tvm *vm, const uint8_t *start, const uint8_t *end);

/* Modes: the state to run code at GUEST_CODE. */
void set_real_mode(struct tvcpu *v);
void set_prot_mode(struct tvcpu *v);
void set_long_mode(struct tvcpu *v);
/* Long mode with 5-level paging: the same map, also at 0xff00000000000000. */
void set_long_mode_la57(struct tvcpu *v);

/*
 * Long mode: IDT gates first..first+n-1 to handler, handler + stride, ...
 * (the IDT at GUEST_IDT, loaded).
 */
void set_idt64(struct tvcpu *v, int first, int n, uint64_t handler,
	       int stride);

/*
 * Give the vCPU the module's supported CPUID (what HWVIRT_GET_SUPPORTED_CPUID
 * says), and look a register of it up.  0 if the leaf is absent.
 */
void set_supported_cpuid(struct tvcpu *v);
uint32_t supported_cpuid(struct tvm *vm, uint32_t function, uint32_t index,
			 int reg);
enum { REG_EAX, REG_EBX, REG_ECX, REG_EDX };

/* A general register of the vCPU, read or written by name. */
void set_reg(struct tvcpu *v, size_t offset, uint64_t val);
#define SET_REG(v, r, val) set_reg(v, offsetof(struct hwvirt_regs, r), val)

/*
 * HWVIRT_RUN: the exit reason, or -errno.  With run_watchdog set, a run
 * that has not returned after that many seconds ends with -EINTR.
 */
int run(struct tvcpu *v);
extern int run_watchdog;
const char *exit_name(int reason);

/* Expect an exit: returns 1 and reports ok/not ok under what. */
int expect_io(struct tvcpu *v, const char *what, int dir, int port, int size,
	      uint32_t data);
int expect_mmio(struct tvcpu *v, const char *what, int is_write,
		uint64_t gpa, int len, uint64_t data);
int expect_exit(struct tvcpu *v, const char *what, int reason);

uint64_t io_data(struct tvcpu *v);

/* The in-kernel APIC's selftests (apic.c). */
void test_apic(void);
/* Guest paging in every mode, and the shadow MMU's work (paging.c). */
void test_paging(void);
void test_shadow_reclaim(void);
void set_io_data(struct tvcpu *v, uint32_t val);
/* Dirty logging and ioeventfds (dirty.c, eventfd.c). */
void test_dirty_log(void);
void test_ioeventfd(void);
/* The paravirtual clock (pvclock.c). */
void test_pvclock(void);

#endif
