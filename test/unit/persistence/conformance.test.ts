import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StateImage } from '../../../src/persistence/image.js';
import { LmdbStore } from '../../../src/persistence/lmdb/index.js';
import { MemoryStore } from '../../../src/persistence/memory.js';
import { storeConformance } from '../../../src/testing.js';

storeConformance(
  () => {
    const image = new StateImage();
    return {
      create: (o) => new MemoryStore({ ...o, image }),
      destroy: async () => {},
    };
  },
  { name: 'Store conformance: MemoryStore' },
);

storeConformance(
  async () => {
    const dir = await mkdtemp(join(tmpdir(), 'petrel-store-'));
    return {
      create: (o) => new LmdbStore({ ...o, dir: join(dir, 'data') }),
      destroy: () => rm(dir, { recursive: true, force: true }),
    };
  },
  { name: 'Store conformance: LmdbStore' },
);
