import { after, before, describe, test } from 'node:test';
import { allCases } from './cases/index.js';
import { caseTitle, runCase } from './runner.js';
import type { RunningTarget } from './target.js';
import { startTarget } from './target.js';
import type { Version } from './types.js';

const ALL: Version[] = [3, 4, 5];
const onlyCase = process.env.CONFORMANCE_CASE;

describe('MQTT conformance cases over raw TCP', { concurrency: 4 }, () => {
  let running: RunningTarget | undefined;
  before(async () => {
    running = await startTarget();
  });
  after(async () => {
    await running?.stop();
  });
  for (const c of allCases) {
    if (onlyCase !== undefined && !c.id.startsWith(onlyCase)) continue;
    for (const v of c.versions ?? ALL) {
      const onMosquitto = process.env.CONFORMANCE_TARGET === 'mosquitto';
      const known = onMosquitto ? c.mosquitto : c.petrel;
      const deviates = known !== undefined && (known.v === undefined || known.v.includes(v));
      const who = onMosquitto ? 'Mosquitto' : 'Petrel';
      const opts = deviates ? { todo: `${who} deviation: ${known?.note}` } : {};
      test(caseTitle(c, v), { ...opts, timeout: 9000 }, async () => {
        if (running === undefined) throw new Error('broker not started');
        await runCase(c, v, running.target);
      });
    }
  }
});
