// `petrel passwd`: create and maintain password files, in the spirit of `mosquitto_passwd`.
import { randomBytes } from 'node:crypto';
import { open, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { AuthFileError } from '../auth/errors.js';
import type { PasswordHash } from '../auth/hash.js';
import { hashPassword, parseHash } from '../auth/hash.js';
import type { PasswordFileLine } from '../auth/password-file.js';
import { splitPasswordFile } from '../auth/password-file.js';

const USAGE = `Usage: petrel passwd [-c] FILE USER             set USER's password (prompted)
       petrel passwd [-c] -b FILE USER PASSWORD    set it from the command line
       petrel passwd -D FILE USER                  delete USER
       petrel passwd -U FILE                       hash the plain-text passwords of FILE

Passwords are hashed with scrypt ($scrypt$ln=15,r=8,p=1$...). Without -b the password is read
twice from the terminal, or as one line from standard input when that is not a terminal.

Options:
  -b          batch mode: the password is an argument (beware shell history and ps)
  -c          create FILE, replacing any existing file
  -D          delete USER from FILE
  -U          upgrade FILE: hash plain-text passwords; hashes already in FILE (scrypt, and
              Mosquitto's $6$/$7$, which cannot be re-hashed without the password) are kept,
              and each remaining Mosquitto hash is listed
  -h, --help  show this help

Files are written atomically (temporary file, then rename) with mode 0600.
Exit status: 0 success, 1 failure, 2 usage error.
`;

const MAX_FIELD_BYTES = 65535;

class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

interface Options {
  batch: boolean;
  create: boolean;
  remove: boolean;
  upgrade: boolean;
  args: string[];
}

function parseArgs(argv: string[]): Options | 'help' {
  const o: Options = { batch: false, create: false, remove: false, upgrade: false, args: [] };
  let i = 0;
  // Options come first, as in mosquitto_passwd, so a password may start with '-'.
  for (; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--') {
      i++;
      break;
    }
    if (a === '-h' || a === '--help') return 'help';
    if (a === '-b') o.batch = true;
    else if (a === '-c') o.create = true;
    else if (a === '-D') o.remove = true;
    else if (a === '-U') o.upgrade = true;
    else if (a.startsWith('-') && a.length > 1) throw new CliError(`unknown option '${a}'`, 2);
    else break;
  }
  o.args = argv.slice(i);
  const modes = Number(o.remove) + Number(o.upgrade) + Number(o.batch);
  if (modes > 1) throw new CliError('-b, -D and -U cannot be combined', 2);
  if (o.create && (o.remove || o.upgrade)) throw new CliError('-c cannot be used with -D or -U', 2);
  const want = o.upgrade ? 1 : o.batch ? 3 : 2;
  if (o.args.length !== want) {
    throw new CliError(
      o.args.length < want ? 'missing arguments (see --help)' : 'too many arguments (see --help)',
      2,
    );
  }
  return o;
}

function hasControlCharacter(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

function checkUsername(user: string): void {
  if (user === '') throw new CliError('the user name is empty', 2);
  if (user.includes(':')) throw new CliError("a user name cannot contain ':'", 2);
  if (hasControlCharacter(user)) {
    throw new CliError('a user name cannot contain control characters', 2);
  }
  if (user.trim() !== user) throw new CliError('a user name cannot start or end with spaces', 2);
  if (user.startsWith('#')) throw new CliError("a user name cannot start with '#'", 2);
  if (Buffer.byteLength(user) > MAX_FIELD_BYTES) throw new CliError('the user name is too long', 2);
}

function checkPassword(password: string): void {
  if (password === '') throw new CliError('the password is empty');
  if (/[\r\n]/.test(password)) throw new CliError('a password cannot contain line breaks');
  if (Buffer.byteLength(password) > MAX_FIELD_BYTES) throw new CliError('the password is too long');
}

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new CliError(`${file}: no such file (use -c to create it)`);
    throw new CliError(`${file}: ${(err as Error).message}`);
  }
}

async function readLines(file: string): Promise<PasswordFileLine[]> {
  try {
    return splitPasswordFile(await readText(file), file);
  } catch (err) {
    if (err instanceof AuthFileError) throw new CliError(err.message);
    throw err;
  }
}

function render(lines: PasswordFileLine[]): string {
  let out = '';
  for (const l of lines) out += l.kind === 'entry' ? `${l.username}:${l.value}\n` : `${l.text}\n`;
  return out;
}

