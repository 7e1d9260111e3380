/* A MASTER's steady advert stream, sent below JavaScript: see steady_advert.h. */
#include "steady_advert.h"

#include <stdlib.h>
#include <string.h>

steady_advert_t *steady_advert_new(const unsigned char *frame, size_t len, int addr_len, const unsigned char *dst, const unsigned char *src, int hop_limit,
                                   int64_t interval_ns, int64_t next_ns) {
  if ((addr_len != 4 && addr_len != 16) || len == 0 || len > 65535 || interval_ns <= 0) return NULL;
  if (addr_len == 4 && (len < 20 || (frame[0] >> 4) != 4)) return NULL;
  steady_advert_t *a = calloc(1, sizeof *a);
  if (!a) return NULL;
  a->frame = malloc(len);
  if (!a->frame) {
    free(a);
    return NULL;
  }
  memcpy(a->frame, frame, len);
  a->len = len;
  a->addr_len = addr_len;
  memcpy(a->dst, dst, (size_t)addr_len);
  if (src) memcpy(a->src, src, (size_t)addr_len);
  a->hop_limit = hop_limit;
  a->interval_ns = interval_ns;
  a->next_ns = next_ns;
  return a;
}

void steady_advert_free(steady_advert_t *a) {
  if (!a) return;
  free(a->frame);
  free(a);
}

void steady_advert_next_id(steady_advert_t *a) {
  if (a->addr_len != 4) return;
  /* The header checksum needs no care: with IP_HDRINCL the kernel always fills it in (raw(7)). */
  unsigned char *h = a->frame;
  uint16_t id = (uint16_t)(((h[4] << 8) | h[5]) + 1);
  h[4] = (unsigned char)(id >> 8);
  h[5] = (unsigned char)id;
}

void steady_advert_sent(steady_advert_t *a, int64_t at_ns, int err) {
  if (err == 0) {
    int64_t gap = a->last_ns > 0 ? at_ns - a->last_ns : 0;
    if (a->count == 0) {
      a->first_ns = at_ns;
      a->max_gap_ns = gap;
    } else if (gap > a->max_gap_ns) {
      a->max_gap_ns = gap;
    }
    a->count++;
    a->last_ns = at_ns;
  } else {
    a->errors++;
    a->last_errno = err;
  }
  a->next_ns += a->interval_ns;
  /* A whole interval behind (a stalled loop): a new grid from now, not a burst of late adverts. */
  if (a->next_ns <= at_ns) a->next_ns = at_ns + a->interval_ns;
}

steady_advert_run_t steady_advert_take(steady_advert_t *a) {
  steady_advert_run_t r = {a->count, a->first_ns, a->last_ns, a->max_gap_ns, a->next_ns, a->errors, a->last_errno};
  a->count = 0;
  a->max_gap_ns = 0;
  a->errors = 0;
  a->last_errno = 0;
  return r;
}
