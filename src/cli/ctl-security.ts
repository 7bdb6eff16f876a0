// `petrel ctl user|role|client-rules`: dynamic security's API (docs/admin.md) from the command
// line. Passwords come from stdin or a file, never from the command line, where `ps` shows them.
import { readFileSync } from 'node:fs';
import type { ApiTarget } from './ctl-http.js';
import { apiCall, fetchAll } from './ctl-http.js';
import { errorMessage, UsageError } from './usage.js';

/** What `petrel ctl` parsed, and its table printer. */
export interface SecurityCommand {
  target: ApiTarget;
  json: boolean;
  command: string;
  args: string[];
  flags: Map<string, string | true>;
  table(header: string[], rows: string[][]): void;
}

/** Help lines of these commands, for `petrel ctl --help`. */
export const SECURITY_HELP = `  user add NAME [--roles R,…] [--disabled] [--client-id ID]
                                                   create a user; password from stdin's first
                                                   line or --password-file FILE
  user list | show NAME | delete NAME              users (never their hashes)
  user passwd NAME                                 new password (stdin or --password-file)
  user disable NAME | enable NAME                  disabling closes its connections
  user roles NAME [ROLE…]                          set its roles, in the order consulted
  user client-id NAME [ID]                         bind it to client id ID (none: unbind)
  role add NAME [RULE…] | rules NAME [RULE…]       create a role, or replace its rules; a RULE
                                                   is allow|deny:publish|subscribe|read:FILTER
  role list | show NAME | delete NAME              roles and their rules
  client-rules list | show ID | delete ID          rules bound to a client id
  client-rules set ID [RULE…]                      (consulted before the user's roles)
`;

/** Flags of these commands: name → whether it takes a value. */
export const SECURITY_FLAGS: Record<string, boolean> = {
  '--roles': true,
  '--password-file': true,
  '--disabled': false,
  '--client-id': true,
};

type Row = Record<string, unknown>;
const seg = encodeURIComponent;

