// `npm run test:interop`: TLS-PSK against Mosquitto's psk_file listener, with Petrel's client and
// CLI on one side and mosquitto_pub/sub on the other.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { MqttClient } from '../../src/client/client.js';
import type { MosquittoInstance } from '../helpers/mosquitto-conf.js';
import { MOSQUITTO_BIN, startMosquitto } from '../helpers/mosquitto-conf.js';

const PUB = process.env.MOSQUITTO_PUB ?? 'mosquitto_pub';
const SUB = process.env.MOSQUITTO_SUB ?? 'mosquitto_sub';
const MAIN = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
const missing = [PUB, SUB, MOSQUITTO_BIN].filter(
  (cmd) => spawnSync(cmd, ['--help']).error !== undefined,
);

const KEY = '5ec12e7d00a1b2';
const children = new Set<ChildProcess>();

/** Runs a command; resolves with its stdout when it exits 0 (killed at 8 s). */
function run(cmd: string, args: string[]): Promise<string> {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
  });
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => child.kill('SIGKILL'), 8000);
    child.once('close', (code) => {
      clearTimeout(t);
      children.delete(child);
      if (code === 0) resolve(out);
      else reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${err}`));
    });
  });
}

describe('TLS-PSK with Mosquitto', {
  skip: missing.length > 0 ? `not installed: ${missing.join(', ')}` : false,
  timeout: 9500,
}, () => {
  let m: MosquittoInstance;
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'petrel-psk-'));
    writeFileSync(join(dir, 'psk'), `dev1:${KEY}\n`);
    // Started as root, Mosquitto drops to its own user before it reads the file.
    chmodSync(dir, 0o755);
    chmodSync(join(dir, 'psk'), 0o644);
    m = await startMosquitto({
      extraConfig: ['psk_hint petrel', `psk_file ${join(dir, 'psk')}`],
    });
  });
  after(async () => {
    for (const c of children) c.kill('SIGKILL');
    await m.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const psk = (): string[] => [
    '-h',
    '127.0.0.1',
    '-p',
    String(m.port),
    '--psk',
    KEY,
    '--psk-identity',
    'dev1',
  ];

  test('petrel pub reaches mosquitto_sub, and mosquitto_pub reaches petrel sub', async () => {
    const sub1 = run(SUB, [...psk(), '-t', 'psk/a', '-C', '1', '-W', '6']);
    const sub2 = run(process.execPath, [
      MAIN,
      'sub',
      ...psk(),
      '-t',
      'psk/b',
      '-C',
      '1',
      '-W',
      '6',
    ]);
    await new Promise((r) => setTimeout(r, 500));
    await run(process.execPath, [
      MAIN,
      'pub',
      ...psk(),
      '-t',
      'psk/a',
      '-m',
      'from petrel',
      '-q',
      '1',
    ]);
    await run(PUB, [...psk(), '-t', 'psk/b', '-m', 'from mosquitto', '-q', '1']);
    assert.equal(await sub1, 'from petrel\n');
    assert.equal(await sub2, 'from mosquitto\n');
  });

  test('a wrong key or identity fails the handshake and the client reports it', async () => {
    const c = new MqttClient(`mqtts://127.0.0.1:${m.port}`, {
      reconnect: false,
      connectTimeout: 3000,
      tls: { psk: { identity: 'dev1', key: Buffer.from('00112233', 'hex') } },
    });
    await assert.rejects(c.connect());
    await c.disconnect().catch(() => undefined);
    const ok = new MqttClient(`mqtts://127.0.0.1:${m.port}`, {
      reconnect: false,
      tls: { psk: { identity: 'dev1', key: Buffer.from(KEY, 'hex') } },
    });
    await ok.connect();
    await ok.disconnect();
  });
});
