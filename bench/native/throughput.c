/*
 * The throughput scenarios' generator in C: fan-in (N publishers on bench/<pid>/<i>/x -> 1
 * subscriber on bench/<pid>/+/x) and pairs (publisher i -> subscriber i on bench/<pid>/pair/<i>),
 * closed loop, QoS 0 or 1. It exists because on a 2-core machine `petrel bench` (Node) and the
 * Node relay together cannot show 2x Petrel's fan-in rate, so the ceiling check could not tell
 * the broker's limit from the generator's: this one spends a fraction of the CPU per message.
 *
 * It measures what `petrel bench` measures (src/bench/engine.ts):
 * - the payload is petrel bench's: 'P' 'B', run tag, publisher, sequence (u32 BE each), send
 *   time (f64 BE, ms), then '.' up to the payload size (at least 22 bytes);
 * - a publisher keeps at most WINDOW messages in flight: sent and not yet delivered to its
 *   subscriber (QoS 0), or not yet both delivered and PUBACKed (QoS 1); once the window is full
 *   it waits for a quarter of it to free up, so writes stay batched;
 * - the subscriber tracks every publisher's sequence numbers (a bitmap), so lost and duplicate
 *   messages are exact; it acks QoS 1 deliveries, batched per read;
 * - rates count the messages sent and received after the warm-up; the CPU figure is this
 *   process's user + system time (getrusage) over the publishing time, as petrel bench's is.
 * One thread, Linux epoll, nonblocking sockets with TCP_NODELAY; everything written in a round
 * of the loop goes out in one write() per socket. MQTT 3.1.1, clean sessions, keep-alive off.
 *
 * Built at bench time by `npm run bench:compare` (gcc -O2, libc only):
 *   gcc -O2 -o throughput bench/native/throughput.c
 *   ./throughput HOST PORT fanin|pairs N QOS PAYLOAD_BYTES WINDOW SECONDS WARMUP_SECONDS
 * SUB_HOST / SUB_PORT in the environment connect the subscribers elsewhere (another cluster node).
 * Prints one JSON object shaped like `petrel bench --json`'s report.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define TOOL "throughput"
#include "mqtt.h"

#define PAYLOAD_HEADER 22
#define TAG_AT 2
#define PUB_AT 6
#define SEQ_AT 10
#define TIME_AT 14
/* Messages written to one publisher per round at most (petrel bench's MAX_BATCH). */
#define MAX_BATCH 256
/* Latency histogram: 1 µs buckets up to 10 ms, then 100 µs buckets up to 10 s. */
#define FINE_US 10000
#define COARSE_US 100
#define BUCKETS (FINE_US + (10000000 - FINE_US) / COARSE_US + 1)
/* How long the run waits for messages still on their way when nothing moves, and at most. */
#define IDLE_DRAIN_NS 2000000000LL
#define MAX_DRAIN_NS 10000000000LL

static void *xalloc(size_t n) {
  void *p = calloc(1, n);
  if (p == NULL) die("out of memory");
  return p;
}

/* Blocking write, only for the handshake. */
/* Remaining Length as a Variable Byte Integer; returns bytes written. */
/* Reads one whole packet into buf (blocking; only for the CONNACK / SUBACK handshake). */
static void put_u32(uint8_t *b, uint32_t v) {
  b[0] = (uint8_t)(v >> 24);
  b[1] = (uint8_t)(v >> 16);
  b[2] = (uint8_t)(v >> 8);
  b[3] = (uint8_t)v;
}

static uint32_t get_u32(const uint8_t *b) {
  return ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) | ((uint32_t)b[2] << 8) | b[3];
}

static void put_f64(uint8_t *b, double v) {
  uint64_t u;
  memcpy(&u, &v, 8);
  for (int i = 7; i >= 0; i--, u >>= 8) b[i] = (uint8_t)u;
}

static double get_f64(const uint8_t *b) {
  uint64_t u = 0;
  for (int i = 0; i < 8; i++) u = (u << 8) | b[i];
  double v;
  memcpy(&v, &u, 8);
  return v;
}

/* A latency histogram in µs. */
struct hist {
  uint64_t *b;
  uint64_t count;
  double sum;
  int64_t min, max;
};

