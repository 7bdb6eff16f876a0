import type { ConformanceCase } from '../types.js';
import { expect, P, roundTrip, send, V5, V34, V45 } from './packets.js';

/** UNSUBSCRIBE / UNSUBACK. */
export const unsubscribeCases: ConformanceCase[] = [
  {
    id: 'unsubscribe.flags-0000',
    title: 'UNSUBSCRIBE with fixed-header flags 0000 is malformed',
    statements: ['MQTT-3.10.1-1', 'MQTT-2.2.2-2'],
    statements5: ['MQTT-3.10.1-1'],
    versions: V45,
    steps: [
      ...send(['a0 0e 0001 000a 612f{cid}', 'a0 0f 0001 00 000a 612f{cid}']),
      { close: true, reason: [0x81] },
    ],
  },
  {
    id: 'unsubscribe.flags-0110',
    title: 'UNSUBSCRIBE with fixed-header flags 0110 is malformed',
    statements: ['MQTT-3.10.1-1', 'MQTT-2.2.2-2'],
    statements5: ['MQTT-3.10.1-1'],
    versions: V45,
    steps: [
      ...send(['a6 0e 0001 000a 612f{cid}', 'a6 0f 0001 00 000a 612f{cid}']),
      { close: true, reason: [0x81] },
    ],
  },
  {
    id: 'unsubscribe.no-topics',
    title: 'an UNSUBSCRIBE with no topic filter is a protocol error',
    statements: ['MQTT-3.10.3-2'],
    statements5: ['MQTT-3.10.3-2'],
    versions: V45,
    steps: [...send(['a2 02 0001', 'a2 03 0001 00']), { close: true, reason: [0x81, 0x82] }],
  },
  {
    id: 'unsubscribe.packet-id-0',
    title: 'an UNSUBSCRIBE with packet id 0 is refused',
    statements: ['MQTT-2.3.1-1'],
    statements5: ['MQTT-2.2.1-3'],
    steps: [
      ...send(['a2 0e 0000 000a 612f{cid}', 'a2 0f 0000 00 000a 612f{cid}']),
      { close: true, reason: [0x81, 0x82] },
    ],
  },
  {
    id: 'unsubscribe.filter-invalid-utf8',
    title: 'an UNSUBSCRIBE filter that is not UTF-8 closes the connection',
    statements: ['MQTT-3.10.3-1', 'MQTT-1.5.3-1'],
    statements5: ['MQTT-3.10.3-1', 'MQTT-1.5.4-1'],
    steps: [
      ...send(['a2 07 0001 0003 61c328', 'a2 08 0001 00 0003 61c328']),
      { close: true, reason: [0x81] },
    ],
  },
  {
    id: 'unsubscribe.filter-length-overrun',
    title: 'a filter length running past the packet end is malformed',
    statements: ['MQTT-3.10.3-1'],
    statements5: ['MQTT-3.10.3-1'],
    steps: [
      ...send(['a2 06 0001 0040 612f', 'a2 07 0001 00 0040 612f']),
      { close: true, reason: [0x81] },
    ],
  },
  {
    id: 'unsubscribe.unsuback',
    title: 'UNSUBSCRIBE of an existing subscription gets UNSUBACK with the same packet id',
    statements: ['MQTT-3.10.4-4', 'MQTT-3.10.4-5'],
    statements5: ['MQTT-3.10.4-4', 'MQTT-3.10.4-5'],
    steps: [
      ...roundTrip(P.subA0, P.suback0),
      ...send(['a2 0e 7777 000a 612f{cid}', 'a2 0f 7777 00 000a 612f{cid}']),
      ...expect(['b0 02 7777', 'b0 04 7777 00 00']),
    ],
  },
  {
    id: 'unsubscribe.not-subscribed',
    title: 'UNSUBSCRIBE of an unknown filter still gets UNSUBACK (v5: 0x11)',
    statements: ['MQTT-3.10.4-5'],
    statements5: ['MQTT-3.10.4-5', 'MQTT-3.11.3-1'],
    steps: [...send(P.unsubA), ...expect(['b0 02 0001', 'b0 04 0001 00 11'])],
  },
  {
    id: 'unsubscribe.stops-delivery',
    title: 'after UNSUBACK no new messages are delivered for the filter',
    statements: ['MQTT-3.10.4-1', 'MQTT-3.10.4-2'],
    statements5: ['MQTT-3.10.4-1', 'MQTT-3.10.4-2'],
    steps: [
      ...roundTrip(P.subA0, P.suback0),
      ...roundTrip(P.unsubA, P.unsuback),
      ...send(P.pubA0),
      { silent: 300 },
    ],
  },
  {
    id: 'unsubscribe.exact-filter-only',
    title: 'UNSUBSCRIBE compares filters character by character: "{id}/x" does not remove "{id}/+"',
    statements: ['MQTT-3.10.4-1'],
    statements5: ['MQTT-3.10.4-1'],
    steps: [
      ...roundTrip(P.subBplus0, P.suback0),
      ...send(['a2 0e 0002 000a {cid}2f78', 'a2 0f 0002 00 000a {cid}2f78']),
      ...expect(['b0 02 0002', 'b0 04 0002 00 11']),
      ...send(P.pubB0),
      ...expect(P.pubB0),
    ],
  },
  {
    id: 'unsubscribe.multiple-filters',
    title: 'several filters in one UNSUBSCRIBE get one UNSUBACK (v5: a code per filter)',
    statements: ['MQTT-3.10.4-6'],
    statements5: ['MQTT-3.10.4-6', 'MQTT-3.11.3-1'],
    steps: [
      ...roundTrip(P.subA0, P.suback0),
      ...send([
        'a2 ~ 0003 000a 612f{cid} 000a {cid}2f78',
        'a2 ~ 0003 00 000a 612f{cid} 000a {cid}2f78',
      ]),
      ...expect(['b0 02 0003', 'b0 05 0003 00 00 11']),
      ...send(P.pubA0),
      { silent: 300 },
    ],
  },
  {
    id: 'unsubscribe.wildcard-filter',
    title: 'UNSUBSCRIBE removes a wildcard subscription named exactly',
    statements: ['MQTT-3.10.4-1'],
    statements5: ['MQTT-3.10.4-1'],
    steps: [
      ...roundTrip(P.subBhash0, P.suback0),
      ...send(['a2 0e 0004 000a {cid}2f23', 'a2 0f 0004 00 000a {cid}2f23']),
      ...expect(['b0 02 0004', 'b0 04 0004 00 00']),
      ...send(P.pubB0),
      { silent: 300 },
    ],
  },
  {
    id: 'unsubscribe.v3-unsuback-has-no-payload',
    title: 'a 3.x UNSUBACK has remaining length 2',
    statements: ['§3.11.3'],
    versions: V34,
    steps: [{ send: 'a2 0e 0005 000a 612f{cid}' }, { expect: 'b0 02 0005' }],
  },
  {
    id: 'unsubscribe.v5-property-not-allowed',
    title: 'v5: a property not allowed in UNSUBSCRIBE is malformed',
    statements: [],
    statements5: ['§2.2.2.2'],
    versions: V5,
    steps: [{ send: 'a2 ~ 0001 02 0101 000a 612f{cid}' }, { close: true, reason: [0x81, 0x82] }],
  },
];
