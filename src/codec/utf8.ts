import { malformed } from './errors.js';

interface FastSlices {
  latin1Slice(start: number, end: number): string;
  utf8Slice(start: number, end: number): string;
  latin1Write(str: string, offset: number, length: number): number;
  utf8Write(str: string, offset: number, length: number): number;
}

/**
 * Strings this short are faster to build in JS than through a native call (measured on Node 20,
 * including the hashing a Map lookup then does on the result).
 */
const SHORT_DECODE = 12;
const SHORT_ENCODE = 24;

function invalid(message: string): never {
  throw malformed('INVALID_UTF8', message, 'MQTT-1.5.4-1');
}

/**
 * Throws unless `buf[start..end)` is well-formed UTF-8 per RFC 3629 with no surrogate code points
 * [MQTT-1.5.4-1] and no U+0000 [MQTT-1.5.4-2]. Overlong forms and code points above U+10FFFF
 * are rejected too.
 */
export function validateUtf8(buf: Buffer, start: number, end: number): void {
  let i = start;
  while (i < end) {
    const c = buf[i] as number;
    if (c < 0x80) {
      if (c === 0) throw malformed('INVALID_UTF8', 'U+0000 in a UTF-8 string', 'MQTT-1.5.4-2');
      i++;
      continue;
    }
    if (c < 0xc2) invalid('invalid UTF-8 lead byte');
    if (c < 0xe0) {
      if (i + 1 >= end || ((buf[i + 1] as number) & 0xc0) !== 0x80) invalid('truncated UTF-8');
      i += 2;
      continue;
    }
    if (c < 0xf0) {
      if (i + 2 >= end) invalid('truncated UTF-8');
      const c1 = buf[i + 1] as number;
      const c2 = buf[i + 2] as number;
      if ((c1 & 0xc0) !== 0x80 || (c2 & 0xc0) !== 0x80) invalid('bad UTF-8 continuation');
      if (c === 0xe0 && c1 < 0xa0) invalid('overlong UTF-8');
      if (c === 0xed && c1 >= 0xa0) invalid('UTF-16 surrogate encoded in UTF-8');
      i += 3;
      continue;
    }
    if (c < 0xf5) {
      if (i + 3 >= end) invalid('truncated UTF-8');
      const c1 = buf[i + 1] as number;
      if (
        (c1 & 0xc0) !== 0x80 ||
        ((buf[i + 2] as number) & 0xc0) !== 0x80 ||
        ((buf[i + 3] as number) & 0xc0) !== 0x80
      ) {
        invalid('bad UTF-8 continuation');
      }
      if (c === 0xf0 && c1 < 0x90) invalid('overlong UTF-8');
      if (c === 0xf4 && c1 >= 0x90) invalid('code point above U+10FFFF');
      i += 4;
      continue;
    }
    invalid('invalid UTF-8 lead byte');
  }
}

/**
 * Decodes a validated UTF-8 string from `buf[start..end)`. ASCII fast path: when every byte is
 * below 0x80 the bytes are the code units.
 */
export function decodeUtf8(buf: Buffer, start: number, end: number): string {
  const len = end - start;
  if (len <= SHORT_DECODE) {
    let s = '';
    for (let i = start; i < end; i++) {
      const c = buf[i] as number;
      if (c === 0 || c >= 0x80) return slowDecode(buf, start, end);
      s += String.fromCharCode(c);
    }
    return s;
  }
  for (let i = start; i < end; i++) {
    const c = buf[i] as number;
    if (c === 0 || c >= 0x80) return slowDecode(buf, start, end);
  }
  return (buf as unknown as FastSlices).latin1Slice(start, end);
}

function slowDecode(buf: Buffer, start: number, end: number): string {
  validateUtf8(buf, start, end);
  return (buf as unknown as FastSlices).utf8Slice(start, end);
}

/** Decodes bytes already known to be ASCII (no validation). */
export function asciiSlice(buf: Buffer, start: number, end: number): string {
  if (end - start <= SHORT_DECODE) {
    let s = '';
    for (let i = start; i < end; i++) s += String.fromCharCode(buf[i] as number);
    return s;
  }
  return (buf as unknown as FastSlices).latin1Slice(start, end);
}

/** Decodes bytes already validated as UTF-8. */
export function utf8Slice(buf: Buffer, start: number, end: number): string {
  return (buf as unknown as FastSlices).utf8Slice(start, end);
}

interface WellFormed {
  isWellFormed(): boolean;
}

/**
 * UTF-8 byte length of `str` for encoding, or throws if the string cannot be sent: U+0000
 * [MQTT-1.5.4-2], lone surrogates [MQTT-1.5.4-1] or more than 65,535 bytes.
 */
export function utf8Length(str: string): number {
  const n = str.length;
  for (let i = 0; i < n; i++) {
    const c = str.charCodeAt(i);
    if (c === 0) throw malformed('INVALID_UTF8', 'U+0000 in a UTF-8 string', 'MQTT-1.5.4-2');
    if (c >= 0x80) return nonAsciiLength(str);
  }
  if (n > 65_535) throw malformed('STRING_TOO_LONG', 'UTF-8 string longer than 65535 bytes');
  return n;
}

function nonAsciiLength(str: string): number {
  if (!(str as unknown as WellFormed).isWellFormed()) {
    throw malformed('INVALID_UTF8', 'lone surrogate in a UTF-8 string', 'MQTT-1.5.4-1');
  }
  if (str.includes('\u0000')) {
    throw malformed('INVALID_UTF8', 'U+0000 in a UTF-8 string', 'MQTT-1.5.4-2');
  }
  const len = Buffer.byteLength(str, 'utf8');
  if (len > 65_535) throw malformed('STRING_TOO_LONG', 'UTF-8 string longer than 65535 bytes');
  return len;
}

/**
 * Writes a 2-byte length prefix and the string at `pos`. `byteLength` must come from
 * {@link utf8Length}. Returns the position after the string.
 */
export function writeUtf8(buf: Buffer, pos: number, str: string, byteLength: number): number {
  buf[pos] = byteLength >>> 8;
  buf[pos + 1] = byteLength & 0xff;
  pos += 2;
  const n = str.length;
  if (byteLength === n) {
    if (n <= SHORT_ENCODE) {
      for (let i = 0; i < n; i++) buf[pos + i] = str.charCodeAt(i);
    } else {
      (buf as unknown as FastSlices).latin1Write(str, pos, n);
    }
  } else {
    (buf as unknown as FastSlices).utf8Write(str, pos, byteLength);
  }
  return pos + byteLength;
}

/**
 * Writes a string whose validity and length were already checked by {@link utf8Length} in the
 * length pass, without computing its byte length again: short ASCII strings are copied in JS,
 * anything else goes through one native `utf8Write`. Returns the position after the string.
 */
export function writeUtf8Checked(buf: Buffer, pos: number, str: string): number {
  const n = str.length;
  if (n <= SHORT_ENCODE) {
    let i = 0;
    for (; i < n; i++) {
      const c = str.charCodeAt(i);
      if (c >= 0x80) break;
      buf[pos + 2 + i] = c;
    }
    if (i === n) {
      buf[pos] = 0;
      buf[pos + 1] = n;
      return pos + 2 + n;
    }
  }
  const len = (buf as unknown as FastSlices).utf8Write(str, pos + 2, buf.length - pos - 2);
  buf[pos] = len >>> 8;
  buf[pos + 1] = len & 0xff;
  return pos + 2 + len;
}
