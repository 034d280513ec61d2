/*
 * fpuload: load the x87 FPU environment in a loop, on one CPU.
 *
 *   fpuload CPU SECONDS
 *
 * Pinned to CPU, runs FLDENV over and over for SECONDS seconds (0: until
 * SIGTERM), then prints how many it ran.  Each is an FPU-state load the
 * outer TCG emulates with a helper; in the lab that is the quickest way
 * to run those helpers on one CPU as often as possible (see the
 * linux-fpuload scenario).
 *
 * This work is licensed under the terms of the GNU GPL, version 2 or later.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	unsigned char env[28];
	unsigned long loads = 0;
	struct sigaction sa;
	cpu_set_t set;
	int cpu, seconds, i;

	if (argc != 3) {
		fprintf(stderr, "usage: fpuload CPU SECONDS\n");
		return 2;
	}
	cpu = atoi(argv[1]);
	seconds = atoi(argv[2]);
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set)) {
		fprintf(stderr, "fpuload: cannot run on CPU %d: %s\n", cpu,
			strerror(errno));
		return 1;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
	if (seconds > 0)
		alarm(seconds);

	/* A clean environment: no exception pending, so FSW.ES is clear. */
	asm volatile("fninit\n\tfnstenv %0" : "=m"(env));
	while (!stop) {
		for (i = 0; i < 1000; i++)
			asm volatile("fldenv %0" : : "m"(env));
		loads += 1000;
	}
	printf("%lu\n", loads);
	return 0;
}
