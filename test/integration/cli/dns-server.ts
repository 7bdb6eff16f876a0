// A one-purpose DNS server on 127.0.0.1 (UDP, port 0) answering SRV questions from a table, for
// `-S`. Any other question gets NXDOMAIN.
import type { Socket } from 'node:dgram';
import { createSocket } from 'node:dgram';

export interface SrvAnswer {
  priority: number;
  weight: number;
  port: number;
  target: string;
}

export interface DnsServer {
  /** `127.0.0.1:port`, for `dns.setServers`. */
  readonly address: string;
  /** Names asked about, in order. */
  readonly questions: string[];
  close(): Promise<void>;
}

function encodeName(name: string): Buffer {
  const parts = name.split('.').filter((l) => l !== '');
  return Buffer.concat([
    ...parts.map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'ascii')])),
    Buffer.from([0]),
  ]);
}

/** Answers SRV questions for the names in `records`. */
export async function startDnsServer(records: Record<string, SrvAnswer[]>): Promise<DnsServer> {
  const questions: string[] = [];
  const socket: Socket = createSocket('udp4');
  socket.on('message', (query, peer) => {
    if (query.length < 12) return;
    let at = 12;
    const labels: string[] = [];
    for (;;) {
      const len = query[at];
      if (len === undefined) return;
      at++;
      if (len === 0) break;
      labels.push(query.toString('ascii', at, at + len));
      at += len;
    }
    const qtype = query.readUInt16BE(at);
    at += 4;
    const name = labels.join('.').toLowerCase();
    questions.push(name);
    const answers = qtype === 33 ? records[name] : undefined;
    const header = Buffer.alloc(12);
    header.writeUInt16BE(query.readUInt16BE(0), 0);
    header.writeUInt16BE(answers === undefined ? 0x8183 : 0x8180, 2);
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(answers?.length ?? 0, 6);
    const rrs = (answers ?? []).map((a) => {
      const target = encodeName(a.target);
      const fixed = Buffer.alloc(18);
      fixed.writeUInt16BE(0xc00c, 0);
      fixed.writeUInt16BE(33, 2);
      fixed.writeUInt16BE(1, 4);
      fixed.writeUInt32BE(60, 6);
      fixed.writeUInt16BE(6 + target.length, 10);
      fixed.writeUInt16BE(a.priority, 12);
      fixed.writeUInt16BE(a.weight, 14);
      fixed.writeUInt16BE(a.port, 16);
      return Buffer.concat([fixed, target]);
    });
    socket.send(Buffer.concat([header, query.subarray(12, at), ...rrs]), peer.port, peer.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return {
    address: `127.0.0.1:${socket.address().port}`,
    questions,
    close: () => new Promise((resolve) => socket.close(() => resolve())),
  };
}
