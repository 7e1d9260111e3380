/*
 * kts_net: the two socket operations Node cannot do by itself and raw-socket does not offer.
 *
 *  - packetSend(ifindex, frame): send a complete Ethernet frame on an AF_PACKET SOCK_RAW socket
 *    (gratuitous ARP, unsolicited NA: their Ethernet source / ARP sender must be chosen by us).
 *  - Raw6Socket: an IPv6 raw socket (protocol 112 for VRRP) whose receive path uses recvmsg with
 *    IPV6_RECVHOPLIMIT and IPV6_RECVPKTINFO, because RFC 5798 §7.1 requires the receiver to check
 *    the hop limit is 255, and an IPv6 raw socket never hands the IPv6 header to user space.
 *  - Raw4Socket: its IPv4 twin (the datagram comes with its IP header, so no ancillary data but the
 *    stamp), sending whole IPv4 packets built by the caller (IP_HDRINCL).
 *
 * Both have SO_TIMESTAMPNS on and report each datagram's age (now - the kernel's receive stamp),
 * because a VRRP backup's Master_Down_Timer counts from when the advert arrived, not from when a
 * busy event loop got round to reading it. Both are driven by a libuv poll handle on the main
 * loop, and callbacks into JS are made directly from it (napi_make_callback). The one thread of
 * their own is the steady thread (steady_sender.h: it sends the steady adverts and times the
 * watches' hand-overs), which never touches JS or libuv but for uv_async_send.
 *
 * Errors are thrown as Error objects with `code` set to the errno name ("ENODEV", ...).
 */
#include <node_api.h>
#include <uv.h>

#include "exec_self.h"
#include "memory.h"
#include "steady_advert.h"
#include "steady_bpf.h"
#include "steady_sender.h"
#include "steady_watch.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/timerfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define RECV_BUFFER 8192

static int packet_fd = -1;

static napi_value throw_errno(napi_env env, const char *what, int err) {
  char msg[256];
  const char *name = strerrorname_np(err);
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
  napi_throw_error(env, name ? name : "EUNKNOWN", msg);
  return NULL;
}

static napi_value throw_type(napi_env env, const char *msg) {
  napi_throw_type_error(env, NULL, msg);
  return NULL;
}

static int get_int(napi_env env, napi_value v, int32_t *out) {
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_number) return 0;
  return napi_get_value_int32(env, v, out) == napi_ok;
}

static int get_bytes(napi_env env, napi_value v, void **data, size_t *len) {
  bool is;
  if (napi_is_buffer(env, v, &is) == napi_ok && is) return napi_get_buffer_info(env, v, data, len) == napi_ok;
  if (napi_is_typedarray(env, v, &is) == napi_ok && is) {
    napi_typedarray_type type;
    size_t count, offset;
    napi_value ab;
    void *base;
    if (napi_get_typedarray_info(env, v, &type, &count, &base, &ab, &offset) != napi_ok || type != napi_uint8_array) return 0;
    *data = base;
    *len = count;
    return 1;
  }
  return 0;
}

/* packetSend(ifindex: number, frame: Uint8Array): number (bytes sent). */
static napi_value packet_send(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int32_t ifindex;
  void *frame;
  size_t len;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 2 || !get_int(env, argv[0], &ifindex) || ifindex <= 0) return throw_type(env, "packetSend: ifindex must be a positive integer");
  if (!get_bytes(env, argv[1], &frame, &len)) return throw_type(env, "packetSend: frame must be a Uint8Array");
  if (len < ETH_HLEN || len > 9216) return throw_type(env, "packetSend: frame must be 14..9216 bytes");
  if (packet_fd < 0) {
    /* Protocol 0: this socket only sends, the kernel queues nothing to it. */
    packet_fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (packet_fd < 0) return throw_errno(env, "packetSend: socket(AF_PACKET)", errno);
  }
  const unsigned char *f = frame;
  struct sockaddr_ll sll;
  memset(&sll, 0, sizeof sll);
  sll.sll_family = AF_PACKET;
  sll.sll_ifindex = ifindex;
  sll.sll_protocol = htons((uint16_t)((f[12] << 8) | f[13]));
  sll.sll_halen = ETH_ALEN;
  memcpy(sll.sll_addr, f, ETH_ALEN);
  ssize_t n = sendto(packet_fd, frame, len, 0, (struct sockaddr *)&sll, sizeof sll);
  if (n < 0) return throw_errno(env, "packetSend: sendto", errno);
  napi_value r;
  napi_create_int64(env, n, &r);
  return r;
}

/* ---- Raw4Socket / Raw6Socket: what they share ---- */

typedef struct {
  napi_env env;
  int family; /* AF_INET or AF_INET6 */
  int fd;
  int ifindex;
  uv_poll_t *poll; /* NULL once closed */
  napi_ref on_message;
  napi_async_context async_ctx;
  /* Steady watches (steady_watch.h), one per VRID, handed over before a Master_Down_Timer would run
   * out (timed by the sender thread, below); onSteady gets their runs. */
  steady_watch_t *watch[256];
  int watches;
  /* Steady adverts (steady_advert.h), one per VRID, sent by their own thread (steady_sender.h),
   * which also times the watches' hand-overs and wakes the loop through sender_async when a send
   * failed or a hand-over is due. Made at the first watch or advertise. The watches, the kernel filter's ring and the
   * orphans are under the sender's lock (LOCK / UNLOCK): the thread reads the ring too. */
  steady_sender_t sender;
  uv_async_t *sender_async;
  /* Set by the sender thread when a watch's hand-over is due (it woke the loop), cleared by the
   * loop once it has handed over: meanwhile the thread does not wake it again for the same. */
  bool handover_pending;
  napi_ref on_steady;
  /*
   * The watches' kernel filter (steady_bpf.h), attached at the first watch unless switched off
   * (kernelWatches) or refused (bpf_errno, once: then the software watch alone, as before). Adverts
   * it counted and the process reads from its ring at the next wake-up; `orphan`: those read after
   * their watch had ended (the filter took them just before its entry went off), to onMessage.
   */
  steady_bpf_t *bpf;
  bool kernel_watches;
  int bpf_errno;
  double reads;
  double kernel_heard;
  struct {
    int vrid;
    int64_t at_ns;
  } *orphan;
  size_t orphans, orphan_cap;
  bool delivering_orphans;
  /* Inside drain_queue: a callback that asks for a drain gets none (buf holds the current datagram). */
  bool draining;
  unsigned char buf[RECV_BUFFER];
} raw_t;

/* The steady sender's callbacks (with the advertise section below). */
static int sender_send(void *ctx, steady_advert_t *a);
static void sender_wake(void *ctx);
static bool ensure_sender(napi_env env, raw_t *s);

/* The sender's lock around the watches and the ring. UNLOCK_POKE when a deadline may have come
 * nearer (a new watch, hand-overs done): the thread aims again. A deadline that moved out needs no
 * poke: the thread wakes at the old one and finds nothing due. */
#define LOCK(s) steady_sender_lock(&(s)->sender)
#define UNLOCK(s) steady_sender_unlock(&(s)->sender)
#define UNLOCK_POKE(s) steady_sender_unlock_poke(&(s)->sender)

static const char *class_name(const raw_t *s) { return s->family == AF_INET ? "Raw4Socket" : "Raw6Socket"; }

static void on_poll_closed(uv_handle_t *h) { free(h); }

/* What a raw socket and a MonoTimer share: a polled fd and a JS callback. Lets go of all three. */
static void close_polled(napi_env env, uv_poll_t **poll, int *fd, napi_ref *callback) {
  if (*poll) {
    uv_poll_stop(*poll);
    uv_close((uv_handle_t *)*poll, on_poll_closed);
    *poll = NULL;
  }
  if (*fd >= 0) {
    close(*fd);
    *fd = -1;
  }
  if (*callback) {
    napi_delete_reference(env, *callback);
    *callback = NULL;
  }
}

