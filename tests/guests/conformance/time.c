/*
 * Conformance: the TSC and the local APIC timer.
 *
 * The TSC only goes forward, and RDTSC, RDTSCP and the TSC MSR agree; a
 * write to the TSC moves it, and TSC_ADJUST with it, and a write to
 * TSC_ADJUST moves the TSC (SDM 17.17.3).  The local APIC timer counts
 * down and fires once in one-shot mode and again and again in periodic
 * mode, its divider scales its rate, a masked LVT or an initial count of
 * 0 keeps it quiet; in TSC-deadline mode (SDM 11.5.4.1) it fires once,
 * not before the TSC reaches the deadline, and a write of 0 or a change
 * of mode disarms it.
 *
 * Nothing here depends on how fast the CPU or the timer is: waits are
 * bounded in TSC ticks and in iterations (a broken timer fails, it does
 * not hang), and rates are only compared with each other, loosely.  The
 * timer's interrupts come to this file's own stub (tm_trap()), with the
 * 8259 masked; the BSP only.
 *
 * This work is licensed under the terms of the GNU GPL, version 2 or later.
 */
#include "cf.h"

const char cf_test_name[] = "time";

#define MSR_TSC                 0x00000010
#define MSR_APIC_BASE           0x0000001b
#define MSR_TSC_ADJUST          0x0000003b
#define MSR_TSC_DEADLINE        0x000006e0

#define TIMER_VECTOR            0x50
#define SPURIOUS_VECTOR         0xff

/* xAPIC: the timer's registers (the others: cf.h) */
#define APIC_TMICT              0x380
#define APIC_TMCCT              0x390
#define APIC_TDCR               0x3e0
#define APIC_SVR_ENABLE         0x100
#define APIC_LVTT_ONESHOT       (0U << 17)
#define APIC_LVTT_PERIODIC      (1U << 17)
#define APIC_LVTT_TSCDEADLINE   (2U << 17)

/* Divide configuration values (bits 0, 1 and 3). */
#define TDCR_DIV1               0xb
#define TDCR_DIV16              0x3
#define TDCR_DIV128             0xa

#define HAS_TSC_DEADLINE()      cf_has(1, 0, CF_ECX, 24)
#define HAS_INVARIANT_TSC()     cf_has(0x80000007, 0, CF_EDX, 8)

/*
 * The bounds of every wait: about a second at a few GHz, and an
 * iteration count for a TSC that does not move.
 */
#define WAIT_TSC                (1ULL << 32)
#define WAIT_LOOPS              20000000L

/* Initial counts: about a millisecond at divide by 1 and a 1 GHz bus. */
#define COUNT                   1000000U
#define RATE_COUNT              200000U

/* TSC writes: how far past the written value RDTSC may be. */
#define TSC_SLACK               (1ULL << 34)
#define TSC_HIGH                (1ULL << 40)
#define TSC_LOW                 (1ULL << 37)
#define TSC_DELTA               (1ULL << 38)

/* The stubs push (0, vector) as boot.S does: tm_trap() gets a cf_frame. */
asm(".pushsection .text\n"
    ".align 16\n"
    "tm_stub_timer: push $0; push $" CF_STR(TIMER_VECTOR) "; jmp tm_common\n"
    "tm_stub_spurious: push $0; push $" CF_STR(SPURIOUS_VECTOR) "\n"
    CF_TRAP_COMMON(tm_common, tm_trap)
    ".popsection");

static volatile int irq_count;          /* volatile: set by the handler */
static volatile int spurious_count;     /* volatile: set by the handler */
static volatile u64 irq_first_tsc, irq_last_tsc; /* volatile: the handler's */

/* TSC ticks from arming a one-shot timer of COUNT to its interrupt. */
static u64 oneshot_tsc;
/* TSC ticks for RATE_COUNT timer counts at divide by 1. */
static u64 rate_tsc;

static void __attribute__((used)) tm_trap(struct cf_frame *f)
{
    u64 t = rdtsc();

    if (f->vector == SPURIOUS_VECTOR) {
        spurious_count++;           /* no EOI for a spurious interrupt */
        return;
    }
    if (!irq_count) {
        irq_first_tsc = t;
    }
    irq_last_tsc = t;
    irq_count++;
    apic_write(APIC_EOI, 0);
}

