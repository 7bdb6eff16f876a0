import { isIPv6 } from 'node:net';

/**
 * The HAProxy PROXY protocol (versions 1 and 2): the header a TCP load balancer sends before the
 * client's bytes, naming the client's real address. Pure parsing, no I/O: the listener feeds the
 * first bytes of a connection to a {@link ProxyHeaderDecoder} and, once it has a header, hands
 * the remaining bytes (MQTT or a TLS handshake) on unchanged.
 */

/** The 12 bytes that open a version 2 header. */
export const PROXY_V2_SIGNATURE: Buffer = Buffer.from([
  0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a,
]);
/** Longest version 1 header, `\r\n` included (the protocol's own bound). */
export const PROXY_V1_MAX_LENGTH = 107;
/** Longest version 2 header: 16 fixed bytes and a 16-bit length of addresses and TLVs. */
export const PROXY_V2_MAX_LENGTH = 16 + 0xffff;

const V1_PREFIX = Buffer.from('PROXY ', 'latin1');
const CR = 0x0d;
const LF = 0x0a;

/** What a PROXY header says about the connection. */
export interface ProxyHeader {
  /** 1 (text) or 2 (binary). */
  readonly version: 1 | 2;
  /**
   * `TCP4`, `TCP6` (v1 and v2), `UDP4`, `UDP6`, `UNIX` (v2), or `UNKNOWN`: v1 `UNKNOWN`, v2
   * `LOCAL` (a health check of the balancer itself) or v2 unspecified family.
   */
  readonly family: 'TCP4' | 'TCP6' | 'UDP4' | 'UDP6' | 'UNIX' | 'UNKNOWN';
  /**
   * The client's IP address, to be used in place of the socket's; undefined when the header
   * names none (`UNKNOWN`, `LOCAL`, `UNIX`): the socket's own address stays.
   */
  readonly sourceAddress: string | undefined;
  /** The client's port (with {@link sourceAddress}). */
  readonly sourcePort: number | undefined;
  /** The address the client connected to, as the balancer saw it. */
  readonly destinationAddress: string | undefined;
  /** The port the client connected to. */
  readonly destinationPort: number | undefined;
  /** Bytes the header took; everything after them belongs to the proxied stream. */
  readonly length: number;
}

/** Outcome of {@link parseProxyHeader}. */
export type ProxyParseResult =
  | { readonly status: 'incomplete' }
  | { readonly status: 'done'; readonly header: ProxyHeader }
  | { readonly status: 'invalid'; readonly reason: string };

const INCOMPLETE: ProxyParseResult = { status: 'incomplete' };

function invalid(reason: string): ProxyParseResult {
  return { status: 'invalid', reason };
}

/**
 * Parses the PROXY header at the start of `buf` (the first bytes of a connection). Returns
 * `incomplete` while `buf` is a valid prefix of a header, `invalid` as soon as it cannot become
 * one (so a client speaking MQTT directly is refused at its first byte), else the header and its
 * length. Never reads past the header.
 */
export function parseProxyHeader(buf: Buffer): ProxyParseResult {
  if (buf.length === 0) return INCOMPLETE;
  const first = buf[0];
  if (first === V1_PREFIX[0]) return parseV1(buf);
  if (first === PROXY_V2_SIGNATURE[0]) return parseV2(buf);
  return invalid('no PROXY protocol header');
}

