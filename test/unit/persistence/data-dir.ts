import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';

/**
 * A maker of fresh store directories (`<tmp>/<prefix>XXXX/data`) for one test file, all removed
 * when the file's tests end. Call it at the top level of the test file.
 */
export function tempDataDirs(prefix: string): () => Promise<string> {
  const bases: string[] = [];
  after(async () => {
    for (const b of bases) await rm(b, { recursive: true, force: true });
  });
  return async () => {
    const base = await mkdtemp(join(tmpdir(), prefix));
    bases.push(base);
    return join(base, 'data');
  };
}
