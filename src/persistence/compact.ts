import type { ChangeRecord } from './types.js';

/**
 * Drops the work a run of records would undo itself, keeping its net effect identical. The LMDB
 * store runs it over a checkpoint's window, for pairs the batcher's tokens did not cancel.
 *
 * With group commit a fast subscriber often acknowledges a message inside the same run that
 * stored it: `msg.put`, `queue.put`, `queue.update`s, then `queue.delete` and `msg.delete`. Such a
 * message never needs to reach the disk. Here a `queue.update` folds into a `queue.put` of the
 * same batch, and a `*.put` followed by a `*.delete` of the same key is dropped (the delete stays:
 * it is cheap, and keeps the result right even if the key was on disk before the batch).
 * Records are never mutated; merged puts are new objects.
 */
export function compactBatch(records: readonly ChangeRecord[]): ChangeRecord[] {
  const out: Array<ChangeRecord | undefined> = [];
  // Output index of the latest put per key, while no delete of that key has followed.
  const putAt = new Map<string, number>();
  for (const r of records) {
    switch (r.kind) {
      case 'msg.put':
        putAt.set(`m${r.msg.id}`, out.length);
        out.push(r);
        break;
      case 'msg.delete':
        drop(out, putAt, `m${r.id}`);
        out.push(r);
        break;
      case 'queue.put':
        putAt.set(queueKey(r.entry.clientId, r.entry.seq), out.length);
        out.push(r);
        break;
      case 'queue.update': {
        const key = queueKey(r.clientId, r.seq);
        const at = putAt.get(key);
        const put = at === undefined ? undefined : out[at];
        if (at !== undefined && put !== undefined && put.kind === 'queue.put') {
          out[at] = {
            kind: 'queue.put',
            entry: { ...put.entry, state: r.state, packetId: r.packetId },
          };
        } else {
          out.push(r);
        }
        break;
      }
      case 'queue.delete':
        drop(out, putAt, queueKey(r.clientId, r.seq));
        out.push(r);
        break;
      case 'incoming.put':
        putAt.set(incomingKey(r.incoming.clientId, r.incoming.packetId), out.length);
        out.push(r);
        break;
      case 'incoming.delete':
        drop(out, putAt, incomingKey(r.clientId, r.packetId));
        out.push(r);
        break;
      case 'session.delete':
        // The cascade may remove rows put earlier in this batch: forget them as merge targets.
        forgetClient(putAt, r.clientId);
        out.push(r);
        break;
      case 'session.put':
      case 'sub.put':
      case 'sub.delete':
      case 'retain.put':
      case 'retain.delete':
      case 'will.put':
      case 'will.delete':
      case 'security.put':
      case 'security.delete':
        out.push(r);
        break;
    }
  }
  const result: ChangeRecord[] = [];
  for (const r of out) if (r !== undefined) result.push(r);
  return result;
}

function drop(out: Array<ChangeRecord | undefined>, putAt: Map<string, number>, key: string): void {
  const at = putAt.get(key);
  if (at === undefined) return;
  out[at] = undefined;
  putAt.delete(key);
}

// U+0000 cannot occur in an MQTT client id, so it separates unambiguously.
function queueKey(clientId: string, seq: number): string {
  return `q${clientId}\u0000${seq}`;
}

function incomingKey(clientId: string, packetId: number): string {
  return `i${clientId}\u0000${packetId}`;
}

function forgetClient(putAt: Map<string, number>, clientId: string): void {
  const q = `q${clientId}\u0000`;
  const i = `i${clientId}\u0000`;
  for (const key of putAt.keys()) {
    if (key.startsWith(q) || key.startsWith(i)) putAt.delete(key);
  }
}