function parseV1(buf: Buffer): ProxyParseResult {
  const n = Math.min(buf.length, V1_PREFIX.length);
  for (let i = 0; i < n; i++) {
    if (buf[i] !== V1_PREFIX[i]) return invalid('no PROXY protocol header');
  }
  const limit = Math.min(buf.length, PROXY_V1_MAX_LENGTH);
  let end = -1;
  for (let i = V1_PREFIX.length; i < limit; i++) {
    const c = buf[i] as number;
    if (c === CR) {
      if (i + 2 > PROXY_V1_MAX_LENGTH) return invalid('v1 header longer than 107 bytes');
      if (i + 1 >= buf.length) return INCOMPLETE;
      if (buf[i + 1] !== LF) return invalid('v1 header: CR without LF');
      end = i;
      break;
    }
    // Printable ASCII only: a binary stream is refused before 107 bytes are buffered.
    if (c < 0x20 || c > 0x7e) return invalid('v1 header: unexpected byte');
  }
  if (end < 0) {
    return buf.length >= PROXY_V1_MAX_LENGTH
      ? invalid('v1 header longer than 107 bytes')
      : INCOMPLETE;
  }
  const length = end + 2;
  const fields = buf.toString('latin1', V1_PREFIX.length, end).split(' ');
  const proto = fields[0];
  if (proto === 'UNKNOWN') {
    // The rest of an UNKNOWN line is to be ignored, whatever it holds.
    return done(1, 'UNKNOWN', undefined, undefined, undefined, undefined, length);
  }
  if (proto !== 'TCP4' && proto !== 'TCP6') return invalid('v1 header: unknown protocol');
  if (fields.length !== 5) return invalid('v1 header: expected 4 fields after the protocol');
  const [, src, dst, sport, dport] = fields as [string, string, string, string, string];
  const isAddress = proto === 'TCP4' ? isIPv4Text : isIPv6Text;
  if (!isAddress(src)) return invalid(`v1 header: bad source address for ${proto}`);
  if (!isAddress(dst)) return invalid(`v1 header: bad destination address for ${proto}`);
  const sp = portText(sport);
  const dp = portText(dport);
  if (sp < 0 || dp < 0) return invalid('v1 header: bad port');
  return done(1, proto, src, sp, dst, dp, length);
}

function parseV2(buf: Buffer): ProxyParseResult {
  const n = Math.min(buf.length, PROXY_V2_SIGNATURE.length);
  for (let i = 0; i < n; i++) {
    if (buf[i] !== PROXY_V2_SIGNATURE[i]) return invalid('v2 header: bad signature');
  }
  if (buf.length < 16) {
    // Check the version and command as soon as they are there.
    if (buf.length > 12 && !validVersionCommand(buf[12] as number)) {
      return invalid('v2 header: bad version or command');
    }
    return INCOMPLETE;
  }
  const verCmd = buf[12] as number;
  if (!validVersionCommand(verCmd)) return invalid('v2 header: bad version or command');
  const fam = buf[13] as number;
  const bodyLength = buf.readUInt16BE(14);
  const length = 16 + bodyLength;
  if ((verCmd & 0x0f) === 0) {
    // LOCAL: the balancer's own connection (a health check); the block is skipped whole.
    if (buf.length < length) return INCOMPLETE;
    return done(2, 'UNKNOWN', undefined, undefined, undefined, undefined, length);
  }
  let family: ProxyHeader['family'];
  let addrLength: number;
  switch (fam) {
    case 0x00:
      family = 'UNKNOWN';
      addrLength = 0;
      break;
    case 0x11:
    case 0x12:
      family = fam === 0x11 ? 'TCP4' : 'UDP4';
      addrLength = 12;
      break;
    case 0x21:
    case 0x22:
      family = fam === 0x21 ? 'TCP6' : 'UDP6';
      addrLength = 36;
      break;
    case 0x31:
    case 0x32:
      family = 'UNIX';
      addrLength = 216;
      break;
    default:
      return invalid('v2 header: bad address family or protocol');
  }
  if (bodyLength < addrLength) return invalid('v2 header: length too short for the addresses');
  if (buf.length < length) return INCOMPLETE;
  if (!validTlvs(buf, 16 + addrLength, length)) return invalid('v2 header: malformed TLV');
  switch (family) {
    case 'TCP4':
    case 'UDP4':
      return done(
        2,
        family,
        ipv4At(buf, 16),
        buf.readUInt16BE(24),
        ipv4At(buf, 20),
        buf.readUInt16BE(26),
        length,
      );
    case 'TCP6':
    case 'UDP6':
      return done(
        2,
        family,
        ipv6At(buf, 16),
        buf.readUInt16BE(48),
        ipv6At(buf, 32),
        buf.readUInt16BE(50),
        length,
      );
    case 'UNIX':
    case 'UNKNOWN':
      // No IP address to use.
      return done(2, family, undefined, undefined, undefined, undefined, length);
  }
}

