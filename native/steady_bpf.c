/* Steady watches in the kernel: an eBPF socket filter, its map and its ring. See steady_bpf.h. */
#include "steady_bpf.h"

#include <errno.h>
#include <linux/bpf.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SO_ATTACH_BPF
#define SO_ATTACH_BPF 50
#endif
#ifndef SO_DETACH_BPF
#define SO_DETACH_BPF 27
#endif

/* A VRID's entry, as the filter reads it: `active` (the filter writes 0 there when a datagram
 * differs), the datagram's whole length, and the datagram's bytes under `mask` (those a software
 * watch compares: IP source, destination, TTL / hop limit, protocol, the VRRP message), which the
 * filter compares with the received datagram's bytes under the same mask. */
typedef struct {
  uint32_t active;
  uint32_t len;
  unsigned char datagram[STEADY_BPF_MAX_PACKET];
  unsigned char mask[STEADY_BPF_MAX_PACKET];
} entry_t;

#define ENTRY_DATAGRAM 8
#define ENTRY_MASK (8 + STEADY_BPF_MAX_PACKET)

/* What the filter puts in the ring for each advert it takes. */
typedef struct {
  uint64_t at_ns;
  uint32_t vrid;
  uint32_t unused;
} record_t;

/* The ring: 16-byte records with their 8-byte headers, 10,922 of them. 255 watches at 10 ms
 * adverts fill it in 0.4 s; the watch timer reads it at least every two Advertisement Intervals. A
 * full ring is no loss: the filter then lets the advert through to the socket. */
#define RING_BYTES (256 * 1024)

struct steady_bpf {
  int family;
  int map_fd;
  int ring_fd;
  int prog_fd;
  /* The ring's consumer position (ours to write) and its producer page and data (read-only; the
   * data is mapped twice in a row, so a record that wraps reads straight on). */
  uint64_t *consumer;
  const uint64_t *producer;
  const unsigned char *data;
  size_t page;
  bool draining;
  /* What we last wrote to each entry (the filter may have switched `active` off since), and the
   * whole datagram it was made from. */
  entry_t entry[256];
  unsigned char datagram[256][STEADY_BPF_MAX_PACKET];
};

static long sys_bpf(int cmd, union bpf_attr *attr) { return syscall(__NR_bpf, cmd, attr, sizeof *attr); }

/* ---- the program ---- */

typedef struct {
  struct bpf_insn insn[320];
  int n;
  /* Jumps to patch once the labels are placed: where, and which label. */
  int fix_at[96];
  int fix_label[96];
  int fixes;
  int label[2];
} prog_t;

enum { L_ACCEPT, L_DIFFER };

static void emit(prog_t *p, uint8_t code, int dst, int src, int16_t off, int32_t imm) {
  struct bpf_insn i;
  memset(&i, 0, sizeof i);
  i.code = code;
  i.dst_reg = (uint8_t)dst;
  i.src_reg = (uint8_t)src;
  i.off = off;
  i.imm = imm;
  p->insn[p->n++] = i;
}

/* A conditional jump to a label (`src` < 0: against `imm`). */
static void jump(prog_t *p, uint8_t op, int dst, int src, int32_t imm, int label) {
  p->fix_at[p->fixes] = p->n;
  p->fix_label[p->fixes++] = label;
  if (src < 0) emit(p, BPF_JMP | op | BPF_K, dst, 0, 0, imm);
  else emit(p, BPF_JMP | op | BPF_X, dst, src, 0, 0);
}

static void load_map_fd(prog_t *p, int dst, int fd) {
  emit(p, BPF_LD | BPF_DW | BPF_IMM, dst, BPF_PSEUDO_MAP_FD, 0, fd);
  emit(p, 0, 0, 0, 0, 0);
}

#define R0 0
#define R1 1
#define R2 2
#define R3 3
#define R4 4
#define R5 5
#define R6 6
#define R7 7
#define R8 8
#define R9 9
#define FP 10

