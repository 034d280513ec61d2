/*
 * mmstress: memory-management work for the lab's Linux payload, the kind
 * a shadow MMU feels: page tables built, changed and torn down.
 *
 *   mmstress forkexec N    N times fork + exec of this (static) binary
 *   mmstress mmap N        N rounds of mmap, mprotect, mremap, munmap, fork
 *                          with copy-on-write, every byte checked
 *   mmstress pingpong N    N round trips of a byte between two processes
 *   mmstress true          exit 0 (what forkexec runs)
 *
 * Each prints one line, "HWVIRT-MM <what> n=N ms=T ..." and "ok" or
 * "FAIL <why>"; the exit status is 0 only if everything checked out.
 *
 * This work is licensed under the terms of the GNU GPL, version 2 or later.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *self;

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int forkexec(long n)
{
	double t0 = now_ms();
	long i;

	for (i = 0; i < n; i++) {
		int status;
		pid_t pid = fork();

		if (pid < 0) {
			printf("HWVIRT-MM forkexec n=%ld FAIL fork: %s\n", n,
			       strerror(errno));
			return 1;
		}
		if (pid == 0) {
			execl(self, self, "true", (char *)NULL);
			_exit(127);
		}
		if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
		    WEXITSTATUS(status)) {
			printf("HWVIRT-MM forkexec n=%ld FAIL child %ld status 0x%x\n",
			       n, i, status);
			return 1;
		}
	}
	printf("HWVIRT-MM forkexec n=%ld ms=%.0f ok\n", n, now_ms() - t0);
	return 0;
}

/* mmap: a write to a read-only page must fault; this catches it. */
static sigjmp_buf segv_jmp;

static void on_segv(int sig)
{
	(void)sig;
	siglongjmp(segv_jmp, 1);
}

static int write_faults(volatile uint8_t *p)
{
	if (sigsetjmp(segv_jmp, 1))
		return 1;
	*p = 0x5a;
	return 0;
}

static uint8_t pattern(unsigned long round, size_t off)
{
	return (uint8_t)(round * 131 + off * 7 + (off >> 12));
}

static const char *check_range(const uint8_t *p, size_t len,
			       unsigned long round, size_t base)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != pattern(round, base + i))
			return "contents changed";
	return NULL;
}

#define MM_PAGES	64

static const char *mmap_round(unsigned long round)
{
	size_t pg = 4096, len = MM_PAGES * pg, i;
	const char *why;
	uint8_t *p, *q;
	int status;
	pid_t pid;

	p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return "mmap";
	for (i = 0; i < len; i++)
		p[i] = pattern(round, i);

	/* Read-only: reads work, a write faults; writable again: it works. */
	if (mprotect(p, len / 2, PROT_READ))
		return "mprotect read-only";
	if ((why = check_range(p, len, round, 0)))
		return why;
	if (!write_faults(p + pg * (round % (MM_PAGES / 2))))
		return "a write to a read-only page did not fault";
	if (mprotect(p, len / 2, PROT_READ | PROT_WRITE))
		return "mprotect writable";
	if (write_faults(p + 1))
		return "a write to a writable page faulted";
	p[1] = pattern(round, 1);

	/* Copy-on-write: the child's writes stay in the child. */
	pid = fork();
	if (pid < 0)
		return "fork";
	if (pid == 0) {
		for (i = 0; i < len; i += pg)
			p[i] ^= 0xff;
		for (i = 0; i < len; i += pg) {
			uint8_t want = pattern(round, i) ^ 0xff;

			if (p[i] != want)
				_exit(1);
		}
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		return "the copy-on-write child saw wrong data";
	if ((why = check_range(p, len, round, 0)))
		return "the child's writes reached the parent";

	/* A hole, then grow (perhaps moving) and check what stayed. */
	if (munmap(p + len / 2, pg * 4))
		return "munmap";
	if (write_faults(p + len / 2))
		; /* expected: unmapped */
	else
		return "a write to an unmapped page did not fault";
	q = mremap(p, len / 2, len * 2, MREMAP_MAYMOVE);
	if (q == MAP_FAILED)
		return "mremap";
	if ((why = check_range(q, len / 2, round, 0)))
		return "mremap lost the contents";
	memset(q + len / 2, 0x77, len);
	munmap(q, len * 2);
	munmap(p + len / 2 + pg * 4, len / 2 - pg * 4);
	return NULL;
}

static int mmap_stress(long n)
{
	struct sigaction sa = { .sa_handler = on_segv };
	double t0 = now_ms();
	const char *why;
	long i;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGSEGV, &sa, NULL);
	for (i = 0; i < n; i++) {
		why = mmap_round(i);
		if (why) {
			printf("HWVIRT-MM mmap n=%ld FAIL round %ld: %s\n", n, i,
			       why);
			return 1;
		}
	}
	printf("HWVIRT-MM mmap n=%ld ms=%.0f ok\n", n, now_ms() - t0);
	return 0;
}

static int pingpong(long n)
{
	int ab[2], ba[2], status;
	double t0;
	char c = 0;
	pid_t pid;
	long i;

	if (pipe(ab) || pipe(ba))
		return 1;
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		close(ab[1]);
		close(ba[0]);
		for (;;) {
			if (read(ab[0], &c, 1) != 1)
				_exit(0);
			c++;
			if (write(ba[1], &c, 1) != 1)
				_exit(1);
		}
	}
	close(ab[0]);
	close(ba[1]);
	t0 = now_ms();
	for (i = 0; i < n; i++) {
		char d = c;

		if (write(ab[1], &c, 1) != 1 || read(ba[0], &c, 1) != 1 ||
		    c != (char)(d + 1)) {
			printf("HWVIRT-MM pingpong n=%ld FAIL round trip %ld\n",
			       n, i);
			return 1;
		}
	}
	t0 = now_ms() - t0;
	close(ab[1]);
	waitpid(pid, &status, 0);
	printf("HWVIRT-MM pingpong n=%ld ms=%.0f us_per_round_trip=%.1f ok\n",
	       n, t0, t0 * 1e3 / n);
	return 0;
}

int main(int argc, char **argv)
{
	long n = argc > 2 ? strtol(argv[2], NULL, 0) : 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	self = argv[0];
	if (argc == 2 && !strcmp(argv[1], "true"))
		return 0;
	if (argc != 3 || n <= 0) {
		fprintf(stderr, "usage: %s forkexec|mmap|pingpong N\n", argv[0]);
		return 2;
	}
	if (!strcmp(argv[1], "forkexec"))
		return forkexec(n);
	if (!strcmp(argv[1], "mmap"))
		return mmap_stress(n);
	if (!strcmp(argv[1], "pingpong"))
		return pingpong(n);
	fprintf(stderr, "%s: no test %s\n", argv[0], argv[1]);
	return 2;
}
