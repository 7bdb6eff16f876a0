#!/usr/bin/env node
// The `petrel` command: dispatches to one module per subcommand, loaded lazily so that
// `petrel pub` does not pay for the broker's start-up.
import { readFileSync } from 'node:fs';

interface Command {
  summary: string;
  load: () => Promise<CommandModule>;
}

type CommandModule = { run(argv: string[]): Promise<number> };

// A computed specifier keeps tsc from requiring every command module at build time.
function lazy(name: string): () => Promise<CommandModule> {
  return () => import(`./${name}.js`) as Promise<CommandModule>;
}

const commands: Record<string, Command> = {
  broker: { summary: 'run an MQTT broker', load: lazy('broker') },
  pub: { summary: 'publish messages (like mosquitto_pub)', load: lazy('pub') },
  sub: { summary: 'subscribe and print messages (like mosquitto_sub)', load: lazy('sub') },
  rr: { summary: 'MQTT 5 request/response (like mosquitto_rr)', load: lazy('rr') },
  bench: { summary: 'load generator for any MQTT broker', load: lazy('bench') },
  passwd: { summary: 'manage a password file', load: lazy('passwd') },
  reload: { summary: 'make a running broker reload its configuration', load: lazy('reload') },
  ctl: { summary: 'drive a running broker through its admin API', load: lazy('ctl') },
  convert: {
    summary: 'print the Petrel config equivalent to a mosquitto.conf',
    load: lazy('convert'),
  },
};

function version(): string {
  const pkg = JSON.parse(
    readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'),
  ) as {
    version: string;
  };
  return pkg.version;
}

function usage(): string {
  const lines = [
    'Usage: petrel <command> [options]',
    '',
    'Commands:',
    ...Object.entries(commands).map(([name, c]) => `  ${name.padEnd(8)} ${c.summary}`),
    '',
    'Options:',
    '  -h, --help     show this help (or `petrel <command> --help`)',
    '  --version      print the version',
  ];
  return `${lines.join('\n')}\n`;
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name === undefined ? 1 : 0;
  }
  if (name === '--version' || name === '-V') {
    process.stdout.write(`${version()}\n`);
    return 0;
  }
  const command = commands[name];
  if (command === undefined) {
    process.stderr.write(`petrel: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  let mod: CommandModule;
  try {
    mod = await command.load();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND') {
      process.stderr.write(`petrel: '${name}' is not available in this build\n`);
      return 2;
    }
    throw err;
  }
  return mod.run(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`petrel: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