/** Writes `text` to `file` with mode 0600: temporary file in the same directory, fsync, rename. */
async function writeAtomic(file: string, text: string): Promise<void> {
  const dir = dirname(file);
  const tmp = join(dir, `.${basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(tmp, 'wx', 0o600);
    // The mode argument is filtered by the umask; set it explicitly.
    await handle.chmod(0o600);
    await handle.writeFile(text, 'utf8');
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(tmp, file);
  } catch (err) {
    if (handle !== undefined) await handle.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw new CliError(`${file}: ${(err as Error).message}`);
  }
  // Make the rename itself durable; not every platform lets a directory be fsynced.
  try {
    const d = await open(dir, 'r');
    await d.sync().catch(() => undefined);
    await d.close();
  } catch {
    // best effort
  }
}

async function setPassword(file: string, user: string, password: string, create: boolean) {
  const lines = create ? [] : await readLines(file);
  const value = await hashPassword(password);
  let replaced = false;
  const out: PasswordFileLine[] = [];
  for (const l of lines) {
    if (l.kind === 'entry' && l.username === user) {
      // Keep the first occurrence's place; drop duplicates so the file has one answer.
      if (!replaced) out.push({ ...l, value });
      replaced = true;
    } else {
      out.push(l);
    }
  }
  if (!replaced) out.push({ kind: 'entry', line: out.length + 1, username: user, value });
  await writeAtomic(file, render(out));
}

async function deleteUser(file: string, user: string): Promise<void> {
  const lines = await readLines(file);
  const out = lines.filter((l) => !(l.kind === 'entry' && l.username === user));
  if (out.length === lines.length) throw new CliError(`user '${user}' not found in ${file}`);
  await writeAtomic(file, render(out));
}

function tryParse(value: string): PasswordHash | undefined {
  try {
    return parseHash(value);
  } catch {
    return undefined;
  }
}

async function upgrade(file: string): Promise<void> {
  const lines = await readLines(file);
  const out: PasswordFileLine[] = [];
  const kept: string[] = [];
  let hashed = 0;
  for (const l of lines) {
    if (l.kind !== 'entry') {
      out.push(l);
      continue;
    }
    const parsed = tryParse(l.value);
    if (parsed !== undefined) {
      if (parsed.scheme !== 'scrypt') {
        const tag = parsed.scheme === 'sha512' ? '$6$' : '$7$';
        kept.push(`${file}:${l.line}: user '${l.username}' keeps a Mosquitto ${tag} hash`);
      }
      out.push(l);
      continue;
    }
    if (l.value === '')
      throw new CliError(`${file}:${l.line}: user '${l.username}' has no password`);
    out.push({ ...l, value: await hashPassword(l.value) });
    hashed++;
  }
  await writeAtomic(file, render(out));
  let report = `${file}: hashed ${hashed} plain-text password${hashed === 1 ? '' : 's'}`;
  if (kept.length > 0) {
    report += `; ${kept.length} Mosquitto hash${kept.length === 1 ? '' : 'es'} kept (they verify as they are; set a new password with 'petrel passwd FILE USER' to move a user to scrypt):\n${kept.join('\n')}`;
  }
  process.stdout.write(`${report}\n`);
}

/** Reads the first line of a non-terminal standard input. */
function readStdinLine(): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const stdin = process.stdin;
    const finish = (err?: Error) => {
      stdin.off('data', onData);
      stdin.off('end', onEnd);
      stdin.off('error', onError);
      stdin.pause();
      stdin.destroy();
      if (err !== undefined) {
        reject(err);
        return;
      }
      const text = Buffer.concat(chunks).toString('utf8');
      const nl = text.indexOf('\n');
      resolve((nl < 0 ? text : text.slice(0, nl)).replace(/\r$/, ''));
    };
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      if (chunk.includes(10)) finish();
    };
    const onEnd = () => {
      if (chunks.length === 0) finish(new CliError('no password on standard input'));
      else finish();
    };
    const onError = (err: Error) => finish(err);
    stdin.on('data', onData);
    stdin.on('end', onEnd);
    stdin.on('error', onError);
  });
}

/** Prompts on the terminal with echo off and returns the answers to each prompt. */
function promptTty(prompts: string[]): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    const answers: string[] = [];
    let current = '';
    const done = (err?: Error) => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      if (err !== undefined) reject(err);
      else resolve(answers);
    };
    const next = (): boolean => {
      process.stderr.write('\n');
      answers.push(current);
      current = '';
      if (answers.length === prompts.length) {
        done();
        return false;
      }
      process.stderr.write(prompts[answers.length] as string);
      return true;
    };
    const onData = (chunk: Buffer) => {
      // Input may arrive several characters (even several lines) at a time.
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') {
          if (!next()) return;
        } else if (ch === '\u0003' || ch === '\u0004') {
          process.stderr.write('\n');
          done(new CliError('cancelled'));
          return;
        } else if (ch === '\u007f' || ch === '\b') {
          current = Array.from(current).slice(0, -1).join('');
        } else {
          current += ch;
        }
      }
    };
    stdin.setRawMode(true);
    stdin.resume();
    stdin.on('data', onData);
    process.stderr.write(prompts[0] as string);
  });
}

async function obtainPassword(): Promise<string> {
  if (process.stdin.isTTY) {
    const [first, second] = await promptTty(['Password: ', 'Reenter password: ']);
    if (first !== second) throw new CliError('passwords do not match');
    return first ?? '';
  }
  return readStdinLine();
}

/**
 * Entry point of `petrel passwd`. Returns the exit code: 0 success, 1 failure, 2 usage error.
 */
export async function run(argv: string[]): Promise<number> {
  try {
    const o = parseArgs(argv);
    if (o === 'help') {
      process.stdout.write(USAGE);
      return 0;
    }
    const file = o.args[0] as string;
    if (o.upgrade) {
      await upgrade(file);
      return 0;
    }
    const user = o.args[1] as string;
    checkUsername(user);
    if (o.remove) {
      await deleteUser(file, user);
      return 0;
    }
    // Check the file is usable before asking for a password.
    if (!o.create) await readLines(file);
    const password = o.batch ? (o.args[2] as string) : await obtainPassword();
    checkPassword(password);
    await setPassword(file, user, password, o.create);
    return 0;
  } catch (err) {
    if (err instanceof CliError) {
      process.stderr.write(`petrel passwd: ${err.message}\n`);
      if (err.exitCode === 2 && argv.length === 0) process.stderr.write(`\n${USAGE}`);
      return err.exitCode;
    }
    throw err;
  }
}
