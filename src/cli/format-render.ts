// Prints one message by a parsed `-F` format, byte for byte as mosquitto_sub 2.0 does: widths
// and maximum widths count bytes, a missing v5 property prints nothing or padding, and the
// quirks of its payload padding are kept so that scripts see the same columns.
import type { Message } from '../client/types.js';
import { ascii, jsonString, reprintJson } from './format-json.js';
import type { FormatPart, ParamPart } from './format-parse.js';
import { isoTime, strftime } from './format-time.js';

/** The instant a message is printed at. */
export interface FormatTime {
  /** Milliseconds since the epoch. */
  ms: number;
  /** Nanoseconds into the current second (`@N`, `%U`). */
  ns: number;
}

/** Everything a format may print besides the message itself. */
export interface FormatContext {
  time: FormatTime;
  /** Packet identifier of the PUBLISH (`%m`, `"mid"`), 0 when unknown or QoS 0. */
  packetId: number;
  /** Receives mosquitto's message when `%J` meets a payload that is not JSON. */
  warn: (line: string) => void;
}

/** Wall-clock milliseconds minus the monotonic clock's, re-anchored by {@link nowTime}. */
let offset = Date.now() - performance.now();

/**
 * The current time, for printing a message now. The monotonic clock supplies the digits below
 * the millisecond (`@N`, `%U`, as mosquitto prints from the system clock); the wall clock keeps
 * it honest: when they disagree by a millisecond (the wall clock was stepped), it re-anchors.
 */
export function nowTime(): FormatTime {
  const wall = Date.now();
  let t = performance.now() + offset;
  if (t < wall || t >= wall + 1) {
    offset = wall - performance.now();
    t = wall;
  }
  const ms = Math.floor(t);
  const second = Math.floor(t / 1000) * 1000;
  return { ms, ns: Math.min(999_999_999, Math.floor((t - second) * 1_000_000)) };
}

const SPACE = 0x20;
const ZERO = 0x30;

function repeat(out: number[], b: number, n: number): void {
  for (let k = 0; k < n; k++) out.push(b);
}

function pushBytes(out: number[], bytes: Uint8Array): void {
  for (let k = 0; k < bytes.length; k++) out.push(bytes[k] as number);
}

/** printf `%d` with `-`, `0` and a width. */
function printInt(out: number[], v: number, p: ParamPart): void {
  const s = String(v);
  const padLen = p.width - s.length;
  if (padLen <= 0) ascii(out, s);
  else if (p.left) {
    ascii(out, s);
    repeat(out, SPACE, padLen);
  } else if (p.zero) {
    if (v < 0) {
      out.push(0x2d);
      repeat(out, ZERO, padLen);
      ascii(out, s.slice(1));
    } else {
      repeat(out, ZERO, padLen);
      ascii(out, s);
    }
  } else {
    repeat(out, SPACE, padLen);
    ascii(out, s);
  }
}

/** printf `%s` with `-`, a width and a precision, on bytes. */
function printStr(out: number[], value: Uint8Array, p: ParamPart): void {
  const s = p.precision >= 0 && value.length > p.precision ? value.subarray(0, p.precision) : value;
  const padLen = p.width - s.length;
  if (padLen > 0 && !p.left) repeat(out, SPACE, padLen);
  pushBytes(out, s);
  if (padLen > 0 && p.left) repeat(out, SPACE, padLen);
}

const HEX_LOWER = '0123456789abcdef';
const HEX_UPPER = '0123456789ABCDEF';

/**
 * The payload raw or in hex, padded as mosquitto's write_payload does: a width also cuts the
 * payload (in hex to width / 2 bytes), and `-` without a width still appends blanks.
 */
function printPayload(out: number[], payload: Buffer, hex: string | undefined, p: ParamPart): void {
  let len = payload.length;
  let padLen: number;
  if (p.width > 0) {
    if (len > p.width) len = p.width;
    if (hex !== undefined) {
      len = Math.floor(len / 2);
      padLen = p.width - len * 2;
    } else padLen = p.width - len;
  } else padLen = p.width - len;
  if (!p.left) repeat(out, p.zero ? ZERO : SPACE, padLen);
  if (hex === undefined) pushBytes(out, payload.subarray(0, len));
  else {
    for (let k = 0; k < len; k++) {
      const b = payload[k] as number;
      out.push(hex.charCodeAt(b >> 4), hex.charCodeAt(b & 15));
    }
  }
  // printf("%*s", padLen, "") pads to |padLen| even when it is negative.
  if (p.left) repeat(out, SPACE, Math.abs(padLen));
}

/** An optional v5 number: its value, or the width filled with the padding character. */
function printOptionalInt(out: number[], v: number | undefined, p: ParamPart): void {
  if (v !== undefined) printInt(out, v, p);
  else repeat(out, p.zero ? ZERO : SPACE, p.width);
}

function utf8(s: string): Buffer {
  return Buffer.from(s, 'utf8');
}

const PROPERTY_NAMES: Record<string, string> = {
  payloadFormatIndicator: 'payload-format-indicator',
  messageExpiryInterval: 'message-expiry-interval',
  contentType: 'content-type',
  responseTopic: 'response-topic',
  correlationData: 'correlation-data',
  topicAlias: 'topic-alias',
};

