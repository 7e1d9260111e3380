#include "steady_sender.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <limits.h>
#include <string.h>
#include <time.h>

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static struct timespec at(int64_t ns) {
  struct timespec ts = {(time_t)(ns / 1000000000LL), (long)(ns % 1000000000LL)};
  return ts;
}

/* While held by the watchdog: how often the thread looks again whether the loop is back. */
#define HELD_POLL_NS 10000000LL

/* Whether the loop's thread is waiting for work: in epoll_wait / epoll_pwait / epoll_pwait2 now
 * (/proc/self/task/TID/syscall starts with the number of the system call it is blocked in;
 * "running" when it runs). */
static bool loop_waits(const steady_sender_t *t) {
  char path[64], buf[64];
  snprintf(path, sizeof path, "/proc/self/task/%d/syscall", t->loop_tid);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return false;
  buf[n] = 0;
  char *end;
  long nr = strtol(buf, &end, 10);
  if (end == buf) return false;
#ifdef SYS_epoll_wait
  if (nr == SYS_epoll_wait) return true;
#endif
#ifdef SYS_epoll_pwait2
  if (nr == SYS_epoll_pwait2) return true;
#endif
  return nr == SYS_epoll_pwait;
}

/* The watchdog (steady_sender.h): whether the loop is alive at `now`. Once its last sign of life is
 * half a watchdog period old, its thread is looked at (at most every STEADY_SENDER_IDLE_CHECK_MS):
 * caught waiting for work once, it is alive. A loop busy at one look is not stuck; only one never
 * caught waiting (nor calling in) for a whole period is. */
static bool loop_alive(steady_sender_t *t, int64_t now) {
  int64_t age = now - t->alive_ns;
  if (age > STEADY_SENDER_WATCHDOG_MS * 500000LL && now - t->idle_checked_ns >= STEADY_SENDER_IDLE_CHECK_MS * 1000000LL) {
    t->idle_checked_ns = now;
    if (loop_waits(t)) {
      t->alive_ns = now;
      age = 0;
    }
  }
  return age <= STEADY_SENDER_WATCHDOG_MS * 1000000LL;
}

static void *run(void *arg) {
  steady_sender_t *t = arg;
  /* SCHED_RR at the lowest real-time priority where allowed (CAP_SYS_NICE): a due advert then
   * preempts any ordinary task at once, however busy the cores (the other processes' parsing,
   * collection, tcpdump). It wakes, sends and sleeps again: microseconds per advert. */
  struct sched_param sp = {.sched_priority = 1};
  int rt = pthread_setschedparam(pthread_self(), SCHED_RR, &sp);
  pthread_mutex_lock(&t->mu);
  t->realtime = rt == 0;
  while (!t->stop) {
    int64_t now = now_ns();
    /* The watches first: a hand-over due wakes the loop; one that is not (adverts came meanwhile,
     * counted by the kernel) just moves the deadline, and the loop sleeps on. */
    int64_t watch_at = t->watch_deadline ? t->watch_deadline(t->ctx) : INT64_MAX;
    if (watch_at <= now) {
      t->watch_wakeups++;
      if (t->watch_due(t->ctx, now)) t->wake(t->ctx);
      continue;
    }
    int64_t advert_at = INT64_MAX;
    for (int v = 0; v < 256; v++) {
      steady_advert_t *a = t->advert[v];
      if (a && !t->failed[v] && a->next_ns < advert_at) advert_at = a->next_ns;
    }
    bool held = advert_at <= now && !loop_alive(t, now);
    if (advert_at <= now && !held) {
      bool failed = false;
      for (int v = 0; v < 256 && !t->stop; v++) {
        steady_advert_t *a = t->advert[v];
        if (!a || t->failed[v] || a->next_ns > now + STEADY_SENDER_SLACK_NS) continue;
        steady_advert_next_id(a);
        int err = t->send(t->ctx, a);
        steady_advert_sent(a, now_ns(), err);
        /* A failed send goes back to the engine, whose own send path reports it. */
        if (err) failed = t->failed[v] = true;
      }
      if (failed) t->wake(t->ctx);
      continue;
    }
    /* The loop has not turned for too long: nothing goes out for a machine that may not run. */
    if (held) {
      t->held++;
      advert_at = now + HELD_POLL_NS;
    }
    int64_t next = advert_at < watch_at ? advert_at : watch_at;
    if (next == INT64_MAX) {
      pthread_cond_wait(&t->cv, &t->mu);
    } else {
      struct timespec ts = at(next);
      pthread_cond_timedwait(&t->cv, &t->mu, &ts);
    }
  }
  pthread_mutex_unlock(&t->mu);
  return NULL;
}

