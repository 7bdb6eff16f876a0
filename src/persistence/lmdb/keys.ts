import { createHash } from 'node:crypto';

// LMDB keys are limited (~1978 bytes in lmdb-js); MQTT strings go up to 65535 bytes. And in the
// ordered-binary encoding of array keys, low control characters act as element delimiters. So a
// string that is long or holds a control character becomes a readable prefix plus a hash (the
// full string is always in the value). U+007F marks the hashed form.
const MAX_KEY_CHARS = 200;
const PREFIX_CHARS = 100;
// biome-ignore lint/suspicious/noControlCharactersInRegex: exactly what must be caught
const CONTROL = /[\u0000-\u001f]/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: exactly what must be replaced
const CONTROL_ALL = /[\u0000-\u001f]/g;

/** The LMDB key part for an MQTT string (client id, topic, filter). */
export function keyPart(s: string): string {
  if (s.length <= MAX_KEY_CHARS && !CONTROL.test(s)) return s;
  const hash = createHash('sha256').update(s).digest('hex');
  return `${s.slice(0, PREFIX_CHARS).replace(CONTROL_ALL, '?')}\u007f${hash}`;
}

// Composite keys start with the client's key part, so one range covers a client's rows. The
// range ends are numbers, never `key + U+0000`: lmdb-js orders such an end key wrongly once the
// string reaches 63 characters. Subscription keys put a 0 before the filter so that [id, 1]
// bounds them.

/** Key of a subscription row. */
export function subKey(clientId: string, filter: string): [string, number, string] {
  return [keyPart(clientId), 0, keyPart(filter)];
}

/** Key of a row keyed by client and number (queue seq, inbound packet id). */
export function numKey(clientId: string, n: number): [string, number] {
  return [keyPart(clientId), n];
}

/** Range of one client's subscription rows. */
export function subRange(clientId: string): { start: [string, number]; end: [string, number] } {
  const k = keyPart(clientId);
  return { start: [k, 0], end: [k, 1] };
}

/** Range of one client's rows keyed by number. */
export function numRange(clientId: string): { start: [string]; end: [string, number] } {
  const k = keyPart(clientId);
  return { start: [k], end: [k, Number.POSITIVE_INFINITY] };
}
