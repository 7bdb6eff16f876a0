import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PacketType, type ProtocolVersion } from '../../../src/codec/constants.js';
import { encodePacket } from '../../../src/codec/encode.js';
import type { Packet, Properties } from '../../../src/codec/types.js';
import { decodeWhole, plain } from './helpers.js';

const b = (s: string): Buffer => Buffer.from(s);

function samples(v: ProtocolVersion): Packet[] {
  const v5 = v === 5;
  const pp = (p: Properties): Properties | undefined => (v5 ? p : undefined);
  return [
    {
      type: PacketType.CONNECT,
      protocolName: v === 3 ? 'MQIsdp' : 'MQTT',
      protocolVersion: v,
      clean: true,
      keepAlive: 30,
      clientId: 'client-1',
      username: 'user',
      password: b('secret'),
      will: {
        topic: 'last/will',
        payload: b('gone'),
        qos: 1,
        retain: true,
        properties: pp({
          willDelayInterval: 10,
          contentType: 'text/plain',
          payloadFormatIndicator: 1,
        }),
      },
      properties: pp({
        sessionExpiryInterval: 3600,
        receiveMaximum: 20,
        maximumPacketSize: 65536,
        topicAliasMaximum: 5,
        requestProblemInformation: 0,
        requestResponseInformation: 1,
        userProperties: [
          ['k', 'v'],
          ['k', 'v2'],
        ],
        authenticationMethod: 'SCRAM',
        authenticationData: b('abc'),
      }),
    },
    {
      type: PacketType.CONNECT,
      protocolName: v === 3 ? 'MQIsdp' : 'MQTT',
      protocolVersion: v,
      clean: false,
      keepAlive: 0,
      clientId: v === 5 ? '' : 'c',
      username: undefined,
      password: undefined,
      will: undefined,
      properties: undefined,
    },
    {
      type: PacketType.CONNACK,
      sessionPresent: v !== 3,
      reasonCode: 0,
      properties: pp({
        sessionExpiryInterval: 10,
        assignedClientIdentifier: 'auto-1',
        serverKeepAlive: 20,
        receiveMaximum: 100,
        topicAliasMaximum: 10,
        maximumQoS: 1,
        retainAvailable: 1,
        maximumPacketSize: 1024,
        wildcardSubscriptionAvailable: 0,
        subscriptionIdentifiersAvailable: 1,
        sharedSubscriptionAvailable: 1,
        responseInformation: 'resp/',
        serverReference: 'other:1883',
        reasonString: 'welcome',
      }),
    },
    {
      type: PacketType.CONNACK,
      sessionPresent: false,
      reasonCode: v5 ? 0x87 : 5,
      properties: undefined,
    },
    {
      type: PacketType.PUBLISH,
      topic: 'a/b/c',
      payload: b('hello'),
      qos: 0,
      retain: true,
      dup: false,
      packetId: 0,
      properties: undefined,
    },
    {
      type: PacketType.PUBLISH,
      topic: 'ünïcode/タイトル',
      payload: Buffer.alloc(300, 7),
      qos: 2,
      retain: false,
      dup: true,
      packetId: 65535,
      properties: pp({
        payloadFormatIndicator: 1,
        messageExpiryInterval: 60,
        topicAlias: 3,
        responseTopic: 'reply/here',
        correlationData: b('corr'),
        userProperties: [['a', 'b']],
        subscriptionIdentifiers: [1, 268435455],
        contentType: 'application/json',
      }),
    },
    ...[PacketType.PUBACK, PacketType.PUBREC, PacketType.PUBREL, PacketType.PUBCOMP].flatMap(
      (type) =>
        [
          { type, packetId: 1, reasonCode: 0, properties: undefined },
          {
            type,
            packetId: 513,
            reasonCode: v5
              ? type === PacketType.PUBREL || type === PacketType.PUBCOMP
                ? 0x92
                : 0x10
              : 0,
            properties: undefined,
          },
          {
            type,
            packetId: 2,
            reasonCode: 0,
            properties: pp({ reasonString: 'ok', userProperties: [['x', 'y']] }),
          },
        ] as Packet[],
    ),
    {
      type: PacketType.SUBSCRIBE,
      packetId: 10,
      subscriptions: [
        {
          topicFilter: 'a/+/c',
          qos: 1,
          noLocal: v5,
          retainAsPublished: v5,
          retainHandling: v5 ? 2 : 0,
        },
        { topicFilter: '#', qos: 2, noLocal: false, retainAsPublished: false, retainHandling: 0 },
        {
          topicFilter: '$share/g/x/#',
          qos: 0,
          noLocal: false,
          retainAsPublished: false,
          retainHandling: v5 ? 1 : 0,
        },
      ],
      properties: pp({ subscriptionIdentifiers: [42], userProperties: [['u', 'p']] }),
    },
    {
      type: PacketType.SUBACK,
      packetId: 10,
      reasonCodes: v5 ? [0, 1, 2, 0x80, 0x97, 0xa2] : [0, 1, 2, 0x80],
      properties: pp({ reasonString: 'partial' }),
    },
    {
      type: PacketType.UNSUBSCRIBE,
      packetId: 11,
      topicFilters: ['a/+/c', '$SYS/#'],
      properties: pp({ userProperties: [['u', 'p']] }),
    },
    {
      type: PacketType.UNSUBACK,
      packetId: 11,
      reasonCodes: v5 ? [0, 0x11] : [],
      properties: pp({ reasonString: 'done' }),
    },
    { type: PacketType.PINGREQ },
    { type: PacketType.PINGRESP },
    { type: PacketType.DISCONNECT, reasonCode: 0, properties: undefined },
    ...(v5
      ? ([
          {
            type: PacketType.DISCONNECT,
            reasonCode: 0x8e,
            properties: { sessionExpiryInterval: 0, reasonString: 'bye', serverReference: 's2' },
          },
          { type: PacketType.DISCONNECT, reasonCode: 0x04, properties: undefined },
          { type: PacketType.AUTH, reasonCode: 0, properties: undefined },
          {
            type: PacketType.AUTH,
            reasonCode: 0x18,
            properties: {
              authenticationMethod: 'SCRAM',
              authenticationData: b('xyz'),
              reasonString: 'r',
            },
          },
        ] as Packet[])
      : []),
  ];
}

const NAMES = ['', ...Object.keys(PacketType)];

function describeShape(p: Packet): string {
  const parts: string[] = [];
  if ('qos' in p) parts.push(`qos ${p.qos}`);
  if ('reasonCode' in p) parts.push(`reason 0x${p.reasonCode.toString(16)}`);
  if ('properties' in p) parts.push(p.properties === undefined ? 'no properties' : 'properties');
  return parts.join(', ');
}

for (const v of [3, 4, 5] as const) {
  describe(`round trip, protocol level ${v}`, () => {
    for (const [i, p] of samples(v).entries()) {
      test(`#${i} ${NAMES[p.type]} (${describeShape(p)}) survives encode → decode`, () => {
        const bytes = encodePacket(p, v);
        const back = decodeWhole(bytes, v);
        assert.deepEqual(plain(back), plain(p));
        assert.deepEqual(encodePacket(back, v), bytes);
      });
    }
  });
}
