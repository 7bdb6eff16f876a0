/** MQTT control packet types (the high nibble of the fixed header). */
export const PacketType = {
  CONNECT: 1,
  CONNACK: 2,
  PUBLISH: 3,
  PUBACK: 4,
  PUBREC: 5,
  PUBREL: 6,
  PUBCOMP: 7,
  SUBSCRIBE: 8,
  SUBACK: 9,
  UNSUBSCRIBE: 10,
  UNSUBACK: 11,
  PINGREQ: 12,
  PINGRESP: 13,
  DISCONNECT: 14,
  AUTH: 15,
} as const;
export type PacketType = (typeof PacketType)[keyof typeof PacketType];

/** Protocol levels: 3 = MQTT 3.1 (`MQIsdp`), 4 = MQTT 3.1.1, 5 = MQTT 5.0. */
export const ProtocolVersion = { V31: 3, V311: 4, V5: 5 } as const;
export type ProtocolVersion = 3 | 4 | 5;

export type QoS = 0 | 1 | 2;

/** Largest value the variable byte integer can hold (268,435,455). */
export const MAX_VARINT = 268_435_455;
/** Largest possible MQTT packet: 1 header byte + 4 length bytes + MAX_VARINT. */
export const MAX_PACKET_SIZE = MAX_VARINT + 5;
