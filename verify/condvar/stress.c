/*
 * Stress test of the PyCOND_* emulation of patch 0003-sem-condvar.
 *
 * Compiled against a patched CPython source tree and its build folder (for
 * pyconfig.h) with _PY_EMULATED_POSIX_CV=1, so that it runs the very inline
 * functions of Python/condvar.h that the GIL runs.  The harness builds it
 * three ways: plain (sem_clockwait), with -DSTRESS_NO_CLOCKWAIT (the
 * sem_timedwait fallback) and with -fsanitize=thread; it also runs the
 * fallback build under valgrind's helgrind.
 *
 * Each scenario checks a property and exits non-zero naming it:
 *   handoff     producers and consumers, timed and untimed waits, signal and
 *               broadcast, SIGUSR1 interrupting the sleeps: every item is
 *               consumed exactly once and nobody hangs;
 *   no-steal    a thread that starts waiting after a signal cannot take it;
 *   exact-wake  k signals to n sleeping waiters wake exactly k of them
 *               (no spurious wake-ups in this emulation);
 *   race        a timed wait picked by a signal returns 0, never 1, however
 *               close the timeout, including a signal made after the
 *               waiter's clock ran out but before it took the mutex back;
 *   timeout     a timed wait with no signal returns 1, no earlier than asked;
 *   errno       errno is the caller's after every call;
 *   fork        after fork() with waiters queued, PyCOND_INIT gives a
 *               working condition in the child.
 * A watchdog (alarm) turns a hang, i.e. a lost wake-up, into a failure.
 *
 * Usage: stress [ROUNDS] [--no-fork] [--no-signals]
 *   ROUNDS scales the work (default 1).  --no-fork skips the fork scenario,
 *   for ThreadSanitizer (no threads after a multi-threaded fork) and helgrind
 *   (which does not know that fork() leaves only one thread in the child).
 *   --no-signals drops the SIGUSR1 storm of the handoff scenario, for
 *   helgrind, which reports every sem_wait() that returns EINTR as a failed
 *   call although the emulation retries it by design; the other runs keep
 *   the storm.
 */
#define Py_BUILD_CORE 1
#include "Python.h"
#ifdef STRESS_NO_CLOCKWAIT
#  undef HAVE_SEM_CLOCKWAIT
#endif
#include "pycore_condvar.h"
#include "condvar.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#if !_PY_EMULATED_POSIX_CV
#  error "build with -D_PY_EMULATED_POSIX_CV=1: this tests the emulation"
#endif

#define ERRNO_MARK 4242

static int rounds = 1;
static int with_signals = 1;    /* --no-signals: no SIGUSR1 storm */

static void
fail(const char *scenario, const char *what)
{
    fprintf(stderr, "stress: FAIL [%s] %s\n", scenario, what);
    exit(1);
}

static void
check(int ok, const char *scenario, const char *what)
{
    if (!ok) {
        fail(scenario, what);
    }
}

static double
now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void
start(pthread_t *t, void *(*func)(void *), void *arg)
{
    if (pthread_create(t, NULL, func, arg) != 0) {
        fail("setup", "pthread_create failed");
    }
}

/* Calls that keep errno: set a mark, call, check the mark. */
static int
cond_wait(const char *scenario, PyCOND_T *cv, PyMUTEX_T *mut)
{
    errno = ERRNO_MARK;
    int r = PyCOND_WAIT(cv, mut);
    check(errno == ERRNO_MARK, scenario, "PyCOND_WAIT changed errno");
    check(r == 0, scenario, "PyCOND_WAIT failed");
    return r;
}

static int
cond_timedwait(const char *scenario, PyCOND_T *cv, PyMUTEX_T *mut,
               long long us)
{
    errno = ERRNO_MARK;
    int r = PyCOND_TIMEDWAIT(cv, mut, us);
    check(errno == ERRNO_MARK, scenario, "PyCOND_TIMEDWAIT changed errno");
    check(r == 0 || r == 1, scenario, "PyCOND_TIMEDWAIT failed");
    return r;
}

