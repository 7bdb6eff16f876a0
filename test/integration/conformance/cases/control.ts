import type { ConformanceCase } from '../types.js';
import { expect, P, roundTrip, send, V5, V34, V45 } from './packets.js';

/** Fixed-header flags that the specification reserves, by packet. */
const badFlags: Array<[string, string, string, string | undefined]> = [
  ['puback', '41 02 0001', 'PUBACK', 'ignores the flags'],
  ['pubrec', '52 02 0001', 'PUBREC', 'ignores the flags and answers PUBREL'],
  ['pubrel-0000', '60 02 0001', 'PUBREL', undefined],
  ['pubrel-0011', '63 02 0001', 'PUBREL', undefined],
  ['pubrel-1010', '6a 02 0001', 'PUBREL', undefined],
  ['pubcomp', '78 02 0001', 'PUBCOMP', 'ignores the flags'],
  ['pingreq', 'c1 00', 'PINGREQ', 'ignores the flags and answers PINGRESP'],
  ['disconnect', 'e2 00', 'DISCONNECT', undefined],
];

/** PINGREQ, DISCONNECT, reserved flags, framing and packet types a server never accepts. */
export const controlCases: ConformanceCase[] = [
  ...badFlags.map(
    ([name, hex, type, deviation]): ConformanceCase => ({
      id: `flags.${name}`,
      versions: V45,
      ...(deviation === undefined ? {} : { mosquitto: { note: deviation } }),
      title: `${type} with reserved fixed-header flags ${hex.slice(1, 2)} is malformed`,
      statements: name.startsWith('pubrel')
        ? ['MQTT-3.6.1-1', 'MQTT-2.2.2-2']
        : name === 'disconnect'
          ? ['MQTT-3.14.1-1', 'MQTT-2.2.2-2']
          : ['MQTT-2.2.2-1', 'MQTT-2.2.2-2'],
      statements5: name.startsWith('pubrel') ? ['MQTT-3.6.1-1', 'MQTT-2.1.3-1'] : ['MQTT-2.1.3-1'],
      steps: [{ send: hex }, { close: true, reason: [0x81] }],
    }),
  ),
  // --- PINGREQ ----------------------------------------------------------------------------
  {
    id: 'ping.pingresp',
    title: 'PINGREQ is answered with PINGRESP',
    statements: ['MQTT-3.12.4-1'],
    steps: [{ send: 'c0 00' }, { expect: 'd0 00' }],
  },
  {
    id: 'ping.several',
    title: 'three PINGREQ in one write get three PINGRESP',
    statements: ['MQTT-3.12.4-1'],
    steps: [
      { send: 'c0 00 c0 00 c0 00' },
      { expect: 'd0 00' },
      { expect: 'd0 00' },
      { expect: 'd0 00' },
    ],
  },
  {
    id: 'ping.split-bytes',
    title: 'a PINGREQ split over two TCP writes is reassembled',
    statements: ['MQTT-3.12.4-1'],
    steps: [{ send: 'c0' }, { wait: 50 }, { send: '00' }, { expect: 'd0 00' }],
  },
  {
    id: 'ping.with-payload',
    title: 'a PINGREQ with a non-zero remaining length is malformed',
    statements: ['MQTT-3.12.4-1', 'MQTT-4.8.0-1'],
    statements5: ['§3.12'],
    versions: V45,
    mosquitto: { note: 'answers PINGRESP' },
    steps: [{ send: 'c0 01 00' }, { close: true, reason: [0x81] }],
  },
  // --- DISCONNECT -------------------------------------------------------------------------
  {
    id: 'disconnect.normal',
    title: 'after DISCONNECT the server closes the connection',
    statements: ['MQTT-3.14.4-1', 'MQTT-3.14.4-2'],
    statements5: ['MQTT-3.14.4-1', 'MQTT-3.14.4-2'],
    steps: [{ send: 'e0 00' }, { close: true }],
  },
  {
    id: 'disconnect.with-payload-v3',
    title: 'a 3.x DISCONNECT with a non-zero remaining length is malformed',
    statements: ['MQTT-3.14.1-1', 'MQTT-4.8.0-1'],
    versions: V34,
    steps: [{ send: 'e0 01 00' }, { close: true }],
  },
  {
    id: 'disconnect.v5-reason-normal',
    title: 'v5 DISCONNECT with reason 0x00 and empty properties closes normally',
    statements: [],
    statements5: ['MQTT-3.14.4-1'],
    versions: V5,
    steps: [{ send: 'e0 02 00 00' }, { close: true }],
  },
  {
    id: 'disconnect.v5-session-expiry-from-zero',
    title: 'v5 DISCONNECT setting Session Expiry when CONNECT had 0 is a protocol error',
    statements: [],
    statements5: ['§3.14.2.2.2'],
    versions: V5,
    steps: [{ send: 'e0 07 00 05 11 0000000a' }, { close: true, reason: [0x82] }],
  },
  {
    id: 'disconnect.v5-bad-property',
    title: 'v5 DISCONNECT with a property it cannot carry (Topic Alias) is malformed',
    statements: [],
    statements5: ['§2.2.2.2'],
    versions: V5,
    steps: [{ send: 'e0 05 00 03 23 0001' }, { close: true, reason: [0x81, 0x82] }],
  },
  // --- framing ----------------------------------------------------------------------------
  {
    id: 'frame.remaining-length-5-bytes',
    title: 'a Remaining Length of more than four bytes is malformed',
    statements: ['MQTT-4.8.0-1'],
    statements5: ['MQTT-1.5.5-1'],
    steps: [{ send: '30 ff ff ff ff 7f' }, { close: true, reason: [0x81] }],
  },
  {
    id: 'frame.oversize-packet',
    title: 'a packet larger than the server maximum (1 MB) closes the connection (v5: 0x95)',
    statements: ['MQTT-4.8.0-1'],
    statements5: ['§3.2.2.3.6'],
    steps: [{ send: '32 80 80 80 01 000a 612f{cid} 0001' }, { close: true, reason: [0x95] }],
  },
  {
    id: 'frame.connect-too-large',
    title: 'a CONNECT announcing 200 KiB is refused before it is buffered (pre-auth limit)',
    statements: [],
    statements5: [],
    versions: [4],
    raw: true,
    mosquitto: { note: 'has no pre-authentication CONNECT size limit: waits for the bytes' },
    steps: [{ send: '10 80 c0 0c 0004 4d515454 04 02 003c' }, { close: true }],
  },
  {
    id: 'frame.reserved-type-0',
    title: 'packet type 0 is reserved and malformed',
    statements: ['MQTT-2.2.2-2', 'MQTT-4.8.0-1'],
    statements5: ['MQTT-2.1.3-1'],
    steps: [{ send: '00 00' }, { close: true, reason: [0x81, 0x82] }],
  },
  {
    id: 'frame.auth-in-v3',
    title: 'packet type 15 (AUTH) does not exist in 3.x and closes the connection',
    statements: ['MQTT-4.8.0-1'],
    versions: V34,
    steps: [{ send: 'f0 00' }, { close: true }],
  },
  {
    id: 'frame.auth-without-method',
    title: 'v5 AUTH when CONNECT had no Authentication Method is a protocol error',
    statements: [],
    statements5: ['§4.12'],
    versions: V5,
    steps: [{ send: 'f0 02 18 00' }, { close: true, reason: [0x82] }],
  },
  ...(
    [
      ['connack', '20 02 00 00', 'CONNACK'],
      ['suback', '90 03 0001 00', 'SUBACK'],
      ['unsuback', 'b0 02 0001', 'UNSUBACK'],
      ['pingresp', 'd0 00', 'PINGRESP'],
    ] as const
  ).map(
    ([name, hex, type]): ConformanceCase => ({
      id: `frame.client-sends-${name}`,
      title: `a ${type} from a client is a protocol error`,
      versions: V45,
      ...(name === 'connack'
        ? {}
        : { mosquitto: { note: 'ignores it', v: name === 'pingresp' ? V45 : [4] } }),
      statements: ['MQTT-4.8.0-1'],
      statements5: ['MQTT-4.13.1-1'],
      steps: [{ send: hex }, { close: true, reason: [0x81, 0x82] }],
    }),
  ),
  {
    id: 'frame.puback-too-short',
    title: 'a PUBACK with remaining length 1 is malformed',
    statements: ['MQTT-4.8.0-1'],
    statements5: ['MQTT-4.13.1-1'],
    steps: [{ send: '40 01 00' }, { close: true, reason: [0x81] }],
  },
  {
    id: 'frame.puback-too-long-v3',
    title: 'a 3.x PUBACK with remaining length 3 is malformed',
    statements: ['MQTT-4.8.0-1'],
    versions: [4],
    mosquitto: { note: 'ignores the extra byte' },
    steps: [{ send: '40 03 0001 00' }, { close: true }],
  },
  {
    id: 'frame.pubrel-too-short',
    title: 'a PUBREL with remaining length 0 is malformed',
    statements: ['MQTT-4.8.0-1'],
    statements5: ['MQTT-4.13.1-1'],
    steps: [{ send: '62 00' }, { close: true, reason: [0x81] }],
  },
  {
    id: 'frame.two-packets-one-write',
    title: 'a SUBSCRIBE and a PUBLISH in one TCP write are both processed in order',
    statements: ['§4.2'],
    steps: [
      { send: '82 0f 0001 000a 612f{cid} 00 30 0e 000a 612f{cid} 6869', v: V34 },
      { send: '82 10 0001 00 000a 612f{cid} 00 30 0f 000a 612f{cid} 00 6869', v: V5 },
      ...expect(P.suback0),
      ...expect(P.pubA0),
    ],
  },
  {
    id: 'frame.publish-byte-by-byte',
    title: 'a PUBLISH delivered in several TCP writes is reassembled',
    statements: ['§4.2'],
    steps: [
      ...roundTrip(P.subA0, P.suback0),
      { send: '30', v: V34 },
      { wait: 30 },
      { send: '0e 000a', v: V34 },
      { wait: 30 },
      { send: '612f{cid} 6869', v: V34 },
      { send: '30', v: V5 },
      { wait: 30 },
      { send: '0f 000a 612f', v: V5 },
      { wait: 30 },
      { send: '{cid} 00 6869', v: V5 },
      ...expect(P.pubA0),
    ],
  },
  {
    id: 'frame.bad-packet-leaves-others',
    title: 'a malformed packet on one connection leaves other connections served',
    statements: ['MQTT-4.8.0-1'],
    statements5: ['MQTT-4.13.1-1'],
    steps: [
      { c: 1, open: true },
      ...roundTrip(P.subA0, P.suback0, 1),
      { send: '00 00' },
      { close: true },
      { c: 2, open: true },
      ...send(P.pubA0, 2),
      ...expect(P.pubA0, 1),
    ],
  },
];
