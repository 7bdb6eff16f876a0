import { watch } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { basename, dirname } from 'node:path';
import type { SecureVersion, TLSSocket, TlsOptions, Server as TlsServer } from 'node:tls';
import { createServer } from 'node:tls';
import type { PreAccept } from './tcp.js';
import { bind, gateConnections } from './tcp.js';

/** The files and policy of a TLS listener. */
export interface TlsSettings {
  certFile: string;
  keyFile: string;
  caFile: string | undefined;
  crlFile: string | undefined;
  ciphers: string | undefined;
  minVersion: SecureVersion;
  requireCertificate: boolean;
  /** Bound on the TLS handshake (the broker passes its connect timeout). */
  handshakeTimeoutMs: number;
}

/**
 * Reads the certificate, key and CA files and builds the options of a TLS server (also what
 * `setSecureContext` takes on reload). Rejects with an error naming the file that failed.
 */
export async function loadTlsOptions(s: TlsSettings): Promise<TlsOptions> {
  const read = async (path: string) => {
    try {
      return await readFile(path);
    } catch (err) {
      throw new Error(`cannot read ${path}: ${(err as Error).message}`);
    }
  };
  const [cert, key, ca, crl] = await Promise.all([
    read(s.certFile),
    read(s.keyFile),
    s.caFile === undefined ? undefined : read(s.caFile),
    s.crlFile === undefined ? undefined : read(s.crlFile),
  ]);
  const o: TlsOptions = {
    cert,
    key,
    minVersion: s.minVersion,
    // A client certificate is asked for whenever there is a CA to check it against; it is
    // mandatory only with requireCertificate (then tls.Server drops unverified peers).
    requestCert: s.requireCertificate || ca !== undefined,
    rejectUnauthorized: s.requireCertificate,
    handshakeTimeout: s.handshakeTimeoutMs,
  };
  if (ca !== undefined) o.ca = ca;
  if (crl !== undefined) o.crl = crl;
  if (s.ciphers !== undefined) o.ciphers = s.ciphers;
  return o;
}

/**
 * Starts an MQTT-over-TLS listener. `onRaw` sees each TCP connection before its handshake and
 * may refuse it (returns false: destroyed at once, no handshake work spent); `onSecure` gets each
 * socket whose handshake completed (and, with requireCertificate, whose certificate verified).
 * With `preAccept` (the PROXY protocol), each TCP connection goes through it before the handshake
 * starts, in place of `onRaw`. Throws synchronously when the key and certificate do not fit
 * together.
 */
export function listenTls(
  port: number,
  host: string,
  options: TlsOptions,
  onRaw: (raw: Socket) => boolean,
  onSecure: (socket: TLSSocket) => void,
  preAccept?: PreAccept,
): Promise<TlsServer> {
  const server = createServer(
    { ...options, noDelay: true, highWaterMark: 64 * 1024 } as TlsOptions,
    onSecure,
  );
  if (preAccept === undefined) {
    server.on('connection', (raw: Socket) => {
      if (!onRaw(raw)) raw.destroy();
    });
  } else gateConnections(server, preAccept, false);
  // Handshake failures (bad certificate, wrong protocol, timeout) concern one client only.
  server.on('tlsClientError', (_err: Error, socket: TLSSocket) => socket.destroy());
  return bind(server, port, host);
}

/**
 * The identity of a verified client certificate: its subject CN, else its first subjectAltName
 * value (`DNS:`, `email:`, `URI:` … prefix removed). Undefined without a verified certificate.
 */
export function peerIdentity(socket: TLSSocket): string | undefined {
  if (!socket.authorized) return undefined;
  const cert = socket.getPeerCertificate();
  if (cert === null || typeof cert !== 'object' || cert.subject === undefined) return undefined;
  const cn: unknown = cert.subject.CN;
  if (typeof cn === 'string' && cn !== '') return cn;
  if (Array.isArray(cn) && typeof cn[0] === 'string' && cn[0] !== '') return cn[0];
  const san = cert.subjectaltname;
  if (typeof san === 'string' && san !== '') {
    const first = san.split(',')[0]?.trim() ?? '';
    const colon = first.indexOf(':');
    const value = colon >= 0 ? first.slice(colon + 1) : first;
    if (value !== '') return value;
  }
  return undefined;
}

/**
 * Calls `onChange` once `delayMs` after the last change to any of `files`. Watches their
 * directories, so a file replaced by rename (what editors and certificate tools do) is still
 * seen. The watchers do not keep the process alive. Returns a function that stops watching.
 */
export function watchFiles(files: string[], onChange: () => void, delayMs = 200): () => void {
  const dirs = new Map<string, Set<string>>();
  for (const f of files) {
    const d = dirname(f);
    let names = dirs.get(d);
    if (names === undefined) {
      names = new Set();
      dirs.set(d, names);
    }
    names.add(basename(f));
  }
  let timer: NodeJS.Timeout | undefined;
  const changed = () => {
    if (timer !== undefined) clearTimeout(timer);
    // Files are often written in several steps (key, then certificate): wait for the burst.
    timer = setTimeout(() => {
      timer = undefined;
      onChange();
    }, delayMs);
    timer.unref();
  };
  const watchers = [...dirs].map(([dir, names]) => {
    const w = watch(dir, { persistent: false }, (_event, name) => {
      if (name === null || names.has(String(name))) changed();
    });
    w.on('error', () => {});
    return w;
  });
  return () => {
    if (timer !== undefined) clearTimeout(timer);
    for (const w of watchers) w.close();
  };
}