static void
cond_wake(const char *scenario, PyCOND_T *cv, int all)
{
    errno = ERRNO_MARK;
    int r = all ? PyCOND_BROADCAST(cv) : PyCOND_SIGNAL(cv);
    check(errno == ERRNO_MARK, scenario, "signal/broadcast changed errno");
    check(r == 0, scenario, "signal/broadcast failed");
}

/* ---- handoff: producers and consumers through a bounded buffer ---- */

#define HANDOFF_PRODUCERS 3
#define HANDOFF_CONSUMERS 4
#define HANDOFF_CAPACITY 4

static struct {
    PyMUTEX_T mut;
    PyCOND_T not_empty;
    PyCOND_T not_full;
    long buffer[HANDOFF_CAPACITY];
    int count;
    long items_per_producer;
    int producers_left;
    long long consumed_sum;
    long consumed_count;
    int interrupting;       /* guarded by flag_lock */
    pthread_mutex_t flag_lock;
    pthread_t consumers[HANDOFF_CONSUMERS];
} h;

static void *
handoff_producer(void *arg)
{
    unsigned seed = (unsigned)(size_t)arg;
    long base = (long)(size_t)arg * h.items_per_producer;
    for (long i = 0; i < h.items_per_producer; i++) {
        PyMUTEX_LOCK(&h.mut);
        while (h.count == HANDOFF_CAPACITY) {
            if (rand_r(&seed) % 2) {
                cond_wait("handoff", &h.not_full, &h.mut);
            }
            else {
                cond_timedwait("handoff", &h.not_full, &h.mut,
                               rand_r(&seed) % 200);
            }
        }
        h.buffer[h.count++] = base + i + 1;
        cond_wake("handoff", &h.not_empty, rand_r(&seed) % 8 == 0);
        PyMUTEX_UNLOCK(&h.mut);
    }
    PyMUTEX_LOCK(&h.mut);
    if (--h.producers_left == 0) {
        cond_wake("handoff", &h.not_empty, 1);
    }
    PyMUTEX_UNLOCK(&h.mut);
    return NULL;
}

static void *
handoff_consumer(void *arg)
{
    unsigned seed = (unsigned)(size_t)arg * 7919u;
    PyMUTEX_LOCK(&h.mut);
    for (;;) {
        while (h.count == 0 && h.producers_left > 0) {
            if (rand_r(&seed) % 2) {
                cond_wait("handoff", &h.not_empty, &h.mut);
            }
            else {
                cond_timedwait("handoff", &h.not_empty, &h.mut,
                               rand_r(&seed) % 300);
            }
        }
        if (h.count == 0) {
            break;
        }
        long item = h.buffer[--h.count];
        h.consumed_sum += item;
        h.consumed_count++;
        cond_wake("handoff", &h.not_full, 0);
    }
    PyMUTEX_UNLOCK(&h.mut);
    return NULL;
}

static int interruptions;     /* atomic */

static void
on_sigusr1(int signum)
{
    int saved_errno = errno;
    (void)signum;
    __atomic_add_fetch(&interruptions, 1, __ATOMIC_RELAXED);
    errno = saved_errno;
}

/* a mutex rather than an atomic flag: helgrind does not model atomics */
static int
interrupting(void)
{
    pthread_mutex_lock(&h.flag_lock);
    int on = h.interrupting;
    pthread_mutex_unlock(&h.flag_lock);
    return on;
}

static void
set_interrupting(int on)
{
    pthread_mutex_lock(&h.flag_lock);
    h.interrupting = on;
    pthread_mutex_unlock(&h.flag_lock);
}

static void *
handoff_interrupter(void *arg)
{
    (void)arg;
    while (interrupting()) {
        for (int i = 0; i < HANDOFF_CONSUMERS; i++) {
            pthread_kill(h.consumers[i], SIGUSR1);
        }
        usleep(200);
    }
    return NULL;
}

