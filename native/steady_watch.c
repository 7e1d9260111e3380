/* A backup's steady advert stream, counted below JavaScript: see steady_watch.h. */
#include "steady_watch.h"

#include <stdlib.h>
#include <string.h>

steady_watch_t *steady_watch_new(int addr_len, const unsigned char *src, const unsigned char *dst, int ttl, const unsigned char *payload, size_t len,
                                 int64_t expire_ns, int64_t handover_ns, int64_t armed_at_ns) {
  if ((addr_len != 4 && addr_len != 16) || len == 0 || len > 65535 || expire_ns <= 0 || handover_ns < 0) return NULL;
  steady_watch_t *w = calloc(1, sizeof *w);
  if (!w) return NULL;
  w->payload = malloc(len);
  if (!w->payload) {
    free(w);
    return NULL;
  }
  w->addr_len = addr_len;
  memcpy(w->src, src, (size_t)addr_len);
  memcpy(w->dst, dst, (size_t)addr_len);
  w->ttl = ttl;
  memcpy(w->payload, payload, len);
  w->len = len;
  w->expire_ns = expire_ns;
  w->handover_ns = handover_ns;
  w->last_ns = armed_at_ns;
  return w;
}

void steady_watch_free(steady_watch_t *w) {
  if (!w) return;
  free(w->payload);
  free(w);
}

int steady_watch_matches(const steady_watch_t *w, const unsigned char *src, const unsigned char *dst, int ttl, const unsigned char *payload, size_t len) {
  return len == w->len && ttl == w->ttl && src && dst && memcmp(src, w->src, (size_t)w->addr_len) == 0 && memcmp(dst, w->dst, (size_t)w->addr_len) == 0 &&
         memcmp(payload, w->payload, len) == 0;
}

void steady_watch_hear(steady_watch_t *w, int64_t at_ns) {
  /* Kernel stamps of one socket come in order; a wall-clock step between two could say otherwise:
   * never let the latest arrival go back (it would pull the deadline in). */
  if (at_ns < w->last_ns) at_ns = w->last_ns;
  int64_t gap = at_ns - w->last_ns;
  if (w->count == 0) {
    w->first_ns = at_ns;
    w->max_gap_ns = gap;
  } else if (gap > w->max_gap_ns) {
    w->max_gap_ns = gap;
  }
  w->count++;
  w->last_ns = at_ns;
}

steady_run_t steady_watch_take(steady_watch_t *w) {
  steady_run_t r;
  r.count = w->count;
  r.first_ns = w->count > 0 ? w->first_ns : w->last_ns;
  r.last_ns = w->last_ns;
  r.max_gap_ns = w->count > 0 ? w->max_gap_ns : 0;
  w->count = 0;
  w->max_gap_ns = 0;
  return r;
}

int64_t steady_watch_handover_at(const steady_watch_t *w) { return w->last_ns + w->expire_ns - w->handover_ns; }
