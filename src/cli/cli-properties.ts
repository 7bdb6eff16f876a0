// `-D command property value`: MQTT 5 properties on the command line, as mosquitto's tools
// take them.

import type { ConnectProperties } from '../client/options.js';
import type { PublishProperties } from '../client/types.js';
import { int, UsageError } from './usage.js';

/** v5 properties given with `-D command property value`, grouped by packet. */
export interface CliProperties {
  connect: ConnectProperties;
  publish: PublishProperties;
  subscribe: { subscriptionIdentifier?: number; userProperties?: Array<[string, string]> };
  unsubscribe: { userProperties?: Array<[string, string]> };
  disconnect: { sessionExpiryInterval?: number; userProperties?: Array<[string, string]> };
  will: PublishProperties & { willDelayInterval?: number };
}

type PropKind = 'int' | 'string' | 'binary' | 'pair' | 'bool';

const propertyKinds: Record<string, [PropKind, string[]]> = {
  'payload-format-indicator': ['int', ['publish', 'will']],
  'message-expiry-interval': ['int', ['publish', 'will']],
  'content-type': ['string', ['publish', 'will']],
  'response-topic': ['string', ['publish', 'will']],
  'correlation-data': ['binary', ['publish', 'will']],
  'topic-alias': ['int', ['publish']],
  'user-property': [
    'pair',
    ['connect', 'publish', 'subscribe', 'unsubscribe', 'disconnect', 'will'],
  ],
  'session-expiry-interval': ['int', ['connect', 'disconnect']],
  'receive-maximum': ['int', ['connect']],
  'maximum-packet-size': ['int', ['connect']],
  'topic-alias-maximum': ['int', ['connect']],
  'request-response-information': ['bool', ['connect']],
  'request-problem-information': ['bool', ['connect']],
  'authentication-method': ['string', ['connect']],
  'authentication-data': ['binary', ['connect']],
  'subscription-identifier': ['int', ['subscribe']],
  'will-delay-interval': ['int', ['will']],
};

const camel = (s: string): string => s.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/** `-D command property value [value]`; returns how many extra argv entries were consumed. */
export function parseProperty(argv: string[], i: number, out: CliProperties): number {
  const command = argv[i + 1];
  const name = argv[i + 2];
  const value = argv[i + 3];
  if (command === undefined || name === undefined || value === undefined) {
    throw new UsageError("option '-D' needs a command, a property name and a value");
  }
  if (!(command in out)) {
    throw new UsageError(`option '-D': unknown command '${command}'`);
  }
  const kind = propertyKinds[name];
  if (kind === undefined) throw new UsageError(`option '-D': unknown property '${name}'`);
  if (!kind[1].includes(command)) {
    throw new UsageError(`option '-D': property '${name}' is not allowed in ${command}`);
  }
  const target = out[command as keyof CliProperties] as Record<string, unknown>;
  const key = camel(name);
  switch (kind[0]) {
    case 'pair': {
      const second = argv[i + 4];
      if (second === undefined) {
        throw new UsageError("option '-D': user-property needs a name and a value");
      }
      const list = (target.userProperties ?? []) as Array<[string, string]>;
      list.push([value, second]);
      target.userProperties = list;
      return 4;
    }
    case 'int':
      target[key] = int(value, `-D ${command} ${name}`, 0, 0xffffffff);
      return 3;
    case 'bool':
      target[key] = int(value, `-D ${command} ${name}`, 0, 1) === 1;
      return 3;
    case 'binary':
      target[key] = Buffer.from(value, 'utf8');
      return 3;
    case 'string':
      target[key] = value;
      return 3;
  }
}