/* Calls callback(...args) from the loop; an exception thrown there is reported as an uncaught
 * exception, like any other event callback's. */
static void call_js(napi_env env, napi_async_context ctx, napi_ref callback, size_t argc, napi_value *args) {
  napi_value cb, recv, result;
  if (!callback || napi_get_reference_value(env, callback, &cb) != napi_ok || !cb) return;
  /* MakeCallback needs an object receiver; the global object, as for a plain function call. */
  napi_get_global(env, &recv);
  if (napi_make_callback(env, ctx, recv, cb, argc, args, &result) == napi_pending_exception) {
    napi_value exc;
    napi_get_and_clear_last_exception(env, &exc);
    napi_fatal_exception(env, exc);
  }
}

static void raw_close(raw_t *s) {
  /* The sender first: it sends on s->fd. */
  steady_sender_destroy(&s->sender);
  if (s->sender_async) {
    uv_close((uv_handle_t *)s->sender_async, on_poll_closed);
    s->sender_async = NULL;
  }
  close_polled(s->env, &s->poll, &s->fd, &s->on_message);
  if (s->on_steady) {
    napi_delete_reference(s->env, s->on_steady);
    s->on_steady = NULL;
  }
  for (int v = 0; v < 256; v++) {
    steady_watch_free(s->watch[v]);
    s->watch[v] = NULL;
  }
  s->watches = 0;
  steady_bpf_free(s->bpf, -1); /* the socket is closed: the filter went with it */
  s->bpf = NULL;
  free(s->orphan);
  s->orphan = NULL;
  s->orphans = s->orphan_cap = 0;
}

static napi_value copy_buffer(napi_env env, const void *data, size_t len) {
  napi_value b;
  void *unused;
  napi_create_buffer_copy(env, len, data, &unused, &b);
  return b;
}

/* Calls onMessage(...args). */
static void deliver(raw_t *s, size_t argc, napi_value *args) { call_js(s->env, s->async_ctx, s->on_message, argc, args); }

/* A recvmsg failure as an Error with `code`, for onMessage's first argument. */
static napi_value errno_error(napi_env env, int err) {
  napi_value code, text, e;
  const char *name = strerrorname_np(err);
  napi_create_string_utf8(env, name ? name : "EUNKNOWN", NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, strerror(err), NAPI_AUTO_LENGTH, &text);
  napi_create_error(env, code, text, &e);
  return e;
}

/* The SCM_TIMESTAMPNS of a received message, or NULL when the kernel gave none. */
static const struct timespec *rx_stamp(struct msghdr *msg, struct timespec *out) {
  for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS && c->cmsg_len >= CMSG_LEN(sizeof *out)) {
      memcpy(out, CMSG_DATA(c), sizeof *out);
      return out->tv_sec == 0 && out->tv_nsec == 0 ? NULL : out;
    }
  }
  return NULL;
}

/* ageNs for onMessage: CLOCK_REALTIME now minus the kernel's stamp (the stamp is CLOCK_REALTIME),
 * taken just before the callback; -1 without a stamp, 0 if the clock was stepped back past it. */
static napi_value age_ns(napi_env env, const struct timespec *stamp) {
  double age = -1;
  if (stamp) {
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    int64_t d = (int64_t)(now.tv_sec - stamp->tv_sec) * 1000000000LL + (int64_t)(now.tv_nsec - stamp->tv_nsec);
    age = d < 0 ? 0 : (double)d;
  }
  napi_value v;
  napi_create_double(env, age, &v);
  return v;
}

static int64_t mono_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* When a datagram with this kernel stamp arrived, on CLOCK_MONOTONIC (the stamp is CLOCK_REALTIME,
 * which may be stepped: only the age is taken from it). Now without a stamp. */
static int64_t arrival_mono_ns(const struct timespec *stamp) {
  int64_t now = mono_ns();
  if (!stamp) return now;
  struct timespec rt;
  clock_gettime(CLOCK_REALTIME, &rt);
  int64_t age = (int64_t)(rt.tv_sec - stamp->tv_sec) * 1000000000LL + (int64_t)(rt.tv_nsec - stamp->tv_nsec);
  return age > 0 ? now - age : now;
}

/*
 * onSteady(vrid, count, firstAgeNs, lastAgeNs, maxGapNs, ended, kind, nextInNs, errors, errorCode):
 * a run, its times as ages at this call (as ageNs is for a datagram). kind 0: a watch's (adverts
 * heard; nextInNs 0); kind 1: a steady advert's (adverts sent; nextInNs how far off the
 * grid's next point is, errors the sends that failed and errorCode the last one's errno name).
 */
static void call_on_steady(raw_t *s, int vrid, uint32_t count, int64_t first_ns, int64_t last_ns, int64_t max_gap_ns, bool ended, int kind, int64_t next_ns,
                           uint32_t errors, int err) {
  napi_env env = s->env;
  napi_handle_scope scope;
  if (!s->on_steady || napi_open_handle_scope(env, &scope) != napi_ok) return;
  int64_t now = mono_ns();
  napi_value args[10];
  napi_create_int32(env, vrid, &args[0]);
  napi_create_uint32(env, count, &args[1]);
  napi_create_double(env, (double)(now - first_ns), &args[2]);
  napi_create_double(env, (double)(now - last_ns), &args[3]);
  napi_create_double(env, (double)max_gap_ns, &args[4]);
  napi_get_boolean(env, ended, &args[5]);
  napi_create_int32(env, kind, &args[6]);
  napi_create_double(env, kind == 1 ? (double)(next_ns - now) : 0, &args[7]);
  napi_create_uint32(env, errors, &args[8]);
  const char *name = err ? strerrorname_np(err) : NULL;
  if (name) napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &args[9]);
  else napi_get_undefined(env, &args[9]);
  call_js(env, s->async_ctx, s->on_steady, 10, args);
  napi_close_handle_scope(env, scope);
}

static void deliver_run(raw_t *s, int vrid, steady_run_t run, bool ended) {
  call_on_steady(s, vrid, run.count, run.first_ns, run.last_ns, run.max_gap_ns, ended, 0, 0, 0, 0);
}

static void deliver_advert_run(raw_t *s, int vrid, steady_advert_run_t run, bool ended) {
  int64_t now = mono_ns();
  call_on_steady(s, vrid, run.count, run.count ? run.first_ns : now, run.count ? run.last_ns : now, run.max_gap_ns, ended, 1, run.next_ns, run.errors, run.last_errno);
}

/* End the steady advert of `vrid`: out of the table first, then its last run to onSteady (ended). */
static bool end_advert(raw_t *s, int vrid) {
  steady_advert_t *a = steady_sender_remove(&s->sender, vrid);
  if (!a) return false;
  steady_advert_run_t run = steady_advert_take(a);
  steady_advert_free(a);
  deliver_advert_run(s, vrid, run, true);
  return true;
}

/* An advert the kernel filter counted: to its watch, or kept to go to onMessage (deliver_orphans). */
static void on_kernel_heard(void *ctx, int vrid, int64_t at_ns) {
  raw_t *s = ctx;
  s->kernel_heard++;
  if (s->watch[vrid]) {
    steady_watch_hear(s->watch[vrid], at_ns);
    return;
  }
  if (s->orphans == s->orphan_cap) {
    size_t cap = s->orphan_cap ? 2 * s->orphan_cap : 16;
    void *grown = realloc(s->orphan, cap * sizeof *s->orphan);
    if (!grown) return;
    s->orphan = grown;
    s->orphan_cap = cap;
  }
  s->orphan[s->orphans].vrid = vrid;
  s->orphan[s->orphans++].at_ns = at_ns;
}

/* What the kernel filter counted since the last time, to the watches. No JavaScript. With the lock
 * held (the sender thread reads the ring too). */
static void ring_take(raw_t *s) {
  if (s->bpf) steady_bpf_drain(s->bpf, on_kernel_heard, s);
}