function validVersionCommand(b: number): boolean {
  return b >> 4 === 2 && (b & 0x0f) <= 1;
}

/** TLVs (type, 16-bit length, value) must fill the rest of the block exactly. */
function validTlvs(buf: Buffer, start: number, end: number): boolean {
  let p = start;
  while (p < end) {
    if (p + 3 > end) return false;
    p += 3 + buf.readUInt16BE(p + 1);
  }
  return p === end;
}

function done(
  version: 1 | 2,
  family: ProxyHeader['family'],
  sourceAddress: string | undefined,
  sourcePort: number | undefined,
  destinationAddress: string | undefined,
  destinationPort: number | undefined,
  length: number,
): ProxyParseResult {
  return {
    status: 'done',
    header: {
      version,
      family,
      sourceAddress,
      sourcePort,
      destinationAddress,
      destinationPort,
      length,
    },
  };
}

/** Dotted quad, each part 0..255 without leading zeros. */
function isIPv4Text(s: string): boolean {
  const parts = s.split('.');
  if (parts.length !== 4) return false;
  for (const p of parts) {
    if (p.length === 0 || p.length > 3 || (p.length > 1 && p[0] === '0')) return false;
    for (let i = 0; i < p.length; i++) {
      const c = p.charCodeAt(i);
      if (c < 0x30 || c > 0x39) return false;
    }
    if (Number(p) > 255) return false;
  }
  return true;
}

function isIPv6Text(s: string): boolean {
  // A zone id (`%eth0`) means nothing to the receiving host.
  return s.length <= 45 && !s.includes('%') && isIPv6(s);
}

/** A decimal port 0..65535; -1 when not one. */
function portText(s: string): number {
  if (s.length === 0 || s.length > 5) return -1;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return -1;
  }
  if (s.length > 1 && s[0] === '0') return -1;
  const v = Number(s);
  return v <= 65535 ? v : -1;
}

function ipv4At(buf: Buffer, o: number): string {
  return `${buf[o]}.${buf[o + 1]}.${buf[o + 2]}.${buf[o + 3]}`;
}

/** RFC 5952 text (as Node shows peers): lower case, longest zero run as `::`, `::ffff:a.b.c.d`. */
function ipv6At(buf: Buffer, o: number): string {
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push(buf.readUInt16BE(o + 2 * i));
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    return `::ffff:${ipv4At(buf, o + 12)}`;
  }
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (from: number, to: number) =>
    g
      .slice(from, to)
      .map((v) => v.toString(16))
      .join(':');
  if (bestStart < 0) return hex(0, 8);
  return `${hex(0, bestStart)}::${hex(bestStart + bestLen, 8)}`;
}

/**
 * Collects the first bytes of one connection until they hold a whole PROXY header. Buffers at
 * most one header ({@link PROXY_V1_MAX_LENGTH} or {@link PROXY_V2_MAX_LENGTH} bytes, and the
 * rest of the chunk that completed it).
 */
export class ProxyHeaderDecoder {
  private buf: Buffer | undefined = undefined;

  /**
   * Adds `chunk`. Returns `incomplete` (keep feeding), `invalid` (close the connection) or
   * `done` with the header and `rest`, the bytes after it (possibly empty), which belong to
   * the proxied stream.
   */
  push(
    chunk: Buffer,
  ):
    | { readonly status: 'incomplete' }
    | { readonly status: 'invalid'; readonly reason: string }
    | { readonly status: 'done'; readonly header: ProxyHeader; readonly rest: Buffer } {
    const buf = this.buf === undefined ? chunk : Buffer.concat([this.buf, chunk]);
    const r = parseProxyHeader(buf);
    switch (r.status) {
      case 'incomplete':
        this.buf = buf;
        return r;
      case 'invalid':
        this.buf = undefined;
        return r;
      case 'done':
        this.buf = undefined;
        return { status: 'done', header: r.header, rest: buf.subarray(r.header.length) };
    }
  }

  /** Bytes held for an incomplete header. */
  get buffered(): number {
    return this.buf?.length ?? 0;
  }
}
