import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  checkScryptParams,
  DEFAULT_SCRYPT_PARAMS,
  hashPassword,
  parseHash,
  verifyHash,
} from '../../../src/auth/hash.js';

// Generated with Debian's mosquitto_passwd 2.0.11 (`-b` and `-H sha512 -b`).
const MOSQ7 =
  '$7$101$E05tniMtJN/t3aWT$W9ZYZeSWlk3ZoPZihnp0RoB+nn5dH5RdrIcoSPJDNCtER7Dc+ZFyflitDpearhzzlyk6002OhG8p8jPnMU8FfA==';
const MOSQ6 =
  '$6$/+fEbfNkaapT20z2$bskVq1jZmtRY1wnanQiKHNGiqnlPjfseAeF6+vKwVvw7I78+YJEkqYksURqaW/eSXszvgBiRQ9hpF0O9hlLi5Q==';

const FAST = { ln: 4, r: 8, p: 1 };

test('hashPassword writes a PHC-style scrypt string with the default parameters', async () => {
  const h = await hashPassword('s3cret');
  assert.match(h, /^\$scrypt\$ln=15,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
  const parsed = parseHash(h);
  assert.equal(parsed.scheme, 'scrypt');
  assert.ok(parsed.scheme === 'scrypt');
  assert.deepEqual(parsed.params, DEFAULT_SCRYPT_PARAMS);
  assert.equal(parsed.salt.length, 16);
  assert.equal(parsed.hash.length, 32);
  assert.equal(await verifyHash(parsed, Buffer.from('s3cret')), true);
  assert.equal(await verifyHash(parsed, Buffer.from('s3cret ')), false);
});

test('the cost parameters travel in the hash string and are used to verify', async () => {
  const h = await hashPassword('pw', { params: FAST });
  assert.ok(h.startsWith('$scrypt$ln=4,r=8,p=1$'));
  assert.equal(await verifyHash(parseHash(h), Buffer.from('pw')), true);
  // Same salt and hash with different parameters must not verify.
  const tampered = h.replace('ln=4', 'ln=5');
  assert.equal(await verifyHash(parseHash(tampered), Buffer.from('pw')), false);
});

test('two hashes of the same password differ (random salt)', async () => {
  const a = await hashPassword('same', { params: FAST });
  const b = await hashPassword('same', { params: FAST });
  assert.notEqual(a, b);
});

test('passwords are compared as bytes: binary MQTT passwords verify', async () => {
  const pw = Buffer.from([0, 255, 1, 128]);
  const h = parseHash(await hashPassword(pw, { params: FAST }));
  assert.equal(await verifyHash(h, pw), true);
  assert.equal(await verifyHash(h, Buffer.from([0, 255, 1])), false);
});

test("Mosquitto's $7$ (PBKDF2-SHA512) hash verifies", async () => {
  const h = parseHash(MOSQ7);
  assert.equal(h.scheme, 'pbkdf2-sha512');
  assert.equal(await verifyHash(h, Buffer.from('secret')), true);
  assert.equal(await verifyHash(h, Buffer.from('Secret')), false);
});

test("Mosquitto's $6$ (SHA-512 of password and salt) hash verifies", async () => {
  const h = parseHash(MOSQ6);
  assert.equal(h.scheme, 'sha512');
  assert.equal(await verifyHash(h, Buffer.from('hunter2')), true);
  assert.equal(await verifyHash(h, Buffer.from('hunter3')), false);
});

test('parseHash rejects malformed and unsupported hashes with a reason', () => {
  const bad: [string, RegExp][] = [
    ['plaintext', /not a recognised/],
    ['$1$abc$def', /unknown password hash scheme '\$1\$'/],
    ['$scrypt$ln=15,r=8$AAAAAAAAAAAAAAAAAAAAAA$AAAA', /ln=N,r=N,p=N/],
    [
      '$scrypt$ln=0,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
      /ln/,
    ],
    [
      '$scrypt$ln=25,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
      /256 MiB/,
    ],
    [
      '$scrypt$ln=15,r=8,p=1$!!!!$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
      /salt is not valid base64/,
    ],
    ['$scrypt$ln=15,r=8,p=1$AAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', /salt must be/],
    ['$7$abc$E05tniMtJN/t3aWT$AAAA', /iteration count/],
    ['$7$0$E05tniMtJN/t3aWT$AAAA', /iteration count/],
    ['$7$101$E05tniMtJN/t3aWT$AAAA', /hash must be 64 bytes/],
    ['$6$$AAAA', /salt is not valid base64/],
    ['$6$E05tniMtJN/t3aWT', /not a recognised/],
  ];
  for (const [text, reason] of bad) assert.throws(() => parseHash(text), reason, text);
});

test('checkScryptParams bounds every parameter', () => {
  assert.equal(checkScryptParams({ ln: 15, r: 8, p: 1 }), undefined);
  assert.match(checkScryptParams({ ln: 15.5, r: 8, p: 1 }) ?? '', /ln/);
  assert.match(checkScryptParams({ ln: 15, r: 0, p: 1 }) ?? '', /r must/);
  assert.match(checkScryptParams({ ln: 15, r: 8, p: 17 }) ?? '', /p must/);
});

test('hashPassword refuses parameters outside the bounds', async () => {
  await assert.rejects(hashPassword('x', { params: { ln: 40, r: 8, p: 1 } }), RangeError);
});