/* The adverts the filter counted after their watch had ended, to onMessage as the datagrams they
 * were (the entry's, byte for byte in what a watch compares; an IPv4 header with id 0). */
static void deliver_orphans(raw_t *s) {
  napi_env env = s->env;
  napi_handle_scope scope;
  if (s->delivering_orphans) return;
  /* Taken out under the lock (the sender thread may add more meanwhile), delivered outside it. */
  LOCK(s);
  size_t n = s->orphans;
  struct {
    int vrid;
    int64_t at_ns;
  } *orphan = n ? malloc(n * sizeof *orphan) : NULL;
  if (orphan) memcpy(orphan, s->orphan, n * sizeof *orphan);
  if (orphan || n == 0) s->orphans = 0;
  UNLOCK(s);
  if (!orphan) return;
  if (napi_open_handle_scope(env, &scope) != napi_ok) {
    free(orphan);
    return;
  }
  s->delivering_orphans = true;
  for (size_t i = 0; i < n && s->fd >= 0 && s->bpf; i++) {
    const unsigned char *d;
    size_t len = steady_bpf_datagram(s->bpf, orphan[i].vrid, &d);
    if (len == 0) continue;
    napi_value args[7], age;
    napi_create_double(env, (double)(mono_ns() - orphan[i].at_ns), &age);
    napi_get_undefined(env, &args[0]);
    if (s->family == AF_INET) {
      args[1] = copy_buffer(env, d, len);
      args[2] = age;
      deliver(s, 3, args);
    } else {
      args[1] = copy_buffer(env, d + 40, len - 40);
      args[2] = copy_buffer(env, d + 8, 16);
      args[3] = copy_buffer(env, d + 24, 16);
      napi_create_int32(env, d[7], &args[4]);
      napi_create_int32(env, s->ifindex, &args[5]);
      args[6] = age;
      deliver(s, 7, args);
    }
  }
  free(orphan);
  s->delivering_orphans = false;
  napi_close_handle_scope(env, scope);
}

/* End the watch of `vrid`: its kernel entry off and what the filter counted taken in, out of the
 * table (onSteady may watch it again), then its last run to onSteady with ended = true. Returns
 * whether there was one. */
static bool end_watch(raw_t *s, int vrid) {
  LOCK(s);
  steady_watch_t *w = s->watch[vrid];
  if (!w) {
    UNLOCK(s);
    return false;
  }
  if (s->bpf) {
    steady_bpf_unwatch(s->bpf, vrid);
    ring_take(s);
  }
  s->watch[vrid] = NULL;
  s->watches--;
  steady_run_t run = steady_watch_take(w);
  UNLOCK(s);
  steady_watch_free(w);
  deliver_run(s, vrid, run, true);
  deliver_orphans(s);
  return true;
}

/* Read up to `max` queued datagrams, each to onMessage — or, when it is the advert a watch waits
 * for, to that watch; stop at EAGAIN. Returns how many were read. A subscriber may close the
 * socket from inside the callback: checked every round. */
static uint32_t drain_queue(raw_t *s, uint32_t max) {
  napi_env env = s->env;
  napi_handle_scope scope;
  uint32_t delivered = 0;
  if (s->draining || napi_open_handle_scope(env, &scope) != napi_ok) return 0;
  s->draining = true;
  for (uint32_t round = 0; round < max && s->fd >= 0 && s->poll; round++) {
    struct sockaddr_in6 from; /* large enough for a sockaddr_in too */
    union {
      struct cmsghdr align;
      unsigned char space[CMSG_SPACE(sizeof(int)) + CMSG_SPACE(sizeof(struct in6_pktinfo)) + CMSG_SPACE(sizeof(struct timespec))];
    } control;
    struct iovec iov = {s->buf, sizeof s->buf};
    struct msghdr msg;
    memset(&msg, 0, sizeof msg);
    msg.msg_name = &from;
    msg.msg_namelen = sizeof from;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.space;
    msg.msg_controllen = sizeof control.space;
    ssize_t n = recvmsg(s->fd, &msg, MSG_DONTWAIT);
    /* Raw4Socket: (err, packet, ageNs); Raw6Socket: (err, payload, src, dst, hopLimit, ifindex, ageNs). */
    size_t argc = s->family == AF_INET ? 3 : 7;
    napi_value args[7];
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) break;
      for (size_t i = 0; i < argc; i++) napi_get_undefined(env, &args[i]);
      args[0] = errno_error(env, errno);
      deliver(s, argc, args);
      break;
    }
    delivered++;
    s->reads++;
    struct timespec stamp_space;
    const struct timespec *stamp = rx_stamp(&msg, &stamp_space);
    size_t len = (size_t)n > sizeof s->buf ? sizeof s->buf : (size_t)n;
    int hop_limit = -1;
    int ifindex = s->ifindex;
    const struct in6_addr *dst6 = NULL;
    if (s->family == AF_INET6) {
      for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != IPPROTO_IPV6) continue;
        if (c->cmsg_type == IPV6_HOPLIMIT && c->cmsg_len >= CMSG_LEN(sizeof(int))) {
          memcpy(&hop_limit, CMSG_DATA(c), sizeof(int));
        } else if (c->cmsg_type == IPV6_PKTINFO && c->cmsg_len >= CMSG_LEN(sizeof(struct in6_pktinfo))) {
          struct in6_pktinfo *pi = (struct in6_pktinfo *)CMSG_DATA(c);
          dst6 = &pi->ipi6_addr;
          ifindex = (int)pi->ipi6_ifindex;
        }
      }
    }
    if (s->watches > 0) {
      /* The VRRP message, its VRID and the IP fields a watch compares. */
      const unsigned char *vrrp = NULL, *src = NULL, *dst = NULL;
      size_t vlen = 0;
      int ttl = -1;
      if (s->family == AF_INET) {
        size_t ihl = (size_t)(s->buf[0] & 0x0f) * 4;
        if (len >= 20 && ihl >= 20 && len >= ihl + 2) {
          vrrp = s->buf + ihl;
          vlen = len - ihl;
          src = s->buf + 12;
          dst = s->buf + 16;
          ttl = s->buf[8];
        }
      } else if (len >= 2) {
        vrrp = s->buf;
        vlen = len;
        src = (const unsigned char *)&from.sin6_addr;
        dst = (const unsigned char *)dst6; /* NULL: never matches */
        ttl = hop_limit;
      }
      steady_watch_t *w = vrrp ? s->watch[vrrp[1]] : NULL;
      if (w) {
        /* What the filter counted came before this datagram. */
        LOCK(s);
        ring_take(s);
        bool heard = ifindex == s->ifindex && steady_watch_matches(w, src, dst, ttl, vrrp, vlen);
        if (heard) steady_watch_hear(w, arrival_mono_ns(stamp));
        UNLOCK(s);
        if (heard) continue;
        /* Something else for that VRID: the run so far first, then the datagram, in order. */
        end_watch(s, vrrp[1]);
        if (s->fd < 0 || !s->poll) break;
      }
    }
    for (size_t i = 0; i < argc; i++) napi_get_undefined(env, &args[i]);
    args[1] = copy_buffer(env, s->buf, len);
    if (s->family == AF_INET) {
      args[2] = age_ns(env, stamp);
    } else {
      args[2] = copy_buffer(env, &from.sin6_addr, 16);
      if (dst6) args[3] = copy_buffer(env, dst6, 16);
      napi_create_int32(env, hop_limit, &args[4]);
      napi_create_int32(env, ifindex, &args[5]);
      args[6] = age_ns(env, stamp);
    }
    deliver_orphans(s);
    if (s->fd < 0 || !s->poll) break;
    deliver(s, argc, args);
  }
  s->draining = false;
  napi_close_handle_scope(env, scope);
  return delivered;
}

/* One readable wake-up: drain what is queued, bounded so a flood cannot starve the loop. */
static void on_readable(uv_poll_t *h, int status, int events) {
  (void)status;
  (void)events;
  drain_queue(h->data, 64);
}

