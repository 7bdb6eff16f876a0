// `petrel convert`: prints the Petrel JSON configuration equivalent to a mosquitto.conf, so that
// a user can move over for good; what does not carry over is on stderr, one line per key.
import { ConfigError, loadConfig } from './config.js';

const HELP = `Usage: petrel convert FILE

Reads a Mosquitto configuration file (and the files its include_dir lines name) and prints the
equivalent Petrel JSON configuration on stdout. Keys that Petrel handles differently are
reported on stderr as warnings (file:line: what happens instead); a line Petrel cannot accept
is an error (exit code 1). See docs/mosquitto.md.

Options:
  -h, --help    show this help
`;

/** Entry point of `petrel convert`; resolves with the exit code. */
export async function run(argv: string[]): Promise<number> {
  if (argv.includes('-h') || argv.includes('--help')) {
    process.stdout.write(HELP);
    return 0;
  }
  const unknown = argv.find((a) => a.startsWith('-'));
  if (unknown !== undefined) {
    process.stderr.write(
      `petrel convert: unknown option '${unknown}' (see petrel convert --help)\n`,
    );
    return 2;
  }
  if (argv.length !== 1) {
    process.stderr.write('petrel convert: expected one mosquitto.conf file\n');
    return 2;
  }
  const warnings: string[] = [];
  try {
    const config = await loadConfig(argv[0] as string, 'mosquitto', warnings);
    for (const w of warnings) process.stderr.write(`petrel convert: warning: ${w}\n`);
    process.stdout.write(`${JSON.stringify(config, null, 2)}\n`);
    return 0;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    for (const w of warnings) process.stderr.write(`petrel convert: warning: ${w}\n`);
    process.stderr.write(`petrel convert: ${err.message}\n`);
    return 1;
  }
}