/*
 * WAIT(cond, ticks): spin until cond holds, for at most ticks of the TSC
 * (and WAIT_LOOPS iterations); cond's final value.
 */
#define WAIT(cond, ticks)                                                \
    ({                                                                   \
        u64 t0_ = rdtsc(), lim_ = (ticks);                               \
        long i_;                                                         \
        for (i_ = 0; i_ < WAIT_LOOPS && !(cond) &&                       \
             rdtsc() - t0_ < lim_; i_++) {                               \
            asm volatile("pause" : : : "memory");                        \
        }                                                                \
        (cond);                                                          \
    })

/* Let ticks of the TSC go by (a time in which nothing should happen). */
static void quiet(u64 ticks)
{
    WAIT(false, ticks);
}

/* How long to wait for a timer that should not fire: a few of its times. */
static u64 quiet_ticks(void)
{
    u64 t = 4 * oneshot_tsc;

    return t < (1ULL << 20) ? 1ULL << 20 : t > WAIT_TSC ? WAIT_TSC : t;
}

/* ---- The TSC ---- */

static void test_tsc_reads(void)
{
    u64 first, prev, t, m, t1, worst = 0;
    int i, back = 0, outside = 0;
    long j, n;
    u32 aux;

    first = prev = rdtsc();
    for (i = 0; i < 100000; i++) {
        t = rdtsc();
        back += t < prev;
        prev = t;
    }
    report(!back && prev > first, "RDTSC: 100000 reads never go back, and "
           "it advances (%d backwards, %llu ticks)", back,
           (unsigned long long)(prev - first));

    /*
     * A long run (tsc_reads=N on the command line: the lab moves the
     * vCPU's thread between host CPUs meanwhile): the TSC the guest sees
     * stays monotonic whichever host CPU it runs on.
     */
    n = cf_cmdline_num("tsc_reads");
    if (n < 0) {
        n = 1000000;
    }
    back = 0;
    first = prev = rdtsc();
    for (j = 0; j < n; j++) {
        t = rdtsc();
        if (t < prev) {
            back++;
            worst = prev - t > worst ? prev - t : worst;
        }
        prev = t;
    }
    report(!back && prev > first, "RDTSC: a long run of reads never goes "
           "back (%ld reads, %d backwards, worst %llu ticks)", n, back,
           (unsigned long long)worst);

    /* CPUID and a port read exit to the hypervisor and to QEMU. */
    back = 0;
    first = prev = rdtsc();
    for (i = 0; i < 1000; i++) {
        cpuid(0);
        t = rdtsc();
        back += t < prev;
        prev = t;
        inb(0x80);
        t = rdtsc();
        back += t < prev;
        prev = t;
    }
    report(!back && prev > first, "RDTSC across CPUID and IN: never goes "
           "back, advances (%d backwards)", back);

    if (HAS_RDTSCP()) {
        back = 0;
        first = prev = rdtsc();
        for (i = 0; i < 10000; i++) {
            if (rdtscp_safe(&t, &aux) >= 0) {
                break;
            }
            back += t < prev;
            prev = rdtsc();
            back += prev < t;
        }
        report(i == 10000 && !back && prev > first,
               "RDTSCP interleaved with RDTSC: never goes back, advances "
               "(%d reads, %d backwards, %s)", i, back,
               cf_vec_name(cf_vector));
    } else {
        report_skip("RDTSCP not advertised");
    }

    for (i = 0; i < 1000; i++) {
        t = rdtsc();
        if (rdmsr_safe(MSR_TSC, &m) >= 0) {
            break;
        }
        t1 = rdtsc();
        outside += m < t || m > t1;
    }
    report(i == 1000 && !outside, "the TSC MSR lies between the RDTSCs "
           "around it, 1000 times (%d reads, %d outside, last 0x%llx)", i,
           outside, (unsigned long long)m);
}

static void test_tsc_write(void)
{
    u64 t, m;
    int v;

    v = wrmsr_safe(MSR_TSC, TSC_HIGH);
    t = rdtsc();
    report(v < 0 && t >= TSC_HIGH && t - TSC_HIGH < TSC_SLACK,
           "TSC write: RDTSC goes on from the written value (%s, 0x%llx)",
           cf_vec_name(v), (unsigned long long)t);

    v = wrmsr_safe(MSR_TSC, TSC_LOW);
    t = rdtsc();
    m = rdmsr(MSR_TSC);
    report(v < 0 && t >= TSC_LOW && t - TSC_LOW < TSC_SLACK && m >= t,
           "TSC write of a lower value: RDTSC and the MSR go on from it "
           "(%s, 0x%llx, 0x%llx)", cf_vec_name(v), (unsigned long long)t,
           (unsigned long long)m);
}

