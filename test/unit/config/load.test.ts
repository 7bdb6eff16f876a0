// `petrel broker -c` tells a mosquitto.conf from Petrel's JSON, and a converted file loads to the
// same options as the mosquitto.conf it came from.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { ConfigError, detectFormat, loadConfig } from '../../../src/cli/config.js';
import { tempConfs } from '../../helpers/mosquitto-fixtures.js';

const t = tempConfs();
after(() => t.remove());

describe('config format', () => {
  test('JSON by its first character or a .json name; anything else is a mosquitto.conf', () => {
    assert.equal(detectFormat('broker.conf', '  \n{ "port": 1 }'), 'json');
    assert.equal(detectFormat('broker.json', 'port 1883'), 'json');
    assert.equal(detectFormat('mosquitto.conf', '# c\nlistener 1883\n'), 'mosquitto');
    assert.equal(detectFormat('mosquitto.conf', ''), 'mosquitto');
  });

  test('--config-format forces the reader', async () => {
    const path = t.write('{"port": 1884}', 'looks-like-json.conf');
    assert.equal((await loadConfig(path)).port, 1884);
    await assert.rejects(
      loadConfig(path, 'mosquitto'),
      (err: unknown) =>
        err instanceof ConfigError &&
        /looks-like-json\.conf:1: \{"port":: unknown key/.test(err.message),
    );
    const mosq = t.write('listener 1883\n', 'm.conf');
    await assert.rejects(loadConfig(mosq, 'json'), /m\.conf: invalid JSON/);
  });

  test('warnings come back as file:line lines', async () => {
    const path = t.write('listener 1883\nuser mosquitto\n', 'w.conf');
    const warnings: string[] = [];
    await loadConfig(path, 'auto', warnings);
    assert.deepEqual(warnings, [
      `${path}:2: user: not supported; start Petrel as the user it should run as`,
    ]);
  });
});

describe('converted once, loaded the same', () => {
  for (const name of [
    'debian-default.conf',
    'documented-defaults.conf',
    'per-listener.conf',
    'websockets.conf',
    'include-multiple.conf',
    'bridge-remap.conf',
  ]) {
    test(name, async () => {
      const fromMosquitto = await loadConfig(t.fixture(name));
      const json = t.write(JSON.stringify(fromMosquitto), `${name}.json`);
      assert.deepEqual(await loadConfig(json), fromMosquitto);
    });
  }
});