/* Stack: the datagram at FP-256, the map key at FP-264, the record at FP-280. */
#define BUF (-STEADY_BPF_MAX_PACKET)
#define KEY (BUF - 8)
#define REC (BUF - 24)

static void build(prog_t *p, int family, int ifindex, int map_fd, int ring_fd) {
  /* Where the VRRP message starts, from the network header. */
  int vrrp = family == AF_INET ? 20 : 40;
  memset(p, 0, sizeof *p);
  emit(p, BPF_ALU64 | BPF_MOV | BPF_X, R6, R1, 0, 0);
  /* R7: the datagram's length from the network header (IPv6: skb->data is the VRRP message). */
  emit(p, BPF_LDX | BPF_MEM | BPF_W, R7, R6, (int16_t)offsetof(struct __sk_buff, len), 0);
  if (family == AF_INET6) emit(p, BPF_ALU64 | BPF_ADD | BPF_K, R7, 0, 0, 40);
  jump(p, BPF_JGT, R7, -1, STEADY_BPF_MAX_PACKET, L_ACCEPT);
  jump(p, BPF_JLT, R7, -1, vrrp + 8, L_ACCEPT);
  /* Zeroed, so the words past the datagram compare equal (the entry has zeros there too). */
  for (int off = BUF; off < 0; off += 8) emit(p, BPF_ST | BPF_MEM | BPF_DW, FP, 0, (int16_t)off, 0);
  emit(p, BPF_ALU64 | BPF_MOV | BPF_X, R1, R6, 0, 0);
  emit(p, BPF_ALU64 | BPF_MOV | BPF_K, R2, 0, 0, 0);
  emit(p, BPF_ALU64 | BPF_MOV | BPF_X, R3, FP, 0, 0);
  emit(p, BPF_ALU64 | BPF_ADD | BPF_K, R3, 0, 0, BUF);
  emit(p, BPF_ALU64 | BPF_MOV | BPF_X, R4, R7, 0, 0);
  emit(p, BPF_ALU64 | BPF_MOV | BPF_K, R5, 0, 0, BPF_HDR_START_NET);
  emit(p, BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_skb_load_bytes_relative);
  jump(p, BPF_JNE, R0, -1, 0, L_ACCEPT);
  /* No IP options / no IPv6 extension header: the VRRP message is where the entry has it. */
  if (family == AF_INET) {
    emit(p, BPF_LDX | BPF_MEM | BPF_B, R1, FP, BUF + 0, 0);
    jump(p, BPF_JNE, R1, -1, 0x45, L_ACCEPT);
  } else {
    emit(p, BPF_LDX | BPF_MEM | BPF_B, R1, FP, BUF + 6, 0);
    jump(p, BPF_JNE, R1, -1, 112, L_ACCEPT);
  }
  /* The VRID's entry, if it is switched on. */
  emit(p, BPF_LDX | BPF_MEM | BPF_B, R1, FP, (int16_t)(BUF + vrrp + 1), 0);
  emit(p, BPF_STX | BPF_MEM | BPF_W, FP, R1, KEY, 0);
  emit(p, BPF_ALU64 | BPF_MOV | BPF_X, R9, R1, 0, 0);
  load_map_fd(p, R1, map_fd);
  emit(p, BPF_ALU64 | BPF_MOV | BPF_X, R2, FP, 0, 0);
  emit(p, BPF_ALU64 | BPF_ADD | BPF_K, R2, 0, 0, KEY);
  emit(p, BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem);
  jump(p, BPF_JEQ, R0, -1, 0, L_ACCEPT);
  emit(p, BPF_ALU64 | BPF_MOV | BPF_X, R8, R0, 0, 0);
  emit(p, BPF_LDX | BPF_MEM | BPF_W, R1, R8, 0, 0);
  jump(p, BPF_JEQ, R1, -1, 0, L_ACCEPT);
  /* From here on, anything not identical ends the kernel's part of the watch. */
  emit(p, BPF_LDX | BPF_MEM | BPF_W, R1, R8, 4, 0);
  jump(p, BPF_JNE, R1, R7, 0, L_DIFFER);
  if (family == AF_INET6) {
    /* The software watch compares IPV6_PKTINFO's interface too. */
    emit(p, BPF_LDX | BPF_MEM | BPF_W, R1, R6, (int16_t)offsetof(struct __sk_buff, ifindex), 0);
    jump(p, BPF_JNE, R1, -1, ifindex, L_DIFFER);
  }
  for (int off = 0; off < STEADY_BPF_MAX_PACKET; off += 8) {
    emit(p, BPF_LDX | BPF_MEM | BPF_DW, R1, FP, (int16_t)(BUF + off), 0);
    emit(p, BPF_LDX | BPF_MEM | BPF_DW, R2, R8, (int16_t)(ENTRY_MASK + off), 0);
    emit(p, BPF_ALU64 | BPF_AND | BPF_X, R1, R2, 0, 0);
    emit(p, BPF_LDX | BPF_MEM | BPF_DW, R2, R8, (int16_t)(ENTRY_DATAGRAM + off), 0);
    jump(p, BPF_JNE, R1, R2, 0, L_DIFFER);
  }
  /* Identical: its arrival to the ring (nobody is woken for it), and out of the socket. */
  emit(p, BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_ktime_get_ns);
  emit(p, BPF_STX | BPF_MEM | BPF_DW, FP, R0, REC, 0);
  emit(p, BPF_STX | BPF_MEM | BPF_W, FP, R9, REC + 8, 0);
  emit(p, BPF_ST | BPF_MEM | BPF_W, FP, 0, REC + 12, 0);
  load_map_fd(p, R1, ring_fd);
  emit(p, BPF_ALU64 | BPF_MOV | BPF_X, R2, FP, 0, 0);
  emit(p, BPF_ALU64 | BPF_ADD | BPF_K, R2, 0, 0, REC);
  emit(p, BPF_ALU64 | BPF_MOV | BPF_K, R3, 0, 0, (int32_t)sizeof(record_t));
  emit(p, BPF_ALU64 | BPF_MOV | BPF_K, R4, 0, 0, BPF_RB_NO_WAKEUP);
  emit(p, BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_ringbuf_output);
  /* A full ring: the socket takes it, and the software watch counts it. */
  jump(p, BPF_JNE, R0, -1, 0, L_ACCEPT);
  emit(p, BPF_ALU64 | BPF_MOV | BPF_K, R0, 0, 0, 0);
  emit(p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
  /* Different: the entry off, so what follows this datagram reaches the socket after it. */
  p->label[L_DIFFER] = p->n;
  emit(p, BPF_ST | BPF_MEM | BPF_W, R8, 0, 0, 0);
  /* Let it through whole (a socket filter returns how many bytes to keep). */
  p->label[L_ACCEPT] = p->n;
  emit(p, BPF_ALU64 | BPF_MOV | BPF_K, R0, 0, 0, 0x7fffffff);
  emit(p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
  for (int i = 0; i < p->fixes; i++) p->insn[p->fix_at[i]].off = (int16_t)(p->label[p->fix_label[i]] - p->fix_at[i] - 1);
}

/* ---- the maps and the ring ---- */

static int map_create(uint32_t type, uint32_t key_size, uint32_t value_size, uint32_t max_entries) {
  union bpf_attr a;
  memset(&a, 0, sizeof a);
  a.map_type = type;
  a.key_size = key_size;
  a.value_size = value_size;
  a.max_entries = max_entries;
  return (int)sys_bpf(BPF_MAP_CREATE, &a);
}

static int write_entry(steady_bpf_t *b, int vrid) {
  uint32_t key = (uint32_t)vrid;
  union bpf_attr a;
  memset(&a, 0, sizeof a);
  a.map_fd = (uint32_t)b->map_fd;
  a.key = (uint64_t)(uintptr_t)&key;
  a.value = (uint64_t)(uintptr_t)&b->entry[vrid];
  a.flags = BPF_ANY;
  return sys_bpf(BPF_MAP_UPDATE_ELEM, &a) < 0 ? errno : 0;
}

steady_bpf_t *steady_bpf_attach(int sock_fd, int family, int ifindex) {
  steady_bpf_t *b = calloc(1, sizeof *b);
  if (!b) return NULL;
  b->family = family;
  b->map_fd = b->ring_fd = b->prog_fd = -1;
  b->page = (size_t)sysconf(_SC_PAGESIZE);
  int err = 0;
  static prog_t p;
  b->map_fd = map_create(BPF_MAP_TYPE_ARRAY, 4, sizeof(entry_t), 256);
  if (b->map_fd < 0) goto fail;
  b->ring_fd = map_create(BPF_MAP_TYPE_RINGBUF, 0, 0, RING_BYTES);
  if (b->ring_fd < 0) goto fail;
  void *cons = mmap(NULL, b->page, PROT_READ | PROT_WRITE, MAP_SHARED, b->ring_fd, 0);
  if (cons == MAP_FAILED) goto fail;
  b->consumer = cons;
  void *prod = mmap(NULL, b->page + 2 * RING_BYTES, PROT_READ, MAP_SHARED, b->ring_fd, (off_t)b->page);
  if (prod == MAP_FAILED) goto fail;
  b->producer = prod;
  b->data = (const unsigned char *)prod + b->page;
  build(&p, family, ifindex, b->map_fd, b->ring_fd);
  union bpf_attr a;
  memset(&a, 0, sizeof a);
  a.prog_type = BPF_PROG_TYPE_SOCKET_FILTER;
  a.insns = (uint64_t)(uintptr_t)p.insn;
  a.insn_cnt = (uint32_t)p.n;
  a.license = (uint64_t)(uintptr_t) "Dual MIT/GPL";
  b->prog_fd = (int)sys_bpf(BPF_PROG_LOAD, &a);
  if (b->prog_fd < 0) goto fail;
  if (setsockopt(sock_fd, SOL_SOCKET, SO_ATTACH_BPF, &b->prog_fd, sizeof b->prog_fd) < 0) goto fail;
  return b;
fail:
  err = errno;
  steady_bpf_free(b, -1);
  errno = err;
  return NULL;
}

void steady_bpf_free(steady_bpf_t *b, int sock_fd) {
  if (!b) return;
  if (sock_fd >= 0) {
    int unused = 0; /* SOL_SOCKET options want an int's worth of value even here */
    setsockopt(sock_fd, SOL_SOCKET, SO_DETACH_BPF, &unused, sizeof unused);
  }
  if (b->consumer) munmap(b->consumer, b->page);
  if (b->producer) munmap((void *)b->producer, b->page + 2 * RING_BYTES);
  if (b->prog_fd >= 0) close(b->prog_fd);
  if (b->ring_fd >= 0) close(b->ring_fd);
  if (b->map_fd >= 0) close(b->map_fd);
  free(b);
}

static uint16_t ip_checksum(const unsigned char *h, size_t len) {
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < len; i += 2) sum += (uint32_t)(h[i] << 8 | h[i + 1]);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t)~sum;
}

