/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * hwvirt: the kernel's integer types for the files that also build in
 * userspace (emulate.c, lapic.c, walk.c; tests/unit).
 */
#ifndef HWVIRT_HW_TYPES_H
#define HWVIRT_HW_TYPES_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include <stdbool.h>
#include <stdint.h>
typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t s8;
typedef int32_t s32;
typedef int64_t s64;
#define __aligned(x)	__attribute__((aligned(x)))
#endif

#endif /* HWVIRT_HW_TYPES_H */
