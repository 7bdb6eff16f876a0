/*
 * What the C generators (latency.c, throughput.c, connect.c) share: the clock, fatal errors, dialling with
 * TCP_NODELAY, blocking writes, and the MQTT 3.1.1 handshake (CONNECT/CONNACK, SUBSCRIBE/SUBACK)
 * done with blocking reads before the measured loop starts. Each generator defines TOOL (its name,
 * for error messages) and includes the system headers before this file.
 */
#ifndef PETREL_BENCH_MQTT_H
#define PETREL_BENCH_MQTT_H

static int64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static void die(const char *what) {
  fprintf(stderr, "%s: %s: %s\n", TOOL, what, errno ? strerror(errno) : "failed");
  exit(1);
}

static int dial(const char *host, const char *port) {
  struct addrinfo hints = {0}, *res;
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  if (getaddrinfo(host, port, &hints, &res) != 0) die("getaddrinfo");
  int fd = socket(res->ai_family, res->ai_socktype, res->ai_protocol);
  if (fd < 0) die("socket");
  if (connect(fd, res->ai_addr, res->ai_addrlen) != 0) die("connect");
  freeaddrinfo(res);
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

/* Where the subscribers dial: SUB_HOST / SUB_PORT when set (another node of a cluster, so every
   message crosses between nodes), else the publishers' host and port. */
static const char *sub_env(const char *name, const char *fallback) {
  const char *v = getenv(name);
  return v != NULL && v[0] != 0 ? v : fallback;
}

static void write_all(int fd, const uint8_t *b, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, b, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      die("write");
    }
    b += w;
    n -= (size_t)w;
  }
}

static int put_len(uint8_t *b, uint32_t n) {
  int i = 0;
  do {
    uint8_t d = n % 128;
    n /= 128;
    b[i++] = d | (n > 0 ? 0x80 : 0);
  } while (n > 0);
  return i;
}

/*
 * Whether a whole packet starts at buf[pos] among the first `have` bytes: if so, *body is the
 * offset of its body and *len its Remaining Length. The non-blocking read loops frame with it.
 */
static int whole_packet(const uint8_t *buf, size_t have, size_t pos, size_t *body, uint32_t *len) {
  uint32_t n = 0, mul = 1;
  size_t i = pos + 1;
  while (i < have && i < pos + 5) {
    uint8_t b = buf[i++];
    n += (b & 0x7fu) * mul;
    mul *= 128;
    if (!(b & 0x80)) {
      if (i + n > have) return 0;
      *body = i;
      *len = n;
      return 1;
    }
  }
  return 0;
}

static uint8_t read_packet(int fd, uint8_t *buf, size_t cap) {
  uint8_t h;
  if (read(fd, &h, 1) != 1) die("read (handshake)");
  uint32_t len = 0, mul = 1;
  uint8_t b;
  do {
    if (read(fd, &b, 1) != 1) die("read (handshake)");
    len += (b & 0x7f) * mul;
    mul *= 128;
  } while (b & 0x80);
  if (len > cap) die("handshake packet too long");
  uint32_t got = 0;
  while (got < len) {
    ssize_t r = read(fd, buf + got, len - got);
    if (r <= 0) die("read (handshake)");
    got += (uint32_t)r;
  }
  return h;
}

static void mqtt_connect(int fd, const char *id) {
  uint8_t p[128];
  size_t idl = strlen(id);
  uint8_t body[] = {0, 4, 'M', 'Q', 'T', 'T', 4, 0x02, 0, 0};
  int n = 0;
  p[n++] = 0x10;
  n += put_len(p + n, (uint32_t)(sizeof body + 2 + idl));
  memcpy(p + n, body, sizeof body);
  n += sizeof body;
  p[n++] = (uint8_t)(idl >> 8);
  p[n++] = (uint8_t)idl;
  memcpy(p + n, id, idl);
  n += (int)idl;
  write_all(fd, p, (size_t)n);
  uint8_t r[16];
  if ((read_packet(fd, r, sizeof r) >> 4) != 2 || r[1] != 0) die("CONNACK refused");
}

static void mqtt_subscribe(int fd, const char *filter, int qos) {
  uint8_t p[256];
  size_t tl = strlen(filter);
  int n = 0;
  p[n++] = 0x82;
  n += put_len(p + n, (uint32_t)(2 + 2 + tl + 1));
  p[n++] = 0;
  p[n++] = 1;
  p[n++] = (uint8_t)(tl >> 8);
  p[n++] = (uint8_t)tl;
  memcpy(p + n, filter, tl);
  n += (int)tl;
  p[n++] = (uint8_t)qos;
  write_all(fd, p, (size_t)n);
  uint8_t r[16];
  if ((read_packet(fd, r, sizeof r) >> 4) != 9 || r[2] >= 0x80) die("SUBACK refused");
}

/* Latency samples (ns) printed as a JSON member in ms, like petrel bench's summaries. */
static int cmp64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return x < y ? -1 : x > y;
}

/* Percentile of sorted samples (ns), as ms, nearest rank. */
static double pct(const int64_t *s, size_t n, double q) {
  if (n == 0) return 0;
  size_t i = (size_t)(q * (double)n);
  if (i >= n) i = n - 1;
  return (double)s[i] / 1e6;
}

static void print_summary(const char *name, int64_t *s, size_t n) {
  if (n == 0) {
    printf("\"%s\":null,", name);
    return;
  }
  qsort(s, n, sizeof *s, cmp64);
  double sum = 0;
  for (size_t i = 0; i < n; i++) sum += (double)s[i];
  printf("\"%s\":{\"count\":%zu,\"min\":%.4f,\"mean\":%.4f,\"p50\":%.4f,\"p90\":%.4f,\"p99\":%.4f,"
         "\"p999\":%.4f,\"max\":%.4f},",
         name, n, (double)s[0] / 1e6, sum / (double)n / 1e6, pct(s, n, 0.5), pct(s, n, 0.9),
         pct(s, n, 0.99), pct(s, n, 0.999), (double)s[n - 1] / 1e6);
}

#endif
