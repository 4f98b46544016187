/*
 * Promela model of the semaphore-based condition variable of patch
 * 0003-sem-condvar (Python/condvar.h with _PY_EMULATED_POSIX_CV=1).
 *
 * WAITERS consumer threads and one producer share a mutex, a counter of
 * tokens (the predicate) and the condition variable.  The producer makes
 * TOKENS tokens; after each it signals or broadcasts (and sometimes signals
 * with no token at all).  A consumer waits while there is no token, each wait
 * chosen to be untimed or timed; any timed wait may time out at any moment,
 * and any sleep may be cut short by a signal handler (EINTR, bounded by
 * EINTR_BUDGET so the search stays finite).
 *
 * Checked by spin (safety mode):
 *   P1  no stealing, no spurious wake-up: a wait returns 0 only if a signal
 *       or broadcast was made while that thread was waiting;
 *   P2  a wake-up is never lost: a waiter picked by a signal returns 0, even
 *       when its timeout fired first, and a wait that returns 0 was picked;
 *   P3  at the end every token was consumed, the waiter list is empty and
 *       every semaphore is back to 0 (no leaked posts);
 *   P4  no deadlock: spin's invalid-end-state check.  Untimed waiters that
 *       lose a wake-up would sleep forever with a token available.
 *
 * With -DSHARED_SEMAPHORE the model instead follows CPython's Windows
 * emulation (_PY_EMULATED_WIN_CV: one semaphore for all waiters plus a
 * count of waiters).  spin must find a violation of P1 there: a thread that
 * starts waiting after a signal can take that signal.  This shows that the
 * model can fail.
 */

#ifndef WAITERS
#define WAITERS 2             /* 2 waiters + the producer: 3 threads */
#endif
#ifndef TOKENS
#define TOKENS WAITERS
#endif
#ifndef EINTR_BUDGET
#define EINTR_BUDGET 1
#endif

#define OK        0
#define TIMEDOUT  1
#define EINTR     2

bool mutex;                   /* the caller's pthread mutex */
byte tokens;                  /* the predicate guarded by the mutex */
byte eintr_left = EINTR_BUDGET;

/* ghost state for the properties */
bool waiting[WAITERS];        /* between registering and returning */
bool signalled_since[WAITERS];/* a signal/broadcast was made meanwhile */
bool picked[WAITERS];         /* unlinked by a signal or broadcast */
byte done;

#ifndef SHARED_SEMAPHORE
/* the emulation: a FIFO of waiters, each with its own semaphore */
byte sem[WAITERS];
bool queued[WAITERS];
byte queue[WAITERS];
byte qlen;
#else
/* the Windows emulation: one semaphore, a count of waiters */
byte shared_sem;
short nwaiting;
#endif

inline lock()   { atomic { !mutex -> mutex = true } }
inline unlock() { mutex = false }

inline note_signal() {
    for (i : 0 .. WAITERS - 1) {
        if
        :: waiting[i] -> signalled_since[i] = true
        :: else -> skip
        fi
    }
}

#ifndef SHARED_SEMAPHORE

/* remove waiter w from the FIFO; the mutex is held */
inline unlink(w) {
    j = 0;
    do
    :: queue[j] == w -> break
    :: else -> j++
    od;
    do
    :: j + 1 < qlen -> queue[j] = queue[j + 1]; j++
    :: else -> break
    od;
    qlen--;
    queue[qlen] = 0;
    queued[w] = false
}

/* PyCOND_SIGNAL / PyCOND_BROADCAST; the mutex is held */
inline wake_one() {
    if
    :: qlen > 0 ->
        w = queue[0];
        unlink(w);
        picked[w] = true;
        sem[w]++                      /* sem_post */
    :: else -> skip
    fi
}

inline cv_signal() {
    note_signal();
    wake_one()
}

inline cv_broadcast() {
    note_signal();
    do
    :: qlen > 0 -> wake_one()
    :: else -> break
    od
}

/* PyCOND_WAIT / PyCOND_TIMEDWAIT; the mutex is held on entry and return */
inline cv_wait(me, timed, res) {
    sem[me] = 0;                      /* sem_init(&w.sem, 0, 0) */
    queue[qlen] = me;                 /* link at the tail */
    qlen++;
    queued[me] = true;
    picked[me] = false;
    waiting[me] = true;
    signalled_since[me] = false;
    unlock();
    do                                /* _PyCOND_Sleep, retried on EINTR */
    :: atomic { sem[me] > 0 -> sem[me]--; err = OK }; break
    :: timed -> err = TIMEDOUT; break
    :: atomic { eintr_left > 0 -> eintr_left-- }   /* EINTR: sleep again */
    od;
    lock();
    if
    :: err != OK && queued[me] ->
        unlink(me);                   /* nobody picked us: a timeout */
        res = TIMEDOUT
    :: err != OK && !queued[me] ->
        /* picked after the clock ran out: the post is already there */
        assert(sem[me] == 1);
        sem[me]--;
        res = OK
    :: err == OK -> res = OK
    fi;
    assert(sem[me] == 0);             /* sem_destroy of an idle semaphore */
    assert(res == OK -> picked[me] : !picked[me]);      /* P2 */
    assert(res != OK || signalled_since[me]);            /* P1 */
    waiting[me] = false
}

#else  /* SHARED_SEMAPHORE */

inline cv_signal() {
    note_signal();
    if
    :: nwaiting > 0 -> nwaiting--; shared_sem++
    :: else -> skip
    fi
}

inline cv_broadcast() {
    note_signal();
    if
    :: nwaiting > 0 -> shared_sem = shared_sem + nwaiting; nwaiting = 0
    :: else -> skip
    fi
}

inline cv_wait(me, timed, res) {
    nwaiting++;
    waiting[me] = true;
    signalled_since[me] = false;
    unlock();
    do
    :: atomic { shared_sem > 0 -> shared_sem--; err = OK }; break
    :: timed -> err = TIMEDOUT; break
    :: atomic { eintr_left > 0 -> eintr_left-- }
    od;
    lock();
    if
    :: err != OK -> nwaiting--; res = TIMEDOUT
    :: else -> res = OK
    fi;
    assert(res != OK || signalled_since[me]);            /* P1 */
    waiting[me] = false
}

#endif  /* SHARED_SEMAPHORE */

proctype consumer(byte me) {
    byte i, j, w, err, res;
    lock();
    do
    :: tokens > 0 -> break
    :: else ->
        if
        :: cv_wait(me, false, res)
        :: cv_wait(me, true, res)
        fi
    od;
    tokens--;
    unlock();
    done++
}

proctype producer() {
    byte i, j, w, made;
    do
    :: made < TOKENS ->
        lock();
        tokens++;
        made++;
        if
        :: cv_signal()
        :: cv_broadcast()
        fi;
        unlock()
#ifndef NO_EMPTY_SIGNAL
    :: made < TOKENS ->
        lock();                       /* a signal with nothing to take */
        cv_signal();
        unlock()
#endif
    :: made == TOKENS -> break
    od;
    done++
}

init {
    byte k;
    atomic {
        for (k : 0 .. WAITERS - 1) {
            run consumer(k)
        }
        run producer()
    }
    done == WAITERS + 1;
    assert(tokens == 0);                                  /* P3 */
#ifndef SHARED_SEMAPHORE
    assert(qlen == 0);
    for (k : 0 .. WAITERS - 1) {
        assert(sem[k] == 0 && !queued[k])
    }
#else
    assert(shared_sem == 0)
#endif
}