static void raw_finalize(napi_env env, void *data, void *hint) {
  raw_t *s = data;
  raw_close(s);
  /* Not in raw_close: close() may be called from inside the callback this context belongs to. */
  if (s->async_ctx) napi_async_destroy(env, s->async_ctx);
  free(s);
}

static raw_t *unwrap(napi_env env, napi_callback_info info, int family, size_t *argc, napi_value *argv) {
  napi_value self;
  raw_t *s = NULL;
  napi_get_cb_info(env, info, argc, argv, &self, NULL);
  if (napi_unwrap(env, self, (void **)&s) != napi_ok || !s || s->family != family) {
    throw_type(env, family == AF_INET ? "Raw4Socket: not a socket" : "Raw6Socket: not a socket");
    return NULL;
  }
  return s;
}

/*
 * new RawNSocket(ifname: string, ifindex: number, protocol: number, onMessage: Function): a raw
 * socket of `family` bound to the device, non-blocking, SO_TIMESTAMPNS on, plus the family's own
 * receive options; polled on the main loop.
 */
static napi_value raw_new(napi_env env, napi_callback_info info, int family) {
  size_t argc = 5;
  napi_value argv[5], self;
  char ifname[IFNAMSIZ];
  char what[96];
  const char *cls = family == AF_INET ? "Raw4Socket" : "Raw6Socket";
  size_t namelen;
  int32_t ifindex, protocol;
  napi_valuetype t;
  napi_get_cb_info(env, info, &argc, argv, &self, NULL);
  /* Measure first: napi_get_value_string_utf8 would silently cut a long name to another one. */
  if (argc < 4 || napi_get_value_string_utf8(env, argv[0], NULL, 0, &namelen) != napi_ok || namelen == 0 || namelen >= IFNAMSIZ ||
      napi_get_value_string_utf8(env, argv[0], ifname, sizeof ifname, &namelen) != napi_ok) {
    snprintf(what, sizeof what, "%s: ifname must be a non-empty string of at most 15 bytes", cls);
    return throw_type(env, what);
  }
  if (!get_int(env, argv[1], &ifindex) || ifindex <= 0) {
    snprintf(what, sizeof what, "%s: ifindex must be a positive integer", cls);
    return throw_type(env, what);
  }
  if (!get_int(env, argv[2], &protocol) || protocol < 0 || protocol > 255) {
    snprintf(what, sizeof what, "%s: protocol must be 0..255", cls);
    return throw_type(env, what);
  }
  if (napi_typeof(env, argv[3], &t) != napi_ok || t != napi_function) {
    snprintf(what, sizeof what, "%s: onMessage must be a function", cls);
    return throw_type(env, what);
  }
  bool has_on_steady = false;
  if (argc >= 5 && napi_typeof(env, argv[4], &t) == napi_ok && t != napi_undefined) {
    if (t != napi_function) {
      snprintf(what, sizeof what, "%s: onSteady must be a function", cls);
      return throw_type(env, what);
    }
    has_on_steady = true;
  }

  int fd = socket(family, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
  if (fd < 0) {
    snprintf(what, sizeof what, "%s: socket(%s, SOCK_RAW)", cls, family == AF_INET ? "AF_INET" : "AF_INET6");
    return throw_errno(env, what, errno);
  }
  int on = 1;
  if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, (socklen_t)namelen + 1) < 0 ||
      setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof on) < 0 ||
      (family == AF_INET6 && (setsockopt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &on, sizeof on) < 0 ||
                              setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof on) < 0))) {
    int err = errno;
    close(fd);
    snprintf(what, sizeof what, "%s: setsockopt", cls);
    return throw_errno(env, what, err);
  }

  raw_t *s = calloc(1, sizeof *s);
  if (!s) {
    close(fd);
    return throw_errno(env, cls, ENOMEM);
  }
  s->env = env;
  s->family = family;
  s->fd = fd;
  steady_sender_init(&s->sender, sender_send, sender_wake, s);
  s->kernel_watches = true;
  s->ifindex = ifindex;
  s->poll = malloc(sizeof *s->poll);
  uv_loop_t *loop;
  napi_value resource_name;
  napi_get_uv_event_loop(env, &loop);
  napi_create_string_utf8(env, family == AF_INET ? "kts_net.Raw4Socket" : "kts_net.Raw6Socket", NAPI_AUTO_LENGTH, &resource_name);
  if (!s->poll || uv_poll_init(loop, s->poll, fd) != 0) {
    free(s->poll);
    s->poll = NULL;
    raw_close(s);
    free(s);
    snprintf(what, sizeof what, "%s: uv_poll_init", cls);
    return throw_errno(env, what, EINVAL);
  }
  s->poll->data = s;
  napi_create_reference(env, argv[3], 1, &s->on_message);
  if (has_on_steady) napi_create_reference(env, argv[4], 1, &s->on_steady);
  napi_async_init(env, NULL, resource_name, &s->async_ctx);
  uv_poll_start(s->poll, UV_READABLE, on_readable);
  napi_wrap(env, self, s, raw_finalize, NULL, NULL);
  return self;
}

/* setOption(level: number, name: number, value: number | Uint8Array): void */
static napi_value raw_set_option(napi_env env, napi_callback_info info, int family) {
  size_t argc = 3;
  napi_value argv[3];
  raw_t *s = unwrap(env, info, family, &argc, argv);
  char what[64];
  int32_t level, name, ival;
  void *data;
  size_t len;
  if (!s) return NULL;
  snprintf(what, sizeof what, "%s.setOption", class_name(s));
  if (s->fd < 0) return throw_errno(env, what, EBADF);
  if (argc < 3 || !get_int(env, argv[0], &level) || !get_int(env, argv[1], &name)) return throw_type(env, "setOption(level, name, value)");
  int r;
  if (get_int(env, argv[2], &ival)) r = setsockopt(s->fd, level, name, &ival, sizeof ival);
  else if (get_bytes(env, argv[2], &data, &len)) r = setsockopt(s->fd, level, name, data, (socklen_t)len);
  else return throw_type(env, "setOption: value must be a number or a Uint8Array");
  if (r < 0) return throw_errno(env, what, errno);
  return NULL;
}

static napi_value raw_close_js(napi_env env, napi_callback_info info, int family) {
  size_t argc = 0;
  raw_t *s = unwrap(env, info, family, &argc, NULL);
  if (s) raw_close(s);
  return NULL;
}

/* ---- Raw4Socket ---- */

static napi_value raw4_new(napi_env env, napi_callback_info info) { return raw_new(env, info, AF_INET); }
static napi_value raw4_set_option(napi_env env, napi_callback_info info) { return raw_set_option(env, info, AF_INET); }
static napi_value raw4_close_js(napi_env env, napi_callback_info info) { return raw_close_js(env, info, AF_INET); }

/*
 * drain(): number — deliver every datagram already queued on the socket now, synchronously, without
 * the wake-up's bound; returns how many. Before a backup acts on a Master_Down_Timer expiry, the
 * adverts waiting behind a busy loop must be heard first (their receive times are older than the
 * expiry, so they may well be the master's latest).
 */
static napi_value raw_drain_js(napi_env env, napi_callback_info info, int family) {
  size_t argc = 0;
  raw_t *s = unwrap(env, info, family, &argc, NULL);
  if (!s) return NULL;
  napi_value r;
  napi_create_uint32(env, s->fd >= 0 && s->poll ? drain_queue(s, 1u << 20) : 0, &r);
  return r;
}
static napi_value raw4_drain_js(napi_env env, napi_callback_info info) { return raw_drain_js(env, info, AF_INET); }
static napi_value raw6_drain_js(napi_env env, napi_callback_info info) { return raw_drain_js(env, info, AF_INET6); }