static void hist_add(struct hist *h, int64_t us) {
  if (us < 0) us = 0;
  size_t i = us < FINE_US ? (size_t)us : FINE_US + (size_t)((us - FINE_US) / COARSE_US);
  if (i >= BUCKETS) i = BUCKETS - 1;
  h->b[i]++;
  if (h->count == 0 || us < h->min) h->min = us;
  if (us > h->max) h->max = us;
  h->count++;
  h->sum += (double)us;
}

/* The value (ms) at quantile q, nearest rank, from the bucket's lower edge. */
static double hist_at(const struct hist *h, double q) {
  uint64_t rank = (uint64_t)(q * (double)h->count), seen = 0;
  if (rank >= h->count) rank = h->count - 1;
  for (size_t i = 0; i < BUCKETS; i++) {
    seen += h->b[i];
    if (seen > rank) {
      int64_t us = i < FINE_US ? (int64_t)i : FINE_US + (int64_t)(i - FINE_US) * COARSE_US;
      if (us > h->max) us = h->max;
      return (double)us / 1000.0;
    }
  }
  return (double)h->max / 1000.0;
}

static void print_hist(const char *name, const struct hist *h) {
  if (h->count == 0) {
    printf("\"%s\":null,", name);
    return;
  }
  printf("\"%s\":{\"count\":%llu,\"min\":%.3f,\"mean\":%.3f,\"p50\":%.3f,\"p90\":%.3f,"
         "\"p99\":%.3f,\"p999\":%.3f,\"max\":%.3f},",
         name, (unsigned long long)h->count, (double)h->min / 1000.0,
         h->sum / (double)h->count / 1000.0, hist_at(h, 0.5), hist_at(h, 0.9), hist_at(h, 0.99),
         hist_at(h, 0.999), (double)h->max / 1000.0);
}

/* Sequence numbers of one publisher seen by its subscriber: a growable bitmap. */
struct seen {
  uint8_t *bits;
  size_t bytes;
  uint64_t unique, dups;
};

/* Records seq; 1 if it was seen for the first time. */
static int seen_add(struct seen *s, uint32_t seq) {
  size_t byte = seq >> 3;
  if (byte >= s->bytes) {
    size_t n = s->bytes == 0 ? 4096 : s->bytes;
    while (n <= byte) n *= 2;
    s->bits = realloc(s->bits, n);
    if (s->bits == NULL) die("out of memory");
    memset(s->bits + s->bytes, 0, n - s->bytes);
    s->bytes = n;
  }
  uint8_t m = (uint8_t)(1u << (seq & 7));
  if (s->bits[byte] & m) {
    s->dups++;
    return 0;
  }
  s->bits[byte] |= m;
  s->unique++;
  return 1;
}

struct conn {
  int fd;
  int pub; /* publisher index, or -1 for a subscriber */
  int dead;
  int inOut; /* EPOLLOUT registered */
  uint8_t *rbuf;
  size_t rlen, rcap;
  uint8_t *wbuf;
  size_t wlen, woff, wcap;
};

struct publisher {
  struct conn *c;
  uint8_t *msg; /* the encoded PUBLISH */
  size_t len, idAt, payAt;
  uint32_t seq; /* messages sent */
  uint64_t acked, delivered;
  uint16_t nextId;
  double *sentAt; /* send time (ms) by packet id & mask, for the ack latency */
  uint32_t mask;
  struct seen seen;
  int touched;
};

static struct publisher *pubs;
static struct conn *subs;
static int npub, nsub, qos, window, minBatch;
static uint32_t tag;
static uint64_t received;
static struct hist lat, ackLat;
static double measureFromMs;
static int sending = 1;
static char errors[20][160];
static int nerrors;

static void error_msg(const char *fmt, int i, const char *why) {
  if (nerrors < 20) snprintf(errors[nerrors++], sizeof errors[0], fmt, i, why);
}

static double now_ms(void) { return (double)now_ns() / 1e6; }

/* Room for n more bytes in c's write buffer. */
static void reserve(struct conn *c, size_t n) {
  if (c->wlen + n <= c->wcap) return;
  if (c->woff > 0) {
    memmove(c->wbuf, c->wbuf + c->woff, c->wlen - c->woff);
    c->wlen -= c->woff;
    c->woff = 0;
    if (c->wlen + n <= c->wcap) return;
  }
  while (c->wlen + n > c->wcap) c->wcap *= 2;
  c->wbuf = realloc(c->wbuf, c->wcap);
  if (c->wbuf == NULL) die("out of memory");
}