/** Runs `user …`, `role …` or `client-rules …`. */
export async function runSecurity(c: SecurityCommand): Promise<void> {
  const [verb, ...rest] = c.args;
  if (verb === undefined) throw new UsageError(`${c.command} needs a subcommand (see --help)`);
  const out = (v: unknown): void => {
    process.stdout.write(`${JSON.stringify(v, null, 2)}\n`);
  };
  const say = (text: string): void => {
    if (!c.json) process.stdout.write(`${text}\n`);
  };
  const one = (names: string[]): string[] => {
    if (rest.length !== names.length)
      throw new UsageError(`${c.command} ${verb} takes ${names.join(' ')}`);
    return rest;
  };
  const t = c.target;
  if (c.command === 'user') {
    switch (verb) {
      case 'add': {
        const [name] = one(['NAME']);
        const body: Row = { username: name, password: readPassword(c.flags) };
        const roles = c.flags.get('--roles');
        if (typeof roles === 'string') body.roles = roles.split(',').filter((r) => r !== '');
        if (c.flags.has('--disabled')) body.disabled = true;
        const clientId = c.flags.get('--client-id');
        if (typeof clientId === 'string') body.clientId = clientId;
        const r = await apiCall(t, 'POST', '/api/v1/users', body);
        return c.json ? out(r) : say(`added user ${name}`);
      }
      case 'list': {
        one([]);
        const items = (await fetchAll(t, '/api/v1/users')) as Row[];
        if (c.json) return out(items);
        return c.table(
          ['USER', 'DISABLED', 'CLIENT', 'ROLES'],
          items.map((u) => [
            String(u.username),
            u.disabled === true ? 'yes' : 'no',
            typeof u.clientId === 'string' ? u.clientId : '-',
            (u.roles as string[]).join(','),
          ]),
        );
      }
      case 'show':
        return out(await apiCall(t, 'GET', `/api/v1/users/${seg(one(['NAME'])[0] as string)}`));
      case 'delete': {
        const [name] = one(['NAME']);
        await apiCall(t, 'DELETE', `/api/v1/users/${seg(name as string)}`);
        return say(`deleted user ${name}`);
      }
      case 'passwd': {
        const [name] = one(['NAME']);
        await patchUser(t, name as string, { password: readPassword(c.flags) });
        return say(`changed the password of ${name}`);
      }
      case 'disable':
      case 'enable': {
        const [name] = one(['NAME']);
        await patchUser(t, name as string, { disabled: verb === 'disable' });
        return say(`${verb}d user ${name}`);
      }
      case 'client-id': {
        const [name, id] = rest;
        if (name === undefined || rest.length > 2)
          throw new UsageError('user client-id takes NAME [ID]');
        await patchUser(t, name, { clientId: id ?? '' });
        return say(
          id === undefined ? `user ${name} is not bound` : `user ${name} is bound to ${id}`,
        );
      }
      case 'roles': {
        const [name, ...roles] = rest;
        if (name === undefined) throw new UsageError('user roles takes NAME [ROLE…]');
        await patchUser(t, name, { roles });
        return say(`user ${name} has roles: ${roles.join(', ') || '(none)'}`);
      }
    }
  } else if (c.command === 'role') {
    switch (verb) {
      case 'add': {
        const [name, ...rules] = rest;
        if (name === undefined) throw new UsageError('role add takes NAME [RULE…]');
        const r = await apiCall(t, 'POST', '/api/v1/roles', { name, rules: rules.map(parseRule) });
        return c.json ? out(r) : say(`added role ${name}`);
      }
      case 'rules': {
        const [name, ...rules] = rest;
        if (name === undefined) throw new UsageError('role rules takes NAME [RULE…]');
        await apiCall(t, 'PUT', `/api/v1/roles/${seg(name)}`, { rules: rules.map(parseRule) });
        return say(`role ${name} has ${rules.length} rule(s)`);
      }
      case 'list': {
        one([]);
        const items = (await fetchAll(t, '/api/v1/roles')) as Row[];
        if (c.json) return out(items);
        return c.table(
          ['ROLE', 'RULES'],
          items.map((r) => [String(r.name), (r.rules as Row[]).map(formatRule).join(' ')]),
        );
      }
      case 'show':
        return out(await apiCall(t, 'GET', `/api/v1/roles/${seg(one(['NAME'])[0] as string)}`));
      case 'delete': {
        const [name] = one(['NAME']);
        await apiCall(t, 'DELETE', `/api/v1/roles/${seg(name as string)}`);
        return say(`deleted role ${name}`);
      }
    }
  } else {
    switch (verb) {
      case 'list': {
        one([]);
        const items = (await fetchAll(t, '/api/v1/client-rules')) as Row[];
        if (c.json) return out(items);
        return c.table(
          ['CLIENT', 'RULES'],
          items.map((r) => [String(r.clientId), (r.rules as Row[]).map(formatRule).join(' ')]),
        );
      }
      case 'show':
        return out(
          await apiCall(t, 'GET', `/api/v1/client-rules/${seg(one(['ID'])[0] as string)}`),
        );
      case 'set': {
        const [id, ...rules] = rest;
        if (id === undefined) throw new UsageError('client-rules set takes ID [RULE…]');
        await apiCall(t, 'PUT', `/api/v1/client-rules/${seg(id)}`, { rules: rules.map(parseRule) });
        return say(`client ${id} has ${rules.length} rule(s)`);
      }
      case 'delete': {
        const [id] = one(['ID']);
        await apiCall(t, 'DELETE', `/api/v1/client-rules/${seg(id as string)}`);
        return say(`deleted the rules of client ${id}`);
      }
    }
  }
  throw new UsageError(`unknown subcommand '${c.command} ${verb}' (see petrel ctl --help)`);
}

function patchUser(t: ApiTarget, name: string, body: Row): Promise<unknown> {
  return apiCall(t, 'PATCH', `/api/v1/users/${seg(name)}`, body);
}

/** The first line of `--password-file`, else of stdin; never echoed. */
function readPassword(flags: Map<string, string | true>): string {
  const file = flags.get('--password-file');
  let text: string;
  try {
    text = readFileSync(typeof file === 'string' ? file : 0, 'utf8');
  } catch (err) {
    const from = typeof file === 'string' ? file : 'stdin';
    throw new UsageError(`cannot read the password from ${from}: ${errorMessage(err)}`);
  }
  const line = text.split('\n')[0]?.replace(/\r$/, '') ?? '';
  if (line === '')
    throw new UsageError('the password is empty (give it on stdin or with --password-file)');
  return line;
}

/** `allow:subscribe:a/#` → a rule object (the API checks the filter and names the field). */
function parseRule(text: string): Row {
  const m = /^(allow|deny):(publish|subscribe|read):(.+)$/.exec(text);
  if (m === null) {
    throw new UsageError(`rule '${text}': expected allow|deny:publish|subscribe|read:FILTER`);
  }
  return { permission: m[1], action: m[2], topic: m[3] };
}

function formatRule(r: Row): string {
  return `${String(r.permission)}:${String(r.action)}:${String(r.topic)}`;
}
