import fc from 'fast-check';
import type { ProtocolVersion, QoS } from '../../../src/codec/constants.js';
import type {
  AckPacket,
  Packet,
  Properties,
  PublishPacket,
  Subscription,
} from '../../../src/codec/types.js';

/** Any Unicode text allowed in an MQTT string: no U+0000 (fast-check never emits lone surrogates). */
export const text = (maxLength = 12): fc.Arbitrary<string> =>
  fc
    .string({
      unit: fc.oneof(
        fc.constantFrom('a', 'b', '/', ' ', '$'),
        fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
      ),
      maxLength,
    })
    .map((s) => s.split('\u0000').join(''));

const level = fc.string({
  unit: fc.constantFrom('a', 'b', 'c', 'x', '-', 'é', '€', '😀', ' ', '$'),
  maxLength: 4,
});

/** Valid topic names: levels without wildcards, at least one character. */
export const topicName: fc.Arbitrary<string> = fc
  .array(level, { minLength: 1, maxLength: 4 })
  .map((l) => l.join('/'))
  .filter((t) => t.length > 0);

/** Valid (non-shared) topic filters. */
export const topicFilter: fc.Arbitrary<string> = fc
  .tuple(fc.array(fc.oneof(level, fc.constant('+')), { minLength: 1, maxLength: 4 }), fc.boolean())
  .map(([levels, hash]) => (hash ? [...levels, '#'] : levels).join('/'))
  .filter((f) => f.length > 0);

const bin = (max = 16): fc.Arbitrary<Buffer> =>
  fc.uint8Array({ maxLength: max }).map((a) => Buffer.from(a));
