// `petrel ctl`: the admin API (docs/admin.md) from the command line.
import { readFileSync } from 'node:fs';
import type { ApiTarget } from './ctl-http.js';
import { ApiFailure, apiCall, fetchAll } from './ctl-http.js';
import { runSecurity, SECURITY_FLAGS, SECURITY_HELP } from './ctl-security.js';
import { errorMessage, fail, int, UsageError } from './usage.js';

const HELP = `Usage: petrel ctl [options] COMMAND [arguments]

Drives a running broker through its admin API (petrel broker --http-port; docs/admin.md).

Commands:
  clients [--prefix P] [--user U] [--listener L]   connected clients
  client ID                                        one client, with its subscriptions
  kick ID [--reason-code N] [--reason TEXT]        disconnect a client (5.0: DISCONNECT N)
  sessions [--online | --offline] [--prefix P]     sessions, connected or not
  session ID                                       one session
  delete-session ID                                end a session (disconnecting its client)
  subscriptions [FILTER] [--client ID]             subscriptions within FILTER (default #)
  subscribe ID FILTER [-q QOS]                     add a subscription to a session
  unsubscribe ID FILTER                            remove one
  retained [FILTER]                                retained messages matching FILTER
  retained-get TOPIC                               print a retained message's payload
  retained-delete TOPIC                            delete a retained message
  pub TOPIC MESSAGE [-q QOS] [-r]                  publish from the server side
  info                                             version, uptime, listeners
  reload                                           reload the configuration (as SIGHUP)
${SECURITY_HELP}
Options:
      --url URL         the admin API (default $PETREL_URL, else http://127.0.0.1:8080)
      --token TOKEN     bearer token (default $PETREL_TOKEN)
      --token-file FILE read the bearer token from FILE (its first line)
      --cafile FILE     CA bundle to trust for an https:// URL
      --json            print the API's JSON answers as they are
      --timeout S       seconds to wait for each answer (default 10)
  -h, --help            show this help
`;

interface Parsed {
  target: ApiTarget;
  json: boolean;
  command: string;
  args: string[];
  flags: Map<string, string | true>;
}

/** Flags of the commands: name → whether it takes a value. */
const COMMAND_FLAGS: Record<string, boolean> = {
  '--prefix': true,
  '--user': true,
  '--listener': true,
  '--reason-code': true,
  '--reason': true,
  '--online': false,
  '--offline': false,
  '--client': true,
  '-q': true,
  '-r': false,
  ...SECURITY_FLAGS,
};

function parse(argv: string[]): Parsed | 'help' {
  let url = process.env.PETREL_URL ?? 'http://127.0.0.1:8080';
  let token = process.env.PETREL_TOKEN;
  let ca: Buffer | undefined;
  let json = false;
  let timeoutMs = 10_000;
  const rest: string[] = [];
  const flags = new Map<string, string | true>();
  const value = (flag: string, v: string | undefined): string => {
    if (v === undefined || v === '') throw new UsageError(`option '${flag}' needs a value`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    switch (a) {
      case '-h':
      case '--help':
        return 'help';
      case '--url':
        url = value(a, argv[++i]);
        break;
      case '--token':
        token = value(a, argv[++i]);
        break;
      case '--token-file': {
        const f = value(a, argv[++i]);
        try {
          token = readFileSync(f, 'utf8').split('\n')[0]?.trim();
        } catch (err) {
          throw new UsageError(`option '${a}': cannot read ${f}: ${errorMessage(err)}`);
        }
        break;
      }
      case '--cafile': {
        const f = value(a, argv[++i]);
        try {
          ca = readFileSync(f);
        } catch (err) {
          throw new UsageError(`option '${a}': cannot read ${f}: ${errorMessage(err)}`);
        }
        break;
      }
      case '--json':
        json = true;
        break;
      case '--timeout':
        timeoutMs = int(value(a, argv[++i]), a, 1, 3600) * 1000;
        break;
      default: {
        const takes = COMMAND_FLAGS[a];
        if (takes === undefined) {
          if (a.startsWith('-') && a.length > 1) {
            throw new UsageError(`unknown option '${a}' (see petrel ctl --help)`);
          }
          rest.push(a);
        } else flags.set(a, takes ? value(a, argv[++i]) : true);
      }
    }
  }
  if (!/^https?:\/\//.test(url))
    throw new UsageError(`option '--url': expected http:// or https://, got ${url}`);
  const [command, ...args] = rest;
  if (command === undefined) throw new UsageError('no command (see petrel ctl --help)');
  return { target: { url, token, ca, timeoutMs }, json, command, args, flags };
}

/** The positional arguments of a command, exactly `names` of them. */
function positional(p: Parsed, names: string[], optional = 0): string[] {
  const min = names.length - optional;
  if (p.args.length < min || p.args.length > names.length) {
    throw new UsageError(`${p.command} takes ${names.join(' ')}`);
  }
  return p.args;
}

function query(pairs: Record<string, string | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(pairs)) if (v !== undefined) q.set(k, v);
  const s = q.toString();
  return s === '' ? '' : `?${s}`;
}

const str = (flags: Map<string, string | true>, name: string): string | undefined => {
  const v = flags.get(name);
  return typeof v === 'string' ? v : undefined;
};

/** Prints rows as aligned columns under a header. */
function table(header: string[], rows: string[][]): void {
  // Columns as wide as their widest cell; the last one is not padded.
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] as number)))
      .join('  ')
      .trimEnd();
  process.stdout.write(`${[header, ...rows].map(line).join('\n')}\n`);
}

