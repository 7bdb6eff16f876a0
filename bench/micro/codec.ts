/**
 * Codec micro-benchmark: Petrel's codec against mqtt-packet in the same process, same inputs.
 * Decode = framing + decoding a complete packet from bytes; encode = packet object to bytes.
 * Run with `npm run bench -- codec`.
 */
import os from 'node:os';
import mqttPacket from 'mqtt-packet';
import type { ProtocolVersion } from '../../src/codec/constants.js';
import { decodePacket } from '../../src/codec/decode.js';
import { encodePacket, encodePublish } from '../../src/codec/encode.js';
import { Framer } from '../../src/codec/framer.js';
import type { Packet, PublishPacket, SubscribePacket } from '../../src/codec/types.js';
import { compare, consumeSink, fmtOps } from './harness.js';

interface Case {
  name: string;
  version: ProtocolVersion;
  petrel: Packet;
  other: mqttPacket.Packet;
}

function publishCase(version: 4 | 5, qos: 0 | 1, size: number): Case {
  const payload = Buffer.alloc(size, 0x61);
  const topic = 'sensors/building-7/floor-3/temperature';
  const v5 = version === 5;
  const petrel: PublishPacket = {
    type: 3,
    topic,
    payload,
    qos,
    retain: false,
    dup: false,
    packetId: qos > 0 ? 4242 : 0,
    properties: v5
      ? {
          messageExpiryInterval: 3600,
          contentType: 'application/json',
          userProperties: [['trace-id', 'a1b2c3d4']],
        }
      : undefined,
  };
  const other = {
    cmd: 'publish',
    topic,
    payload,
    qos,
    retain: false,
    dup: false,
    ...(qos > 0 ? { messageId: 4242 } : {}),
    ...(v5
      ? {
          properties: {
            messageExpiryInterval: 3600,
            contentType: 'application/json',
            userProperties: { 'trace-id': 'a1b2c3d4' },
          },
        }
      : {}),
  } as mqttPacket.IPublishPacket;
  const label = size >= 1024 ? `${size / 1024} KiB` : `${size} B`;
  return {
    name: `PUBLISH ${label} QoS ${qos} v${v5 ? '5' : '3.1.1'}${v5 ? ' +props' : ''}`,
    version,
    petrel,
    other,
  };
}

function subscribeCase(version: 4 | 5): Case {
  const filters = ['sensors/+/temperature', 'alerts/#', 'cmd/device-42/in'];
  const petrel: SubscribePacket = {
    type: 8,
    packetId: 17,
    subscriptions: filters.map((topicFilter, i) => ({
      topicFilter,
      qos: (i % 3) as 0 | 1 | 2,
      noLocal: false,
      retainAsPublished: false,
      retainHandling: 0,
    })),
    properties: version === 5 ? { subscriptionIdentifiers: [7] } : undefined,
  };
  const other = {
    cmd: 'subscribe',
    messageId: 17,
    subscriptions: filters.map((topic, i) => ({
      topic,
      qos: i % 3,
      ...(version === 5 ? { nl: false, rap: false, rh: 0 } : {}),
    })),
    ...(version === 5 ? { properties: { subscriptionIdentifier: 7 } } : {}),
  } as mqttPacket.ISubscribePacket;
  return { name: `SUBSCRIBE 3 filters v${version === 5 ? '5' : '3.1.1'}`, version, petrel, other };
}

const cases: Case[] = [];
for (const version of [4, 5] as const) {
  for (const size of [64, 1024]) {
    for (const qos of [0, 1] as const) cases.push(publishCase(version, qos, size));
  }
}
cases.push(subscribeCase(4), subscribeCase(5));
// Optional filter: `npm run bench -- codec "1 KiB"` runs only the matching cases.
const only = process.argv[2];
const selected = only === undefined ? cases : cases.filter((c) => c.name.includes(only));

interface Row {
  op: string;
  name: string;
  petrel: number;
  other: number;
  ratio: number;
}
const rows: Row[] = [];

for (const c of selected) {
  const bytes = encodePacket(c.petrel, c.version);
  const theirs = mqttPacket.generate(c.other, { protocolVersion: c.version });
  if (!bytes.equals(theirs)) {
    // Same bytes are not required (property order may differ) but lengths must match.
    if (bytes.length !== theirs.length) throw new Error(`${c.name}: encodings differ in length`);
  }

  // Decode: frame + decode one whole packet, as a connection would.
  let last: Packet | undefined;
  const framer = new Framer((h, b) => {
    last = decodePacket(h, b, c.version);
  });
  let lastOther: mqttPacket.Packet | undefined;
  const parser = mqttPacket.parser({ protocolVersion: c.version });
  parser.on('packet', (p: mqttPacket.Packet) => {
    lastOther = p;
  });
  parser.on('error', (e: Error) => {
    throw e;
  });
  const dec = compare(
    () => {
      framer.push(bytes);
      return last;
    },
    () => {
      parser.parse(bytes);
      return lastOther;
    },
  );
  rows.push({ op: 'decode', name: c.name, petrel: dec.a, other: dec.b, ratio: dec.ratio });

  const p = c.petrel;
  const v = c.version;
  const opts = { protocolVersion: v };
  const enc = compare(p.type === 3 ? () => encodePublish(p, v) : () => encodePacket(p, v), () =>
    mqttPacket.generate(c.other, opts),
  );
  rows.push({ op: 'encode', name: c.name, petrel: enc.a, other: enc.b, ratio: enc.ratio });
}

const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
console.log(`Codec micro-benchmark — Node ${process.version}, ${cpu}, ${os.cpus().length} cores`);
console.log(
  `mqtt-packet ${(await import('mqtt-packet/package.json', { with: { type: 'json' } })).default.version}\n`,
);
const header = ['op', 'case', 'petrel ops/s', 'mqtt-packet ops/s', 'ratio'];
const table = rows.map((r) => [
  r.op,
  r.name,
  fmtOps(r.petrel),
  fmtOps(r.other),
  `${r.ratio.toFixed(2)}x`,
]);
const widths = header.map((h, i) =>
  Math.max(h.length, ...table.map((t) => (t[i] as string).length)),
);
const line = (cols: string[]): string =>
  `| ${cols.map((c, i) => (i >= 2 ? c.padStart(widths[i] as number) : c.padEnd(widths[i] as number))).join(' | ')} |`;
console.log(line(header));
console.log(
  `|${widths.map((w, i) => (i >= 2 ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`,
);
for (const t of table) console.log(line(t));
const pub = rows.filter((r) => r.name.startsWith('PUBLISH'));
const geo = (xs: number[]): number => Math.exp(xs.reduce((s, x) => s + Math.log(x), 0) / xs.length);
for (const op of ['decode', 'encode']) {
  const rs = pub.filter((r) => r.op === op).map((r) => r.ratio);
  if (rs.length === 0) continue;
  console.log(
    `\nPUBLISH ${op}: geometric mean ratio ${geo(rs).toFixed(2)}x (min ${Math.min(...rs).toFixed(2)}x)`,
  );
}
if (consumeSink() < 0) console.log('');
