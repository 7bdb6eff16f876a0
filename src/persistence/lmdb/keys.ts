import { createHash } from 'node:crypto';

// LMDB keys are limited (~1978 bytes in lmdb-js); MQTT strings go up to 65535 bytes. Strings
// that could exceed the limit become a readable prefix plus a hash; the full string is always
// in the value. U+0001 marks the hashed form so that a client's key range [id]..[id + U+0000]
// never contains another client's hashed key.
const MAX_KEY_CHARS = 200;
const PREFIX_CHARS = 100;

/** The LMDB key part for an MQTT string (client id, topic, filter). */
export function keyPart(s: string): string {
  if (s.length <= MAX_KEY_CHARS) return s;
  const hash = createHash('sha256').update(s).digest('hex');
  return `${s.slice(0, PREFIX_CHARS)}\u0001${hash}`;
}

/** Start and end (exclusive) of all composite keys `[clientId, …]` of one client. */
export function clientRange(clientId: string): { start: [string]; end: [string] } {
  const k = keyPart(clientId);
  return { start: [k], end: [`${k}\u0000`] };
}