void steady_sender_init(steady_sender_t *t, int (*send)(void *, steady_advert_t *), void (*wake)(void *), void *ctx) {
  memset(t, 0, sizeof *t);
  /* Priority inheritance: the loop's thread, holding the lock for a moment, runs at the sender's
   * real-time priority meanwhile, so no ordinary task can keep the sender waiting on it. */
  pthread_mutexattr_t ma;
  pthread_mutexattr_init(&ma);
  pthread_mutexattr_setprotocol(&ma, PTHREAD_PRIO_INHERIT);
  pthread_mutex_init(&t->mu, &ma);
  pthread_mutexattr_destroy(&ma);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&t->cv, &ca);
  pthread_condattr_destroy(&ca);
  t->send = send;
  t->wake = wake;
  t->ctx = ctx;
  t->alive_ns = now_ns();
  t->loop_tid = (int)syscall(SYS_gettid);
}

int steady_sender_start(steady_sender_t *t) {
  if (t->running) return 0;
  t->stop = false;
  t->alive_ns = now_ns();
  int err = pthread_create(&t->thread, NULL, run, t);
  if (err) return err;
  t->running = true;
  return 0;
}

void steady_sender_destroy(steady_sender_t *t) {
  if (t->running) {
    pthread_mutex_lock(&t->mu);
    t->stop = true;
    pthread_cond_signal(&t->cv);
    pthread_mutex_unlock(&t->mu);
    pthread_join(t->thread, NULL);
    t->running = false;
  }
  for (int v = 0; v < 256; v++) {
    steady_advert_free(t->advert[v]);
    t->advert[v] = NULL;
    t->failed[v] = false;
  }
}

void steady_sender_put(steady_sender_t *t, int vrid, steady_advert_t *a) {
  pthread_mutex_lock(&t->mu);
  steady_advert_free(t->advert[vrid]);
  t->advert[vrid] = a;
  t->failed[vrid] = false;
  t->alive_ns = now_ns();
  pthread_cond_signal(&t->cv);
  pthread_mutex_unlock(&t->mu);
}

steady_advert_t *steady_sender_remove(steady_sender_t *t, int vrid) {
  pthread_mutex_lock(&t->mu);
  steady_advert_t *a = t->advert[vrid];
  if (a) {
    t->advert[vrid] = NULL;
    t->failed[vrid] = false;
  }
  t->alive_ns = now_ns();
  pthread_mutex_unlock(&t->mu);
  return a;
}

bool steady_sender_take(steady_sender_t *t, int vrid, steady_advert_run_t *r) {
  bool had = false;
  pthread_mutex_lock(&t->mu);
  steady_advert_t *a = t->advert[vrid];
  if (a && (a->count > 0 || a->errors > 0)) {
    *r = steady_advert_take(a);
    had = true;
  }
  t->alive_ns = now_ns();
  pthread_mutex_unlock(&t->mu);
  return had;
}

int steady_sender_next_failed(steady_sender_t *t, int from) {
  int found = -1;
  pthread_mutex_lock(&t->mu);
  for (int v = from < 0 ? 0 : from; v < 256; v++) {
    if (t->advert[v] && t->failed[v]) {
      found = v;
      break;
    }
  }
  pthread_mutex_unlock(&t->mu);
  return found;
}

void steady_sender_status(steady_sender_t *t, bool *running, bool *realtime, uint64_t *held, uint64_t *watch_wakeups) {
  pthread_mutex_lock(&t->mu);
  *running = t->running;
  *realtime = t->realtime;
  *held = t->held;
  *watch_wakeups = t->watch_wakeups;
  pthread_mutex_unlock(&t->mu);
}

void steady_sender_watches(steady_sender_t *t, int64_t (*deadline)(void *), bool (*due)(void *, int64_t)) {
  pthread_mutex_lock(&t->mu);
  t->watch_deadline = deadline;
  t->watch_due = due;
  pthread_cond_signal(&t->cv);
  pthread_mutex_unlock(&t->mu);
}

void steady_sender_lock(steady_sender_t *t) { pthread_mutex_lock(&t->mu); }

void steady_sender_unlock(steady_sender_t *t) { pthread_mutex_unlock(&t->mu); }

void steady_sender_unlock_poke(steady_sender_t *t) {
  pthread_cond_signal(&t->cv);
  pthread_mutex_unlock(&t->mu);
}
