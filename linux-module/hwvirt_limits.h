/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * hwvirt: every limit of the module, in one place.
 */
#ifndef HWVIRT_LIMITS_H
#define HWVIRT_LIMITS_H

/* Module version; dkms.conf's PACKAGE_VERSION must match. */
#define HWVIRT_VERSION			"0.1.0"

/* Room for the backend's one-line description (hwvirt_info.backend_desc). */
#define HWVIRT_DESC_LEN			160

/* Per VM. */
#define HWVIRT_MAX_VCPUS		64
#define HWVIRT_MAX_MEMSLOTS		64

/* Memory slots end below 2^HWVIRT_GPA_BITS (the reach of 4-level NPT/EPT). */
#define HWVIRT_GPA_BITS			48

/* Per vCPU: entries in HWVIRT_SET_CPUID and HWVIRT_{GET,SET}_MSRS. */
#define HWVIRT_MAX_CPUID_ENTRIES	256
#define HWVIRT_MAX_MSR_ENTRIES		256

/*
 * Port I/O data lives in the run page after struct hwvirt_run; a string
 * instruction moves at most this many bytes per exit to userspace.
 */
#define HWVIRT_PIO_DATA_OFFSET		1024
#define HWVIRT_PIO_DATA_MAX		(PAGE_SIZE - HWVIRT_PIO_DATA_OFFSET)

/* Page-table pages kept ready before taking the MMU lock (one full walk). */
#define HWVIRT_MMU_CACHE_PAGES		4

/* The longest x86 instruction. */
#define HWVIRT_MAX_INSN_LEN		15

#endif /* HWVIRT_LIMITS_H */
