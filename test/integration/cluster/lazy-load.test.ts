// Without `cluster` a broker loads no NATS code: `petrel broker` runs with a module hook that
// records every module resolved, and none of them is a NATS client package or src/cluster/
// beyond its option checks.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { killAll, startCli } from '../../helpers/cli.js';

const HOOKS = `
let port;
export function initialize(data) { port = data.port; }
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  port.postMessage(r.url);
  return r;
}
`;

const PRELOAD = `
import { register } from 'node:module';
import { MessageChannel } from 'node:worker_threads';
import { writeSync } from 'node:fs';
const { port1, port2 } = new MessageChannel();
const seen = [];
port1.on('message', (url) => seen.push(url));
port1.unref();
register(new URL('./hooks.mjs', import.meta.url), { data: { port: port2 }, transferList: [port2] });
process.on('SIGUSR2', () => writeSync(2, 'MODULES ' + JSON.stringify(seen) + '\\n'));
`;

describe('a broker without cluster', () => {
  const dir = mkdtempSync(join(tmpdir(), 'petrel-lazy-'));
  after(() => {
    killAll();
    rmSync(dir, { recursive: true, force: true });
  });

  test('loads no NATS module (the cluster code is imported only when configured)', async () => {
    writeFileSync(join(dir, 'hooks.mjs'), HOOKS);
    writeFileSync(join(dir, 'preload.mjs'), PRELOAD);
    const run = startCli(['broker', '-p', '0', '--durability', 'none'], {
      nodeArgs: ['--import', join(dir, 'preload.mjs')],
    });
    await run.waitFor(/listening on mqtt:\/\/127\.0\.0\.1:\d+/);
    run.child.kill('SIGUSR2');
    const m = await run.waitFor(/MODULES (\[.*\])/);
    const urls = JSON.parse(m[1] as string) as string[];
    assert.ok(
      urls.some((u) => u.includes('/src/broker/broker.js')),
      'the hook saw the broker load',
    );
    const nats = urls.filter(
      (u) => u.includes('@nats-io') || /\/src\/cluster\/(?!options\.js)/.test(u),
    );
    assert.deepEqual(nats, []);
    assert.equal(await run.stop('SIGTERM'), 0);
  });
});
