/*
 * The steady adverts' own thread: a MASTER's steady adverts (steady_advert.h) go out from here, not
 * from Node's event loop.
 *
 * Why a thread: on the loop, each advert was a loop turn, and a Node loop turn costs more than the
 * advert (Node runs its immediates' bookkeeping, a callback scope and a microtask checkpoint at every
 * turn, whatever woke it): a 1-instance master at 0.1 s used 0.21 % of a core against keepalived's
 * 0.18 %. And an advert due while JavaScript ran — a garbage collection, 50 instances' timers
 * falling due together, a reload — waited for it: at 10 ms adverts a 25 ms stall is a backup's
 * takeover. Here an advert waits for nothing but the kernel.
 *
 * The watchdog: JavaScript may also be stuck for good, and a master whose machine no longer runs must
 * stop advertising, as keepalived's would (a backup then takes over). The loop is alive when it
 * called in lately (every advertise, unadvertise and collect does), or when its thread sleeps in
 * epoll_wait, that is, waits for work (/proc/self/task/TID/syscall, read at most every
 * STEADY_SENDER_IDLE_CHECK_MS, and only once the last sign of life is half a watchdog period old:
 * about once every 1.5 s in a steady state, without waking the loop; a libuv heartbeat timer did
 * this before, at the price of a Node loop turn a second). A loop thread neither seen waiting nor
 * calling in for STEADY_SENDER_WATCHDOG_MS (an endless JavaScript loop, a deadlock, a blocking
 * call) is stuck: the thread sends nothing until it is not, then starts a new grid (no burst of
 * late adverts).
 *
 * The thread also times the socket's steady watches (steady_watch.h) when the caller hands it
 * their hooks (steady_sender_watches): at a watch's hand-over deadline it takes in what the kernel
 * filter counted and, only if a hand-over is still due, wakes the loop. A watched BACKUP's
 * deadline moves out by an interval at every advert, so without this the loop woke about three
 * times a second just to find that out, and a Node loop turn costs ≈ 0.1 ms.
 *
 * Everything the thread touches is behind one mutex (the watches too: the caller holds it, via
 * steady_sender_lock, around whatever the hooks read); the caller never calls JavaScript while
 * holding it. No N-API and no libuv here: a failed send or a due hand-over is reported through
 * `wake`, called on the thread (kts_net.c wakes the loop with uv_async_send); a failed advert
 * stays out of the sending until the loop ends it.
 */
#ifndef KTS_STEADY_SENDER_H
#define KTS_STEADY_SENDER_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "steady_advert.h"

#define STEADY_SENDER_WATCHDOG_MS 3000
#define STEADY_SENDER_IDLE_CHECK_MS 100

/*
 * How early a steady advert may go with another one due at the same wake-up: one wake-up then sends
 * all those of the next ms. A wake-up is most of what an advert costs, and 255 instances at 0.1 s are
 * an advert every 0.4 ms; 1 ms on an interval of 10 ms or more changes no backup's Master_Down_Timer
 * in any way that matters, and the grid stays exact.
 */
#define STEADY_SENDER_SLACK_NS 1000000LL

typedef struct steady_sender {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  pthread_t thread;
  bool running;
  bool stop;
  steady_advert_t *advert[256];
  bool failed[256];
  /* CLOCK_MONOTONIC ns of the loop's last sign of life, and of the last look at its thread. */
  int64_t alive_ns;
  int64_t idle_checked_ns;
  /* The loop's thread (the one that called steady_sender_init). */
  int loop_tid;
  /* Wake-ups the watchdog held back (the loop had not turned for STEADY_SENDER_WATCHDOG_MS). */
  uint64_t held;
  /* Whether the thread got its real-time priority (SCHED_RR 1; needs CAP_SYS_NICE). */
  bool realtime;
  /* Watch deadlines it woke for (each one without a Node loop turn unless a hand-over was due). */
  uint64_t watch_wakeups;
  /* The watches' hooks (NULL: none), called with the lock held: the earliest hand-over deadline
   * (INT64_MAX: none, or one already reported), and at it, whether one is still due. */
  int64_t (*watch_deadline)(void *ctx);
  bool (*watch_due)(void *ctx, int64_t now_ns);
  /* send(ctx, advert): 0 or an errno; wake(ctx): a send failed or a hand-over is due (called on the thread). */
  int (*send)(void *ctx, steady_advert_t *a);
  void (*wake)(void *ctx);
  void *ctx;
} steady_sender_t;

void steady_sender_init(steady_sender_t *t, int (*send)(void *, steady_advert_t *), void (*wake)(void *), void *ctx);
/* Starts the thread if it is not running; 0 or an errno. */
int steady_sender_start(steady_sender_t *t);
/* Stops and joins the thread and frees every advert (their runs are dropped). */
void steady_sender_destroy(steady_sender_t *t);

/* Puts `a` in for `vrid`, replacing (and freeing) what was there; the thread re-aims. */
void steady_sender_put(steady_sender_t *t, int vrid, steady_advert_t *a);
/* Takes the advert of `vrid` out (NULL if none): the caller owns it and its run. */
steady_advert_t *steady_sender_remove(steady_sender_t *t, int vrid);
/* The run so far of `vrid` (count > 0 or errors > 0 only); whether there was one. */
bool steady_sender_take(steady_sender_t *t, int vrid, steady_advert_run_t *run);
/* The first VRID at or after `from` whose send failed (-1 if none). */
int steady_sender_next_failed(steady_sender_t *t, int from);
/* For counters(): whether the thread runs, got its real-time priority, and the watchdog's holds. */
void steady_sender_status(steady_sender_t *t, bool *running, bool *realtime, uint64_t *held, uint64_t *watch_wakeups);
/* Hands the thread the watches' hooks. */
void steady_sender_watches(steady_sender_t *t, int64_t (*deadline)(void *), bool (*due)(void *, int64_t));
/* The lock, for the caller's watch state; unlock_poke also makes the thread look at its deadlines again. */
void steady_sender_lock(steady_sender_t *t);
void steady_sender_unlock(steady_sender_t *t);
void steady_sender_unlock_poke(steady_sender_t *t);

#endif