static void test_tsc_adjust(void)
{
    u64 a0, a1, a2, d, t0, t1, junk;
    int v, w;

    if (!HAS_TSC_ADJUST()) {
        v = rdmsr_safe(MSR_TSC_ADJUST, &junk);
        report(v == GP_VECTOR, "TSC_ADJUST not advertised: rdmsr 0x3b "
               "raises #GP (%s)", cf_vec_name(v));
        v = wrmsr_safe(MSR_TSC_ADJUST, 0);
        report(v == GP_VECTOR, "TSC_ADJUST not advertised: wrmsr 0x3b "
               "raises #GP (%s)", cf_vec_name(v));
        return;
    }
    v = rdmsr_safe(MSR_TSC_ADJUST, &a0);
    if (v >= 0) {
        report(false, "TSC_ADJUST advertised: rdmsr 0x3b (%s)",
               cf_vec_name(v));
        return;
    }

    /* WRMSR to the TSC adds the same X to TSC_ADJUST. */
    t0 = rdtsc();
    wrmsr(MSR_TSC, t0 + TSC_DELTA);
    a1 = rdmsr(MSR_TSC_ADJUST);
    d = a1 - a0;
    report(d <= TSC_DELTA && TSC_DELTA - d < TSC_SLACK,
           "TSC write: TSC_ADJUST moves by the same amount (by 0x%llx for "
           "0x%llx)", (unsigned long long)d, (unsigned long long)TSC_DELTA);

    /* WRMSR to TSC_ADJUST adds the same X to the TSC. */
    t0 = rdtsc();
    v = wrmsr_safe(MSR_TSC_ADJUST, a1 - TSC_DELTA);
    t1 = rdtsc();
    w = rdmsr_safe(MSR_TSC_ADJUST, &a2);
    report(v < 0 && w < 0 && a2 == a1 - TSC_DELTA,
           "TSC_ADJUST write reads back (%s, 0x%llx)",
           cf_vec_name(v < 0 ? w : v), (unsigned long long)a2);
    d = t1 + TSC_DELTA - t0;
    report(t1 + TSC_DELTA >= t0 && d < TSC_SLACK,
           "TSC_ADJUST write: the TSC moves by the difference (RDTSC 0x%llx "
           "then 0x%llx)", (unsigned long long)t0, (unsigned long long)t1);

    /* Back to what it was (the TSC moves forward by what it lost). */
    wrmsr(MSR_TSC_ADJUST, a0);
}

/* ---- The local APIC timer ---- */

static bool setup_apic(void)
{
    u64 msr = rdmsr(MSR_APIC_BASE);

    if (!(msr & BIT(11)) || (msr & BIT(10))) {
        report_skip("the local APIC is off or in x2APIC mode (APIC_BASE "
                    "0x%llx): no timer tests", (unsigned long long)msr);
        return false;
    }
    cf_apic_init();
    outb(0x21, 0xff);           /* the 8259s: every IRQ masked */
    outb(0xa1, 0xff);
    cf_set_gate(TIMER_VECTOR, CF_STUB(tm_stub_timer), CF_GATE_INTR, 0);
    cf_set_gate(SPURIOUS_VECTOR, CF_STUB(tm_stub_spurious), CF_GATE_INTR, 0);
    apic_write(APIC_LVTT, APIC_LVT_MASKED | TIMER_VECTOR);
    apic_write(APIC_TMICT, 0);
    apic_write(APIC_LVT0, APIC_LVT_MASKED);
    apic_write(APIC_LVTERR, APIC_LVT_MASKED);
    apic_write(APIC_SVR, APIC_SVR_ENABLE | SPURIOUS_VECTOR);
    apic_write(APIC_TPR, 0);
    return true;
}

/* Stop the timer, let what was already pending in, count from 0. */
static void timer_stop(void)
{
    apic_write(APIC_LVTT, APIC_LVT_MASKED | TIMER_VECTOR);
    apic_write(APIC_TMICT, 0);
    quiet(1ULL << 16);
    irq_count = 0;
}

