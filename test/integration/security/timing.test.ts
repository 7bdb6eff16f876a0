// An unknown user name costs the same verification time as a known one with a wrong password, so
// response time does not reveal which user names exist. Real scrypt (no injected function);
// interleaved rounds and medians absorb scheduling noise on a shared machine.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hashPassword } from '../../../src/auth/hash.js';
import { PasswordAuthenticator } from '../../../src/auth/password-file.js';

const ROUNDS = 15;
const TOLERANCE = 0.25;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

async function timed(f: () => Promise<boolean>): Promise<number> {
  const t0 = process.hrtime.bigint();
  assert.equal(await f(), false);
  return Number(process.hrtime.bigint() - t0);
}

/** Relative gap between the medians of unknown-user and wrong-password verifications. */
async function gap(
  auth: PasswordAuthenticator,
): Promise<{ gap: number; unknown: number; wrong: number }> {
  const unknown: number[] = [];
  const wrong: number[] = [];
  const bad = Buffer.from('not-the-password');
  for (let i = 0; i < ROUNDS; i++) {
    // Alternate which goes first so neither benefits from a warm cache or a quiet moment.
    if (i % 2 === 0) {
      unknown.push(await timed(() => auth.authenticate(`nobody-${i}`, bad)));
      wrong.push(await timed(() => auth.authenticate('alice', bad)));
    } else {
      wrong.push(await timed(() => auth.authenticate('alice', bad)));
      unknown.push(await timed(() => auth.authenticate(`nobody-${i}`, bad)));
    }
  }
  const u = median(unknown);
  const w = median(wrong);
  return { gap: Math.abs(u - w) / Math.max(u, w), unknown: u, wrong: w };
}

test('unknown user and wrong password take the same time to refuse, within noise (dummy verification)', async () => {
  const params = { ln: 12, r: 8, p: 1 };
  const lines = await Promise.all(
    ['alice', 'bob', 'carol'].map(async (u) => `${u}:${await hashPassword(`${u}-pw`, { params })}`),
  );
  const auth = PasswordAuthenticator.fromText(`${lines.join('\n')}\n`);
  await gap(auth); // warm-up: the first scrypt calls start the thread pool
  let r = await gap(auth);
  if (r.gap > TOLERANCE) r = await gap(auth); // one retry for a burst of load from elsewhere
  assert.ok(
    r.gap <= TOLERANCE,
    `medians differ by ${(r.gap * 100).toFixed(0)}%: unknown ${r.unknown} ns, wrong ${r.wrong} ns`,
  );
});
