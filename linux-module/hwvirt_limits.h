/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * hwvirt: every limit of the module, in one place.
 */
#ifndef HWVIRT_LIMITS_H
#define HWVIRT_LIMITS_H

/* Module version; dkms.conf's PACKAGE_VERSION must match. */
#define HWVIRT_VERSION			"0.10.0"

/* Room for the backend's one-line description (hwvirt_info.backend_desc). */
#define HWVIRT_DESC_LEN			160

/* Per VM. */
#define HWVIRT_MAX_VCPUS		64
#define HWVIRT_MAX_MEMSLOTS		64

/*
 * Guest-physical addresses.  A TDP table of N levels reaches 12 + 9 * N
 * bits (48 for 4 levels, 57 for 5), and no x86 CPU has more than 52
 * physical address bits: memory slots of a VM end below 2^gpa_bits, the
 * least of the two and of the host's own physical address width (see
 * hwvirt_gpa_bits, struct hwvirt_info.gpa_bits).
 */
#define HWVIRT_MAX_GPA_BITS		52
#define HWVIRT_TDP_MIN_LEVELS		4
#define HWVIRT_TDP_MAX_LEVELS		5

/* Per VM: ioeventfds and irqfds (HWVIRT_IOEVENTFD, HWVIRT_IRQFD). */
#define HWVIRT_MAX_IOEVENTFDS		1024
#define HWVIRT_MAX_IRQFDS		1024

/*
 * Dirty logging works on this many pages (shadow) or bitmap words
 * between chances for the MMU lock to be taken by others.
 */
#define HWVIRT_DIRTY_LOG_BATCH		512

/* Per vCPU: entries in HWVIRT_SET_CPUID and HWVIRT_{GET,SET}_MSRS. */
#define HWVIRT_MAX_CPUID_ENTRIES	256
#define HWVIRT_MAX_MSR_ENTRIES		256

/*
 * Port I/O data lives in the run page after struct hwvirt_run; a string
 * instruction moves at most this many bytes per exit to userspace.
 */
#define HWVIRT_PIO_DATA_OFFSET		1024
#define HWVIRT_PIO_DATA_MAX		(PAGE_SIZE - HWVIRT_PIO_DATA_OFFSET)

/*
 * Page-table pages kept ready before taking the MMU lock: one full walk
 * of the deepest TDP table (every level below the root).
 */
#define HWVIRT_MMU_CACHE_PAGES		(HWVIRT_TDP_MAX_LEVELS - 1)

/*
 * The shadow MMU (shadow.c).  Objects a vCPU keeps ready before taking
 * the MMU lock: enough for one fault (a shadow page per level below the
 * root, each with its table and, at the last level, its gfn array; a
 * reverse-map block per link, and per prefetched leaf) or for loading
 * four PAE roots.
 */
#define HWVIRT_SHADOW_CACHE_PAGES	10
#define HWVIRT_SHADOW_CACHE_SPS		5
#define HWVIRT_SHADOW_CACHE_DESCS	16
#define HWVIRT_SHADOW_CACHE_MAX		16	/* the largest of the three */
/*
 * A fault on a last-level entry also maps its accessed neighbours in the
 * same aligned group of this many guest entries (KVM's PTE_PREFETCH_NUM),
 * if their pages are in place.
 */
#define HWVIRT_SHADOW_PREFETCH		8
/* Shadow pages hashed by gfn: 2^bits buckets per VM. */
#define HWVIRT_SHADOW_HASH_BITS		10
/* Roots of recent address spaces each vCPU keeps (besides its current). */
#define HWVIRT_SHADOW_PREV_ROOTS	3
/*
 * Shadow pages per VM, unless the shadow_pages module parameter says:
 * this many per thousand guest pages, at least the minimum (KVM's
 * default is 20 per mille as well).
 */
#define HWVIRT_SHADOW_PAGES_PER_MILLE	20
#define HWVIRT_SHADOW_MIN_PAGES		64
/*
 * A shadowed guest page table written this many times without being
 * walked in between is taken for a page that is no longer a page table:
 * its shadow pages go (write-flood detection).
 */
#define HWVIRT_SHADOW_FLOOD_WRITES	3

/*
 * The shortest period of the in-kernel APIC's periodic timer: a guest
 * that asks for less gets an interrupt every this many ns (KVM's
 * min_timer_period_us is 200 as well), not a storm.
 */
#define HWVIRT_APIC_MIN_PERIOD_NS	200000

/* The highest extended CPUID leaf offered (0x8000001E: AMD topology). */
#define HWVIRT_CPUID_MAX_EXT		0x8000001eU

/* The longest x86 instruction. */
#define HWVIRT_MAX_INSN_LEN		15

/*
 * MMIO reads one emulated instruction makes, 8 bytes each (each an exit
 * to userspace): CMPS of MMIO with MMIO makes two, a 16-byte XMM load two.
 */
#define HWVIRT_EMUL_MAX_MMIO_READS	4

#endif /* HWVIRT_LIMITS_H */