static void conn_init(struct conn *c, int fd, int pub, size_t frame) {
  c->fd = fd;
  c->pub = pub;
  c->rcap = frame * 2 + (1 << 16);
  c->rbuf = xalloc(c->rcap);
  c->wcap = frame * 4 + (1 << 16);
  c->wbuf = xalloc(c->wcap);
  int fl = fcntl(fd, F_GETFL);
  fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static void kill_conn(int ep, struct conn *c, const char *why) {
  if (c->dead) return;
  c->dead = 1;
  epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
  if (c->pub >= 0)
    error_msg("publisher %d: %s", c->pub, why);
  else
    error_msg("subscriber %d: %s", (int)(c - subs), why);
}

/* Writes what c has pending; watches for writability while some is left. */
static void flush(int ep, struct conn *c) {
  while (c->woff < c->wlen && !c->dead) {
    ssize_t w = write(c->fd, c->wbuf + c->woff, c->wlen - c->woff);
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) break;
      kill_conn(ep, c, strerror(errno));
      return;
    }
    c->woff += (size_t)w;
  }
  if (c->woff == c->wlen) c->woff = c->wlen = 0;
  int want = c->wlen > 0;
  if (want != c->inOut && !c->dead) {
    struct epoll_event ev = {.events = EPOLLIN | (want ? EPOLLOUT : 0), .data.ptr = c};
    epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
    c->inOut = want;
  }
}

/* Queues as many messages as the window allows (engine.ts's pump, closed loop). */
static void pump(struct publisher *p) {
  struct conn *c = p->c;
  if (!sending || c->dead || c->wlen - c->woff >= (1 << 16)) return;
  uint64_t done = p->delivered;
  if (qos > 0 && p->acked < done) done = p->acked;
  uint64_t outstanding = p->seq - done;
  if (outstanding >= (uint64_t)window) return;
  int k = window - (int)outstanding;
  /* Wait for a quarter of the window rather than trickling out one message per ack. */
  if (outstanding > 0 && k < minBatch) return;
  if (k > MAX_BATCH) k = MAX_BATCH;
  size_t maxBytes = 1 << 20;
  if ((size_t)k * p->len > maxBytes) k = (int)(maxBytes / p->len) > 0 ? (int)(maxBytes / p->len) : 1;
  reserve(c, (size_t)k * p->len);
  double ts = now_ms();
  uint8_t tsb[8];
  put_f64(tsb, ts);
  uint8_t *o = c->wbuf + c->wlen;
  for (int j = 0; j < k; j++, o += p->len) {
    memcpy(o, p->msg, p->len);
    if (qos > 0) {
      o[p->idAt] = (uint8_t)(p->nextId >> 8);
      o[p->idAt + 1] = (uint8_t)p->nextId;
      p->sentAt[p->nextId & p->mask] = ts;
      p->nextId = p->nextId == 65535 ? 1 : p->nextId + 1;
    }
    put_u32(o + p->payAt + SEQ_AT, p->seq++);
    memcpy(o + p->payAt + TIME_AT, tsb, 8);
  }
  c->wlen += (size_t)k * p->len;
}

/* A PUBLISH delivered to subscriber s: ack it (QoS 1), then count and track it. */
static void on_delivery(struct conn *s, uint8_t h, const uint8_t *body, uint32_t len,
                        double at) {
  size_t pos = 2 + (((size_t)body[0] << 8) | body[1]);
  if (pos > len) return;
  if (((h >> 1) & 3) > 0) {
    if (pos + 2 > len) return;
    reserve(s, 4);
    uint8_t *a = s->wbuf + s->wlen;
    a[0] = 0x40;
    a[1] = 2;
    a[2] = body[pos];
    a[3] = body[pos + 1];
    s->wlen += 4;
    pos += 2;
  }
  received++;
  const uint8_t *pl = body + pos;
  if (len - pos < PAYLOAD_HEADER || pl[0] != 'P' || pl[1] != 'B') return;
  if (get_u32(pl + TAG_AT) != tag) return;
  uint32_t pi = get_u32(pl + PUB_AT);
  if (pi >= (uint32_t)npub) return;
  /* Pairs: subscriber i hears only publisher i. */
  if (nsub > 1 && (int)(s - subs) != (int)pi) return;
  double ts = get_f64(pl + TIME_AT);
  if (ts >= measureFromMs) hist_add(&lat, (int64_t)((at - ts) * 1000.0));
  struct publisher *p = &pubs[pi];
  if (seen_add(&p->seen, get_u32(pl + SEQ_AT))) {
    p->delivered++;
    p->touched = 1;
  }
}

