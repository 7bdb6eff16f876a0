// `petrel reload`: the admin command that makes a running `petrel broker` reload its ACL (and the
// rest of its configuration) without a signal sent by hand.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { publishOf, RawClient, subOf, subscribeRaw } from '../../helpers/broker.js';
import { CLI_MAIN, killAll, startCli, waitUntil } from '../../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'petrel-admin-'));

function petrel(args: string[]) {
  return spawnSync(process.execPath, [CLI_MAIN, ...args], { encoding: 'utf8', timeout: 5000 });
}

describe('petrel reload', () => {
  after(() => {
    killAll();
    rmSync(dir, { recursive: true, force: true });
  });

  test('reloads the ACL of a broker started with --pid-file; the pid file goes on exit', async () => {
    const acl = join(dir, 'acl');
    writeFileSync(acl, 'topic readwrite news/#\n');
    const cfg = join(dir, 'petrel.json');
    writeFileSync(cfg, JSON.stringify({ aclFile: acl }));
    const pidFile = join(dir, 'petrel.pid');
    const p = startCli(
      ['broker', '-p', '0', '-c', cfg, '--durability', 'none', '--pid-file', pidFile],
      { cwd: dir },
    );
    try {
      const port = Number((await p.waitFor(/listening on mqtt:\/\/127\.0\.0\.1:(\d+)/))[1]);
      await waitUntil(() => existsSync(pidFile), 'the pid file');
      const { client: sub } = await RawClient.connect(port, 5);
      assert.deepEqual(await subscribeRaw(sub, [subOf('news/#', 0)]), [0]);

      writeFileSync(acl, 'topic write news/#\n');
      const r = petrel(['reload', '--pid-file', pidFile]);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`reload requested from process ${p.child.pid}`));
      await p.waitFor(/"removed":1/);
      // The new ACL is in force: reading news/# is no longer granted.
      const { client: pub } = await RawClient.connect(port, 5);
      pub.send(publishOf('news/a', 'x', 1, 1));
      const ack = await pub.next();
      assert.equal(ack.type === 4 && ack.reasonCode, 0x10);
      assert.equal(await sub.silent(150), true);
      sub.destroy();
      pub.destroy();
    } finally {
      p.child.kill('SIGTERM');
    }
    assert.equal(await p.exit, 0);
    assert.equal(existsSync(pidFile), false);
  });

  test('errors are one line with an exit code: missing pid file, dead process, bad usage', () => {
    const missing = petrel(['reload', '--pid-file', join(dir, 'nope.pid')]);
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /^petrel reload: cannot read .*nope\.pid/);

    const garbage = join(dir, 'garbage.pid');
    writeFileSync(garbage, 'not a pid\n');
    const bad = petrel(['reload', '--pid-file', garbage]);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /does not hold a process id/);

    // A pid that cannot exist (above Linux's pid_max limit of 2^22).
    const dead = petrel(['reload', '99999999']);
    assert.equal(dead.status, 1);
    assert.match(dead.stderr, /no process 99999999/);

    const usage = petrel(['reload']);
    assert.equal(usage.status, 2);
    assert.match(usage.stderr, /give either --pid-file FILE or a process id/);
    const flag = petrel(['reload', '--frob']);
    assert.equal(flag.status, 2);
    assert.match(flag.stderr, /unknown option '--frob'/);
  });
});
