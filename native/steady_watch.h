/*
 * A backup's steady advert stream, counted below JavaScript.
 *
 * A healthy VRRP backup hears its master's advert, byte for byte the same, every Advertisement
 * Interval, and the only thing each one does is push Master_Down_Timer out (RFC 5798 §6.4.2). The
 * engine decides that an advert is such a steady one (its machine and its event-log summarizer
 * both fold it); from then on the socket may count the identical ones itself — a watch — and wake
 * JavaScript only when something differs (another advert: the run so far first, then the
 * datagram), when asked (collect, unwatch), or when Master_Down_Timer would come within
 * `handover` of expiring with no identical advert since (the engine's own precise timer then runs
 * the last stretch, and the takeover is decided in JavaScript as ever).
 *
 * Pure bookkeeping: no socket, no clock, no N-API. Times are CLOCK_MONOTONIC nanoseconds.
 */
#ifndef KTS_STEADY_WATCH_H
#define KTS_STEADY_WATCH_H

#include <stddef.h>
#include <stdint.h>

typedef struct steady_watch {
  /* What an identical advert has: IP source and destination (4 or 16 bytes), TTL / hop limit (-1:
   * the socket reports none) and the VRRP message itself. */
  int addr_len;
  unsigned char src[16];
  unsigned char dst[16];
  int ttl;
  unsigned char *payload;
  size_t len;
  /* Master_Down_Interval, and how long before it runs out the watch hands over. */
  int64_t expire_ns;
  int64_t handover_ns;
  /* The latest identical advert (at the start: the advert the engine armed the watch with). */
  int64_t last_ns;
  /* The run since the last hand-over to JavaScript: its size, first arrival, and largest gap (from
   * the advert before it, then between its own). */
  uint32_t count;
  int64_t first_ns;
  int64_t max_gap_ns;
} steady_watch_t;

/* A run handed to JavaScript. count 0: none since; first/last are then the advert before. */
typedef struct {
  uint32_t count;
  int64_t first_ns;
  int64_t last_ns;
  int64_t max_gap_ns;
} steady_run_t;

/* NULL when out of memory or the sizes make no sense. */
steady_watch_t *steady_watch_new(int addr_len, const unsigned char *src, const unsigned char *dst, int ttl, const unsigned char *payload, size_t len,
                                 int64_t expire_ns, int64_t handover_ns, int64_t armed_at_ns);
void steady_watch_free(steady_watch_t *w);

/* Whether a received advert is the watched one: same source, destination, TTL and bytes. */
int steady_watch_matches(const steady_watch_t *w, const unsigned char *src, const unsigned char *dst, int ttl, const unsigned char *payload, size_t len);

/* An identical advert arrived at `at_ns`. */
void steady_watch_hear(steady_watch_t *w, int64_t at_ns);

/* The run so far; the watch starts a new one (the next gap counts from this run's last). */
steady_run_t steady_watch_take(steady_watch_t *w);

/* When the watch must hand over: Master_Down_Timer's deadline from the latest advert, less `handover`. */
int64_t steady_watch_handover_at(const steady_watch_t *w);

#endif
