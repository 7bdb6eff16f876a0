import type { ConformanceCase } from '../types.js';
import { expect, P, roundTrip, send, V5, V34, V45 } from './packets.js';

/** A SUBSCRIBE (packet id 1) of one filter given as hex "length + bytes" with an options byte. */
function sub(filter: string, options: string): readonly [string, string] {
  return [`82 ~ 0001 ${filter} ${options}`, `82 ~ 0001 00 ${filter} ${options}`];
}

/** An invalid filter: close (v5 reason 0x8F/0x81) or a SUBACK failure code for it. */
function invalidFilter(id: string, title: string, filter: string, st: string[]): ConformanceCase {
  return {
    id,
    title,
    statements: st,
    statements5: st,
    steps: [
      ...send(sub(filter, '00')),
      { close: true, reason: [0x8f, 0x81, 0x82], or: '90 03 0001 80', v: V34 },
      { close: true, reason: [0x8f, 0x81, 0x82], or: '90 .. 0001 .. 8f', v: V5 },
    ],
  };
}

/** SUBSCRIBE / SUBACK: flags, payload, options, filters, granted QoS, replacement. */
export const subscribeCases: ConformanceCase[] = [
  {
    id: 'subscribe.flags-0000',
    title: 'SUBSCRIBE with fixed-header flags 0000 is malformed',
    statements: ['MQTT-3.8.1-1', 'MQTT-2.2.2-2'],
    statements5: ['MQTT-3.8.1-1'],
    versions: V45,
    steps: [
      ...send(['80 0f 0001 000a 612f{cid} 00', '80 10 0001 00 000a 612f{cid} 00']),
      { close: true, reason: [0x81] },
    ],
  },
  {
    id: 'subscribe.flags-0011',
    title: 'SUBSCRIBE with fixed-header flags 0011 is malformed',
    statements: ['MQTT-3.8.1-1', 'MQTT-2.2.2-2'],
    statements5: ['MQTT-3.8.1-1'],
    versions: V45,
    steps: [
      ...send(['83 0f 0001 000a 612f{cid} 00', '83 10 0001 00 000a 612f{cid} 00']),
      { close: true, reason: [0x81] },
    ],
  },
  {
    id: 'subscribe.flags-1010',
    title: 'SUBSCRIBE with fixed-header flags 1010 is malformed',
    statements: ['MQTT-3.8.1-1', 'MQTT-2.2.2-2'],
    statements5: ['MQTT-3.8.1-1'],
    versions: V45,
    steps: [
      ...send(['8a 0f 0001 000a 612f{cid} 00', '8a 10 0001 00 000a 612f{cid} 00']),
      { close: true, reason: [0x81] },
    ],
  },
  {
    id: 'subscribe.no-topics',
    title: 'a SUBSCRIBE with no topic filter is a protocol error',
    statements: ['MQTT-3.8.3-3'],
    statements5: ['MQTT-3.8.3-2'],
    versions: V45,
    steps: [...send(['82 02 0001', '82 03 0001 00']), { close: true, reason: [0x81, 0x82] }],
  },
  {
    id: 'subscribe.packet-id-0',
    title: 'a SUBSCRIBE with packet id 0 is refused',
    statements: ['MQTT-2.3.1-1'],
    statements5: ['MQTT-2.2.1-3'],
    steps: [
      ...send(['82 0f 0000 000a 612f{cid} 00', '82 10 0000 00 000a 612f{cid} 00']),
      { close: true, reason: [0x81, 0x82] },
    ],
  },
  {
    id: 'subscribe.qos-3',
    title: 'requested QoS 3 is malformed',
    statements: ['MQTT-3-8.3-4'],
    statements5: ['MQTT-3.8.3-5'],
    steps: [...send(sub('000a 612f{cid}', '03')), { close: true, reason: [0x81] }],
  },
  {
    id: 'subscribe.reserved-option-bits-v3',
    title: 'non-zero reserved bits in the requested QoS byte are malformed',
    statements: ['MQTT-3-8.3-4'],
    versions: V34,
    steps: [{ send: '82 0f 0001 000a 612f{cid} 04' }, { close: true }],
  },
  {
    id: 'subscribe.reserved-option-bits-high',
    title: 'subscription option bits 6-7 set are malformed',
    statements: ['MQTT-3-8.3-4'],
    statements5: ['MQTT-3.8.3-5'],
    steps: [...send(sub('000a 612f{cid}', 'c0')), { close: true, reason: [0x81] }],
  },
  {
    id: 'subscribe.retain-handling-3',
    title: 'Retain Handling 3 is a protocol error',
    statements: [],
    statements5: ['§3.8.3.1'],
    versions: V5,
    steps: [{ send: '82 10 0001 00 000a 612f{cid} 30' }, { close: true, reason: [0x81, 0x82] }],
  },
  {
    id: 'subscribe.filter-length-overrun',
    title: 'a topic filter length running past the packet end is malformed',
    statements: ['MQTT-3.8.3-1'],
    statements5: ['MQTT-3.8.3-1'],
    steps: [
      ...send(['82 07 0001 0020 612f 00', '82 08 0001 00 0020 612f 00']),
      { close: true, reason: [0x81] },
    ],
  },
  {
    id: 'subscribe.missing-options-byte',
    title: 'a topic filter without its options byte is malformed',
    statements: ['MQTT-3.8.3-1'],
    statements5: ['MQTT-3.8.3-1'],
    steps: [
      ...send(['82 0e 0001 000a 612f{cid}', '82 0f 0001 00 000a 612f{cid}']),
      { close: true, reason: [0x81] },
    ],
  },
  invalidFilter(
    'subscribe.filter-hash-not-last',
    'a filter with "#" not last ("a/#/b") is invalid',
    '0005 612f232f62',
    ['MQTT-4.7.1-2'],
  ),
  invalidFilter(
    'subscribe.filter-hash-inside-level',
    'a filter with "#" inside a level ("a/b#") is invalid',
    '0004 612f6223',
    ['MQTT-4.7.1-2'],
  ),
  invalidFilter(
    'subscribe.filter-plus-inside-level',
    'a filter with "+" inside a level ("a/b+") is invalid',
    '0004 612f622b',
    ['MQTT-4.7.1-3'],
  ),
  invalidFilter(
    'subscribe.filter-plus-prefix',
    'a filter with "+" followed by text ("+a") is invalid',
    '0002 2b61',
    ['MQTT-4.7.1-3'],
  ),
  invalidFilter('subscribe.filter-empty', 'an empty topic filter is invalid', '0000', [
    'MQTT-4.7.3-1',
  ]),
  {
    id: 'subscribe.filter-null-char',
    title: 'a topic filter containing U+0000 closes the connection',
    statements: ['MQTT-4.7.3-2', 'MQTT-1.5.3-2'],
    statements5: ['MQTT-4.7.3-2', 'MQTT-1.5.4-2'],
    steps: [...send(sub('0003 610062', '00')), { close: true, reason: [0x81, 0x8f] }],
  },
  {
    id: 'subscribe.filter-invalid-utf8',
    title: 'a topic filter that is not UTF-8 closes the connection',
    statements: ['MQTT-1.5.3-1', 'MQTT-3.8.3-1'],
    statements5: ['MQTT-1.5.4-1', 'MQTT-3.8.3-1'],
    steps: [...send(sub('0003 61c328', '00')), { close: true, reason: [0x81, 0x8f] }],
  },
  // --- SUBACK -----------------------------------------------------------------------------
  ...([0, 1, 2] as const).map(
    (q): ConformanceCase => ({
      id: `subscribe.granted-qos-${q}`,
      title: `a QoS ${q} subscription is granted QoS ${q} in a SUBACK with the same packet id`,
      statements: ['MQTT-3.8.4-1', 'MQTT-3.8.4-2', 'MQTT-3.9.3-1'],
      statements5: ['MQTT-3.8.4-1', 'MQTT-3.8.4-2', 'MQTT-3.9.3-1'],
      steps: [
        ...send([`82 0f abcd 000a 612f{cid} 0${q}`, `82 10 abcd 00 000a 612f{cid} 0${q}`]),
        ...expect([`90 03 abcd 0${q}`, `90 04 abcd 00 0${q}`]),
      ],
    }),
  ),
  {
    id: 'subscribe.multiple-filters',
    title: 'several filters in one SUBSCRIBE get one SUBACK with a code per filter, in order',
    statements: ['MQTT-3.8.4-4', 'MQTT-3.8.4-5', 'MQTT-3.9.3-1'],
    statements5: ['MQTT-3.8.4-5', 'MQTT-3.8.4-6', 'MQTT-3.9.3-1'],
    steps: [
      ...send([
        '82 ~ 0002 000a 612f{cid} 02 000a {cid}2f78 00 000a {cid}2f2b 01',
        '82 ~ 0002 00 000a 612f{cid} 02 000a {cid}2f78 00 000a {cid}2f2b 01',
      ]),
      ...expect(['90 05 0002 02 00 01', '90 06 0002 00 02 00 01']),
    ],
  },
  {
    id: 'subscribe.replaces-existing',
    title: 'subscribing again to the same filter replaces the subscription (one delivery)',
    statements: ['MQTT-3.8.4-3'],
    statements5: ['MQTT-3.8.4-3'],
    steps: [
      ...roundTrip(P.subA0, P.suback0),
      ...roundTrip(P.subA1, P.suback1),
      { c: 1, open: true },
      ...send(P.pubA1, 1),
      { c: 1, expect: ['40 02 0001', '40 03 0001 00'] },
      ...expect(P.gotA1),
      { send: '40 02 {pid}' },
      { silent: 300 },
    ],
  },
  {
    id: 'subscribe.wildcard-plus',
    title: '"+" matches exactly one level',
    statements: ['MQTT-4.7.1-3'],
    statements5: ['MQTT-4.7.1-2'],
    steps: [
      ...roundTrip(P.subBplus0, P.suback0),
      { c: 1, open: true },
      ...send(P.pubB0, 1),
      ...expect(P.pubB0),
      ...send(['30 10 000c {cid}2f782f79 6869', '30 11 000c {cid}2f782f79 00 6869'], 1),
      { silent: 300 },
    ],
  },
  {
    id: 'subscribe.wildcard-hash',
    title: '"#" matches the parent level and every level below',
    statements: ['MQTT-4.7.1-2'],
    statements5: ['MQTT-4.7.1-1'],
    steps: [
      ...roundTrip(P.subBhash0, P.suback0),
      { c: 1, open: true },
      ...send(['30 0c 0008 {cid} 6869', '30 0d 0008 {cid} 00 6869'], 1),
      ...expect(['30 0c 0008 {cid} 6869', '30 0d 0008 {cid} 00 6869']),
      ...send(['30 10 000c {cid}2f782f79 6869', '30 11 000c {cid}2f782f79 00 6869'], 1),
      ...expect(['30 10 000c {cid}2f782f79 6869', '30 11 000c {cid}2f782f79 00 6869']),
    ],
  },
  {
    id: 'subscribe.wildcard-plus-empty-level',
    title: '"+" matches an empty level ("{id}/+/y" matches "{id}//y")',
    statements: ['MQTT-4.7.1-3'],
    statements5: ['MQTT-4.7.1-2'],
    steps: [
      ...roundTrip(sub('000c {cid}2f2b2f79', '00'), P.suback0),
      ...send(['30 0f 000b {cid}2f2f79 6869', '30 10 000b {cid}2f2f79 00 6869']),
      ...expect(['30 0f 000b {cid}2f2f79 6869', '30 10 000b {cid}2f2f79 00 6869']),
    ],
  },
  {
    id: 'subscribe.case-sensitive',
    title: 'topic matching is case sensitive',
    statements: ['MQTT-4.7.3-4'],
    statements5: ['MQTT-4.7.3-4'],
    steps: [
      ...roundTrip(sub('000a 412f{cid}', '00'), P.suback0),
      ...send(P.pubA0),
      { silent: 300 },
    ],
  },
  {
    id: 'subscribe.dollar-filter-explicit',
    title: 'a filter naming a "$" topic explicitly matches it',
    statements: ['MQTT-4.7.2-1'],
    steps: [
      ...roundTrip(sub('000a 242f{cid}', '00'), P.suback0),
      ...send(['30 0e 000a 242f{cid} 6869', '30 0f 000a 242f{cid} 00 6869']),
      ...expect(['30 0e 000a 242f{cid} 6869', '30 0f 000a 242f{cid} 00 6869']),
    ],
  },
  // --- v5 subscription options ------------------------------------------------------------
  {
    id: 'subscribe.v5-no-local',
    title: 'No Local: a client does not receive its own publications',
    statements: [],
    statements5: ['MQTT-3.8.3-3'],
    versions: V5,
    steps: [
      { send: '82 10 0001 00 000a 612f{cid} 04' },
      { expect: '90 04 0001 00 00' },
      ...send(P.pubA0),
      { silent: 300 },
    ],
  },
  {
    id: 'subscribe.v5-shared-no-local',
    title: 'No Local on a shared subscription is a protocol error',
    statements: [],
    statements5: ['MQTT-3.8.3-4'],
    versions: V5,
    mosquitto: { note: 'grants the subscription' },
    steps: [
      { send: '82 ~ 0001 00 0013 2473686172652f672f 612f{cid} 04' },
      { close: true, reason: [0x82], or: '90 04 0001 00 82' },
    ],
  },
  {
    id: 'subscribe.v5-retain-as-published',
    title: 'Retain As Published keeps RETAIN 1 on live forwarding',
    statements: [],
    statements5: ['MQTT-3.3.1-13'],
    versions: V5,
    steps: [
      { send: '82 10 0001 00 000a 612f{cid} 08' },
      { expect: '90 04 0001 00 00' },
      ...send(P.pubA0r),
      ...expect(P.pubA0r),
      ...send(P.clearA),
    ],
  },
  {
    id: 'subscribe.v5-retain-handling-1',
    title: 'Retain Handling 1 sends retained messages only for a new subscription',
    statements: [],
    statements5: ['MQTT-3.3.1-10'],
    versions: V5,
    steps: [
      ...send(P.pubA0r),
      { wait: 100 },
      { send: '82 10 0001 00 000a 612f{cid} 10' },
      { expect: '90 04 0001 00 00' },
      ...expect(P.pubA0r),
      { send: '82 10 0001 00 000a 612f{cid} 10' },
      { expect: '90 04 0001 00 00' },
      { silent: 300 },
      ...send(P.clearA),
    ],
  },
  {
    id: 'subscribe.v5-retain-handling-2',
    title: 'Retain Handling 2 sends no retained messages',
    statements: [],
    statements5: ['MQTT-3.3.1-11'],
    versions: V5,
    steps: [
      ...send(P.pubA0r),
      { wait: 100 },
      { send: '82 10 0001 00 000a 612f{cid} 20' },
      { expect: '90 04 0001 00 00' },
      { silent: 300 },
      ...send(P.clearA),
    ],
  },
  {
    id: 'subscribe.v5-subscription-identifier',
    title: 'a Subscription Identifier is returned with matching publications',
    statements: [],
    statements5: ['MQTT-3.3.4-3'],
    versions: V5,
    steps: [
      { send: '82 12 0001 02 0b05 000a 612f{cid} 00' },
      { expect: '90 04 0001 00 00' },
      ...send(P.pubA0),
      { expect: '30 11 000a 612f{cid} 02 0b05 6869' },
    ],
  },
  {
    id: 'subscribe.v5-subscription-identifier-0',
    title: 'Subscription Identifier 0 is a protocol error',
    statements: [],
    statements5: ['§3.8.2.1.2'],
    versions: V5,
    steps: [
      { send: '82 12 0001 02 0b00 000a 612f{cid} 00' },
      { close: true, reason: [0x81, 0x82] },
    ],
  },
  {
    id: 'subscribe.v5-shared-delivery',
    title: 'a shared subscription $share/g/filter receives matching publications',
    statements: [],
    statements5: ['§4.8.2'],
    versions: V5,
    steps: [
      { send: '82 ~ 0001 00 0013 2473686172652f672f 612f{cid} 00' },
      { expect: '90 04 0001 00 00' },
      ...send(P.pubA0),
      ...expect(P.pubA0),
    ],
  },
  {
    id: 'subscribe.v5-shared-and-plain',
    title: 'a shared group and a plain subscription each get a copy',
    statements: [],
    statements5: ['§4.8.2'],
    versions: V5,
    steps: [
      { send: '82 ~ 0001 00 0013 2473686172652f672f 612f{cid} 00' },
      { expect: '90 04 0001 00 00' },
      { c: 1, open: true },
      ...roundTrip(P.subA0, P.suback0, 1),
      { c: 2, open: true },
      { c: 2, send: '30 0f 000a 612f{cid} 00 6869' },
      ...expect(P.pubA0),
      ...expect(P.pubA0, 1),
    ],
  },
  {
    id: 'subscribe.v5-shared-invalid',
    title: 'a malformed shared filter ("$share/g" with no filter) is refused',
    statements: [],
    statements5: ['MQTT-4.8.2-2'],
    versions: V5,
    mosquitto: { note: 'grants "$share/g" as a plain subscription' },
    steps: [
      { send: '82 ~ 0001 00 0008 2473686172652f67 00' },
      { close: true, reason: [0x8f, 0x81, 0x82], or: '90 04 0001 00 8f' },
    ],
  },
  {
    id: 'subscribe.v5-shared-wildcard-group',
    title: 'a share name containing a wildcard is refused',
    statements: [],
    statements5: ['MQTT-4.8.2-2'],
    versions: V5,
    mosquitto: { note: 'grants a share name containing "+"' },
    steps: [
      { send: '82 ~ 0001 00 000a 2473686172652f2b2f61 00' },
      { close: true, reason: [0x8f, 0x81, 0x82], or: '90 04 0001 00 8f' },
    ],
  },
];
