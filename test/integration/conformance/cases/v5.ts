import type { ConformanceCase } from '../types.js';
import { connect, expect, P, roundTrip, send, V5 } from './packets.js';

/** A v5 subscriber on connection 1 to topic A at QoS 0. */
const watcher = [{ c: 1, open: true as const }, ...roundTrip(P.subA0, P.suback0, 1)];

/** A v5 PUBLISH QoS 0 of "hi" to topic A with the given properties (hex incl. length). */
function pubWith(props: string): string {
  return `30 ~ 000a 612f{cid} ${props} 6869`;
}

/** Properties a subscriber must receive unchanged. */
const forwarded: Array<[string, string, string, string]> = [
  ['payload-format', 'Payload Format Indicator', '02 0101', 'MQTT-3.3.2-4'],
  ['content-type', 'Content Type', '06 03 0003 747874', 'MQTT-3.3.2-20'],
  ['response-topic', 'Response Topic', '06 08 0003 722f31', 'MQTT-3.3.2-15'],
  ['correlation-data', 'Correlation Data', '06 09 0003 010203', 'MQTT-3.3.2-16'],
  ['user-property', 'a User Property', '07 26 0001 6b 0001 76', 'MQTT-3.3.2-17'],
  [
    'user-properties-order',
    'User Properties in order',
    '0e 26 0001 61 0001 31 26 0001 61 0001 32',
    'MQTT-3.3.2-18',
  ],
];