static void test_oneshot(void)
{
    u32 c1, c2 = 0, init;
    u64 t0;
    bool fired, moved;

    /*
     * The count right after arming, masked and divided by 128: COUNT is
     * then 128 ms of a 1 GHz APIC clock, which an exit or a preemption of
     * the vCPU between the two accesses cannot use up (at divide by 1 it
     * is 1 ms, which it can in the lab).
     */
    timer_stop();
    apic_write(APIC_TDCR, TDCR_DIV128);
    apic_write(APIC_LVTT, APIC_LVT_MASKED | APIC_LVTT_ONESHOT | TIMER_VECTOR);
    apic_write(APIC_TMICT, COUNT);
    c1 = apic_read(APIC_TMCCT);
    moved = WAIT((c2 = apic_read(APIC_TMCCT)) != c1, WAIT_TSC);
    report(c1 > 0 && c1 <= COUNT && moved && c2 < c1,
           "one-shot: the current count starts at the initial count and "
           "goes down (%u, then %u, from %u)", c1, c2, COUNT);

    timer_stop();
    apic_write(APIC_TDCR, TDCR_DIV1);
    apic_write(APIC_LVTT, APIC_LVTT_ONESHOT | TIMER_VECTOR);
    t0 = rdtsc();
    apic_write(APIC_TMICT, COUNT);
    fired = WAIT(irq_count > 0, WAIT_TSC);
    oneshot_tsc = fired ? irq_first_tsc - t0 : WAIT_TSC / 16;
    report(fired, "one-shot: the interrupt arrives (%d, after %llu TSC "
           "ticks)", irq_count, (unsigned long long)oneshot_tsc);
    quiet(quiet_ticks());
    c1 = apic_read(APIC_TMCCT);
    init = apic_read(APIC_TMICT);
    report(irq_count == 1, "one-shot: it fires once (%d interrupts)",
           irq_count);
    report(c1 == 0 && init == COUNT, "one-shot: the current count stays at "
           "0, the initial count keeps its value (%u, %u)", c1, init);
    timer_stop();
}

static void test_periodic(void)
{
    u32 c, init;
    u64 period = 0, expect;
    bool fired;
    int n;

    timer_stop();
    apic_write(APIC_TDCR, TDCR_DIV1);
    apic_write(APIC_LVTT, APIC_LVTT_PERIODIC | TIMER_VECTOR);
    apic_write(APIC_TMICT, COUNT);
    fired = WAIT(irq_count >= 11, 2 * WAIT_TSC);
    c = apic_read(APIC_TMCCT);
    init = apic_read(APIC_TMICT);
    n = irq_count;
    report(fired, "periodic: it fires again and again (%d interrupts)", n);
    report(c > 0 && c <= COUNT && init == COUNT,
           "periodic: the current count reloads, between 1 and the initial "
           "count (%u, %u)", c, init);
    if (n >= 2) {
        period = (irq_last_tsc - irq_first_tsc) / (n - 1);
    }
    /* What COUNT counts take at the rate test_divide() measured. */
    expect = rate_tsc * (COUNT / RATE_COUNT);
    /*
     * Information only: nested under TCG the period stretches (timer
     * slack, the hypervisors' 200 us minimum period, preemption) by
     * 4-8 times under hwvirt and kvm_amd alike, differently each run.
     */
    report_info("periodic: period %llu TSC ticks, %llu expected from the "
                "measured rate", (unsigned long long)period,
                (unsigned long long)expect);

    /* An initial count of 0 stops it (what was pending may come in). */
    asm volatile("cli");
    apic_write(APIC_TMICT, 0);
    asm volatile("sti");
    quiet(oneshot_tsc / 2);
    n = irq_count;
    quiet(quiet_ticks());
    c = apic_read(APIC_TMCCT);
    report(irq_count == n && c == 0, "periodic: writing initial count 0 "
           "stops it (%d more interrupts, current count %u)",
           irq_count - n, c);
    timer_stop();
}

