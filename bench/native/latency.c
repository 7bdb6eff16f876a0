/*
 * The latency scenario's generator in C: 1 publisher -> 1 subscriber on one topic at a fixed rate,
 * publish-to-delivery and publish-to-PUBACK latency, with no garbage collector, JIT or event loop
 * of its own to add jitter. One thread, two blocking TCP sockets (TCP_NODELAY) and ppoll() with a
 * nanosecond timeout: it sleeps until a socket is readable or the next message is due, reads the
 * clock right after waking, and sends on schedule (open loop: a stalled broker does not delay the
 * next sends, so a stall is measured in full rather than hidden by coordinated omission).
 *
 * Built at bench time by `npm run bench:compare` (gcc -O2, no dependencies beyond libc):
 *   gcc -O2 -o latency bench/native/latency.c
 *   ./latency HOST PORT QOS RATE SECONDS WARMUP_SECONDS PAYLOAD_BYTES
 * SUB_HOST / SUB_PORT in the environment connect the subscriber elsewhere (another cluster node).
 * Prints one JSON object shaped like `petrel bench --json`'s report (the fields bench:compare
 * reads). MQTT 3.1.1, clean sessions, QoS 0 or 1. With LATENCY_SAMPLES=FILE it also writes every
 * measured delivery's send time and latency (ns) to FILE.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define TOOL "latency"
#include "mqtt.h"

#define RBUF (1 << 16)
#define MAGIC 0x50424c43u /* "PBLC" */

/* Incremental frame reader over one socket's receive buffer. */
struct conn {
  int fd;
  uint8_t buf[RBUF];
  size_t len;
};

