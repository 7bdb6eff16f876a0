// How `petrel sub`, `petrel rr` and `-d` print: messages with -v / -F / -N / --json, in
// mosquitto_sub's formats, and one debug line per packet.
import type { MqttClient } from '../client/client.js';
import type { Message } from '../client/types.js';
import { PacketType } from '../codec/constants.js';
import type { Packet } from '../codec/types.js';
// common.ts imports this module too; UsageError is only used when a flag is applied, after
// both modules have loaded.
import type { FlagSpec } from './args.js';
import type { FormatPart } from './format-parse.js';
import { FormatError, parseFormat } from './format-parse.js';
import type { FormatContext } from './format-render.js';
import { nowTime, renderFormat } from './format-render.js';
import { isoTime } from './format-time.js';
import { UsageError } from './usage.js';

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
      apply: (v, flag) => {
        try {
          partsOf(v);
        } catch (err) {
          if (!(err instanceof FormatError)) throw err;
          // mosquitto's message, in Petrel's style: "option '-F': invalid format specifier '['".
          const m = err.message.replace(/\.$/, '');
          throw new UsageError(`option '${flag}': ${m.charAt(0).toLowerCase()}${m.slice(1)}`);
        }
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

let cachedFormat: string | undefined;
let cachedParts: FormatPart[] = [];

/** `format` parsed, once for as long as the same format is in use. */
function partsOf(format: string): FormatPart[] {
  if (format !== cachedFormat) {
    cachedParts = parseFormat(format);
    cachedFormat = format;
  }
  return cachedParts;
}

const EOL = Buffer.from('\n');
const NO_EOL = Buffer.alloc(0);

/** The bytes printed for `msg` (`packetId`: of its PUBLISH, for `%m` and `%j`; 0 at QoS 0). */
export function renderMessage(msg: Message, o: OutputOptions, packetId = msg.packetId): Buffer {
  if (o.json) return Buffer.from(`${jsonMessage(msg, packetId)}\n`);
  const eol = o.newline ? EOL : NO_EOL;
  if (o.format !== undefined) {
    const body = renderFormat(partsOf(o.format), msg, {
      time: nowTime(),
      packetId,
      warn: warnStderr,
    });
    return o.newline ? Buffer.concat([body, eol]) : body;
  }
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
export function jsonMessage(msg: Message, packetId = msg.packetId): string {
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
  return isoTime(d);
}

/** Writes `%J`'s complaint about a payload that is not JSON, as mosquitto_sub does. */
function warnStderr(line: string): void {
  process.stderr.write(`${line}\n`);
}

/**
 * Expands a mosquitto_sub `-F` format for one message (parsing it each call: for one-off use;
 * `renderMessage` parses once). `context` defaults to now, packet id 0, warnings on stderr.
 */
export function formatMessage(
  format: string,
  msg: Message,
  context: Partial<FormatContext> = {},
): Buffer {
  return renderFormat(parseFormat(format), msg, {
    time: context.time ?? nowTime(),
    packetId: context.packetId ?? 0,
    warn: context.warn ?? warnStderr,
  });
}