static void test_masked(void)
{
    bool ran;
    u32 c = 0;

    timer_stop();
    apic_write(APIC_TDCR, TDCR_DIV1);
    apic_write(APIC_LVTT, APIC_LVT_MASKED | APIC_LVTT_ONESHOT |
               TIMER_VECTOR);
    apic_write(APIC_TMICT, COUNT);
    ran = WAIT((c = apic_read(APIC_TMCCT)) == 0, WAIT_TSC);
    report(ran, "masked LVT timer: the count still runs down to 0 (%u)", c);
    quiet(quiet_ticks());
    report(irq_count == 0 && !apic_irr(TIMER_VECTOR),
           "masked LVT timer: no interrupt, none pending (%d, IRR %d)",
           irq_count, apic_irr(TIMER_VECTOR));
    timer_stop();
}

/*
 * TSC ticks for the count to go down by n at divide configuration tdcr:
 * the least of a few tries (being preempted only makes a try longer).
 */
static u64 ticks_for(u32 tdcr, u32 n)
{
    u64 t0, t, best = ~0ULL;
    int i;

    apic_write(APIC_LVTT, APIC_LVT_MASKED | APIC_LVTT_ONESHOT |
               TIMER_VECTOR);
    apic_write(APIC_TDCR, tdcr);
    for (i = 0; i < 5; i++) {
        apic_write(APIC_TMICT, 0xffffffffU);
        t0 = rdtsc();
        WAIT(0xffffffffU - apic_read(APIC_TMCCT) >= n, WAIT_TSC);
        t = rdtsc() - t0;
        apic_write(APIC_TMICT, 0);
        best = t < best ? t : best;
    }
    return best;
}

static void test_divide(void)
{
    u64 d1, d16, d128;
    u32 r;

    timer_stop();
    apic_write(APIC_TDCR, TDCR_DIV128);
    r = apic_read(APIC_TDCR);
    report((r & 0xb) == TDCR_DIV128, "divide configuration reads back "
           "(0x%x for 0x%x)", r, TDCR_DIV128);

    d1 = rate_tsc = ticks_for(TDCR_DIV1, RATE_COUNT);
    d16 = ticks_for(TDCR_DIV16, RATE_COUNT);
    d128 = ticks_for(TDCR_DIV128, RATE_COUNT / 8);
    /* divide by 16 is 16 times slower, by 128 8 times slower still. */
    /*
     * Wide bands: the rates are measured through exits, nested under
     * TCG in the lab, and must not make a timed test that can flake.
     */
    report(d16 > 4 * d1 && d16 < 64 * d1,
           "divide by 16 counts 16 times slower than divide by 1, within a "
           "factor of 4 (%llu and %llu TSC ticks for %u counts)",
           (unsigned long long)d16, (unsigned long long)d1, RATE_COUNT);
    report(d128 > d16 / 4 && d128 < 4 * d16,
           "divide by 128 counts 8 times slower than divide by 16, within a "
           "factor of 4 (%llu ticks for %u counts, %llu for %u)",
           (unsigned long long)d128, RATE_COUNT / 8,
           (unsigned long long)d16, RATE_COUNT);
    apic_write(APIC_TDCR, TDCR_DIV1);
    timer_stop();
}

static void tscdeadline_mode(void)
{
    apic_write(APIC_LVTT, APIC_LVTT_TSCDEADLINE | TIMER_VECTOR);
    /* SDM 11.5.4.1: the LVT write before the MSR write. */
    asm volatile("mfence" : : : "memory");
}

