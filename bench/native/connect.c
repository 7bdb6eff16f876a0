/*
 * The connection scenario's generator in C: opens COUNT MQTT 3.1.1 connections (keep-alive 0,
 * clean session), at most CONCURRENCY of them between socket() and CONNACK at a time, and holds
 * them all for HOLD_SECONDS before closing. A Node generator needed more than a core for this on
 * 2 cores and was the bottleneck for every broker; this one is one thread on epoll with
 * non-blocking sockets.
 *
 * Built at bench time by `npm run bench:compare` (gcc -O2, no dependencies beyond libc):
 *   ./connect HOST PORT COUNT CONCURRENCY HOLD_SECONDS
 * Writes "N connections open" to stderr once every CONNACK is in (the bench driver reads the
 * broker's RSS then), and one JSON object shaped like `petrel bench --json`'s report to stdout
 * after the hold. The rate counts from the first socket() to the last CONNACK; the generator's CPU
 * is its user + system time over that same span.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define TOOL "connect"
#include "mqtt.h"

enum phase { IDLE, DIALLING, AWAITING, OPEN, FAILED };

struct slot {
  int fd;
  enum phase phase;
  uint8_t got[4];
  int have;
  int64_t started;
};

/* This process's CPU time so far, user and system, seconds. */
static void cpu_seconds(double *user, double *sys) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  *user = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6;
  *sys = (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* Starts connection i: a non-blocking connect, CONNECT written once it is writable. */
static void dial_async(int ep, struct slot *s, const struct addrinfo *ai, int64_t now, long i) {
  int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
  if (fd < 0) die("socket (raise the open-file limit?)");
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  s->fd = fd;
  s->have = 0;
  s->started = now;
  s->phase = DIALLING;
  if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0 && errno != EINPROGRESS) die("connect");
  struct epoll_event ev = {.events = EPOLLOUT, .data.u64 = (uint64_t)i};
  if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0) die("epoll_ctl");
}

/* The CONNECT of connection i: 3.1.1, clean session, keep-alive 0 (idle for the whole hold). */
static int connect_packet(uint8_t *p, long i) {
  char id[32];
  int idl = snprintf(id, sizeof id, "pcc%d-%ld", (int)getpid(), i);
  uint8_t body[] = {0, 4, 'M', 'Q', 'T', 'T', 4, 0x02, 0, 0};
  int n = 0;
  p[n++] = 0x10;
  n += put_len(p + n, (uint32_t)(sizeof body + 2 + (size_t)idl));
  memcpy(p + n, body, sizeof body);
  n += sizeof body;
  p[n++] = 0;
  p[n++] = (uint8_t)idl;
  memcpy(p + n, id, (size_t)idl);
  return n + idl;
}