static void on_ack(struct publisher *p, const uint8_t *body, uint32_t len, double at) {
  if (len < 2) return;
  uint16_t id = (uint16_t)((body[0] << 8) | body[1]);
  double ts = p->sentAt[id & p->mask];
  if (ts >= measureFromMs) hist_add(&ackLat, (int64_t)((at - ts) * 1000.0));
  p->acked++;
  p->touched = 1;
}

/* Reads what c has (a few reads at most, so no socket starves the others) and handles it. */
static void on_readable(int ep, struct conn *c) {
  for (int reads = 0; reads < 4 && !c->dead; reads++) {
    ssize_t n = read(c->fd, c->rbuf + c->rlen, c->rcap - c->rlen);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN) kill_conn(ep, c, strerror(errno));
      return;
    }
    if (n == 0) {
      kill_conn(ep, c, "connection closed by the broker");
      return;
    }
    c->rlen += (size_t)n;
    double at = now_ms();
    size_t pos = 0;
    while (pos + 2 <= c->rlen) {
      size_t i;
      uint32_t len;
      if (!whole_packet(c->rbuf, c->rlen, pos, &i, &len)) break;
      uint8_t h = c->rbuf[pos];
      if ((h >> 4) == 3 && c->pub < 0 && len >= 2) on_delivery(c, h, c->rbuf + i, len, at);
      else if ((h >> 4) == 4 && c->pub >= 0) on_ack(&pubs[c->pub], c->rbuf + i, len, at);
      pos = i + len;
    }
    if (pos == 0 && c->rlen == c->rcap) {
      kill_conn(ep, c, "packet larger than the read buffer");
      return;
    }
    memmove(c->rbuf, c->rbuf + pos, c->rlen - pos);
    c->rlen -= pos;
    if ((size_t)n < c->rcap / 2) return;
  }
}

static uint64_t total_sent(void) {
  uint64_t n = 0;
  for (int i = 0; i < npub; i++) n += pubs[i].seq;
  return n;
}

static double seconds_of(struct timeval a, struct timeval b) {
  return (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_usec - a.tv_usec) / 1e6;
}