static void test_deadline(void)
{
    u64 gap = quiet_ticks(), dl, r1, r2, t;
    u32 init, cur;
    bool fired;

    if (!HAS_TSC_DEADLINE()) {
        report_skip("TSC-deadline mode not advertised");
        return;
    }
    timer_stop();

    /* One-shot mode: the MSR reads 0 and ignores writes. */
    apic_write(APIC_LVTT, APIC_LVTT_ONESHOT | TIMER_VECTOR);
    dl = rdtsc() + gap;
    wrmsr(MSR_TSC_DEADLINE, dl);
    r1 = rdmsr(MSR_TSC_DEADLINE);
    WAIT(irq_count > 0 || rdtsc() > dl + gap, WAIT_TSC);
    report(r1 == 0 && irq_count == 0, "IA32_TSC_DEADLINE in one-shot mode: "
           "reads 0, a write arms nothing (0x%llx, %d interrupts)",
           (unsigned long long)r1, irq_count);
    timer_stop();

    /* Armed: fires once, when the TSC has reached the deadline. */
    tscdeadline_mode();
    dl = rdtsc() + gap;
    wrmsr(MSR_TSC_DEADLINE, dl);
    r1 = rdmsr(MSR_TSC_DEADLINE);
    fired = WAIT(irq_count > 0, gap + WAIT_TSC);
    t = irq_first_tsc;
    report(r1 == dl, "TSC-deadline: IA32_TSC_DEADLINE reads back the armed "
           "deadline (0x%llx for 0x%llx)", (unsigned long long)r1,
           (unsigned long long)dl);
    report(fired, "TSC-deadline: the interrupt arrives (%d)", irq_count);
    report(fired && t >= dl, "TSC-deadline: not before the TSC reaches the "
           "deadline (TSC in the handler - deadline: %lld)",
           fired ? (long long)(t - dl) : 0LL);
    quiet(gap);
    r1 = rdmsr(MSR_TSC_DEADLINE);
    report(irq_count == 1 && r1 == 0, "TSC-deadline: it fires once, and "
           "IA32_TSC_DEADLINE reads 0 after (%d interrupts, 0x%llx)",
           irq_count, (unsigned long long)r1);

    /* The initial count is not used in TSC-deadline mode. */
    irq_count = 0;
    apic_write(APIC_TMICT, COUNT);
    init = apic_read(APIC_TMICT);
    cur = apic_read(APIC_TMCCT);
    quiet(gap);
    report(init == 0 && cur == 0 && irq_count == 0,
           "TSC-deadline: initial count writes are ignored, the counts read "
           "0 (%u, %u, %d interrupts)", init, cur, irq_count);

    /* Writing 0 disarms. */
    irq_count = 0;
    dl = rdtsc() + gap;
    wrmsr(MSR_TSC_DEADLINE, dl);
    wrmsr(MSR_TSC_DEADLINE, 0);
    r1 = rdmsr(MSR_TSC_DEADLINE);
    WAIT(irq_count > 0 || rdtsc() > dl + gap, gap + WAIT_TSC);
    report(r1 == 0 && irq_count == 0, "TSC-deadline: writing 0 disarms it "
           "(0x%llx, %d interrupts)", (unsigned long long)r1, irq_count);

    /* A deadline already past fires at once. */
    irq_count = 0;
    t = rdtsc();
    wrmsr(MSR_TSC_DEADLINE, t > gap ? t - gap : 1);
    fired = WAIT(irq_count > 0, WAIT_TSC);
    report(fired, "TSC-deadline: a deadline already past fires (%d, after "
           "%llu TSC ticks)", irq_count,
           fired ? (unsigned long long)(irq_first_tsc - t) : 0ULL);
    quiet(gap);
    report(irq_count == 1, "TSC-deadline: a deadline already past fires "
           "once (%d)", irq_count);

    /* Out of TSC-deadline mode and back: the deadline is gone. */
    irq_count = 0;
    dl = rdtsc() + gap;
    wrmsr(MSR_TSC_DEADLINE, dl);
    apic_write(APIC_LVTT, APIC_LVTT_ONESHOT | TIMER_VECTOR);
    r1 = rdmsr(MSR_TSC_DEADLINE);
    tscdeadline_mode();
    r2 = rdmsr(MSR_TSC_DEADLINE);
    WAIT(irq_count > 0 || rdtsc() > dl + gap, gap + WAIT_TSC);
    report(r1 == 0, "TSC-deadline: switched to one-shot mode, "
           "IA32_TSC_DEADLINE reads 0 (0x%llx)", (unsigned long long)r1);
    report(irq_count == 0, "TSC-deadline: switched to one-shot and back, "
           "the deadline was disarmed: no interrupt (%d)", irq_count);
    report(r2 == 0, "TSC-deadline: switched to one-shot and back, "
           "IA32_TSC_DEADLINE reads 0 (0x%llx)", (unsigned long long)r2);

    wrmsr(MSR_TSC_DEADLINE, 0);
    timer_stop();
}

void cf_main(void)
{
    report_info("invariant TSC, CPUID 0x80000007 EDX[8] (%s)",
                HAS_INVARIANT_TSC() ? "yes" : "no");
    test_tsc_reads();
    test_tsc_write();
    test_tsc_adjust();
    if (!setup_apic()) {
        return;
    }
    asm volatile("sti");
    test_oneshot();
    test_divide();
    test_periodic();
    test_masked();
    test_deadline();
    asm volatile("cli");
    report(spurious_count == 0, "no spurious interrupts (%d)",
           spurious_count);
}
