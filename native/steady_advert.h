/*
 * A MASTER's steady advert stream, sent below JavaScript.
 *
 * A healthy VRRP master sends the same advert every Advertisement Interval and nothing else happens
 * (RFC 5798 §6.4.3): the engine decides that its advert timer's step is such a steady one (its
 * machine and its summarizer both fold it) and hands the socket the packet it just sent and the
 * timer's grid; the socket then sends it at each point of the grid itself, counting, until the
 * engine takes it back (unadvertise, collect) or a send fails. The grid is keepalived's and the
 * engine's: start + n × interval, and a new grid from now when a whole interval behind (no burst).
 *
 * Pure bookkeeping: no socket, no clock, no N-API. Times are CLOCK_MONOTONIC nanoseconds.
 */
#ifndef KTS_STEADY_ADVERT_H
#define KTS_STEADY_ADVERT_H

#include <stddef.h>
#include <stdint.h>

typedef struct steady_advert {
  /* What goes on the wire: a whole IPv4 packet (IP_HDRINCL; its id changes at every send) or an
   * IPv6 payload, to `dst` (4 or 16 bytes), from `src` (IPv6, in IPV6_PKTINFO). */
  unsigned char *frame;
  size_t len;
  int addr_len;
  unsigned char dst[16];
  unsigned char src[16];
  int hop_limit;
  int64_t interval_ns;
  int64_t next_ns;
  /* The run since the last hand-over: adverts sent, the first and the last send, the largest gap
   * between two sends (from the send before the run, when there was one). */
  uint32_t count;
  int64_t first_ns;
  int64_t last_ns;
  int64_t max_gap_ns;
  /* Sends that failed since the last hand-over (errno of the last one). */
  uint32_t errors;
  int last_errno;
} steady_advert_t;

typedef struct {
  uint32_t count;
  int64_t first_ns;
  int64_t last_ns;
  int64_t max_gap_ns;
  /* The grid's next point: where the engine's own timer takes over. */
  int64_t next_ns;
  uint32_t errors;
  int last_errno;
} steady_advert_run_t;

/* NULL when out of memory or the sizes make no sense. */
steady_advert_t *steady_advert_new(const unsigned char *frame, size_t len, int addr_len, const unsigned char *dst, const unsigned char *src, int hop_limit,
                                   int64_t interval_ns, int64_t next_ns);
void steady_advert_free(steady_advert_t *a);

/* An IPv4 frame's next identification (a no-op for IPv6). */
void steady_advert_next_id(steady_advert_t *a);

/* The advert due at the grid point went out at `at_ns` (ok) or failed with `err`; the grid moves on. */
void steady_advert_sent(steady_advert_t *a, int64_t at_ns, int err);

/* The run so far; a new one starts. */
steady_advert_run_t steady_advert_take(steady_advert_t *a);

#endif
