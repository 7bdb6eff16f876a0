import type { Step, Version } from '../types.js';

/**
 * Hex of the packets many cases share, as [MQTT 3.1 and 3.1.1, MQTT 5.0] pairs. Topic A is
 * "a/{cid}" (10 bytes), topic B is "{cid}/x", the will topic W is "w/{cid}"; payload "hi".
 */
export type Pair = readonly [string, string];

export const V34: Version[] = [3, 4];
export const V5: Version[] = [5];
export const V45: Version[] = [4, 5];

export const P = {
  subA0: ['82 0f 0001 000a 612f{cid} 00', '82 10 0001 00 000a 612f{cid} 00'],
  subA1: ['82 0f 0001 000a 612f{cid} 01', '82 10 0001 00 000a 612f{cid} 01'],
  subA2: ['82 0f 0001 000a 612f{cid} 02', '82 10 0001 00 000a 612f{cid} 02'],
  suback0: ['90 03 0001 00', '90 04 0001 00 00'],
  suback1: ['90 03 0001 01', '90 04 0001 00 01'],
  suback2: ['90 03 0001 02', '90 04 0001 00 02'],
  unsubA: ['a2 0e 0001 000a 612f{cid}', 'a2 0f 0001 00 000a 612f{cid}'],
  unsuback: ['b0 02 0001', 'b0 04 0001 00 00'],
  pubA0: ['30 0e 000a 612f{cid} 6869', '30 0f 000a 612f{cid} 00 6869'],
  pubA0r: ['31 0e 000a 612f{cid} 6869', '31 0f 000a 612f{cid} 00 6869'],
  pubA0yo: ['30 0e 000a 612f{cid} 796f', '30 0f 000a 612f{cid} 00 796f'],
  pubA0ryo: ['31 0e 000a 612f{cid} 796f', '31 0f 000a 612f{cid} 00 796f'],
  clearA: ['31 0c 000a 612f{cid}', '31 0d 000a 612f{cid} 00'],
  pubA1: ['32 10 000a 612f{cid} 0001 6869', '32 11 000a 612f{cid} 0001 00 6869'],
  pubA1r: ['33 10 000a 612f{cid} 0001 6869', '33 11 000a 612f{cid} 0001 00 6869'],
  pubA2: ['34 10 000a 612f{cid} 0001 6869', '34 11 000a 612f{cid} 0001 00 6869'],
  pubA2dup: ['3c 10 000a 612f{cid} 0001 6869', '3c 11 000a 612f{cid} 0001 00 6869'],
  /** Outbound QoS 1/2 deliveries with the packet id captured into {pid}. */
  gotA1: ['32 10 000a 612f{cid} iiii 6869', '32 11 000a 612f{cid} iiii 00 6869'],
  gotA1dup: ['3a 10 000a 612f{cid} iiii 6869', '3a 11 000a 612f{cid} iiii 00 6869'],
  gotA2: ['34 10 000a 612f{cid} iiii 6869', '34 11 000a 612f{cid} iiii 00 6869'],
  subB0: ['82 0f 0001 000a {cid}2f78 00', '82 10 0001 00 000a {cid}2f78 00'],
  subBplus0: ['82 0f 0001 000a {cid}2f2b 00', '82 10 0001 00 000a {cid}2f2b 00'],
  subBhash0: ['82 0f 0001 000a {cid}2f23 00', '82 10 0001 00 000a {cid}2f23 00'],
  pubB0: ['30 0e 000a {cid}2f78 6869', '30 0f 000a {cid}2f78 00 6869'],
  pubB0r: ['31 0e 000a {cid}2f78 6869', '31 0f 000a {cid}2f78 00 6869'],
  gotB0r: ['31 0e 000a {cid}2f78 6869', '31 0f 000a {cid}2f78 00 6869'],
  clearB: ['31 0c 000a {cid}2f78', '31 0d 000a {cid}2f78 00'],
  /** Will publication on "w/{cid}" with payload "by", as a QoS 0 subscriber sees it. */
  subW0: ['82 0f 0001 000a 772f{cid} 00', '82 10 0001 00 000a 772f{cid} 00'],
  gotW0: ['30 0e 000a 772f{cid} 6279', '30 0f 000a 772f{cid} 00 6279'],
  gotW0r: ['31 0e 000a 772f{cid} 6279', '31 0f 000a 772f{cid} 00 6279'],
  clearW: ['31 0c 000a 772f{cid}', '31 0d 000a 772f{cid} 00'],
} as const satisfies Record<string, Pair>;

/** A CONNECT with keep alive 60 and client id {cid}, per version, built from flag + fields hex. */
export const CONNECT_HEAD: Record<Version, string> = {
  3: '0006 4d5149736470 03',
  4: '0004 4d515454 04',
  5: '0004 4d515454 05',
};

/** Sends the pair's hex on connection `c` (both version families). */
export function send(pair: Pair, c?: number): Step[] {
  return [
    { send: pair[0], v: V34, ...(c === undefined ? {} : { c }) },
    { send: pair[1], v: V5, ...(c === undefined ? {} : { c }) },
  ];
}

/** Expects the pair's pattern on connection `c`. */
export function expect(pair: Pair, c?: number): Step[] {
  return [
    { expect: pair[0], v: V34, ...(c === undefined ? {} : { c }) },
    { expect: pair[1], v: V5, ...(c === undefined ? {} : { c }) },
  ];
}

/** Send then expect on the same connection. */
export function roundTrip(out: Pair, back: Pair, c?: number): Step[] {
  return [...send(out, c), ...expect(back, c)];
}

export interface ConnectParts {
  /** Client id field (default '0008 {cid}'). */
  id?: string;
  /** Keep alive (default '003c'). */
  ka?: string;
  /** Everything after the client id (will topic/payload, user name, password). */
  rest?: string;
  /** v5 CONNECT properties including their length (default '02 1700': no problem info). */
  props5?: string;
  /** v5 will properties including their length, inserted before `rest` (default none). */
  will5?: string;
}

/** A raw CONNECT with the given flags byte for every version (send steps, connection `c`). */
export function connect(flags: string, parts: ConnectParts = {}, c?: number): Step[] {
  const id = parts.id ?? '0008 {cid}';
  const ka = parts.ka ?? '003c';
  const rest = parts.rest ?? '';
  const cc = c === undefined ? {} : { c };
  const p5 = parts.props5 ?? '02 1700';
  const w5 = parts.will5 ?? '';
  return [
    { send: `10 ~ ${CONNECT_HEAD[3]} ${flags} ${ka} ${id} ${rest}`, v: [3], ...cc },
    { send: `10 ~ ${CONNECT_HEAD[4]} ${flags} ${ka} ${id} ${rest}`, v: [4], ...cc },
    { send: `10 ~ ${CONNECT_HEAD[5]} ${flags} ${ka} ${p5} ${id} ${w5} ${rest}`, v: [5], ...cc },
  ];
}

/** CONNACK accepted, session present 0 (v5 with any properties). */
export const CONNACK_OK: Pair = ['20 02 00 00', '20 .. 00 00 *'];
