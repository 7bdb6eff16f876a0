/*
 * The ceiling check's relay in C: what the generators can drive when the server costs next to
 * nothing. The Node relay (bench/macro/relay-server.ts) is one Node thread and, on 2 cores,
 * reached only 1.5-1.9x Petrel's fan-in, so the check could not show the 2x that clears a figure
 * of being a lower bound. Same protocol subset and forwarding rule as the Node relay: CONNECT ->
 * CONNACK, SUBSCRIBE -> SUBACK granting what was asked, PUBLISH -> PUBACK / PUBREC at once and
 * the frame forwarded as it arrived (same bytes and packet id) to every subscriber of its exact
 * topic and to every subscriber with a wildcard filter, PUBREL -> PUBCOMP, a subscriber's PUBREC
 * -> PUBREL, PINGREQ -> PINGRESP, DISCONNECT -> close. No sessions, queues, retained messages or
 * validation. One thread, epoll, nonblocking sockets; everything bound for a client during one
 * epoll round goes out in one write(). While any client's unsent bytes exceed OUT_HIGH, nothing
 * is read from publishers (readers of acks only are still read) until they drain.
 *
 *   ./relay PORT        (listens on 127.0.0.1; prints "listening PORT" once ready)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define TOOL "relay"
#include "mqtt.h"

#define MAX_CLIENTS 65536
#define MAX_FILTERS 8
#define IN_FIRST (64 << 10)
#define IN_MAX (16 << 20)
#define OUT_HIGH (8 << 20)

struct client {
  int fd;
  int version;
  uint8_t *in;
  size_t in_len, in_cap;
  int paused;
  uint8_t *out;
  size_t out_len, out_cap;
  int touched, wildcard, nfilters, want_out;
  char *filters[MAX_FILTERS];
};

static struct client *clients[MAX_CLIENTS];
static int touched[MAX_CLIENTS], ntouched;
static int subscribers[MAX_CLIENTS], nsubscribers;
static int ep;
static size_t congested; /* clients whose unsent bytes exceed OUT_HIGH */
static int paused[MAX_CLIENTS], npaused; /* publishers not read until nothing is congested */

static void watch(struct client *c) {
  struct epoll_event ev = {.events = (c->paused ? 0 : EPOLLIN) | (c->want_out ? EPOLLOUT : 0),
                           .data.fd = c->fd};
  epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
}

static void out_append(struct client *c, const uint8_t *b, size_t n) {
  if (c->out_len + n > c->out_cap) {
    size_t cap = c->out_cap ? c->out_cap : 65536;
    while (cap < c->out_len + n) cap *= 2;
    c->out = realloc(c->out, cap);
    if (c->out == NULL) die("realloc");
    c->out_cap = cap;
  }
  memcpy(c->out + c->out_len, b, n);
  c->out_len += n;
  if (!c->touched) {
    c->touched = 1;
    touched[ntouched++] = c->fd;
  }
}

static void drop(struct client *c) {
  epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
  close(c->fd);
  if (c->out_len > OUT_HIGH) congested--;
  for (int i = 0; i < nsubscribers; i++)
    if (subscribers[i] == c->fd) subscribers[i--] = subscribers[--nsubscribers];
  for (int i = 0; i < c->nfilters; i++) free(c->filters[i]);
  clients[c->fd] = NULL;
  free(c->in);
  free(c->out);
  c->fd = -1; /* still in `touched` maybe: skipped there */
  free(c);
}

/* Writes what is pending for c; returns 0 if c was dropped. */
static int flush(struct client *c) {
  int was = c->out_len > OUT_HIGH;
  while (c->out_len > 0) {
    ssize_t w = write(c->fd, c->out, c->out_len);
    if (w < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) break;
      drop(c);
      return 0;
    }
    memmove(c->out, c->out + w, c->out_len - (size_t)w);
    c->out_len -= (size_t)w;
  }
  int is = c->out_len > OUT_HIGH;
  congested += (size_t)is - (size_t)was;
  int want = c->out_len > 0;
  if (want != c->want_out) {
    c->want_out = want;
    watch(c);
  }
  if (congested == 0 && npaused > 0) {
    for (int i = 0; i < npaused; i++) {
      struct client *p = clients[paused[i]];
      if (p == NULL || !p->paused) continue;
      p->paused = 0;
      watch(p);
    }
    npaused = 0;
  }
  return 1;
}

static void ack(struct client *c, uint8_t type, const uint8_t *id) {
  uint8_t b[4] = {type, 2, id[0], id[1]};
  out_append(c, b, 4);
}

static void forward(const uint8_t *frame, size_t n, const uint8_t *topic, size_t tl) {
  for (int i = 0; i < nsubscribers; i++) {
    struct client *s = clients[subscribers[i]];
    int match = s->wildcard;
    for (int k = 0; !match && k < s->nfilters; k++)
      match = strlen(s->filters[k]) == tl && memcmp(s->filters[k], topic, tl) == 0;
    if (match) out_append(s, frame, n);
  }
}

