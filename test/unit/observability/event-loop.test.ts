// The event-loop figures come from fixed windows: reading them (a scrape, a dashboard) changes
// nothing, and a stall shows in the window that held it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EventLoopWindow } from '../../../src/observability/event-loop.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function block(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    // A stall of the event loop, on purpose.
  }
}

test('reads do not reset the window; a stall shows in the next closed window, then ages out', async () => {
  const w = new EventLoopWindow(300);
  try {
    await sleep(350);
    block(120);
    // Reading many times while the window holding the stall is open changes nothing.
    const before = w.read();
    for (let i = 0; i < 20; i++) assert.deepEqual(w.read(), before);
    // Within at most two windows the stall is in a closed one (bounded: 1.5 s).
    let seen = w.read();
    for (let i = 0; i < 15 && seen.max < 0.1; i++) {
      await sleep(100);
      seen = w.read();
    }
    assert.ok(seen.max >= 0.1, `max ${seen.max} s after a 120 ms stall`);
    assert.ok(seen.utilization > 0.2, `utilization ${seen.utilization}`);
    assert.deepEqual(w.read(), seen, 'the same closed window for every reader');
    // A quiet window later, the stall is gone (bounded: 2 s).
    let quiet = w.read();
    for (let i = 0; i < 20 && quiet.max >= 0.1; i++) {
      await sleep(100);
      quiet = w.read();
    }
    assert.ok(quiet.max < 0.1, `max ${quiet.max} s in a quiet window`);
  } finally {
    w.stop();
  }
});
