/*
 * Steady watches in the kernel: an eBPF socket filter that counts a watched advert without waking
 * the process at all.
 *
 * A steady watch (steady_watch.h) saves JavaScript, but the process still wakes for every advert
 * (the kernel's wake-up and Node's loop turn are most of a backup's CPU). This filter, attached to
 * the VRRP socket, compares each datagram with its VRID's watched advert (a map of 256 entries the
 * process writes): an identical one is left out of the socket and its arrival time
 * (CLOCK_MONOTONIC, bpf_ktime_get_ns) goes to a ring buffer that nobody polls; the process reads it
 * when it wakes for something else (the watch timer, a different datagram, collect, unwatch). A
 * datagram that differs is let through and switches its VRID's entry off in the same step, so what
 * follows it reaches the socket in order, and the software watch then ends the run as before.
 * Anything the filter cannot decide (no entry, a length over STEADY_BPF_MAX_PACKET, IP options or
 * IPv6 extension headers, a full ring) simply reaches the socket: the software watch still counts
 * it. So the filter only ever takes away wake-ups, never a decision.
 *
 * One filter, one map and one ring per socket; the program is built here, instruction by
 * instruction (no compiler needed at install), and checked by the kernel's verifier at load.
 */
#ifndef KTS_STEADY_BPF_H
#define KTS_STEADY_BPF_H

#include <stddef.h>
#include <stdint.h>

/* The longest datagram (IP header included) the filter compares: IPv4 VRRP with 59 addresses,
 * IPv6 with 13. Longer watched adverts are counted by the software watch alone. */
#define STEADY_BPF_MAX_PACKET 256

typedef struct steady_bpf steady_bpf_t;

/* Loads the filter for a raw VRRP socket of `family` (AF_INET: the datagram starts at the IP
 * header; AF_INET6: at the VRRP header, the IPv6 header before it) bound to `ifindex`, and attaches
 * it. NULL with errno set when the kernel will not have it (no CAP_BPF, an old kernel): the caller
 * then goes on without it. */
steady_bpf_t *steady_bpf_attach(int sock_fd, int family, int ifindex);

/* Detaches the filter from `sock_fd` (-1: the socket is already closed) and frees everything. */
void steady_bpf_free(steady_bpf_t *b, int sock_fd);

/* Starts comparing the datagrams of `vrid` with this advert (the software watch's fields:
 * steady_watch_new). 0, or an errno: EMSGSIZE when it is too long, EINVAL for no TTL, or the
 * kernel's. */
int steady_bpf_watch(steady_bpf_t *b, int vrid, const unsigned char *src, const unsigned char *dst, int ttl, const unsigned char *payload, size_t len);

/* Stops comparing for `vrid` (adverts of it reach the socket again). Records already in the ring
 * stay there for the next drain. */
void steady_bpf_unwatch(steady_bpf_t *b, int vrid);

/* Every record in the ring, oldest first, to heard(ctx, vrid, at_ns); how many. */
size_t steady_bpf_drain(steady_bpf_t *b, void (*heard)(void *ctx, int vrid, int64_t at_ns), void *ctx);

/* The datagram the filter compares `vrid`'s with, as the socket would have received it (AF_INET:
 * an IPv4 header with id 0 and its checksum, then the VRRP message; AF_INET6: the IPv6 header, then
 * the VRRP message); its length, 0 if that VRID never had an entry. For a record that comes after
 * its watch ended (the filter had taken the advert just before the entry went off). */
size_t steady_bpf_datagram(const steady_bpf_t *b, int vrid, const unsigned char **datagram);

#endif