/* One datagram out: a whole IPv4 packet (IP_HDRINCL) to dst, or an IPv6 payload to dst with src in
 * IPV6_PKTINFO and the hop limit in IPV6_HOPLIMIT (-1 / NULL: the socket's). 0 or the errno. */
static int raw_send_frame(raw_t *s, const void *frame, size_t len, const unsigned char *dst, const unsigned char *src, int hop_limit) {
  if (s->fd < 0) return EBADF;
  if (s->family == AF_INET) {
    struct sockaddr_in to;
    memset(&to, 0, sizeof to);
    to.sin_family = AF_INET;
    memcpy(&to.sin_addr, dst, 4);
    return sendto(s->fd, frame, len, MSG_DONTWAIT, (struct sockaddr *)&to, sizeof to) < 0 ? errno : 0;
  }
  struct sockaddr_in6 to;
  memset(&to, 0, sizeof to);
  to.sin6_family = AF_INET6;
  memcpy(&to.sin6_addr, dst, 16);
  to.sin6_scope_id = (uint32_t)s->ifindex;
  union {
    struct cmsghdr align;
    unsigned char space[CMSG_SPACE(sizeof(int)) + CMSG_SPACE(sizeof(struct in6_pktinfo))];
  } control;
  memset(&control, 0, sizeof control);
  struct iovec iov = {(void *)frame, len};
  struct msghdr msg;
  memset(&msg, 0, sizeof msg);
  msg.msg_name = &to;
  msg.msg_namelen = sizeof to;
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  size_t clen = 0;
  msg.msg_control = control.space;
  msg.msg_controllen = sizeof control.space;
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  if (hop_limit >= 0) {
    c->cmsg_level = IPPROTO_IPV6;
    c->cmsg_type = IPV6_HOPLIMIT;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &hop_limit, sizeof(int));
    clen += CMSG_SPACE(sizeof(int));
    c = (struct cmsghdr *)(control.space + clen);
  }
  if (src) {
    struct in6_pktinfo pi;
    memset(&pi, 0, sizeof pi);
    memcpy(&pi.ipi6_addr, src, 16);
    pi.ipi6_ifindex = (unsigned)s->ifindex;
    c->cmsg_level = IPPROTO_IPV6;
    c->cmsg_type = IPV6_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof pi);
    memcpy(CMSG_DATA(c), &pi, sizeof pi);
    clen += CMSG_SPACE(sizeof pi);
  }
  msg.msg_controllen = clen;
  if (clen == 0) msg.msg_control = NULL;
  return sendmsg(s->fd, &msg, MSG_DONTWAIT) < 0 ? errno : 0;
}

/* ---- steady watches (steady_watch.h) and steady adverts (steady_advert.h) ---- */

/* The sender thread's watch hooks (steady_sender.h), called with the lock held: the earliest
 * hand-over deadline, and at it, whether one is still due once the kernel's counts are in. */
static int64_t watch_deadline(void *ctx) {
  raw_t *s = ctx;
  int64_t earliest = INT64_MAX;
  if (s->handover_pending || s->watches == 0) return earliest;
  for (int v = 0; v < 256; v++) {
    if (s->watch[v]) {
      int64_t at = steady_watch_handover_at(s->watch[v]);
      if (at < earliest) earliest = at;
    }
  }
  return earliest;
}

static bool watch_due(void *ctx, int64_t now) {
  raw_t *s = ctx;
  ring_take(s);
  for (int v = 0; v < 256; v++) {
    if (s->watch[v] && steady_watch_handover_at(s->watch[v]) <= now) return s->handover_pending = true;
  }
  return false;
}

/* On the loop, woken by the thread for a due hand-over: hand over every watch whose deadline has
 * come (reading what is queued first: an identical advert waiting there would push it out). */
static void handover_due(raw_t *s) {
  drain_queue(s, 1u << 20);
  bool due[256];
  LOCK(s);
  ring_take(s);
  int64_t now = mono_ns();
  for (int v = 0; v < 256; v++) due[v] = s->watch[v] && steady_watch_handover_at(s->watch[v]) <= now;
  UNLOCK(s);
  for (int v = 0; v < 256 && s->fd >= 0; v++) {
    if (due[v]) end_watch(s, v);
  }
  LOCK(s);
  s->handover_pending = false;
  UNLOCK_POKE(s);
  deliver_orphans(s);
}

/*
 * watch(vrid, src, dst, ttl, payload, expireMs, handoverMs, armedAgeMs): count from now on the
 * adverts of `vrid` identical to this one (IP source and destination of 4 / 16 bytes, TTL or hop
 * limit, -1 for none, and the VRRP message) without calling onMessage; the advert the watch starts
 * from arrived armedAgeMs ago. Hands over (onSteady with ended = true) handoverMs before expireMs
 * passes with no identical advert. Replaces a watch of that VRID (its run is dropped: the caller
 * has just heard the advert itself). The socket's second constructor-given callback: onSteady.
 */
static napi_value raw_watch_js(napi_env env, napi_callback_info info, int family) {
  size_t argc = 8;
  napi_value argv[8];
  raw_t *s = unwrap(env, info, family, &argc, argv);
  int32_t vrid, ttl;
  void *src, *dst, *payload;
  size_t slen, dlen, plen;
  double expire_ms, handover_ms, age_ms;
  size_t alen = family == AF_INET ? 4 : 16;
  if (!s) return NULL;
  if (s->fd < 0) return throw_errno(env, "watch", EBADF);
  if (argc < 8 || !get_int(env, argv[0], &vrid) || vrid < 0 || vrid > 255 || !get_bytes(env, argv[1], &src, &slen) || slen != alen ||
      !get_bytes(env, argv[2], &dst, &dlen) || dlen != alen || !get_int(env, argv[3], &ttl) || !get_bytes(env, argv[4], &payload, &plen) ||
      napi_get_value_double(env, argv[5], &expire_ms) != napi_ok || napi_get_value_double(env, argv[6], &handover_ms) != napi_ok ||
      napi_get_value_double(env, argv[7], &age_ms) != napi_ok || !(expire_ms > 0) || !(handover_ms >= 0) || !(age_ms >= 0))
    return throw_type(env, "watch(vrid, src, dst, ttl, payload, expireMs, handoverMs, armedAgeMs)");
  if (!s->on_steady) return throw_type(env, "watch: the socket was made without onSteady");
  if (!ensure_sender(env, s)) return NULL;
  /* Adverts the filter counted before this call belong to what was watched before it. */
  LOCK(s);
  ring_take(s);
  UNLOCK(s);
  deliver_orphans(s);
  if (s->fd < 0) return throw_errno(env, "watch", EBADF);
  int64_t armed_at = mono_ns() - (int64_t)(age_ms * 1e6);
  steady_watch_t *w = steady_watch_new((int)alen, src, dst, ttl, payload, plen, (int64_t)(expire_ms * 1e6), (int64_t)(handover_ms * 1e6), armed_at);
  if (!w) return throw_type(env, "watch: bad sizes (payload 1..65535 bytes) or out of memory");
  LOCK(s);
  steady_watch_t *old = s->watch[vrid];
  if (!old) s->watches++;
  s->watch[vrid] = w;
  if (s->kernel_watches && !s->bpf && s->bpf_errno == 0) {
    s->bpf = steady_bpf_attach(s->fd, family, s->ifindex);
    if (!s->bpf) s->bpf_errno = errno ? errno : EINVAL;
  }
  /* Too long, or no TTL to compare: the software watch alone counts this one. */
  if (s->bpf) steady_bpf_watch(s->bpf, vrid, src, dst, ttl, payload, plen);
  UNLOCK_POKE(s); /* the thread aims at the new deadline */
  steady_watch_free(old);
  return NULL;
}

/* unwatch(vrid) / unadvertise(vrid): boolean — end that VRID's watch / steady advert now, its last
 * run to onSteady (ended) synchronously; whether there was one. */