/** `%j` / `%J`: the message as one JSON object; false when `%J`'s payload is not JSON. */
function printJson(
  out: number[],
  msg: Message,
  ctx: FormatContext,
  d: Date,
  escaped: boolean,
): boolean {
  const start = out.length;
  const tst = isoTime(d);
  // mosquitto's tst: seconds, microseconds, then a literal Z before the offset.
  ascii(
    out,
    `{"tst":"${tst.slice(0, 19)}.${String(Math.floor(ctx.time.ns / 1000)).padStart(6, '0')}Z${tst.slice(19)}","topic":`,
  );
  jsonString(out, utf8(msg.topic));
  ascii(
    out,
    `,"qos":${msg.qos},"retain":${msg.retain ? 1 : 0},"payloadlen":${msg.payload.length},`,
  );
  if (msg.qos > 0 && ctx.packetId > 0) ascii(out, `"mid":${ctx.packetId},`);
  const props = msg.properties;
  if (props !== undefined) {
    // In the order received: the codec keeps the wire order of keys.
    let first = true;
    const key = (name: string): void => {
      ascii(out, first ? '"properties":{"' : ',"');
      first = false;
      ascii(out, `${name}":`);
    };
    for (const [k, v] of Object.entries(props)) {
      if (v === undefined) continue;
      if (k === 'subscriptionIdentifiers') {
        for (const id of v as number[]) {
          key('subscription-identifier');
          ascii(out, String(id));
        }
      } else if (k === 'userProperties') {
        const pairs = v as Array<[string, string]>;
        if (pairs.length === 0) continue;
        key('user-properties');
        out.push(0x7b);
        pairs.forEach(([name, value], n) => {
          if (n > 0) out.push(0x2c);
          jsonString(out, utf8(name));
          out.push(0x3a);
          jsonString(out, utf8(value));
        });
        out.push(0x7d);
      } else {
        const name = PROPERTY_NAMES[k];
        if (name === undefined) continue;
        key(name);
        if (typeof v === 'number') ascii(out, String(v));
        else if (typeof v === 'string') jsonString(out, utf8(v));
        else jsonString(out, v as Buffer);
      }
    }
    if (!first) ascii(out, '},');
  }
  ascii(out, '"payload":');
  if (msg.payload.length === 0) ascii(out, 'null');
  else if (escaped) jsonString(out, msg.payload);
  else if (!reprintJson(out, msg.payload)) {
    out.length = start;
    return false;
  }
  out.push(0x7d);
  return true;
}

/** Prints `msg` by the parsed format `parts`. */
export function renderFormat(parts: FormatPart[], msg: Message, ctx: FormatContext): Buffer {
  const out: number[] = [];
  let chunks: Buffer[] | undefined;
  // Raw bytes (payloads) go in as Buffers, everything else through `out`.
  const flushTo = (b: Buffer): void => {
    chunks ??= [];
    if (out.length > 0) chunks.push(Buffer.from(out));
    out.length = 0;
    chunks.push(b);
  };
  let date: Date | undefined;
  const local = (): Date => {
    date ??= new Date(ctx.time.ms);
    return date;
  };
  for (const part of parts) {
    if (part.kind === 'text') {
      if (part.bytes.length > 64) flushTo(part.bytes);
      else pushBytes(out, part.bytes);
      continue;
    }
    if (part.kind === 'time') {
      const s = strftime(part.conv, local(), ctx.time.ns);
      for (let k = 0; k < s.length; k++) out.push(s.charCodeAt(k) & 0xff);
      continue;
    }
    const props = msg.properties;
    switch (part.conv) {
      case 'A':
        printOptionalInt(out, props?.topicAlias, part);
        break;
      case 'C':
        if (props?.contentType !== undefined) printStr(out, utf8(props.contentType), part);
        else repeat(out, SPACE, part.width);
        break;
      case 'D':
        if (props?.correlationData !== undefined) {
          if (props.correlationData.length > 64) flushTo(props.correlationData);
          else pushBytes(out, props.correlationData);
        }
        break;
      case 'E': {
        const v = props?.messageExpiryInterval;
        // mosquitto prints the unsigned 32-bit value through a signed int.
        printOptionalInt(out, v === undefined ? undefined : v | 0, part);
        break;
      }
      case 'F':
        printOptionalInt(out, props?.payloadFormatIndicator, part);
        break;
      case 'I':
        printStr(out, utf8(isoTime(local())), part);
        break;
      case 'j':
        printJson(out, msg, ctx, local(), true);
        break;
      case 'J':
        if (!printJson(out, msg, ctx, local(), false)) {
          ctx.warn(`Error: Message payload is not valid JSON on topic ${msg.topic}.`);
        }
        break;
      case 'l':
        printInt(out, msg.payload.length, part);
        break;
      case 'm':
        printInt(out, ctx.packetId, part);
        break;
      case 'P':
        (props?.userProperties ?? []).forEach(([k, v], n) => {
          if (n > 0) out.push(SPACE);
          pushBytes(out, utf8(`${k}:${v}`));
        });
        break;
      case 'p':
        if (part.width === 0 && !part.left && msg.payload.length > 64) flushTo(msg.payload);
        else printPayload(out, msg.payload, undefined, part);
        break;
      case 'q':
        out.push(ZERO + msg.qos);
        break;
      case 'R':
        if (props?.responseTopic !== undefined) printStr(out, utf8(props.responseTopic), part);
        break;
      case 'r':
        out.push(msg.retain ? 0x31 : ZERO);
        break;
      case 'S': {
        const v = props?.subscriptionIdentifiers?.[0];
        printOptionalInt(out, v === undefined ? undefined : v | 0, part);
        break;
      }
      case 't':
        printStr(out, utf8(msg.topic), part);
        break;
      case 'U':
        ascii(out, `${Math.floor(ctx.time.ms / 1000)}.${String(ctx.time.ns).padStart(9, '0')}`);
        break;
      case 'x':
        printPayload(out, msg.payload, HEX_LOWER, part);
        break;
      case 'X':
        printPayload(out, msg.payload, HEX_UPPER, part);
        break;
    }
  }
  if (chunks === undefined) return Buffer.from(out);
  if (out.length > 0) chunks.push(Buffer.from(out));
  return Buffer.concat(chunks);
}
