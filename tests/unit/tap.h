/*
 * TAP output for the host unit tests: one "ok"/"not ok" line per check,
 * counted for the summary line.
 *
 * This work is licensed under the terms of the GNU GPL, version 2 or later.
 */
#ifndef HWVIRT_UNIT_TAP_H
#define HWVIRT_UNIT_TAP_H

#include <stdarg.h>
#include <stdio.h>

static int failed, passed;

static void result(int good, const char *fmt, ...)
{
	va_list ap;

	printf(good ? "ok - " : "not ok - ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (good)
		passed++;
	else
		failed++;
}

#endif