static napi_value raw_end_js(napi_env env, napi_callback_info info, int family, bool (*end)(raw_t *, int), const char *usage) {
  size_t argc = 1;
  napi_value argv[1], r;
  raw_t *s = unwrap(env, info, family, &argc, argv);
  int32_t vrid;
  if (!s) return NULL;
  if (argc < 1 || !get_int(env, argv[0], &vrid) || vrid < 0 || vrid > 255) return throw_type(env, usage);
  bool had = end(s, vrid);
  napi_get_boolean(env, had, &r);
  return r;
}

/* collect(): number — every watch's run so far (count > 0 only) to onSteady, not ended; how many. */
static napi_value raw_collect_js(napi_env env, napi_callback_info info, int family) {
  size_t argc = 0;
  napi_value r;
  raw_t *s = unwrap(env, info, family, &argc, NULL);
  uint32_t runs = 0;
  if (!s) return NULL;
  /* The watches' runs taken under the lock, delivered outside it. */
  steady_run_t *taken = malloc(256 * sizeof *taken);
  bool had[256];
  if (!taken) return throw_errno(env, "collect", ENOMEM);
  LOCK(s);
  ring_take(s);
  for (int v = 0; v < 256; v++) {
    had[v] = s->watch[v] && s->watch[v]->count > 0;
    if (had[v]) taken[v] = steady_watch_take(s->watch[v]);
  }
  UNLOCK(s);
  for (int v = 0; v < 256 && s->fd >= 0; v++) {
    if (had[v]) {
      deliver_run(s, v, taken[v], false);
      runs++;
    }
  }
  free(taken);
  for (int v = 0; v < 256 && s->fd >= 0; v++) {
    steady_advert_run_t run;
    if (steady_sender_take(&s->sender, v, &run)) {
      deliver_advert_run(s, v, run, false);
      runs++;
    }
  }
  deliver_orphans(s);
  napi_create_uint32(env, runs, &r);
  return r;
}

/* kernelWatches(on?): boolean — switch the watches' kernel filter (steady_bpf.h) on or off (off:
 * detached, what it counted taken in first); whether it is on now. On by default. */
static napi_value raw_kernel_watches_js(napi_env env, napi_callback_info info, int family) {
  size_t argc = 1;
  napi_value argv[1], r;
  raw_t *s = unwrap(env, info, family, &argc, argv);
  if (!s) return NULL;
  bool on;
  if (argc >= 1 && napi_get_value_bool(env, argv[0], &on) == napi_ok) {
    s->kernel_watches = on;
    if (!on && s->bpf) {
      LOCK(s);
      ring_take(s);
      steady_bpf_free(s->bpf, s->fd);
      s->bpf = NULL;
      UNLOCK(s);
      deliver_orphans(s);
    }
  }
  napi_get_boolean(env, s->kernel_watches, &r);
  return r;
}

/* counters(): {reads, kernelHeard, kernelFilter, kernelError} — datagrams read from the socket,
 * adverts the kernel filter counted instead, whether it is attached, and why not (errno name). */
static napi_value raw_counters_js(napi_env env, napi_callback_info info, int family) {
  size_t argc = 0;
  raw_t *s = unwrap(env, info, family, &argc, NULL);
  if (!s) return NULL;
  LOCK(s);
  ring_take(s); /* to the watches; any orphan waits for the next delivery */
  double kernel_heard = s->kernel_heard;
  UNLOCK(s);
  napi_value o, v;
  napi_create_object(env, &o);
  napi_create_double(env, s->reads, &v);
  napi_set_named_property(env, o, "reads", v);
  napi_create_double(env, kernel_heard, &v);
  napi_set_named_property(env, o, "kernelHeard", v);
  napi_get_boolean(env, s->bpf != NULL, &v);
  napi_set_named_property(env, o, "kernelFilter", v);
  const char *name = s->bpf_errno ? strerrorname_np(s->bpf_errno) : NULL;
  if (name) napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &v);
  else napi_get_undefined(env, &v);
  napi_set_named_property(env, o, "kernelError", v);
  bool running, realtime;
  uint64_t held, watch_wakeups;
  steady_sender_status(&s->sender, &running, &realtime, &held, &watch_wakeups);
  napi_get_boolean(env, running, &v);
  napi_set_named_property(env, o, "senderThread", v);
  napi_get_boolean(env, realtime, &v);
  napi_set_named_property(env, o, "senderRealtime", v);
  napi_create_double(env, (double)held, &v);
  napi_set_named_property(env, o, "senderHeld", v);
  napi_create_double(env, (double)watch_wakeups, &v);
  napi_set_named_property(env, o, "watchWakeups", v);
  return o;
}

/* The sender thread's send (s->fd lives as long as the thread: raw_close joins it first). */
static int sender_send(void *ctx, steady_advert_t *a) {
  raw_t *s = ctx;
  return raw_send_frame(s, a->frame, a->len, a->dst, a->addr_len == 16 ? a->src : NULL, a->hop_limit);
}

/* On the sender thread: a send failed or a hand-over is due; the loop sees to it (on_sender_wake). */
static void sender_wake(void *ctx) {
  raw_t *s = ctx;
  if (s->sender_async) uv_async_send(s->sender_async);
}

/* On the loop: every advert whose send failed ends, its run (with the error) to onSteady; the
 * watches whose hand-over is due hand over. */
static void on_sender_wake(uv_async_t *h) {
  raw_t *s = h->data;
  for (int v = steady_sender_next_failed(&s->sender, 0); v >= 0 && s->fd >= 0; v = steady_sender_next_failed(&s->sender, v + 1)) end_advert(s, v);
  LOCK(s);
  bool pending = s->handover_pending;
  UNLOCK(s);
  if (pending && s->fd >= 0) handover_due(s);
}

/* The sender thread and its wake-up handle, made at the first watch or advertise. The handle does
 * not keep the loop alive (unref'd): the socket's own poll handle does. */
static bool ensure_sender(napi_env env, raw_t *s) {
  if (s->sender_async) return true;
  uv_loop_t *loop;
  napi_get_uv_event_loop(env, &loop);
  uv_async_t *async = malloc(sizeof *async);
  if (!async || uv_async_init(loop, async, on_sender_wake) != 0) {
    free(async);
    throw_errno(env, "advertise: uv_async_init", ENOMEM);
    return false;
  }
  async->data = s;
  uv_unref((uv_handle_t *)async);
  s->sender_async = async;
  steady_sender_watches(&s->sender, watch_deadline, watch_due);
  int err = steady_sender_start(&s->sender);
  if (err) {
    throw_errno(env, "advertise: pthread_create", err);
    return false;
  }
  return true;
}

/*
 * advertise(vrid, frame, dst, src, hopLimit, intervalMs, firstDueInMs): send `frame` (IPv4: the whole
 * packet, whose id the socket renews at each send; IPv6: the payload, from
 * `src` (16 bytes, or null) with `hopLimit` (-1: the socket's)) to `dst` at every point of the grid
 * that starts firstDueInMs from now, every intervalMs; runs to onSteady (kind 1). Replaces a steady
 * advert of that VRID (its run is dropped).
 */
