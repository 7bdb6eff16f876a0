// The password file: one `user:hash` a line, blank lines and `#` comments allowed. Loading is
// strict (a malformed line stops start-up or a reload, naming the line) because a silently
// skipped line is a user who cannot log in, or worse, a typo nobody notices.
import { readFile } from 'node:fs/promises';
import { AuthFileError } from './errors.js';
import type { PasswordHash, ScryptFunction, ScryptParams } from './hash.js';
import {
  DEFAULT_SCRYPT_PARAMS,
  dummyHash,
  nodeScrypt,
  parseHash,
  toBuffer,
  verifyHash,
} from './hash.js';

/** One line of a password file, as the CLI needs it to rewrite the file faithfully. */
export type PasswordFileLine =
  | { kind: 'other'; line: number; text: string }
  | { kind: 'entry'; line: number; username: string; value: string };

/** One user of a parsed password file. */
export interface PasswordEntry {
  username: string;
  hash: PasswordHash;
  /** 1-based line number in the source. */
  line: number;
}

/** Largest user name MQTT can carry (a UTF-8 string with a 16-bit length). */
const MAX_FIELD_BYTES = 65535;

/**
 * Splits password-file text into lines without judging the hash values: blank and comment lines
 * come back as `other`, the rest as `entry` (user name and raw value, both trimmed). Throws
 * {@link AuthFileError} for a line without a colon or with an empty or oversized user name.
 */
export function splitPasswordFile(text: string, source = 'password file'): PasswordFileLine[] {
  const out: PasswordFileLine[] = [];
  const lines = text.split('\n');
  // A final newline is not an extra line.
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  for (let i = 0; i < lines.length; i++) {
    const raw = (lines[i] ?? '').replace(/\r$/, '');
    const line = i + 1;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) {
      out.push({ kind: 'other', line, text: raw });
      continue;
    }
    const colon = raw.indexOf(':');
    if (colon < 0) throw new AuthFileError(source, line, "expected 'user:hash'");
    const username = raw.slice(0, colon).trim();
    const value = raw.slice(colon + 1).trim();
    if (username === '') throw new AuthFileError(source, line, 'empty user name');
    if (Buffer.byteLength(username) > MAX_FIELD_BYTES) {
      throw new AuthFileError(source, line, 'user name longer than 65535 bytes');
    }
    out.push({ kind: 'entry', line, username, value });
  }
  return out;
}

/**
 * Parses a password file strictly: every entry must carry a supported hash (`$scrypt$`, or
 * Mosquitto's `$6$`/`$7$`) and no user may appear twice. Throws {@link AuthFileError} naming the
 * line of the first problem.
 */
export function parsePasswordFile(
  text: string,
  source = 'password file',
): Map<string, PasswordEntry> {
  const users = new Map<string, PasswordEntry>();
  for (const l of splitPasswordFile(text, source)) {
    if (l.kind !== 'entry') continue;
    if (l.value === '') throw new AuthFileError(source, l.line, `user '${l.username}' has no hash`);
    let hash: PasswordHash;
    try {
      hash = parseHash(l.value);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      throw new AuthFileError(source, l.line, `user '${l.username}': ${reason}`);
    }
    const prev = users.get(l.username);
    if (prev !== undefined) {
      throw new AuthFileError(
        source,
        l.line,
        `duplicate user '${l.username}' (first on line ${prev.line})`,
      );
    }
    users.set(l.username, { username: l.username, hash, line: l.line });
  }
  return users;
}

/** Checks a user name and password; resolves true only for a known user with the right password. */
export type Authenticator = (
  username: string | undefined,
  password: Buffer | string | undefined,
) => Promise<boolean>;

/** Options for {@link PasswordAuthenticator}. */
export interface PasswordAuthenticatorOptions {
  /** scrypt implementation (tests inject one to observe calls); default node:crypto's. */
  scrypt?: ScryptFunction;
}

const EMPTY = Buffer.alloc(0);