int steady_bpf_watch(steady_bpf_t *b, int vrid, const unsigned char *src, const unsigned char *dst, int ttl, const unsigned char *payload, size_t len) {
  size_t net = b->family == AF_INET ? 20 : 40, alen = b->family == AF_INET ? 4 : 16;
  if (vrid < 0 || vrid > 255) return EINVAL;
  entry_t *e = &b->entry[vrid];
  /* A watch replaced: its entry off first, as it was (a datagram read meanwhile sees one whole
   * entry or the other, never a mix of two) — also when this one cannot have an entry, or the
   * filter would go on taking the old advert for the new watch. */
  if (e->active) {
    e->active = 0;
    write_entry(b, vrid);
  }
  if (ttl < 0 || ttl > 255) return EINVAL;
  if (len < 8 || net + len > STEADY_BPF_MAX_PACKET) return EMSGSIZE;
  memset(e, 0, sizeof *e);
  unsigned char *d = b->datagram[vrid], *m = e->mask;
  memset(d, 0, STEADY_BPF_MAX_PACKET);
  size_t total = net + len;
  if (b->family == AF_INET) {
    d[0] = 0x45;
    d[1] = 0xc0;
    d[2] = (unsigned char)(total >> 8);
    d[3] = (unsigned char)total;
    d[8] = (unsigned char)ttl;
    d[9] = 112;
    memcpy(d + 12, src, alen);
    memcpy(d + 16, dst, alen);
    uint16_t sum = ip_checksum(d, 20);
    d[10] = (unsigned char)(sum >> 8);
    d[11] = (unsigned char)sum;
    m[0] = m[8] = m[9] = 0xff;
    memset(m + 12, 0xff, 8);
  } else {
    d[0] = 0x60;
    d[4] = (unsigned char)(len >> 8);
    d[5] = (unsigned char)len;
    d[6] = 112;
    d[7] = (unsigned char)ttl;
    memcpy(d + 8, src, alen);
    memcpy(d + 24, dst, alen);
    m[6] = m[7] = 0xff;
    memset(m + 8, 0xff, 32);
  }
  memcpy(d + net, payload, len);
  memset(m + net, 0xff, len);
  for (size_t i = 0; i < STEADY_BPF_MAX_PACKET; i++) e->datagram[i] = d[i] & m[i];
  e->len = (uint32_t)total;
  /* Written off, then on: the second write changes nothing but `active`, so a datagram compared
   * while it lands sees this entry whole. */
  int err = write_entry(b, vrid);
  if (err) return err;
  e->active = 1;
  err = write_entry(b, vrid);
  if (err) e->active = 0;
  return err;
}