static void
scenario_handoff(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_sigusr1;     /* no SA_RESTART: sleeps return EINTR */
    sigaction(SIGUSR1, &sa, NULL);

    memset(&h, 0, sizeof(h));
    PyMUTEX_INIT(&h.mut);
    PyCOND_INIT(&h.not_empty);
    PyCOND_INIT(&h.not_full);
    h.items_per_producer = 20000L * rounds;
    h.producers_left = HANDOFF_PRODUCERS;
    pthread_mutex_init(&h.flag_lock, NULL);
    set_interrupting(1);

    pthread_t producers[HANDOFF_PRODUCERS], interrupter;
    for (int i = 0; i < HANDOFF_CONSUMERS; i++) {
        start(&h.consumers[i], handoff_consumer, (void *)(size_t)(i + 1));
    }
    if (with_signals) {
        start(&interrupter, handoff_interrupter, NULL);
    }
    for (int i = 0; i < HANDOFF_PRODUCERS; i++) {
        start(&producers[i], handoff_producer, (void *)(size_t)i);
    }
    for (int i = 0; i < HANDOFF_PRODUCERS; i++) {
        pthread_join(producers[i], NULL);
    }
    for (int i = 0; i < HANDOFF_CONSUMERS; i++) {
        pthread_join(h.consumers[i], NULL);
    }
    set_interrupting(0);
    if (with_signals) {
        pthread_join(interrupter, NULL);
    }

    long n = HANDOFF_PRODUCERS * h.items_per_producer;
    check(h.consumed_count == n, "handoff", "an item was lost or duplicated");
    check(h.consumed_sum == (long long)n * (n + 1) / 2, "handoff",
          "the consumed items do not add up");
    check(PyCOND_FINI(&h.not_empty) == 0 && PyCOND_FINI(&h.not_full) == 0,
          "handoff", "a waiter is still queued at the end");
    PyMUTEX_FINI(&h.mut);
    pthread_mutex_destroy(&h.flag_lock);
    int interrupted = __atomic_load_n(&interruptions, __ATOMIC_RELAXED);
    check(interrupted > 0 || !with_signals, "handoff",
          "no SIGUSR1 was delivered");
    printf("stress: ok [handoff] %ld items, %d producers, %d consumers, "
           "%d SIGUSR1 interruptions\n", n, HANDOFF_PRODUCERS,
           HANDOFF_CONSUMERS, interrupted);
}

/* ---- shared state of the waiter scenarios ---- */

static struct {
    PyMUTEX_T mut;
    PyCOND_T cv;
    int registered;         /* threads inside a wait (mutex held to read) */
    int returned;           /* waits that returned 0 */
    int finished;           /* waits that returned */
    long long timeout_us;   /* < 0: untimed */
    int result;
} w;

static void
waiters_init(long long timeout_us)
{
    memset(&w, 0, sizeof(w));
    PyMUTEX_INIT(&w.mut);
    PyCOND_INIT(&w.cv);
    w.timeout_us = timeout_us;
}

/* after every waiter has returned: none may be left queued */
static void
waiters_fini(const char *scenario)
{
    check(PyCOND_FINI(&w.cv) == 0, scenario, "a waiter is still queued");
    PyMUTEX_FINI(&w.mut);
}

/* wait once (no predicate loop: the raw return value is the subject) */
static void *
waiter_once(void *arg)
{
    const char *scenario = arg;
    PyMUTEX_LOCK(&w.mut);
    w.registered++;
    int r = (w.timeout_us < 0)
        ? cond_wait(scenario, &w.cv, &w.mut)
        : cond_timedwait(scenario, &w.cv, &w.mut, w.timeout_us);
    w.registered--;
    if (r == 0) {
        w.returned++;
    }
    w.result = r;
    w.finished++;
    PyMUTEX_UNLOCK(&w.mut);
    return NULL;
}

/* poll, taking the mutex each time, until n threads are inside a wait
   (or have already left it) */
static void
await_registered(int n)
{
    for (;;) {
        PyMUTEX_LOCK(&w.mut);
        int k = w.registered + w.finished;
        PyMUTEX_UNLOCK(&w.mut);
        if (k >= n) {
            return;
        }
        usleep(100);
    }
}

/* ---- no-steal: a later arrival cannot take an earlier thread's signal ---- */

