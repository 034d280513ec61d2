/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * hwvirt: every limit of the module, in one place.
 */
#ifndef HWVIRT_LIMITS_H
#define HWVIRT_LIMITS_H

/* Module version; dkms.conf's PACKAGE_VERSION must match. */
#define HWVIRT_VERSION		"0.1.0"

/* Room for the backend's one-line description in dmesg. */
#define HWVIRT_DESC_LEN		160

#endif /* HWVIRT_LIMITS_H */