/** MQTT 5.0 only: topic aliases, property forwarding, packet size limits, flow control. */
export const v5Cases: ConformanceCase[] = [
  ...forwarded.map(
    ([id, name, props, st]): ConformanceCase => ({
      id: `v5.forward-${id}`,
      title: `${name} is forwarded unchanged to the subscriber`,
      statements: [],
      statements5: [st],
      versions: V5,
      steps: [...watcher, { send: pubWith(props) }, { c: 1, expect: pubWith(props) }],
    }),
  ),
  {
    id: 'v5.forward-message-expiry',
    title: 'Message Expiry Interval is forwarded (possibly reduced by the time spent)',
    statements: [],
    statements5: ['MQTT-3.3.2-6'],
    versions: V5,
    steps: [
      ...watcher,
      { send: pubWith('05 02 0000003c') },
      { c: 1, expect: '30 14 000a 612f{cid} 05 02 000000.. 6869' },
    ],
  },
  {
    id: 'v5.topic-alias-zero',
    title: 'Topic Alias 0 is a protocol error (0x94)',
    statements: [],
    statements5: ['MQTT-3.3.2-8'],
    versions: V5,
    mosquitto: { note: 'answers DISCONNECT 0x81' },
    steps: [{ send: pubWith('03 23 0000') }, { close: true, reason: [0x94, 0x82] }],
  },
  {
    id: 'v5.topic-alias-above-maximum',
    title: 'a Topic Alias above the server Topic Alias Maximum is refused (0x94)',
    statements: [],
    statements5: ['MQTT-3.3.2-9'],
    versions: V5,
    steps: [{ send: pubWith('03 23 ffff') }, { close: true, reason: [0x94] }],
  },
  {
    id: 'v5.topic-alias-unknown',
    title: 'an empty topic with an alias that was never set is a protocol error',
    statements: [],
    statements5: ['§3.3.2.3.4'],
    versions: V5,
    steps: [{ send: '30 08 0000 03 23 0001 6869' }, { close: true, reason: [0x82, 0x94] }],
  },
  {
    id: 'v5.topic-alias-used',
    title:
      'a topic alias set by one PUBLISH names the topic of the next (subscriber sees the topic)',
    statements: [],
    statements5: ['MQTT-3.3.2-10', 'MQTT-3.3.2-12'],
    versions: V5,
    steps: [
      ...watcher,
      { send: pubWith('03 23 0001') },
      { send: '30 08 0000 03 23 0001 6869' },
      ...expect(P.pubA0, 1),
      ...expect(P.pubA0, 1),
    ],
  },
  {
    id: 'v5.topic-alias-not-sent-unasked',
    title: 'the server sends no Topic Alias to a client that allowed none',
    statements: [],
    statements5: ['MQTT-3.3.2-11'],
    versions: V5,
    steps: [
      ...watcher,
      ...send(P.pubA0),
      ...send(P.pubA0),
      ...expect(P.pubA0, 1),
      ...expect(P.pubA0, 1),
    ],
  },
  {
    id: 'v5.subscription-identifier-from-client',
    title: 'a PUBLISH from a client carrying a Subscription Identifier is a protocol error',
    statements: [],
    statements5: ['MQTT-3.3.4-6'],
    versions: V5,
    mosquitto: { note: 'accepts the PUBLISH' },
    steps: [{ send: pubWith('02 0b 05') }, { close: true, reason: [0x82] }],
  },
  {
    id: 'v5.response-topic-wildcard',
    title: 'a Response Topic containing a wildcard is a protocol error',
    statements: [],
    statements5: ['MQTT-3.3.2-14'],
    versions: V5,
    mosquitto: { note: 'accepts the PUBLISH' },
    steps: [{ send: pubWith('06 08 0003 722f23') }, { close: true, reason: [0x82, 0x81, 0x90] }],
  },
  {
    id: 'v5.publish-property-not-allowed',
    title: 'a property not allowed in PUBLISH (Session Expiry) is malformed',
    statements: [],
    statements5: ['§2.2.2.2'],
    versions: V5,
    steps: [{ send: pubWith('05 11 0000000a') }, { close: true, reason: [0x81, 0x82] }],
  },
  {
    id: 'v5.publish-property-length-overrun',
    title: 'a property length running past the PUBLISH is malformed',
    statements: [],
    statements5: ['§2.2.2.1'],
    versions: V5,
    steps: [{ send: '30 0f 000a 612f{cid} 40 6869' }, { close: true, reason: [0x81] }],
  },
  {
    id: 'v5.maximum-packet-size-respected',
    title: 'a message bigger than the subscriber Maximum Packet Size is dropped for it',
    statements: [],
    statements5: ['MQTT-3.1.2-24', 'MQTT-3.1.2-25'],
    versions: V5,
    raw: true,
    steps: [
      ...connect('02', { id: '0008 {cid2}', props5: '07 1700 27 00000014' }, 1),
      { c: 1, expect: '20 .. 00 00 *' },
      ...roundTrip(P.subA0, P.suback0, 1),
      { open: true },
      { send: '30 ~ 000a 612f{cid} 00 303132333435363738393031323334353637383930' },
      ...send(P.pubA0),
      ...expect(P.pubA0, 1),
    ],
  },
  {
    id: 'v5.puback-reason-success',
    title: 'a PUBACK with a reason code and empty properties from the client is accepted',
    statements: [],
    statements5: ['MQTT-3.4.2-1'],
    versions: V5,
    steps: [
      ...roundTrip(P.subA1, P.suback1),
      { c: 1, open: true },
      ...send(P.pubA1, 1),
      { c: 1, expect: ['40 02 0001', '40 03 0001 00'] },
      ...expect(P.gotA1),
      { send: '40 04 {pid} 00 00' },
      { silent: 300 },
      { send: 'c0 00' },
      { expect: 'd0 00' },
    ],
  },
  {
    id: 'v5.connack-properties-valid',
    title: 'CONNACK is a well-formed v5 CONNACK (properties length within the packet)',
    statements: [],
    statements5: ['MQTT-3.2.2-1', '§3.2.2.3'],
    versions: V5,
    raw: true,
    steps: [...connect('02'), { expect: '20 .. 00 00 *' }, { send: 'c0 00' }, { expect: 'd0 00' }],
  },
  {
    id: 'v5.request-problem-info-0',
    title: 'with Request Problem Information 0 a SUBACK carries no Reason String',
    statements: [],
    statements5: ['MQTT-3.1.2-29'],
    versions: V5,
    steps: [{ send: '82 10 0001 00 000a 612f{cid} 00' }, { expect: '90 04 0001 00 00' }],
  },
  {
    id: 'v5.topic-alias-remapped',
    title: 'a Topic Alias can be re-mapped to another topic by a later PUBLISH',
    statements: [],
    statements5: ['MQTT-3.3.2-12', '§3.3.2.3.4'],
    versions: V5,
    steps: [
      ...roundTrip(P.subA0, P.suback0),
      { send: '82 10 0002 00 000a {cid}2f78 00' },
      { expect: '90 04 0002 00 00' },
      { c: 1, open: true },
      { c: 1, send: pubWith('03 23 0001') },
      { c: 1, send: '30 ~ 000a {cid}2f78 03 23 0001 6869' },
      { c: 1, send: '30 08 0000 03 23 0001 6869' },
      ...expect(P.pubA0),
      ...expect(P.pubB0),
      ...expect(P.pubB0),
    ],
  },
  {
    id: 'v5.topic-alias-not-carried-over',
    title: 'topic aliases belong to one connection: a new connection cannot use an old alias',
    statements: [],
    statements5: ['MQTT-3.3.2-7'],
    versions: V5,
    steps: [
      { send: pubWith('03 23 0001') },
      { c: 1, open: true },
      { c: 1, send: '30 08 0000 03 23 0001 6869' },
      { c: 1, close: true, reason: [0x82, 0x94] },
    ],
  },
  {
    id: 'v5.user-properties-in-connect-and-subscribe',
    title: 'User Properties in CONNECT and SUBSCRIBE are accepted',
    statements: [],
    statements5: ['§3.1.2.11.8', '§3.8.2.1.3'],
    versions: V5,
    raw: true,
    steps: [
      ...connect('02', { props5: '09 1700 26 0001 6b 0001 76' }),
      { expect: '20 .. 00 00 *' },
      { send: '82 ~ 0001 07 26 0001 6b 0001 76 000a 612f{cid} 01' },
      { expect: '90 04 0001 00 01' },
    ],
  },
];