static napi_value raw_advertise_js(napi_env env, napi_callback_info info, int family) {
  size_t argc = 7;
  napi_value argv[7];
  raw_t *s = unwrap(env, info, family, &argc, argv);
  int32_t vrid, hop_limit;
  void *frame, *dst, *src = NULL;
  size_t flen, dlen, slen = 0;
  double interval_ms, due_in_ms;
  size_t alen = family == AF_INET ? 4 : 16;
  napi_valuetype t;
  if (!s) return NULL;
  if (s->fd < 0) return throw_errno(env, "advertise", EBADF);
  if (argc < 7 || !get_int(env, argv[0], &vrid) || vrid < 0 || vrid > 255 || !get_bytes(env, argv[1], &frame, &flen) || !get_bytes(env, argv[2], &dst, &dlen) ||
      dlen != alen || !get_int(env, argv[4], &hop_limit) || napi_get_value_double(env, argv[5], &interval_ms) != napi_ok ||
      napi_get_value_double(env, argv[6], &due_in_ms) != napi_ok || !(interval_ms > 0))
    return throw_type(env, "advertise(vrid, frame, dst, src, hopLimit, intervalMs, firstDueInMs)");
  if (napi_typeof(env, argv[3], &t) == napi_ok && t != napi_null && t != napi_undefined) {
    if (!get_bytes(env, argv[3], &src, &slen) || slen != alen) return throw_type(env, "advertise: src must be as long as dst, or null");
  }
  if (!s->on_steady) return throw_type(env, "advertise: the socket was made without onSteady");
  if (!ensure_sender(env, s)) return NULL;
  int64_t next = mono_ns() + (int64_t)(due_in_ms * 1e6);
  steady_advert_t *a = steady_advert_new(frame, flen, (int)alen, dst, src, hop_limit, (int64_t)(interval_ms * 1e6), next);
  if (!a) return throw_type(env, "advertise: bad frame or sizes, or out of memory");
  steady_sender_put(&s->sender, vrid, a);
  return NULL;
}

static napi_value raw4_advertise_js(napi_env env, napi_callback_info info) { return raw_advertise_js(env, info, AF_INET); }
static napi_value raw6_advertise_js(napi_env env, napi_callback_info info) { return raw_advertise_js(env, info, AF_INET6); }
static napi_value raw4_unadvertise_js(napi_env env, napi_callback_info info) { return raw_end_js(env, info, AF_INET, end_advert, "unadvertise(vrid)"); }
static napi_value raw6_unadvertise_js(napi_env env, napi_callback_info info) { return raw_end_js(env, info, AF_INET6, end_advert, "unadvertise(vrid)"); }

static napi_value raw4_watch_js(napi_env env, napi_callback_info info) { return raw_watch_js(env, info, AF_INET); }
static napi_value raw6_watch_js(napi_env env, napi_callback_info info) { return raw_watch_js(env, info, AF_INET6); }
static napi_value raw4_unwatch_js(napi_env env, napi_callback_info info) { return raw_end_js(env, info, AF_INET, end_watch, "unwatch(vrid)"); }
static napi_value raw6_unwatch_js(napi_env env, napi_callback_info info) { return raw_end_js(env, info, AF_INET6, end_watch, "unwatch(vrid)"); }
static napi_value raw4_kernel_watches_js(napi_env env, napi_callback_info info) { return raw_kernel_watches_js(env, info, AF_INET); }
static napi_value raw6_kernel_watches_js(napi_env env, napi_callback_info info) { return raw_kernel_watches_js(env, info, AF_INET6); }
static napi_value raw4_counters_js(napi_env env, napi_callback_info info) { return raw_counters_js(env, info, AF_INET); }
static napi_value raw6_counters_js(napi_env env, napi_callback_info info) { return raw_counters_js(env, info, AF_INET6); }
static napi_value raw4_collect_js(napi_env env, napi_callback_info info) { return raw_collect_js(env, info, AF_INET); }
static napi_value raw6_collect_js(napi_env env, napi_callback_info info) { return raw_collect_js(env, info, AF_INET6); }

/*
 * send(packet: Uint8Array, dst: Uint8Array(4)): number — one sendto of a whole IPv4 packet: with
 * IP_HDRINCL set (setOption) the caller's header goes on the wire as built.
 */
static napi_value raw4_send(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  raw_t *s = unwrap(env, info, AF_INET, &argc, argv);
  void *packet, *dst;
  size_t plen, dlen;
  if (!s) return NULL;
  if (s->fd < 0) return throw_errno(env, "Raw4Socket.send", EBADF);
  if (argc < 2 || !get_bytes(env, argv[0], &packet, &plen) || !get_bytes(env, argv[1], &dst, &dlen) || dlen != 4)
    return throw_type(env, "send(packet, dst4)");
  int err = raw_send_frame(s, packet, plen, dst, NULL, -1);
  if (err) return throw_errno(env, "Raw4Socket.send", err);
  napi_value r;
  napi_create_int64(env, (int64_t)plen, &r);
  return r;
}

/* ---- Raw6Socket ---- */

static napi_value raw6_new(napi_env env, napi_callback_info info) { return raw_new(env, info, AF_INET6); }
static napi_value raw6_set_option(napi_env env, napi_callback_info info) { return raw_set_option(env, info, AF_INET6); }
static napi_value raw6_close_js(napi_env env, napi_callback_info info) { return raw_close_js(env, info, AF_INET6); }

/*
 * send(payload: Uint8Array, dst: Uint8Array(16), src?: Uint8Array(16), hopLimit?: number): number
 * src goes in IPV6_PKTINFO (the VRRP source must be the interface's link-local address, RFC 5798
 * §5.1.2.1), hopLimit in IPV6_HOPLIMIT; the scope of a link-local destination is the socket's
 * interface.
 */
static napi_value raw6_send(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  raw_t *s = unwrap(env, info, AF_INET6, &argc, argv);
  void *payload, *dst, *src = NULL;
  size_t plen, dlen, slen = 0;
  int32_t hop_limit = -1;
  napi_valuetype t;
  if (!s) return NULL;
  if (s->fd < 0) return throw_errno(env, "Raw6Socket.send", EBADF);
  if (argc < 2 || !get_bytes(env, argv[0], &payload, &plen) || !get_bytes(env, argv[1], &dst, &dlen) || dlen != 16)
    return throw_type(env, "send(payload, dst16, src16?, hopLimit?)");
  if (argc > 2 && napi_typeof(env, argv[2], &t) == napi_ok && t != napi_undefined && t != napi_null) {
    if (!get_bytes(env, argv[2], &src, &slen) || slen != 16) return throw_type(env, "send: src must be 16 bytes");
  }
  if (argc > 3 && napi_typeof(env, argv[3], &t) == napi_ok && t != napi_undefined && t != napi_null) {
    if (!get_int(env, argv[3], &hop_limit) || hop_limit < 0 || hop_limit > 255) return throw_type(env, "send: hopLimit must be 0..255");
  }
  int err = raw_send_frame(s, payload, plen, dst, src, hop_limit);
  if (err) return throw_errno(env, "Raw6Socket.send", err);
  napi_value r;
  napi_create_int64(env, (int64_t)plen, &r);
  return r;
}

/* ---- MonoTimer: one CLOCK_MONOTONIC timerfd on the main loop ---- */

/*
 * new MonoTimer(onExpire): a kernel timer (timerfd, CLOCK_MONOTONIC — what keepalived's timer thread
 * uses) polled by the main loop. arm(delayMs) sets it to expire delayMs from now (a fraction of a ms
 * counts; <= 0 expires at once, on a loop turn of its own); disarm(); close(). onExpire() runs once
 * per expiry. The poll handle keeps the loop alive only while armed.
 */
typedef struct {
  napi_env env;
  int fd;
  uv_poll_t *poll; /* NULL once closed */
  napi_ref on_expire;
  napi_async_context async_ctx;
} mono_t;

static void mono_close(mono_t *t) { close_polled(t->env, &t->poll, &t->fd, &t->on_expire); }

static void mono_finalize(napi_env env, void *data, void *hint) {
  (void)hint;
  mono_t *t = data;
  mono_close(t);
  if (t->async_ctx) napi_async_destroy(env, t->async_ctx);
  free(t);
}

static void on_mono(uv_poll_t *h, int status, int events) {
  (void)status;
  (void)events;
  mono_t *t = h->data;
  uint64_t expirations;
  if (read(t->fd, &expirations, sizeof expirations) != (ssize_t)sizeof expirations) return; /* EAGAIN: not ours */
  uv_unref((uv_handle_t *)t->poll);
  napi_env env = t->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  call_js(env, t->async_ctx, t->on_expire, 0, NULL);
  napi_close_handle_scope(env, scope);
}