static void
scenario_no_steal(void)
{
    int n = 200 * rounds;
    for (int i = 0; i < n; i++) {
        waiters_init(-1);
        pthread_t early;
        start(&early, waiter_once, "no-steal");
        await_registered(1);                /* early is queued */
        PyMUTEX_LOCK(&w.mut);
        cond_wake("no-steal", &w.cv, 0);    /* meant for early */
        PyMUTEX_UNLOCK(&w.mut);
        /* late arrives before early has run again: a shared semaphore
           would let it take the post */
        PyMUTEX_LOCK(&w.mut);
        w.registered++;
        int r = cond_timedwait("no-steal", &w.cv, &w.mut, 2000);
        w.registered--;
        PyMUTEX_UNLOCK(&w.mut);
        pthread_join(early, NULL);
        check(r == 1, "no-steal", "a later waiter took an earlier signal");
        check(w.returned == 1, "no-steal", "the earlier waiter was not woken");
        waiters_fini("no-steal");
    }
    printf("stress: ok [no-steal] %d rounds\n", n);
}

/* ---- exact-wake: k signals wake exactly k waiters ---- */

#define EXACT_WAITERS 6

static void
scenario_exact_wake(void)
{
    int n = 50 * rounds;
    for (int i = 0; i < n; i++) {
        waiters_init(-1);
        pthread_t t[EXACT_WAITERS];
        for (int k = 0; k < EXACT_WAITERS; k++) {
            start(&t[k], waiter_once, "exact-wake");
        }
        await_registered(EXACT_WAITERS);
        for (int k = 1; k < EXACT_WAITERS; k++) {
            PyMUTEX_LOCK(&w.mut);
            cond_wake("exact-wake", &w.cv, 0);
            PyMUTEX_UNLOCK(&w.mut);
            for (;;) {                      /* until the woken one is out */
                PyMUTEX_LOCK(&w.mut);
                int ret = w.returned;
                PyMUTEX_UNLOCK(&w.mut);
                check(ret <= k, "exact-wake", "a signal woke two waiters");
                if (ret == k) {
                    break;
                }
                usleep(50);
            }
        }
        usleep(1000);                       /* room for a spurious wake-up */
        PyMUTEX_LOCK(&w.mut);
        check(w.returned == EXACT_WAITERS - 1, "exact-wake",
              "a waiter woke without a signal");
        cond_wake("exact-wake", &w.cv, 1);  /* the last one by broadcast */
        PyMUTEX_UNLOCK(&w.mut);
        for (int k = 0; k < EXACT_WAITERS; k++) {
            pthread_join(t[k], NULL);
        }
        check(w.returned == EXACT_WAITERS, "exact-wake",
              "broadcast missed a waiter");
        waiters_fini("exact-wake");
    }
    printf("stress: ok [exact-wake] %d rounds of %d waiters\n",
           n, EXACT_WAITERS);
}

/* ---- race: a signal racing the timeout is never lost ---- */

static void
scenario_race(void)
{
    int n = 3000 * rounds, picked = 0, timed_out = 0;
    unsigned seed = 12345;
    for (int i = 0; i < n; i++) {
        waiters_init((i % 4 == 0) ? 500 + rand_r(&seed) % 500
                                  : rand_r(&seed) % 60);
        pthread_t t;
        start(&t, waiter_once, "race");
        int sent = 0;
        if (i % 4 == 0) {
            /* Deterministic race: hold the mutex past the waiter's timeout,
               so that its clock runs out while it is still queued, then
               signal it before it can take the mutex back. */
            await_registered(1);
            PyMUTEX_LOCK(&w.mut);
            usleep((useconds_t)w.timeout_us + 2000);
        }
        else {
            usleep(rand_r(&seed) % 80);
            PyMUTEX_LOCK(&w.mut);
        }
        if (w.registered) {           /* still inside its wait: signal it */
            cond_wake("race", &w.cv, 0);
            sent = 1;
        }
        PyMUTEX_UNLOCK(&w.mut);
        pthread_join(t, NULL);
        if (sent) {
            check(w.result == 0, "race",
                  "a signalled waiter reported a timeout");
            picked++;
        }
        else {
            timed_out += (w.result == 1);
            check(w.result == 1, "race", "woke without a signal");
        }
        waiters_fini("race");
    }
    printf("stress: ok [race] %d rounds: %d signalled, %d timed out\n",
           n, picked, timed_out);
}