static void on_subscribe(struct client *c, const uint8_t *b, size_t n) {
  uint8_t codes[64];
  int ncodes = 0;
  size_t pos = 2;
  if (c->version == 5) pos += 1 + b[pos]; /* properties: short ones only from the generators */
  while (pos + 2 < n && ncodes < 64) {
    size_t len = ((size_t)b[pos] << 8) | b[pos + 1];
    const char *f = (const char *)b + pos + 2;
    if (memchr(f, '+', len) || memchr(f, '#', len)) {
      c->wildcard = 1;
    } else if (c->nfilters < MAX_FILTERS) {
      c->filters[c->nfilters++] = strndup(f, len);
    }
    pos += 2 + len;
    codes[ncodes++] = b[pos++] & 3;
  }
  int known = 0;
  for (int i = 0; i < nsubscribers; i++) known |= subscribers[i] == c->fd;
  if (!known) subscribers[nsubscribers++] = c->fd;
  int props = c->version == 5;
  uint8_t h[5] = {0x90, (uint8_t)(2 + props + ncodes), b[0], b[1], 0};
  out_append(c, h, (size_t)(4 + props));
  out_append(c, codes, (size_t)ncodes);
}

/* One whole frame: header byte h, body b of n bytes, the frame's bytes at frame (len total). */
static int on_frame(struct client *c, uint8_t h, const uint8_t *b, size_t n, const uint8_t *frame,
                    size_t len) {
  switch (h >> 4) {
  case 1: {
    size_t name = ((size_t)b[0] << 8) | b[1];
    c->version = b[2 + name];
    static const uint8_t v4[4] = {0x20, 2, 0, 0}, v5[5] = {0x20, 3, 0, 0, 0};
    if (c->version == 5)
      out_append(c, v5, 5);
    else
      out_append(c, v4, 4);
    return 1;
  }
  case 3: {
    int qos = (h >> 1) & 3;
    size_t tl = ((size_t)b[0] << 8) | b[1];
    if (qos > 0) ack(c, qos == 1 ? 0x40 : 0x50, b + 2 + tl);
    forward(frame, len, b + 2, tl);
    return 1;
  }
  case 5:
    ack(c, 0x62, b);
    return 1;
  case 6:
    ack(c, 0x70, b);
    return 1;
  case 8:
    on_subscribe(c, b, n);
    return 1;
  case 12: {
    static const uint8_t pong[2] = {0xd0, 0};
    out_append(c, pong, 2);
    return 1;
  }
  case 14:
    return 0;
  default:
    return 1;
  }
}

/* Frames every whole packet in c->in; returns 0 if the client is to be closed. */
static int on_readable(struct client *c) {
  for (;;) {
    if (c->in_len == c->in_cap) {
      if (c->in_cap >= IN_MAX) return 0; /* a packet bigger than the relay carries */
      c->in_cap *= 2;
      c->in = realloc(c->in, c->in_cap);
      if (c->in == NULL) die("realloc");
    }
    size_t room = c->in_cap - c->in_len;
    ssize_t r = read(c->fd, c->in + c->in_len, room);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0 && errno == EAGAIN) return 1;
    if (r <= 0) return 0;
    c->in_len += (size_t)r;
    size_t pos = 0;
    while (pos + 2 <= c->in_len) {
      size_t i;
      uint32_t len;
      if (!whole_packet(c->in, c->in_len, pos, &i, &len)) break;
      if (!on_frame(c, c->in[pos], c->in + i, len, c->in + pos, i + len - pos)) return 0;
      pos = i + len;
    }
    memmove(c->in, c->in + pos, c->in_len - pos);
    c->in_len -= pos;
    if ((size_t)r < room) return 1;
  }
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: relay PORT\n");
    return 2;
  }
  int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  int one = 1;
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[1]))};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(lfd, (struct sockaddr *)&a, sizeof a) != 0) die("bind");
  if (listen(lfd, 1024) != 0) die("listen");
  ep = epoll_create1(0);
  struct epoll_event lev = {.events = EPOLLIN, .data.fd = lfd};
  epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &lev);
  printf("listening %s\n", argv[1]);
  fflush(stdout);
  struct epoll_event evs[256];
  for (;;) {
    int n = epoll_wait(ep, evs, 256, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("epoll_wait");
    }
    for (int k = 0; k < n; k++) {
      int fd = evs[k].data.fd;
      if (fd == lfd) {
        int cfd;
        while ((cfd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
          if (cfd >= MAX_CLIENTS) {
            close(cfd);
            continue;
          }
          setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          struct client *c = calloc(1, sizeof *c);
          c->fd = cfd;
          c->in_cap = IN_FIRST;
          c->in = malloc(IN_FIRST);
          if (c->in == NULL) die("malloc");
          clients[cfd] = c;
          struct epoll_event ev = {.events = EPOLLIN, .data.fd = cfd};
          epoll_ctl(ep, EPOLL_CTL_ADD, cfd, &ev);
        }
        continue;
      }
      struct client *c = clients[fd];
      if (c == NULL) continue;
      if (evs[k].events & EPOLLOUT) {
        if (!flush(c)) continue;
      }
      if (evs[k].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
        /* Back-pressure: a publisher is not read while a subscriber is congested. */
        if (congested > 0 && c->nfilters == 0 && !c->wildcard && c->version != 0) {
          if (!c->paused) {
            c->paused = 1;
            paused[npaused++] = fd;
            watch(c);
          }
          continue;
        }
        if (!on_readable(c)) drop(c);
      }
    }
    for (int i = 0; i < ntouched; i++) {
      struct client *c = clients[touched[i]];
      if (c == NULL) continue;
      c->touched = 0;
      flush(c);
    }
    ntouched = 0;
  }
}
