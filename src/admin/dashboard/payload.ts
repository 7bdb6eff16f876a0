// Showing a message payload: text when it is UTF-8, hex otherwise.

/** A payload as text when it is UTF-8, else as hex; cut to a readable length. */
export function preview(payload: Uint8Array, max = 200): string {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(payload);
    if (text.length > max) text = `${text.slice(0, max)}…`;
  } catch {
    const bytes = Array.from(payload.subarray(0, max / 2), (b) => b.toString(16).padStart(2, '0'));
    text = `0x${bytes.join('')}${payload.length > max / 2 ? '…' : ''}`;
  }
  return text;
}

/** The bytes of a base64 string (how the API carries payloads in JSON). */
export function fromBase64(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}