/* ---- timeout: no signal, returns 1 after at least the timeout ---- */

static void
scenario_timeout(void)
{
    static const long long timeouts_us[] = {0, 1, 500, 20000, 100000};
    waiters_init(-1);
    for (size_t i = 0; i < sizeof(timeouts_us) / sizeof(timeouts_us[0]); i++) {
        long long us = timeouts_us[i];
        PyMUTEX_LOCK(&w.mut);
        double t0 = now();
        int r = cond_timedwait("timeout", &w.cv, &w.mut, us);
        double elapsed = now() - t0;
        PyMUTEX_UNLOCK(&w.mut);
        check(r == 1, "timeout", "an unsignalled timed wait returned 0");
        check(elapsed >= us * 1e-6, "timeout", "returned before the timeout");
        check(elapsed < us * 1e-6 + 2.0, "timeout", "returned far too late");
    }
    waiters_fini("timeout");
    printf("stress: ok [timeout] 0 us to 100 ms\n");
}

/* ---- fork: the child re-initialises, as recreate_gil() does ---- */

static void
scenario_fork(void)
{
    waiters_init(-1);
    pthread_t t[3];
    for (int k = 0; k < 3; k++) {
        start(&t[k], waiter_once, "fork");
    }
    await_registered(3);
    PyMUTEX_LOCK(&w.mut);
    pid_t pid = fork();
    if (pid == 0) {
        /* the queued waiters do not exist here */
        PyMUTEX_INIT(&w.mut);
        PyCOND_INIT(&w.cv);
        w.registered = w.returned = 0;
        pthread_t c;
        start(&c, waiter_once, "fork");
        await_registered(1);
        PyMUTEX_LOCK(&w.mut);
        cond_wake("fork", &w.cv, 0);
        PyMUTEX_UNLOCK(&w.mut);
        pthread_join(c, NULL);
        _exit(w.returned == 1 && PyCOND_FINI(&w.cv) == 0 ? 0 : 3);
    }
    check(pid > 0, "fork", "fork() failed");
    cond_wake("fork", &w.cv, 1);
    PyMUTEX_UNLOCK(&w.mut);
    for (int k = 0; k < 3; k++) {
        pthread_join(t[k], NULL);
    }
    int status;
    check(waitpid(pid, &status, 0) == pid, "fork", "waitpid failed");
    check(WIFEXITED(status) && WEXITSTATUS(status) == 0, "fork",
          "the condition did not work in the child");
    check(w.returned == 3, "fork", "the parent's waiters were not woken");
    waiters_fini("fork");
    printf("stress: ok [fork] with 3 waiters queued\n");
}

int
main(int argc, char **argv)
{
    int with_fork = 1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--no-fork") == 0) {
            with_fork = 0;
        }
        else if (strcmp(argv[i], "--no-signals") == 0) {
            with_signals = 0;
        }
        else if ((rounds = atoi(argv[i])) < 1) {
            fprintf(stderr, "usage: %s [ROUNDS >= 1] [--no-fork] "
                    "[--no-signals]\n", argv[0]);
            return 2;
        }
    }
    alarm(600);     /* a lost wake-up hangs; SIGALRM then kills us */
    setvbuf(stdout, NULL, _IOLBF, 0);
#if defined(HAVE_SEM_CLOCKWAIT) && !defined(_Py_THREAD_SANITIZER)
    printf("stress: timed waits use sem_clockwait(CLOCK_MONOTONIC)\n");
#else
    printf("stress: timed waits use the sem_timedwait() fallback\n");
#endif
    scenario_timeout();
    scenario_no_steal();
    scenario_exact_wake();
    scenario_race();
    scenario_handoff();
    if (with_fork) {
        scenario_fork();
    }
    else {
        printf("stress: skipped [fork] (--no-fork)\n");
    }
    printf("stress: all scenarios passed\n");
    return 0;
}