static mono_t *mono_unwrap(napi_env env, napi_callback_info info, size_t *argc, napi_value *argv) {
  napi_value self;
  mono_t *t = NULL;
  napi_get_cb_info(env, info, argc, argv, &self, NULL);
  if (napi_unwrap(env, self, (void **)&t) != napi_ok || !t) {
    throw_type(env, "MonoTimer: not a timer");
    return NULL;
  }
  return t;
}

static napi_value mono_new(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], self, resource_name;
  napi_valuetype type;
  napi_get_cb_info(env, info, &argc, argv, &self, NULL);
  if (argc < 1 || napi_typeof(env, argv[0], &type) != napi_ok || type != napi_function) return throw_type(env, "MonoTimer(onExpire)");
  int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (fd < 0) return throw_errno(env, "MonoTimer: timerfd_create", errno);
  mono_t *t = calloc(1, sizeof *t);
  if (!t) {
    close(fd);
    return throw_errno(env, "MonoTimer", ENOMEM);
  }
  t->env = env;
  t->fd = fd;
  t->poll = malloc(sizeof *t->poll);
  uv_loop_t *loop;
  napi_get_uv_event_loop(env, &loop);
  if (!t->poll || uv_poll_init(loop, t->poll, fd) != 0) {
    free(t->poll);
    t->poll = NULL;
    mono_close(t);
    free(t);
    return throw_errno(env, "MonoTimer: uv_poll_init", EINVAL);
  }
  t->poll->data = t;
  napi_create_reference(env, argv[0], 1, &t->on_expire);
  napi_create_string_utf8(env, "kts_net.MonoTimer", NAPI_AUTO_LENGTH, &resource_name);
  napi_async_init(env, NULL, resource_name, &t->async_ctx);
  uv_poll_start(t->poll, UV_READABLE, on_mono);
  uv_unref((uv_handle_t *)t->poll);
  napi_wrap(env, self, t, mono_finalize, NULL, NULL);
  return self;
}

static napi_value mono_arm(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  mono_t *t = mono_unwrap(env, info, &argc, argv);
  double ms;
  if (!t) return NULL;
  if (t->fd < 0) return throw_errno(env, "MonoTimer.arm", EBADF);
  if (argc < 1 || napi_get_value_double(env, argv[0], &ms) != napi_ok) return throw_type(env, "arm(delayMs)");
  /* it_value 0 would disarm: a deadline now or past expires 1 ns on, on the loop's next poll. */
  int64_t ns = ms > 0 ? (int64_t)(ms * 1e6) : 0;
  if (ns < 1) ns = 1;
  struct itimerspec its;
  memset(&its, 0, sizeof its);
  its.it_value.tv_sec = (time_t)(ns / 1000000000);
  its.it_value.tv_nsec = (long)(ns % 1000000000);
  if (timerfd_settime(t->fd, 0, &its, NULL) < 0) return throw_errno(env, "MonoTimer.arm", errno);
  uv_ref((uv_handle_t *)t->poll);
  return NULL;
}

static napi_value mono_disarm(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  mono_t *t = mono_unwrap(env, info, &argc, NULL);
  if (!t || t->fd < 0) return NULL;
  struct itimerspec its;
  memset(&its, 0, sizeof its);
  timerfd_settime(t->fd, 0, &its, NULL);
  uv_unref((uv_handle_t *)t->poll);
  return NULL;
}

static napi_value mono_close_js(napi_env env, napi_callback_info info) {
  size_t argc = 0;
  mono_t *t = mono_unwrap(env, info, &argc, NULL);
  if (t) mono_close(t);
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_value fn, cls;
  napi_create_function(env, "packetSend", NAPI_AUTO_LENGTH, packet_send, NULL, &fn);
  napi_set_named_property(env, exports, "packetSend", fn);
  napi_create_function(env, "execve", NAPI_AUTO_LENGTH, kts_execve, NULL, &fn);
  napi_set_named_property(env, exports, "execve", fn);
  napi_create_function(env, "mallocTrim", NAPI_AUTO_LENGTH, kts_malloc_trim, NULL, &fn);
  napi_set_named_property(env, exports, "mallocTrim", fn);
  napi_create_function(env, "memoryPressure", NAPI_AUTO_LENGTH, kts_memory_pressure, NULL, &fn);
  napi_set_named_property(env, exports, "memoryPressure", fn);
  napi_property_descriptor methods4[] = {
      {"setOption", NULL, raw4_set_option, NULL, NULL, NULL, napi_default_method, NULL},
      {"send", NULL, raw4_send, NULL, NULL, NULL, napi_default_method, NULL},
      {"close", NULL, raw4_close_js, NULL, NULL, NULL, napi_default_method, NULL},
      {"drain", NULL, raw4_drain_js, NULL, NULL, NULL, napi_default_method, NULL},
      {"watch", NULL, raw4_watch_js, NULL, NULL, NULL, napi_default_method, NULL},
      {"unwatch", NULL, raw4_unwatch_js, NULL, NULL, NULL, napi_default_method, NULL},
      {"collect", NULL, raw4_collect_js, NULL, NULL, NULL, napi_default_method, NULL},
      {"kernelWatches", NULL, raw4_kernel_watches_js, NULL, NULL, NULL, napi_default_method, NULL},
      {"counters", NULL, raw4_counters_js, NULL, NULL, NULL, napi_default_method, NULL},
      {"advertise", NULL, raw4_advertise_js, NULL, NULL, NULL, napi_default_method, NULL},
      {"unadvertise", NULL, raw4_unadvertise_js, NULL, NULL, NULL, napi_default_method, NULL},
  };
  napi_define_class(env, "Raw4Socket", NAPI_AUTO_LENGTH, raw4_new, NULL, sizeof methods4 / sizeof methods4[0], methods4, &cls);
  napi_set_named_property(env, exports, "Raw4Socket", cls);
  napi_property_descriptor methods6[] = {
      {"setOption", NULL, raw6_set_option, NULL, NULL, NULL, napi_default_method, NULL},
      {"send", NULL, raw6_send, NULL, NULL, NULL, napi_default_method, NULL},
      {"close", NULL, raw6_close_js, NULL, NULL, NULL, napi_default_method, NULL},
      {"drain", NULL, raw6_drain_js, NULL, NULL, NULL, napi_default_method, NULL},
      {"watch", NULL, raw6_watch_js, NULL, NULL, NULL, napi_default_method, NULL},
      {"unwatch", NULL, raw6_unwatch_js, NULL, NULL, NULL, napi_default_method, NULL},
      {"collect", NULL, raw6_collect_js, NULL, NULL, NULL, napi_default_method, NULL},
      {"kernelWatches", NULL, raw6_kernel_watches_js, NULL, NULL, NULL, napi_default_method, NULL},
      {"counters", NULL, raw6_counters_js, NULL, NULL, NULL, napi_default_method, NULL},
      {"advertise", NULL, raw6_advertise_js, NULL, NULL, NULL, napi_default_method, NULL},
      {"unadvertise", NULL, raw6_unadvertise_js, NULL, NULL, NULL, napi_default_method, NULL},
  };
  napi_define_class(env, "Raw6Socket", NAPI_AUTO_LENGTH, raw6_new, NULL, sizeof methods6 / sizeof methods6[0], methods6, &cls);
  napi_set_named_property(env, exports, "Raw6Socket", cls);
  napi_property_descriptor methodsT[] = {
      {"arm", NULL, mono_arm, NULL, NULL, NULL, napi_default_method, NULL},
      {"disarm", NULL, mono_disarm, NULL, NULL, NULL, napi_default_method, NULL},
      {"close", NULL, mono_close_js, NULL, NULL, NULL, napi_default_method, NULL},
  };
  napi_define_class(env, "MonoTimer", NAPI_AUTO_LENGTH, mono_new, NULL, sizeof methodsT / sizeof methodsT[0], methodsT, &cls);
  napi_set_named_property(env, exports, "MonoTimer", cls);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
