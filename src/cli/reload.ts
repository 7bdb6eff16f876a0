// `petrel reload`: asks a running `petrel broker` to reload its configuration, password file, ACL
// and certificates — the same as sending it SIGHUP, without looking up its process id by hand.
import { readFileSync } from 'node:fs';

const HELP = `Usage: petrel reload (--pid-file FILE | PID)

Makes a running \`petrel broker\` reload its config file, password file, ACL and TLS
certificates (the broker was started with --pid-file FILE, or give its process id).
A reload that fails validation keeps the previous configuration; the broker logs why.

Options:
      --pid-file FILE   read the broker's process id from FILE
  -h, --help            show this help
`;

function fail(code: number, message: string): number {
  process.stderr.write(`petrel reload: ${message}\n`);
  return code;
}

function parsePid(text: string): number | undefined {
  const t = text.trim();
  return /^[1-9]\d*$/.test(t) ? Number(t) : undefined;
}

/** Entry point of `petrel reload`; resolves with the exit code. */
export async function run(argv: string[]): Promise<number> {
  let pidFile: string | undefined;
  let pidArg: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '-h' || a === '--help') {
      process.stdout.write(HELP);
      return 0;
    }
    if (a === '--pid-file') {
      pidFile = argv[++i];
      if (pidFile === undefined || pidFile === '') return fail(2, '--pid-file: expected a file');
    } else if (a.startsWith('-')) {
      return fail(2, `unknown option '${a}' (see petrel reload --help)`);
    } else if (pidArg === undefined) {
      pidArg = a;
    } else {
      return fail(2, `unexpected argument '${a}'`);
    }
  }
  if ((pidFile === undefined) === (pidArg === undefined)) {
    return fail(2, 'give either --pid-file FILE or a process id (see petrel reload --help)');
  }
  let pid: number | undefined;
  if (pidFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(pidFile, 'utf8');
    } catch (err) {
      return fail(1, `cannot read ${pidFile}: ${(err as Error).message}`);
    }
    pid = parsePid(text);
    if (pid === undefined) return fail(1, `${pidFile} does not hold a process id`);
  } else {
    pid = parsePid(pidArg as string);
    if (pid === undefined) return fail(2, `'${pidArg}' is not a process id`);
  }
  try {
    process.kill(pid, 'SIGHUP');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ESRCH') return fail(1, `no process ${pid} (is the broker running?)`);
    if (code === 'EPERM') return fail(1, `not allowed to signal process ${pid}`);
    return fail(1, `cannot signal process ${pid}: ${(err as Error).message}`);
  }
  process.stdout.write(`reload requested from process ${pid}\n`);
  return 0;
}
