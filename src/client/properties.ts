// Building and copying packet properties for the client.
import type { Properties } from '../codec/types.js';
import type { PublishProperties } from './types.js';

/** A Buffer view of any Uint8Array (no copy). */
export function toBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/** v5 PUBLISH properties on the wire from the application's options. */
export function publishProperties(p: PublishProperties | undefined): Properties | undefined {
  if (p === undefined) return undefined;
  const out: Properties = {};
  if (p.payloadFormatIndicator !== undefined) out.payloadFormatIndicator = p.payloadFormatIndicator;
  if (p.messageExpiryInterval !== undefined) out.messageExpiryInterval = p.messageExpiryInterval;
  if (p.contentType !== undefined) out.contentType = p.contentType;
  if (p.responseTopic !== undefined) out.responseTopic = p.responseTopic;
  if (p.correlationData !== undefined) out.correlationData = toBuffer(p.correlationData);
  if (p.userProperties !== undefined) out.userProperties = p.userProperties;
  if (p.topicAlias !== undefined) out.topicAlias = p.topicAlias;
  return out;
}

/** An upper bound of the encoded size of properties (UTF-8: at most 3 bytes per UTF-16 unit). */
export function propertiesUpperBound(p: Properties | undefined): number {
  if (p === undefined) return 0;
  let n = 4;
  for (const v of Object.values(p) as unknown[]) {
    if (typeof v === 'string') n += 3 + v.length * 3;
    else if (typeof v === 'number') n += 5;
    else if (v instanceof Uint8Array) n += 3 + v.length;
    else if (Array.isArray(v)) {
      for (const e of v as unknown[]) {
        n += Array.isArray(e) ? 5 + (String(e[0]).length + String(e[1]).length) * 3 : 5;
      }
    }
  }
  return n;
}

/** A copy that owns its binary fields (the codec hands out views into read buffers). */
export function copyProperties(p: Properties): Properties {
  const out = { ...p };
  if (p.correlationData !== undefined) out.correlationData = Buffer.from(p.correlationData);
  if (p.authenticationData !== undefined) {
    out.authenticationData = Buffer.from(p.authenticationData);
  }
  return out;
}
