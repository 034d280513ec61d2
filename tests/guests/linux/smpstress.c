/*
 * smpstress: an SMP workout for the lab's Linux payload (static, no libc
 * beyond glibc's own).  For SECONDS seconds, on every online CPU:
 *
 *   - ping-pong: pairs of threads pinned to neighbouring CPUs pass a
 *     sequence number back and forth through pipes, so every step wakes
 *     a thread on another CPU (an IPI to a running or halted vCPU);
 *   - TLB shootdowns: the main thread moves fresh pages over a shared
 *     mapping (mremap MREMAP_FIXED) and bumps a generation, while readers
 *     on the other CPUs check every page of it holds that generation: a
 *     lost flush IPI leaves a reader on the old pages.
 *
 * Prints "HWVIRT-SMP-STRESS ok cpus=N pingpongs=P remaps=R" or a FAIL
 * line saying what went wrong; exits 0 or 1.
 *
 * This work is licensed under the terms of the GNU GPL, version 2 or later.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define PAGES		16
#define PAGE		4096
#define MAX_CPUS	64

static atomic_int stop, failed;
static atomic_uint gen;
static atomic_uint acked[MAX_CPUS];
static unsigned char *region;
static int ncpus;

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu % ncpus, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static void fail(const char *what, unsigned long a, unsigned long b)
{
	if (!atomic_exchange(&failed, 1))
		printf("HWVIRT-SMP-STRESS FAIL %s (%lu, %lu)\n", what, a, b);
	atomic_store(&stop, 1);
}

/* Ping-pong: the even thread of a pair starts, each echoes n + 1. */
struct pong {
	int cpu, in, out, starter;
	unsigned long count;
};

static void *pingpong(void *arg)
{
	struct pong *p = arg;
	unsigned long n = 0, got;

	pin(p->cpu);
	if (p->starter && write(p->out, &n, sizeof(n)) != sizeof(n))
		fail("pipe write", 0, 0);
	while (!atomic_load(&stop)) {
		if (read(p->in, &got, sizeof(got)) != sizeof(got))
			break;
		if (p->count && got != n + 1) {
			fail("ping-pong sequence", got, n + 1);
			break;
		}
		n = got + 1;
		p->count++;
		if (write(p->out, &n, sizeof(n)) != sizeof(n))
			break;
	}
	return NULL;
}

/* A reader of the shared mapping, on CPU cpu. */
static void *reader(void *arg)
{
	int cpu = (int)(long)arg, i;

	pin(cpu);
	while (!atomic_load(&stop)) {
		unsigned int g = atomic_load(&gen);

		for (i = 0; i < PAGES; i++) {
			unsigned int v;

			memcpy(&v, region + i * PAGE, sizeof(v));
			/* g, or g + 1 if the next remap is under way. */
			if (v != g && v != g + 1) {
				fail("stale page after a remap (TLB shootdown)", v, g);
				return NULL;
			}
		}
		atomic_store(&acked[cpu], g);
	}
	return NULL;
}

/*
 * Fresh pages at region, every one holding g: filled elsewhere, then moved
 * over the old ones (whose translations every CPU must drop) at once.
 */
static void remap(unsigned int g)
{
	unsigned char *fresh = mmap(NULL, PAGES * PAGE, PROT_READ | PROT_WRITE,
				    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int i;

	if (fresh == MAP_FAILED) {
		fail("mmap", errno, 0);
		return;
	}
	for (i = 0; i < PAGES; i++)
		memcpy(fresh + i * PAGE, &g, sizeof(g));
	if (mremap(fresh, PAGES * PAGE, PAGES * PAGE,
		   MREMAP_MAYMOVE | MREMAP_FIXED, region) != region)
		fail("mremap", errno, 0);
}

int main(int argc, char **argv)
{
	int secs = argc > 1 ? atoi(argv[1]) : 10, i, npairs;
	pthread_t pong_t[MAX_CPUS], read_t[MAX_CPUS];
	struct pong pongs[MAX_CPUS];
	unsigned long pingpongs = 0, remaps = 0;
	time_t end;

	ncpus = sysconf(_SC_NPROCESSORS_ONLN);
	if (ncpus < 2 || ncpus > MAX_CPUS) {
		printf("HWVIRT-SMP-STRESS FAIL %d CPUs online\n", ncpus);
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);

	/* One ping-pong pair per CPU, each between CPU i and CPU i + 1. */
	npairs = ncpus;
	for (i = 0; i < npairs; i++) {
		int ab[2], ba[2];

		if (pipe(ab) || pipe(ba))
			return 1;
		pongs[2 * i % MAX_CPUS] = (struct pong) {
			.cpu = i, .in = ba[0], .out = ab[1], .starter = 1 };
		pongs[(2 * i + 1) % MAX_CPUS] = (struct pong) {
			.cpu = i + 1, .in = ab[0], .out = ba[1] };
	}
	for (i = 0; i < 2 * npairs && i < MAX_CPUS; i++)
		pthread_create(&pong_t[i], NULL, pingpong, &pongs[i]);

	region = mmap(NULL, PAGES * PAGE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memset(region, 0, PAGES * PAGE);
	for (i = 1; i < ncpus; i++)
		pthread_create(&read_t[i], NULL, reader, (void *)(long)i);

	/* The main thread, on CPU 0: remap, then wait for every reader. */
	pin(0);
	end = time(NULL) + secs;
	while (!atomic_load(&stop) && time(NULL) < end) {
		unsigned int g = atomic_load(&gen) + 1;
		int all;

		remap(g);
		atomic_store(&gen, g);
		remaps++;
		do {
			all = 1;
			for (i = 1; i < ncpus; i++)
				all &= atomic_load(&acked[i]) == g;
			if (!all)
				sched_yield();
		} while (!all && !atomic_load(&stop) && time(NULL) < end + 5);
		if (!all)
			fail("a reader stopped acknowledging", g, 0);
	}
	atomic_store(&stop, 1);
	for (i = 1; i < ncpus; i++)
		pthread_join(read_t[i], NULL);
	for (i = 0; i < 2 * npairs && i < MAX_CPUS; i++)
		pingpongs += pongs[i].count;
	if (!atomic_load(&failed))
		printf("HWVIRT-SMP-STRESS ok cpus=%d pingpongs=%lu remaps=%lu\n",
		       ncpus, pingpongs, remaps);
	/* The ping-pong threads may sit in read(): exit without them. */
	fflush(stdout);
	_exit(atomic_load(&failed));
}