const seg = encodeURIComponent;
type Row = Record<string, unknown>;
const s = (v: unknown): string => (v === undefined || v === null ? '-' : String(v));

async function execute(p: Parsed): Promise<void> {
  const t = p.target;
  const out = (v: unknown): void => {
    process.stdout.write(`${JSON.stringify(v, null, 2)}\n`);
  };
  const f = p.flags;
  switch (p.command) {
    case 'clients': {
      positional(p, []);
      const path = `/api/v1/clients${query({ prefix: str(f, '--prefix'), user: str(f, '--user'), listener: str(f, '--listener') })}`;
      const items = (await fetchAll(t, path)) as Row[];
      if (p.json) return out(items);
      return table(
        ['CLIENT', 'PROTOCOL', 'ADDRESS', 'USER', 'SUBS', 'QUEUED', 'CONNECTED'],
        items.map((c) => [
          s(c.clientId),
          s(c.protocol),
          s(c.address),
          s(c.username),
          s(c.subscriptions),
          s(c.queued),
          s(c.connectedAt),
        ]),
      );
    }
    case 'client':
      return out(
        await apiCall(t, 'GET', `/api/v1/clients/${seg(positional(p, ['ID'])[0] as string)}`),
      );
    case 'kick': {
      const [id] = positional(p, ['ID']);
      const code = str(f, '--reason-code');
      const n = code === undefined ? undefined : String(int(code, '--reason-code', 0, 255));
      await apiCall(
        t,
        'DELETE',
        `/api/v1/clients/${seg(id as string)}${query({ reasonCode: n, reason: str(f, '--reason') })}`,
      );
      if (!p.json) process.stdout.write(`disconnected ${id}\n`);
      return;
    }
    case 'sessions': {
      positional(p, []);
      if (f.has('--online') && f.has('--offline'))
        throw new UsageError('--online and --offline exclude each other');
      const state = f.has('--online') ? 'online' : f.has('--offline') ? 'offline' : undefined;
      const items = (await fetchAll(
        t,
        `/api/v1/sessions${query({ state, prefix: str(f, '--prefix') })}`,
      )) as Row[];
      if (p.json) return out(items);
      return table(
        ['CLIENT', 'STATE', 'EXPIRY', 'SUBS', 'QUEUED', 'INFLIGHT'],
        items.map((x) => [
          s(x.clientId),
          x.online === true ? 'online' : 'offline',
          s(x.expiryInterval),
          s(x.subscriptions),
          s(x.queued),
          s(x.inflight),
        ]),
      );
    }
    case 'session':
      return out(
        await apiCall(t, 'GET', `/api/v1/sessions/${seg(positional(p, ['ID'])[0] as string)}`),
      );
    case 'delete-session': {
      const [id] = positional(p, ['ID']);
      await apiCall(t, 'DELETE', `/api/v1/sessions/${seg(id as string)}`);
      if (!p.json) process.stdout.write(`deleted session ${id}\n`);
      return;
    }
    case 'subscriptions': {
      const [filter] = positional(p, ['FILTER'], 1);
      const items = (await fetchAll(
        t,
        `/api/v1/subscriptions${query({ filter, client: str(f, '--client') })}`,
      )) as Row[];
      if (p.json) return out(items);
      return table(
        ['CLIENT', 'QOS', 'FILTER'],
        items.map((x) => [s(x.clientId), s(x.qos), s(x.filter)]),
      );
    }
    case 'subscribe': {
      const [id, filter] = positional(p, ['ID', 'FILTER']);
      const qos = int(str(f, '-q') ?? '0', '-q', 0, 2);
      const r = await apiCall(t, 'POST', `/api/v1/sessions/${seg(id as string)}/subscriptions`, {
        filter,
        qos,
      });
      if (p.json) return out(r);
      process.stdout.write(`subscribed ${id} to ${filter} (QoS ${(r as Row).qos as number})\n`);
      return;
    }
    case 'unsubscribe': {
      const [id, filter] = positional(p, ['ID', 'FILTER']);
      await apiCall(
        t,
        'DELETE',
        `/api/v1/sessions/${seg(id as string)}/subscriptions${query({ filter })}`,
      );
      if (!p.json) process.stdout.write(`unsubscribed ${id} from ${filter}\n`);
      return;
    }
    case 'retained': {
      const [filter] = positional(p, ['FILTER'], 1);
      const items = (await fetchAll(t, `/api/v1/retained${query({ filter })}`)) as Row[];
      if (p.json) return out(items);
      return table(
        ['TOPIC', 'QOS', 'BYTES'],
        items.map((x) => [s(x.topic), s(x.qos), s(x.bytes)]),
      );
    }
    case 'retained-get': {
      const [topic] = positional(p, ['TOPIC']);
      const m = (await apiCall(t, 'GET', `/api/v1/retained/message${query({ topic })}`)) as Row;
      if (p.json) return out(m);
      process.stdout.write(Buffer.from(m.payloadBase64 as string, 'base64'));
      return;
    }
    case 'retained-delete': {
      const [topic] = positional(p, ['TOPIC']);
      await apiCall(t, 'DELETE', `/api/v1/retained/message${query({ topic })}`);
      if (!p.json) process.stdout.write(`deleted the retained message of ${topic}\n`);
      return;
    }
    case 'pub': {
      const [topic, message] = positional(p, ['TOPIC', 'MESSAGE']);
      const qos = int(str(f, '-q') ?? '0', '-q', 0, 2);
      await apiCall(t, 'POST', '/api/v1/publish', {
        topic,
        payload: message,
        qos,
        retain: f.has('-r'),
      });
      return;
    }
    case 'info': {
      positional(p, []);
      const b = (await apiCall(t, 'GET', '/api/v1/broker')) as Row;
      if (p.json) return out(b);
      process.stdout.write(`petrel ${s(b.version)}, up ${s(b.uptimeSeconds)} s\n`);
      for (const l of b.listeners as Row[]) {
        process.stdout.write(
          `  ${s(l.type)} ${s(l.host)}:${s(l.port)}${l.path === undefined ? '' : s(l.path)}\n`,
        );
      }
      return;
    }
    case 'reload':
      positional(p, []);
      await apiCall(t, 'POST', '/api/v1/broker/reload');
      if (!p.json) process.stdout.write('reloaded\n');
      return;
    case 'user':
    case 'role':
    case 'client-rules':
      return runSecurity({ ...p, table });
    default:
      throw new UsageError(`unknown command '${p.command}' (see petrel ctl --help)`);
  }
}

/** Entry point of `petrel ctl`; resolves with the exit code (2: bad command line, 1: refused). */
export async function run(argv: string[]): Promise<number> {
  let p: Parsed | 'help';
  try {
    p = parse(argv);
    if (p === 'help') {
      process.stdout.write(HELP);
      return 0;
    }
    await execute(p);
    return 0;
  } catch (err) {
    if (err instanceof UsageError) return fail('ctl', err.message, 2);
    if (err instanceof ApiFailure) return fail('ctl', err.message, 1);
    return fail('ctl', errorMessage(err), 1);
  }
}