void steady_bpf_unwatch(steady_bpf_t *b, int vrid) {
  if (vrid < 0 || vrid > 255 || !b->entry[vrid].active) return;
  b->entry[vrid].active = 0;
  write_entry(b, vrid);
}

size_t steady_bpf_drain(steady_bpf_t *b, void (*heard)(void *ctx, int vrid, int64_t at_ns), void *ctx) {
  size_t records = 0;
  /* A callback that drains again (it ended a watch) gets nothing: what is left comes after. */
  if (b->draining) return 0;
  b->draining = true;
  uint64_t cons = __atomic_load_n(b->consumer, __ATOMIC_ACQUIRE);
  for (;;) {
    uint64_t prod = __atomic_load_n(b->producer, __ATOMIC_ACQUIRE);
    if (cons >= prod) break;
    const uint32_t *hdr = (const uint32_t *)(b->data + (cons & (RING_BYTES - 1)));
    uint32_t len = __atomic_load_n(hdr, __ATOMIC_ACQUIRE);
    if (len & BPF_RINGBUF_BUSY_BIT) break;
    uint32_t size = len & ~(uint32_t)(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT);
    record_t r;
    bool keep = !(len & BPF_RINGBUF_DISCARD_BIT) && size >= sizeof r;
    if (keep) memcpy(&r, (const unsigned char *)hdr + BPF_RINGBUF_HDR_SZ, sizeof r);
    cons += (size + BPF_RINGBUF_HDR_SZ + 7) & ~(uint64_t)7;
    /* The space is the kernel's again before the callback runs. */
    __atomic_store_n(b->consumer, cons, __ATOMIC_RELEASE);
    if (keep) {
      records++;
      heard(ctx, (int)(r.vrid & 0xff), (int64_t)r.at_ns);
    }
  }
  b->draining = false;
  return records;
}

size_t steady_bpf_datagram(const steady_bpf_t *b, int vrid, const unsigned char **datagram) {
  if (vrid < 0 || vrid > 255) return 0;
  *datagram = b->datagram[vrid];
  return b->entry[vrid].len;
}