const u8flag = fc.constantFrom(0, 1);
const u16 = fc.integer({ min: 0, max: 0xffff });
const u16nz = fc.integer({ min: 1, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const u32nz = fc.integer({ min: 1, max: 0xffffffff });
const subId = fc.integer({ min: 1, max: 268_435_455 });
const userProps = fc.array(fc.tuple(text(6), text(6)), { minLength: 1, maxLength: 3 });

/** Keeps only defined keys so the object matches what the decoder produces. */
function clean(p: Record<string, unknown>): Properties | undefined {
  const o: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(p)) if (v !== undefined) o[k] = v;
  return Object.keys(o).length === 0 ? undefined : (o as Properties);
}

const opt = <T>(a: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> =>
  fc.option(a, { nil: undefined, freq: 2 });

export const publishProps = fc
  .record({
    payloadFormatIndicator: opt(u8flag),
    messageExpiryInterval: opt(u32),
    contentType: opt(text()),
    responseTopic: opt(topicName),
    correlationData: opt(bin()),
    subscriptionIdentifiers: opt(fc.array(subId, { minLength: 1, maxLength: 3 })),
    topicAlias: opt(u16nz),
    userProperties: opt(userProps),
  })
  .map(clean);

const willProps = fc
  .record({
    payloadFormatIndicator: opt(u8flag),
    messageExpiryInterval: opt(u32),
    contentType: opt(text()),
    responseTopic: opt(topicName),
    correlationData: opt(bin()),
    willDelayInterval: opt(u32),
    userProperties: opt(userProps),
  })
  .map(clean);

const connectProps = fc
  .record({
    sessionExpiryInterval: opt(u32),
    receiveMaximum: opt(u16nz),
    maximumPacketSize: opt(u32nz),
    topicAliasMaximum: opt(u16),
    requestResponseInformation: opt(u8flag),
    requestProblemInformation: opt(u8flag),
    authenticationMethod: opt(text()),
    userProperties: opt(userProps),
  })
  .chain((p) =>
    p.authenticationMethod === undefined
      ? fc.constant(clean(p))
      : opt(bin()).map((authenticationData) => clean({ ...p, authenticationData })),
  );

const connackProps = fc
  .record({
    sessionExpiryInterval: opt(u32),
    receiveMaximum: opt(u16nz),
    maximumQoS: opt(u8flag),
    retainAvailable: opt(u8flag),
    maximumPacketSize: opt(u32nz),
    assignedClientIdentifier: opt(text()),
    topicAliasMaximum: opt(u16),
    reasonString: opt(text()),
    userProperties: opt(userProps),
    wildcardSubscriptionAvailable: opt(u8flag),
    subscriptionIdentifiersAvailable: opt(u8flag),
    sharedSubscriptionAvailable: opt(u8flag),
    serverKeepAlive: opt(u16),
    responseInformation: opt(text()),
    serverReference: opt(text()),
    authenticationMethod: opt(text()),
    authenticationData: opt(bin()),
  })
  .map(clean);

const reasonProps = fc
  .record({ reasonString: opt(text()), userProperties: opt(userProps) })
  .map(clean);

const qos = fc.constantFrom<QoS>(0, 1, 2);

export function publish(v: ProtocolVersion): fc.Arbitrary<PublishPacket> {
  return fc
    .record({
      topic: topicName,
      payload: bin(64),
      qos,
      retain: fc.boolean(),
      dup: fc.boolean(),
      packetId: u16nz,
      properties: v === 5 ? publishProps : fc.constant(undefined),
    })
    .map((p) => ({
      type: 3 as const,
      ...p,
      dup: p.qos === 0 ? false : p.dup,
      packetId: p.qos === 0 ? 0 : p.packetId,
    }));
}

function subscription(v: ProtocolVersion): fc.Arbitrary<Subscription> {
  return fc
    .record({
      topicFilter,
      qos,
      noLocal: fc.boolean(),
      retainAsPublished: fc.boolean(),
      retainHandling: fc.constantFrom<0 | 1 | 2>(0, 1, 2),
    })
    .map((s) =>
      v === 5 ? s : { ...s, noLocal: false, retainAsPublished: false, retainHandling: 0 as const },
    );
}

const ackCodes: Record<number, number[]> = {
  4: [0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99],
  5: [0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99],
  6: [0x00, 0x92],
  7: [0x00, 0x92],
};

function ack(v: ProtocolVersion): fc.Arbitrary<AckPacket> {
  return fc.constantFrom<AckPacket['type']>(4, 5, 6, 7).chain((type) =>
    fc.record({
      type: fc.constant(type),
      packetId: u16nz,
      reasonCode: v === 5 ? fc.constantFrom(...(ackCodes[type] as number[])) : fc.constant(0),
      properties: v === 5 ? reasonProps : fc.constant(undefined),
    }),
  );
}

/** Any packet valid to encode at `v` (CONNECT at its own level `v`). */
export function packet(v: ProtocolVersion): fc.Arbitrary<Packet> {
  const v5 = v === 5;
  const connect = fc
    .record({
      clean: fc.boolean(),
      keepAlive: u16,
      clientId: v === 3 ? text(23).filter((s) => s.length > 0) : text(23),
      username: opt(text()),
      password: opt(bin()),
      will: opt(
        fc.record({
          topic: topicName,
          payload: bin(),
          qos,
          retain: fc.boolean(),
          properties: v5 ? willProps : fc.constant(undefined),
        }),
      ),
      properties: v5 ? connectProps : fc.constant(undefined),
    })
    .map((c) => ({
      type: 1 as const,
      protocolName: v === 3 ? 'MQIsdp' : 'MQTT',
      protocolVersion: v,
      ...c,
      // 3.1.1: a zero-byte client id needs Clean Session [MQTT-3.1.3-7].
      clean: v === 4 && c.clientId === '' ? true : c.clean,
      // 3.1/3.1.1 forbid a password without a user name [MQTT-3.1.2-22].
      password: v5 || c.username !== undefined ? c.password : undefined,
    }));
  const connack = fc.record({
    type: fc.constant(2 as const),
    sessionPresent: v === 3 ? fc.constant(false) : fc.boolean(),
    reasonCode: v5
      ? fc.constantFrom(
          0x00,
          0x80,
          0x81,
          0x82,
          0x84,
          0x85,
          0x86,
          0x87,
          0x88,
          0x89,
          0x8a,
          0x8c,
          0x90,
          0x95,
          0x97,
          0x99,
          0x9a,
          0x9b,
          0x9c,
          0x9d,
          0x9f,
        )
      : fc.integer({ min: 0, max: 5 }),
    properties: v5 ? connackProps : fc.constant(undefined),
  });
  const subscribe = fc.record({
    type: fc.constant(8 as const),
    packetId: u16nz,
    subscriptions: fc.array(subscription(v), { minLength: 1, maxLength: 4 }),
    properties: v5
      ? fc
          .record({
            subscriptionIdentifiers: opt(subId.map((i) => [i])),
            userProperties: opt(userProps),
          })
          .map(clean)
      : fc.constant(undefined),
  });
  const suback = fc.record({
    type: fc.constant(9 as const),
    packetId: u16nz,
    reasonCodes: fc.array(
      v5
        ? fc.constantFrom(0, 1, 2, 0x80, 0x83, 0x87, 0x8f, 0x91, 0x97, 0x9e, 0xa1, 0xa2)
        : fc.constantFrom(0, 1, 2, 0x80),
      { minLength: 1, maxLength: 4 },
    ),
    properties: v5 ? reasonProps : fc.constant(undefined),
  });
  const unsubscribe = fc.record({
    type: fc.constant(10 as const),
    packetId: u16nz,
    topicFilters: fc.array(topicFilter, { minLength: 1, maxLength: 4 }),
    properties: v5
      ? fc.record({ userProperties: opt(userProps) }).map(clean)
      : fc.constant(undefined),
  });
  const unsuback = fc.record({
    type: fc.constant(11 as const),
    packetId: u16nz,
    reasonCodes: v5
      ? fc.array(fc.constantFrom<number>(0, 0x11, 0x80, 0x83, 0x87, 0x8f, 0x91), {
          minLength: 1,
          maxLength: 4,
        })
      : fc.constant<number[]>([]),
    properties: v5 ? reasonProps : fc.constant(undefined),
  });
  const disconnect = fc.record({
    type: fc.constant(14 as const),
    reasonCode: v5 ? fc.constantFrom(0, 0x04, 0x80, 0x81, 0x8e, 0x93, 0x98, 0xa2) : fc.constant(0),
    properties: v5
      ? fc
          .record({
            sessionExpiryInterval: opt(u32),
            reasonString: opt(text()),
            serverReference: opt(text()),
            userProperties: opt(userProps),
          })
          .map(clean)
      : fc.constant(undefined),
  });
  const auth = fc.record({
    type: fc.constant(15 as const),
    reasonCode: fc.constantFrom(0, 0x18, 0x19),
    properties: fc
      .record({
        authenticationMethod: opt(text()),
        authenticationData: opt(bin()),
        reasonString: opt(text()),
        userProperties: opt(userProps),
      })
      .map((p) =>
        clean(p.authenticationMethod === undefined ? { ...p, authenticationData: undefined } : p),
      ),
  });
  const arbs: Array<fc.Arbitrary<Packet>> = [
    connect,
    connack,
    publish(v),
    publish(v),
    ack(v),
    subscribe,
    suback,
    unsubscribe,
    unsuback,
    fc.constant({ type: 12 as const }),
    fc.constant({ type: 13 as const }),
    disconnect,
  ];
  if (v5) arbs.push(auth);
  return fc.oneof(...arbs);
}