/**
 * Verifies MQTT credentials against a password file. An unknown user, or a known one without a
 * password, still costs one scrypt verification against a dummy hash with the file's own cost
 * parameters, so response time does not tell which user names exist.
 *
 * ```ts
 * const auth = await PasswordAuthenticator.load('/etc/petrel/passwd');
 * const ok = await auth.authenticate('alice', passwordBuffer);
 * await auth.reload(); // on SIGHUP; throws and keeps the old users if the file is now invalid
 * ```
 */
export class PasswordAuthenticator {
  /** The file this authenticator reloads from, if it was loaded from one. */
  readonly path: string | undefined;
  private users: Map<string, PasswordEntry>;
  private dummy: PasswordHash;
  private readonly scrypt: ScryptFunction;

  private constructor(
    path: string | undefined,
    users: Map<string, PasswordEntry>,
    options: PasswordAuthenticatorOptions,
  ) {
    this.path = path;
    this.users = users;
    this.scrypt = options.scrypt ?? nodeScrypt;
    this.dummy = dummyHash(dummyParams(users));
  }

  /** Reads and parses `path`; rejects with {@link AuthFileError} for a malformed line. */
  static async load(
    path: string,
    options: PasswordAuthenticatorOptions = {},
  ): Promise<PasswordAuthenticator> {
    const users = parsePasswordFile(await readFile(path, 'utf8'), path);
    return new PasswordAuthenticator(path, users, options);
  }

  /** Builds an authenticator from file text (no reload source). */
  static fromText(
    text: string,
    options: PasswordAuthenticatorOptions & { source?: string } = {},
  ): PasswordAuthenticator {
    return new PasswordAuthenticator(
      undefined,
      parsePasswordFile(text, options.source ?? 'password file'),
      options,
    );
  }

  /** Number of users. */
  get size(): number {
    return this.users.size;
  }

  /** Whether `username` has an entry. Not for the login path: it is not timing-uniform. */
  has(username: string): boolean {
    return this.users.has(username);
  }

  /**
   * The broker's `authenticate` hook. Bound, so it can be passed around as a plain function.
   * A missing user name resolves false at once (there is nothing to hide); a missing password
   * with a user name still pays a full verification.
   */
  readonly authenticate: Authenticator = async (username, password) => {
    if (username === undefined) return false;
    const entry = this.users.get(username);
    const candidate = password === undefined ? EMPTY : toBuffer(password);
    const ok = await verifyHash(entry?.hash ?? this.dummy, candidate, this.scrypt);
    return ok && entry !== undefined && password !== undefined;
  };

  /**
   * Re-reads the file. On any error (unreadable, malformed line) it rejects and the previous users
   * stay in force, so a bad edit never locks everyone out.
   */
  async reload(): Promise<void> {
    if (this.path === undefined) throw new Error('this authenticator was not loaded from a file');
    this.replace(parsePasswordFile(await readFile(this.path, 'utf8'), this.path));
  }

  /** Replaces the users with those parsed from `text` (same all-or-nothing rule as reload). */
  reloadText(text: string, source = 'password file'): void {
    this.replace(parsePasswordFile(text, source));
  }

  private replace(users: Map<string, PasswordEntry>): void {
    this.users = users;
    this.dummy = dummyHash(dummyParams(users));
  }
}

/** The scrypt cost most entries use, so the dummy verification costs the same as a real one. */
function dummyParams(users: Map<string, PasswordEntry>): ScryptParams {
  const counts = new Map<string, { params: ScryptParams; n: number }>();
  let best: { params: ScryptParams; n: number } | undefined;
  for (const { hash } of users.values()) {
    if (hash.scheme !== 'scrypt') continue;
    const key = `${hash.params.ln},${hash.params.r},${hash.params.p}`;
    const c = counts.get(key) ?? { params: hash.params, n: 0 };
    c.n++;
    counts.set(key, c);
    if (best === undefined || c.n > best.n) best = c;
  }
  return best?.params ?? DEFAULT_SCRYPT_PARAMS;
}