int main(int argc, char **argv) {
  if (argc != 10) {
    fprintf(stderr, "usage: throughput HOST PORT fanin|pairs N QOS PAYLOAD_BYTES WINDOW SECONDS "
                    "WARMUP_SECONDS\n");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  const char *host = argv[1], *port = argv[2], *scenario = argv[3];
  int n = atoi(argv[4]);
  qos = atoi(argv[5]);
  int size = atoi(argv[6]);
  window = atoi(argv[7]);
  double seconds = atof(argv[8]), warmup = atof(argv[9]);
  int fanin = strcmp(scenario, "fanin") == 0;
  if (!fanin && strcmp(scenario, "pairs") != 0) {
    fprintf(stderr, "throughput: scenario '%s': expected fanin or pairs\n", scenario);
    return 2;
  }
  if (n < 1 || n > 10000 || qos < 0 || qos > 1 || size < PAYLOAD_HEADER || size > (1 << 20) ||
      window < 1 || window > 65535 || seconds <= 0 || warmup < 0 || warmup >= seconds) {
    fprintf(stderr, "throughput: N 1..10000, QOS 0..1, PAYLOAD %d..1048576, WINDOW 1..65535, "
                    "SECONDS > WARMUP_SECONDS >= 0\n",
            PAYLOAD_HEADER);
    return 2;
  }
  npub = n;
  nsub = fanin ? 1 : n;
  minBatch = window / 4 > 0 ? window / 4 : 1;
  int self = (int)getpid();
  tag = (uint32_t)self;
  lat.b = xalloc(BUCKETS * sizeof(uint64_t));
  ackLat.b = xalloc(BUCKETS * sizeof(uint64_t));
  pubs = xalloc((size_t)npub * sizeof *pubs);
  subs = xalloc((size_t)nsub * sizeof *subs);
  char topic[128], id[64];
  size_t maxFrame = 0;

  /* Publishers' PUBLISH templates first: their size sets the buffers'. */
  uint32_t ring = 2;
  while (ring <= (uint32_t)window && ring < 65536) ring *= 2;
  for (int i = 0; i < npub; i++) {
    struct publisher *p = &pubs[i];
    if (fanin)
      snprintf(topic, sizeof topic, "bench/%d/%d/x", self, i);
    else
      snprintf(topic, sizeof topic, "bench/%d/pair/%d", self, i);
    size_t tl = strlen(topic);
    uint32_t rem = (uint32_t)(2 + tl + (qos ? 2 : 0) + (size_t)size);
    p->msg = xalloc(8 + rem);
    int hl = 0;
    p->msg[hl++] = (uint8_t)(0x30 | (qos << 1));
    hl += put_len(p->msg + hl, rem);
    size_t at = (size_t)hl;
    p->msg[at++] = (uint8_t)(tl >> 8);
    p->msg[at++] = (uint8_t)tl;
    memcpy(p->msg + at, topic, tl);
    at += tl;
    p->idAt = at;
    if (qos) at += 2;
    p->payAt = at;
    p->len = at + (size_t)size;
    memset(p->msg + p->payAt, '.', (size_t)size);
    p->msg[p->payAt] = 'P';
    p->msg[p->payAt + 1] = 'B';
    put_u32(p->msg + p->payAt + TAG_AT, tag);
    put_u32(p->msg + p->payAt + PUB_AT, (uint32_t)i);
    p->nextId = 1;
    p->mask = ring - 1;
    p->sentAt = xalloc(ring * sizeof(double));
    if (p->len > maxFrame) maxFrame = p->len;
  }

  int ep = epoll_create1(0);
  if (ep < 0) die("epoll_create1");
  const char *subHost = sub_env("SUB_HOST", host), *subPort = sub_env("SUB_PORT", port);
  for (int i = 0; i < nsub; i++) {
    int fd = dial(subHost, subPort);
    snprintf(id, sizeof id, "ptc%d-s%d", self, i);
    mqtt_connect(fd, id);
    if (fanin)
      snprintf(topic, sizeof topic, "bench/%d/+/x", self);
    else
      snprintf(topic, sizeof topic, "bench/%d/pair/%d", self, i);
    mqtt_subscribe(fd, topic, qos);
    conn_init(&subs[i], fd, -1, maxFrame);
  }
  for (int i = 0; i < npub; i++) {
    int fd = dial(host, port);
    snprintf(id, sizeof id, "ptc%d-p%d", self, i);
    mqtt_connect(fd, id);
    pubs[i].c = xalloc(sizeof(struct conn));
    conn_init(pubs[i].c, fd, i, maxFrame);
  }
  for (int i = 0; i < nsub + npub; i++) {
    struct conn *c = i < nsub ? &subs[i] : pubs[i - nsub].c;
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) != 0) die("epoll_ctl");
  }

  struct rusage ru0, ru1;
  getrusage(RUSAGE_SELF, &ru0);
  const int64_t t0 = now_ns();
  const int64_t measureFrom = t0 + (int64_t)(warmup * 1e9);
  const int64_t endAt = t0 + (int64_t)(seconds * 1e9);
  measureFromMs = (double)measureFrom / 1e6;
  int64_t stopAt = 0, lastMove = 0;
  uint64_t sent0 = 0, recv0 = 0, sent1 = 0, recv1 = 0, lastSeen = 0;
  int measuring = warmup == 0;
  struct epoll_event evs[256];

  for (int i = 0; i < npub; i++) pump(&pubs[i]);
  for (int i = 0; i < npub; i++) flush(ep, pubs[i].c);
  for (;;) {
    int64_t now = now_ns();
    if (!measuring && now >= measureFrom) {
      measuring = 1;
      sent0 = total_sent();
      recv0 = received;
    }
    if (sending && now >= endAt) {
      sending = 0;
      stopAt = now;
      getrusage(RUSAGE_SELF, &ru1);
      sent1 = total_sent();
      recv1 = received;
      lastMove = now;
    }
    if (!sending) {
      /* Drain: until every message is delivered (and acked), or nothing moves for a while. */
      int complete = 1;
      uint64_t moved = received;
      for (int i = 0; i < npub; i++) {
        if (pubs[i].delivered < pubs[i].seq || (qos > 0 && pubs[i].acked < pubs[i].seq))
          complete = 0;
        moved += pubs[i].acked;
      }
      if (complete) break;
      if (moved != lastSeen) {
        lastSeen = moved;
        lastMove = now;
      } else if (now - lastMove > IDLE_DRAIN_NS) {
        break;
      }
      if (now - stopAt > MAX_DRAIN_NS) break;
    }
    int64_t left = sending ? endAt - now : 0;
    int timeout = left > 10000000LL || !sending ? 10 : (int)(left / 1000000) + 1;
    int ne = epoll_wait(ep, evs, 256, timeout);
    if (ne < 0) {
      if (errno == EINTR) continue;
      die("epoll_wait");
    }
    for (int e = 0; e < ne; e++) {
      struct conn *c = evs[e].data.ptr;
      if (evs[e].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) on_readable(ep, c);
    }
    /* End of the round: one write per socket (the subscribers' acks, then new messages). */
    for (int i = 0; i < nsub; i++)
      if (subs[i].wlen > 0) flush(ep, &subs[i]);
    for (int i = 0; i < npub; i++) {
      struct publisher *p = &pubs[i];
      if (p->touched || p->c->wlen > 0) {
        p->touched = 0;
        /* Flush first: a backlog written out now leaves room for this round's messages. */
        if (p->c->wlen > 0) flush(ep, p->c);
        pump(p);
        flush(ep, p->c);
      }
    }
  }
  if (stopAt == 0) stopAt = now_ns();

  uint8_t disc[2] = {0xe0, 0};
  uint64_t sent = total_sent(), unique = 0, dups = 0;
  for (int i = 0; i < npub; i++) {
    unique += pubs[i].seen.unique;
    dups += pubs[i].seen.dups;
  }
  for (int i = 0; i < nsub + npub; i++) {
    struct conn *c = i < nsub ? &subs[i] : pubs[i - nsub].c;
    if (!c->dead) (void)!write(c->fd, disc, 2);
    close(c->fd);
  }

  double measured = (double)(stopAt - (measuring ? measureFrom : t0)) / 1e9;
  double wall = (double)(stopAt - t0) / 1e9;
  double user = seconds_of(ru0.ru_utime, ru1.ru_utime);
  double sys = seconds_of(ru0.ru_stime, ru1.ru_stime);
  double share = wall > 0 ? (user + sys) / wall : 0;
  uint64_t expected = sent; /* each message has exactly one subscriber, in both scenarios */
  printf("{\"scenario\":\"%s\",\"generator\":\"c\",\"broker\":\"%s:%s\",\"protocolVersion\":4,"
         "\"qos\":%d,\"payloadSize\":%d,\"publishers\":%d,\"subscribers\":%d,\"window\":%d,"
         "\"rate\":0,\"workers\":1,\"seconds\":%.3f,\"sent\":%llu,\"received\":%llu,"
         "\"expected\":%llu,\"lost\":%llu,\"duplicates\":%llu,\"sendRate\":%.1f,"
         "\"receiveRate\":%.1f,",
         fanin ? "fanin" : "pairs", host, port, qos, size, npub, nsub, window, measured,
         (unsigned long long)sent, (unsigned long long)received, (unsigned long long)expected,
         (unsigned long long)(expected > unique ? expected - unique : 0),
         (unsigned long long)dups, measured > 0 ? (double)(sent1 - sent0) / measured : 0,
         measured > 0 ? (double)(recv1 - recv0) / measured : 0);
  print_hist("latencyMs", &lat);
  if (qos)
    print_hist("ackMs", &ackLat);
  else
    printf("\"ackMs\":null,");
  printf("\"connections\":null,\"cpu\":{\"user\":%.3f,\"system\":%.3f,\"coreShare\":%.4f,"
         "\"busiestThread\":%.4f,\"threads\":1,\"saturated\":%s},\"errors\":[",
         user, sys, share, share > 1 ? 1.0 : share, share >= 0.9 ? "true" : "false");
  for (int i = 0; i < nerrors; i++) {
    printf("%s\"", i ? "," : "");
    for (const char *s = errors[i]; *s; s++) {
      if (*s == '"' || *s == '\\') putchar('\\');
      putchar(*s);
    }
    putchar('"');
  }
  printf("]}\n");
  return 0;
}
