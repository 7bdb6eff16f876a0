// Debian's Chromium driven by playwright-core (which ships no browser of its own): the path,
// and one way to launch it, for every browser test. .ci/run installs the `chromium` package.
import { existsSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { chromium } from 'playwright-core';

/** The installed Chromium, or undefined when the package is missing. */
export const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) =>
  existsSync(p),
);

/** Launches headless Chromium; rejects when it is not installed. */
export function launchChromium(): Promise<Browser> {
  if (CHROMIUM === undefined) {
    return Promise.reject(new Error('install Debian chromium (apt-get install chromium)'));
  }
  // No sandbox: CI runs as root in a container, where Chromium's sandbox cannot start.
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
}