int main(int argc, char **argv) {
  if (argc < 8) {
    fprintf(stderr, "usage: latency HOST PORT QOS RATE SECONDS WARMUP_SECONDS PAYLOAD_BYTES\n");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  const char *host = argv[1], *port = argv[2];
  int qos = atoi(argv[3]);
  double rate = atof(argv[4]);
  double seconds = atof(argv[5]), warmup = atof(argv[6]);
  int size = atoi(argv[7]);
  if (qos < 0 || qos > 1 || rate <= 0 || seconds <= 0 || size < 24 || size > 60000) {
    fprintf(stderr, "latency: QOS 0..1, RATE > 0, SECONDS > 0, PAYLOAD 24..60000\n");
    return 2;
  }
  char topic[64], sid[64], pid[64];
  snprintf(topic, sizeof topic, "bench/latency-c/%d", (int)getpid());
  snprintf(sid, sizeof sid, "plc%d-s", (int)getpid());
  snprintf(pid, sizeof pid, "plc%d-p", (int)getpid());

  static struct conn sub, pub;
  sub.fd = dial(sub_env("SUB_HOST", host), sub_env("SUB_PORT", port));
  mqtt_connect(sub.fd, sid);
  mqtt_subscribe(sub.fd, topic, qos);
  pub.fd = dial(host, port);
  mqtt_connect(pub.fd, pid);

  /* The PUBLISH template: fixed header, topic, packet id (QoS 1), payload. */
  size_t tl = strlen(topic);
  uint32_t rem = (uint32_t)(2 + tl + (qos ? 2 : 0) + (size_t)size);
  uint8_t *msg = calloc(1, 8 + rem);
  int hl = 0;
  msg[hl++] = (uint8_t)(0x30 | (qos << 1));
  hl += put_len(msg + hl, rem);
  size_t at = (size_t)hl;
  msg[at++] = (uint8_t)(tl >> 8);
  msg[at++] = (uint8_t)tl;
  memcpy(msg + at, topic, tl);
  at += tl;
  size_t idAt = at;
  if (qos) at += 2;
  size_t payAt = at;
  size_t msgLen = payAt + (size_t)size;
  memset(msg + payAt, '.', (size_t)size);
  uint32_t magic = htonl(MAGIC);
  memcpy(msg + payAt, &magic, 4);

  /* LATENCY_SAMPLES=FILE: each measured delivery as "SEND_NS LATENCY_NS" (CLOCK_MONOTONIC), for
     bench/macro/stalls.ts to match the slow ones against what the broker was doing. */
  const char *dumpPath = getenv("LATENCY_SAMPLES");
  FILE *dump = dumpPath != NULL && dumpPath[0] != 0 ? fopen(dumpPath, "w") : NULL;
  if (dumpPath != NULL && dumpPath[0] != 0 && dump == NULL) die("LATENCY_SAMPLES");
  size_t cap = (size_t)(rate * (seconds + 1)) + 16;
  int64_t *lat = malloc(cap * sizeof *lat), *ack = malloc(cap * sizeof *ack);
  int64_t *sentAt = calloc(65536, sizeof *sentAt);
  uint8_t *seen = calloc(cap, 1);
  size_t nlat = 0, nack = 0;
  uint64_t sent = 0, received = 0, unique = 0, dups = 0, acked = 0;
  uint8_t acks[4096];
  size_t nacks = 0;

  struct rusage ru0, ru1;
  getrusage(RUSAGE_SELF, &ru0);
  const int64_t period = (int64_t)(1e9 / rate);
  const int64_t t0 = now_ns();
  const int64_t measureFrom = t0 + (int64_t)(warmup * 1e9);
  const int64_t endAt = t0 + (int64_t)(seconds * 1e9);
  int64_t due = t0;
  int64_t drainUntil = 0;
  uint16_t id = 1;
  struct conn *cs[2] = {&sub, &pub};

  for (;;) {
    int64_t now = now_ns();
    int sending = now < endAt;
    if (!sending) {
      if (drainUntil == 0) drainUntil = now + 2000000000LL;
      if (unique >= sent && (qos == 0 || acked >= sent)) break;
      if (now >= drainUntil) break;
    }
    while (sending && now >= due) {
      uint64_t seq = sent;
      if (qos) {
        msg[idAt] = (uint8_t)(id >> 8);
        msg[idAt + 1] = (uint8_t)id;
      }
      memcpy(msg + payAt + 4, &seq, 8);
      int64_t ts = now_ns();
      memcpy(msg + payAt + 12, &ts, 8);
      if (qos) sentAt[id] = ts;
      write_all(pub.fd, msg, msgLen);
      id = id == 65535 ? 1 : id + 1;
      sent++;
      due += period;
      now = now_ns();
    }
    int64_t wait = sending ? due - now : 10000000LL;
    if (wait < 0) wait = 0;
    struct timespec to = {(time_t)(wait / 1000000000LL), (long)(wait % 1000000000LL)};
    struct pollfd pf[2] = {{sub.fd, POLLIN, 0}, {pub.fd, POLLIN, 0}};
    int r = ppoll(pf, 2, &to, NULL);
    if (r < 0) {
      if (errno == EINTR) continue;
      die("ppoll");
    }
    if (r == 0) continue;
    int64_t at_ns = now_ns();
    for (int k = 0; k < 2; k++) {
      if (!(pf[k].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      struct conn *c = cs[k];
      ssize_t n = read(c->fd, c->buf + c->len, RBUF - c->len);
      if (n <= 0) {
        errno = n == 0 ? ECONNRESET : errno;
        die(k == 0 ? "subscriber connection" : "publisher connection");
      }
      c->len += (size_t)n;
      size_t pos = 0;
      nacks = 0;
      while (pos + 2 <= c->len) {
        size_t i;
        uint32_t len;
        if (!whole_packet(c->buf, c->len, pos, &i, &len)) break;
        uint8_t h = c->buf[pos];
        const uint8_t *body = c->buf + i;
        if ((h >> 4) == 3 && k == 0) {
          int q = (h >> 1) & 3;
          size_t p = 2 + (((size_t)body[0] << 8) | body[1]);
          if (q) {
            acks[nacks++] = 0x40;
            acks[nacks++] = 2;
            acks[nacks++] = body[p];
            acks[nacks++] = body[p + 1];
            p += 2;
            if (nacks + 4 > sizeof acks) {
              write_all(c->fd, acks, nacks);
              nacks = 0;
            }
          }
          received++;
          uint32_t mg;
          memcpy(&mg, body + p, 4);
          if (mg == magic && len - p >= 20) {
            uint64_t seq;
            int64_t ts;
            memcpy(&seq, body + p + 4, 8);
            memcpy(&ts, body + p + 12, 8);
            if (seq < cap && !seen[seq]) {
              seen[seq] = 1;
              unique++;
              if (ts >= measureFrom && nlat < cap) {
                lat[nlat++] = at_ns - ts;
                if (dump != NULL) fprintf(dump, "%lld %lld\n", (long long)ts, (long long)(at_ns - ts));
              }
            } else {
              dups++;
            }
          }
        } else if ((h >> 4) == 4 && k == 1) {
          uint16_t aid = (uint16_t)((body[0] << 8) | body[1]);
          acked++;
          if (sentAt[aid] >= measureFrom && nack < cap) ack[nack++] = at_ns - sentAt[aid];
        }
        pos = i + len;
      }
      if (nacks > 0) write_all(c->fd, acks, nacks);
      memmove(c->buf, c->buf + pos, c->len - pos);
      c->len -= pos;
    }
  }
  int64_t stopAt = now_ns();
  if (dump != NULL) fclose(dump);
  getrusage(RUSAGE_SELF, &ru1);
  uint8_t disc[2] = {0xe0, 0};
  write_all(pub.fd, disc, 2);
  write_all(sub.fd, disc, 2);
  close(pub.fd);
  close(sub.fd);

  double wall = (double)(stopAt - t0) / 1e9;
  double measured = seconds - warmup;
  double user = (double)(ru1.ru_utime.tv_sec - ru0.ru_utime.tv_sec) +
                (double)(ru1.ru_utime.tv_usec - ru0.ru_utime.tv_usec) / 1e6;
  double sys = (double)(ru1.ru_stime.tv_sec - ru0.ru_stime.tv_sec) +
               (double)(ru1.ru_stime.tv_usec - ru0.ru_stime.tv_usec) / 1e6;
  double share = (user + sys) / wall;
  printf("{\"scenario\":\"latency\",\"generator\":\"c\",\"broker\":\"%s:%s\",\"protocolVersion\":4,"
         "\"qos\":%d,\"payloadSize\":%d,\"publishers\":1,\"subscribers\":1,\"window\":0,"
         "\"rate\":%g,\"workers\":1,\"seconds\":%.3f,\"sent\":%llu,\"received\":%llu,"
         "\"expected\":%llu,\"lost\":%llu,\"duplicates\":%llu,\"sendRate\":%.1f,"
         "\"receiveRate\":%.1f,",
         host, port, qos, size, rate, measured, (unsigned long long)sent,
         (unsigned long long)received, (unsigned long long)sent,
         (unsigned long long)(sent - unique), (unsigned long long)dups,
         (double)sent / seconds, (double)received / seconds);
  print_summary("latencyMs", lat, nlat);
  if (qos)
    print_summary("ackMs", ack, nack);
  else
    printf("\"ackMs\":null,");
  printf("\"connections\":null,\"cpu\":{\"user\":%.3f,\"system\":%.3f,\"coreShare\":%.4f,"
         "\"busiestThread\":%.4f,\"threads\":1,\"saturated\":%s},\"errors\":[]}\n",
         user, sys, share, share, share >= 0.9 ? "true" : "false");
  return 0;
}