int main(int argc, char **argv) {
  if (argc != 6) {
    fprintf(stderr, "usage: connect HOST PORT COUNT CONCURRENCY HOLD_SECONDS\n");
    return 2;
  }
  const char *host = argv[1], *port = argv[2];
  long count = atol(argv[3]), conc = atol(argv[4]);
  double hold = atof(argv[5]);
  if (count <= 0 || conc <= 0 || hold < 0) {
    fprintf(stderr, "connect: COUNT > 0, CONCURRENCY > 0, HOLD_SECONDS >= 0\n");
    return 2;
  }
  struct rlimit rl;
  getrlimit(RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur < (rlim_t)count + 64) {
    rl.rlim_cur = rl.rlim_max < (rlim_t)count + 64 ? rl.rlim_max : (rlim_t)count + 64;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  struct addrinfo hints = {0}, *ai;
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  if (getaddrinfo(host, port, &hints, &ai) != 0) die("getaddrinfo");

  struct slot *slots = calloc((size_t)count, sizeof *slots);
  int64_t *lat = malloc((size_t)count * sizeof *lat);
  if (slots == NULL || lat == NULL) die("malloc");
  int ep = epoll_create1(0);
  if (ep < 0) die("epoll_create1");
  struct epoll_event evs[256];

  double user0, sys0, user1, sys1;
  cpu_seconds(&user0, &sys0);
  int64_t t0 = now_ns();
  /* Nothing may stall the run for ever: a broker that stops answering ends it after 60 s. */
  int64_t deadline = t0 + 60LL * 1000000000LL;
  long next = 0, pending = 0, open = 0, failed = 0;
  size_t nlat = 0;
  while (open + failed < count) {
    int64_t now = now_ns();
    if (now > deadline) break;
    while (pending < conc && next < count) {
      dial_async(ep, &slots[next], ai, now, next);
      next++;
      pending++;
    }
    int n = epoll_wait(ep, evs, 256, 100);
    if (n < 0) {
      if (errno == EINTR) continue;
      die("epoll_wait");
    }
    now = now_ns();
    for (int k = 0; k < n; k++) {
      long i = (long)evs[k].data.u64;
      struct slot *s = &slots[i];
      if (s->phase == DIALLING) {
        int err = 0;
        socklen_t el = sizeof err;
        getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &el);
        uint8_t p[64];
        int len = connect_packet(p, i);
        if (err != 0 || write(s->fd, p, (size_t)len) != len) {
          s->phase = FAILED;
        } else {
          s->phase = AWAITING;
          struct epoll_event ev = {.events = EPOLLIN, .data.u64 = (uint64_t)i};
          epoll_ctl(ep, EPOLL_CTL_MOD, s->fd, &ev);
        }
      } else if (s->phase == AWAITING) {
        ssize_t r = read(s->fd, s->got + s->have, (size_t)(4 - s->have));
        if (r < 0 && (errno == EAGAIN || errno == EINTR)) continue;
        if (r <= 0) {
          s->phase = FAILED;
        } else if ((s->have += (int)r) == 4) {
          if (s->got[0] == 0x20 && s->got[1] == 2 && s->got[3] == 0) {
            s->phase = OPEN;
            lat[nlat++] = now - s->started;
            open++;
          } else {
            s->phase = FAILED;
          }
        }
      }
      if (s->phase == OPEN || s->phase == FAILED) {
        epoll_ctl(ep, EPOLL_CTL_DEL, s->fd, NULL);
        pending--;
        if (s->phase == FAILED) {
          close(s->fd);
          failed++;
        }
      }
    }
  }
  int64_t t1 = now_ns();
  cpu_seconds(&user1, &sys1);
  double user = user1 - user0, sys = sys1 - sys0;
  fprintf(stderr, "%ld connections open\n", open);
  if (hold > 0) {
    struct timespec h = {(time_t)hold, (long)((hold - (double)(time_t)hold) * 1e9)};
    while (nanosleep(&h, &h) != 0 && errno == EINTR) {
    }
  }
  uint8_t disc[2] = {0xe0, 0};
  for (long i = 0; i < next; i++) {
    if (slots[i].phase == OPEN) {
      if (write(slots[i].fd, disc, 2) < 0) {
        /* Closed by the broker meanwhile: nothing to say goodbye to. */
      }
    }
    if (slots[i].phase != FAILED) close(slots[i].fd);
  }

  double wall = (double)(t1 - t0) / 1e9;
  double share = wall > 0 ? (user + sys) / wall : 0;
  printf("{\"scenario\":\"conn\",\"generator\":\"c\",\"broker\":\"%s:%s\",\"protocolVersion\":4,"
         "\"qos\":0,\"payloadSize\":0,\"publishers\":0,\"subscribers\":0,\"window\":0,"
         "\"rate\":0,\"workers\":1,\"seconds\":%.3f,\"sent\":0,\"received\":0,\"expected\":0,"
         "\"lost\":0,\"duplicates\":0,\"sendRate\":0,\"receiveRate\":0,\"latencyMs\":null,"
         "\"ackMs\":null,\"connections\":{",
         host, port, wall);
  print_summary("connackMs", lat, nlat);
  /* Connections that neither failed nor got their CONNACK before the deadline count as failed. */
  printf("\"requested\":%ld,\"connected\":%ld,\"failed\":%ld,\"rate\":%.1f},", count, open,
         count - open, wall > 0 ? (double)open / wall : 0);
  printf("\"cpu\":{\"user\":%.3f,\"system\":%.3f,\"coreShare\":%.4f,\"busiestThread\":%.4f,"
         "\"threads\":1,\"saturated\":%s},\"errors\":[]}\n",
         user, sys, share, share, share >= 0.9 ? "true" : "false");
  freeaddrinfo(ai);
  return 0;
}
