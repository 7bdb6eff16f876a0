// How `petrel sub`, `petrel rr` and `-d` print: messages with -v / -F / -N / --json, in
// mosquitto_sub's formats, and one debug line per packet.
import type { MqttClient } from '../client/client.js';
import type { Message } from '../client/types.js';
import { PacketType } from '../codec/constants.js';
import type { Packet } from '../codec/types.js';
// Only the type: common.ts imports this module, and the flags are built as plain specs.
import type { FlagSpec } from './common.js';

/** Packet names by type number, from the codec's table. */
const packetNames: string[] = [];
for (const [name, type] of Object.entries(PacketType)) packetNames[type] = name;

/** One debug line per packet, in mosquitto's style, on stderr (`-d`). */
export function attachDebug(client: MqttClient): void {
  const line = (dir: string, p: Packet): void => {
    let detail = '';
    if (p.type === PacketType.PUBLISH) {
      detail = ` (d${p.dup ? 1 : 0}, q${p.qos}, r${p.retain ? 1 : 0}, m${p.packetId}, '${p.topic}', ... (${p.payload.length} bytes))`;
    } else if ('packetId' in p) detail = ` (Mid: ${p.packetId})`;
    else if ('reasonCode' in p) detail = ` (${p.reasonCode})`;
    process.stderr.write(`Client ${client.clientId} ${dir} ${packetNames[p.type]}${detail}\n`);
  };
  client.on('packetsend', (p) => line('sending', p));
  client.on('packetreceive', (p) => line('received', p));
}

/** How `sub` and `rr` print a message. */
export interface OutputOptions {
  /** `-v`: topic, a space, then the payload. */
  verbose: boolean;
  /** `-F`. */
  format: string | undefined;
  /** Off with `-N`. */
  newline: boolean;
  /** `--json`. */
  json: boolean;
}

/** Output settings before any flag. */
export function defaultOutput(): OutputOptions {
  return { verbose: false, format: undefined, newline: true, json: false };
}

/** The flags `-v`, `-F`, `-N` and `--json`, setting `o`. */
export function outputFlags(o: OutputOptions): FlagSpec[] {
  return [
    {
      names: ['-v', '--verbose'],
      arity: 0,
      apply: () => {
        o.verbose = true;
      },
    },
    {
      names: ['-F', '--format'],
      arity: 1,
      apply: (v) => {
        o.format = v;
      },
    },
    {
      names: ['-N'],
      arity: 0,
      apply: () => {
        o.newline = false;
      },
    },
    {
      names: ['--json'],
      arity: 0,
      apply: () => {
        o.json = true;
      },
    },
  ];
}

/** The bytes printed for `msg`. */
export function renderMessage(msg: Message, o: OutputOptions): Buffer {
  if (o.json) return Buffer.from(`${jsonMessage(msg)}\n`);
  const eol = o.newline ? Buffer.from('\n') : Buffer.alloc(0);
  if (o.format !== undefined) return Buffer.concat([formatMessage(o.format, msg), eol]);
  const prefix = o.verbose ? Buffer.from(`${msg.topic} `, 'utf8') : Buffer.alloc(0);
  return Buffer.concat([prefix, msg.payload, eol]);
}

/** Payload as text when it is valid UTF-8, else undefined. */
function utf8(payload: Buffer): string | undefined {
  const text = payload.toString('utf8');
  return Buffer.byteLength(text, 'utf8') === payload.length && !text.includes('\uFFFD')
    ? text
    : undefined;
}

/** One message as JSON (mosquitto_sub's `%j` shape; binary payloads as base64). */
export function jsonMessage(msg: Message, packetId = 0): string {
  const o: Record<string, unknown> = {
    tst: new Date().toISOString(),
    topic: msg.topic,
    qos: msg.qos,
    retain: msg.retain ? 1 : 0,
    payloadlen: msg.payload.length,
  };
  if (packetId > 0) o.mid = packetId;
  const text = utf8(msg.payload);
  if (text !== undefined) o.payload = text;
  else o.payload_base64 = msg.payload.toString('base64');
  if (msg.properties !== undefined) {
    const p = msg.properties;
    if (p.userProperties !== undefined) o.properties = { 'user-properties': p.userProperties };
  }
  return JSON.stringify(o);
}

/** Local time as mosquitto prints `%I`: `2016-08-10T09:47:38+0100`. */
export function isoLocal(d: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  const off = -d.getTimezoneOffset();
  const sign = off >= 0 ? '+' : '-';
  const abs = Math.abs(off);
  return (
    `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T` +
    `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}` +
    `${sign}${p(Math.floor(abs / 60))}${p(abs % 60)}`
  );
}

/** Expands a mosquitto_sub `-F` format for one message. */
export function formatMessage(format: string, msg: Message): Buffer {
  const parts: Buffer[] = [];
  let text = '';
  const flushText = (): void => {
    if (text !== '') parts.push(Buffer.from(text, 'utf8'));
    text = '';
  };
  for (let i = 0; i < format.length; i++) {
    const c = format[i];
    const next = format[i + 1];
    if (c === '%' && next !== undefined) {
      i++;
      switch (next) {
        case 't':
          text += msg.topic;
          break;
        case 'p':
          flushText();
          parts.push(msg.payload);
          break;
        case 'q':
          text += String(msg.qos);
          break;
        case 'r':
          text += msg.retain ? '1' : '0';
          break;
        case 'l':
          text += String(msg.payload.length);
          break;
        case 'm':
          text += '0';
          break;
        case 'I':
          text += isoLocal(new Date());
          break;
        case 'U': {
          const ms = Date.now();
          text += `${Math.floor(ms / 1000)}.${String((ms % 1000) * 1_000_000).padStart(9, '0')}`;
          break;
        }
        case 'x':
          text += msg.payload.toString('hex');
          break;
        case 'X':
          text += msg.payload.toString('hex').toUpperCase();
          break;
        case 'j':
          text += jsonMessage(msg);
          break;
        case 'C':
          text += msg.properties?.contentType ?? '';
          break;
        case 'E':
          text += String(msg.properties?.messageExpiryInterval ?? '');
          break;
        case 'R':
          text += msg.properties?.responseTopic ?? '';
          break;
        case '%':
          text += '%';
          break;
        default:
          text += `%${next}`;
      }
    } else if (c === '\\' && next !== undefined) {
      i++;
      text +=
        next === 'n'
          ? '\n'
          : next === 't'
            ? '\t'
            : next === '\\'
              ? '\\'
              : next === 'e'
                ? '\x1b'
                : next === '0'
                  ? '\0'
                  : `\\${next}`;
    } else text += c;
  }
  flushText();
  return Buffer.concat(parts);
}
