// The mosquitto.conf fixtures of test/fixtures/mosquitto (examples from Mosquitto's man page and
// Debian's package), written to a temporary directory with their placeholders filled in:
// @FIXTURES@ is the fixture directory, @TMP@ the temporary one.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** test/fixtures/mosquitto in the source tree (the compiled tests run from dist/test). */
export const FIXTURES = fileURLToPath(new URL('../../../test/fixtures/mosquitto', import.meta.url));

export interface TempConfs {
  dir: string;
  /** Writes fixture `name` with its placeholders filled in; returns its path. */
  fixture(name: string): string;
  /** Writes `text` as `name` (default `mosquitto.conf`); returns its path. */
  write(text: string, name?: string): string;
  remove(): void;
}

export function tempConfs(): TempConfs {
  const dir = mkdtempSync(join(tmpdir(), 'petrel-mosqconf-'));
  const fill = (text: string) => text.replaceAll('@FIXTURES@', FIXTURES).replaceAll('@TMP@', dir);
  return {
    dir,
    fixture(name) {
      const p = join(dir, name);
      writeFileSync(p, fill(readFileSync(join(FIXTURES, name), 'utf8')));
      return p;
    },
    write(text, name = 'mosquitto.conf') {
      const p = join(dir, name);
      writeFileSync(p, fill(text));
      return p;
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
