// `petrel sub`: subscribe and print messages (like mosquitto_sub).
import type { Message, SubscribeOptions } from '../client/types.js';
import { isValidTopicFilter, topicMatches } from '../codec/topic.js';
import {
  applySrv,
  commonHelp,
  createClient,
  errorMessage,
  fail,
  int,
  num,
  openClient,
  parseArgs,
  printHelp,
  switchFlag,
  UsageError,
  valueFlag,
} from './common.js';
import { defaultOutput, outputFlags, renderMessage } from './output.js';

const help = `Usage: petrel sub -t FILTER [-t FILTER ...] [options]

Subscription:
  -t, --topic FILTER       filter to subscribe to (repeatable)
  -T, --filter-out FILTER  do not print messages matching this filter (repeatable)
  -U, --unsubscribe FILTER unsubscribe from this filter (with -c) and exit
  -v, --verbose            print "topic payload"
  -C COUNT                 exit after COUNT messages
  -W SECONDS               exit (code 27) after SECONDS
  -R, --no-retain          do not print stale (retained) messages
  --retained-only          print retained messages only; exit at the first live one
  --remove-retained        clear every retained message received
  -F FORMAT                mosquitto_sub's format: %t topic %p payload %q qos %r retain
                           %l length %m id %x/%X hex %C %D %E %F %P %R %S %A v5 properties
                           %I ISO time %U unix time %j/%J JSON %% percent, flags - 0 and
                           widths (%-10.5t), @X strftime (@H:@M:@S, @N ns), \\n \\t \\e \\0 ...
  -N                       no newline after each message
  --json                   one JSON object per message
  -E                       exit once subscribed
  --nl, --no-local         (v5) do not receive own messages
  --retain-as-published    (v5) keep the retain flag as published
  --retain-handling 0|1|2  (v5) when to send retained messages
${commonHelp}`;

/** Entry point of `petrel sub`; returns the exit code. */
export async function run(argv: string[]): Promise<number> {
  if (printHelp(argv, help)) return 0;
  const topics: string[] = [];
  const filterOut: string[] = [];
  const unsubscribe: string[] = [];
  let count = 0;
  let timeout = 0;
  let noRetained = false;
  let retainedOnly = false;
  let removeRetained = false;
  const output = defaultOutput();
  let exitAfterSubscribe = false;
  const subOptions: SubscribeOptions = {};
  let args: ReturnType<typeof parseArgs>;
  try {
    const filter = (list: string[]) => (v: string, f: string) => {
      if (!isValidTopicFilter(v)) throw new UsageError(`option '${f}': invalid filter '${v}'`);
      list.push(v);
    };
    args = parseArgs(argv, [
      valueFlag(['-t', '--topic'], filter(topics)),
      valueFlag(['-T', '--filter-out'], filter(filterOut)),
      valueFlag(['-U', '--unsubscribe'], filter(unsubscribe)),
      ...outputFlags(output),
      valueFlag(['-C', '--count'], (v, f) => {
        count = int(v, f, 1, 1e9);
      }),
      valueFlag(['-W', '--timeout'], (v, f) => {
        timeout = num(v, f, 0.001);
      }),
      switchFlag(['-R', '--no-retain'], () => {
        noRetained = true;
      }),
      switchFlag(['--retained-only'], () => {
        retainedOnly = true;
      }),
      switchFlag(['--remove-retained'], () => {
        removeRetained = true;
      }),
      switchFlag(['-E'], () => {
        exitAfterSubscribe = true;
      }),
      switchFlag(['--nl', '--no-local'], () => {
        subOptions.noLocal = true;
      }),
      switchFlag(['--rap', '--retain-as-published'], () => {
        subOptions.retainAsPublished = true;
      }),
      valueFlag(['--rh', '--retain-handling'], (v, f) => {
        subOptions.retainHandling = int(v, f, 0, 2) as 0 | 1 | 2;
      }),
    ]);
    if (args.urlTopic !== undefined) topics.push(args.urlTopic);
    if (topics.length === 0 && unsubscribe.length === 0) {
      throw new UsageError("option '-t' (topic filter) is required");
    }
  } catch (err) {
    if (err instanceof UsageError) return fail('sub', `${err.message} (see --help)`, 2);
    throw err;
  }
  subOptions.qos = args.qos;
  const sp = args.properties.subscribe;
  if (args.protocolVersion === 5) {
    if (sp.subscriptionIdentifier !== undefined) {
      subOptions.subscriptionIdentifier = sp.subscriptionIdentifier;
    }
    if (sp.userProperties !== undefined) subOptions.userProperties = sp.userProperties;
  }

  // Like mosquitto_sub, stay subscribed across broker restarts (resubscribing when needed);
  // only the first connection must succeed.
  const srvFailure = await applySrv('sub', args);
  if (srvFailure !== undefined) return srvFailure;
  const client = createClient('sub', args, { reconnect: { initialDelay: 500, maxDelay: 10_000 } });
  let received = 0;
  let failure: string | undefined;
  const cleared = new Set<string>();
  let finish: (code: number) => void = () => undefined;
  const done = new Promise<number>((resolve) => {
    finish = resolve;
  });
  let finished = false;
  const end = (code: number): void => {
    if (finished) return;
    finished = true;
    finish(code);
  };

  /** The bytes to print for a message, or undefined to skip it. */
  const render = (msg: Message): Buffer | undefined => {
    if (filterOut.some((f) => topicMatches(f, msg.topic))) return undefined;
    if (retainedOnly && !msg.retain) {
      end(0);
      return undefined;
    }
    if (noRetained && msg.retain) return undefined;
    if (removeRetained) {
      // Our own clearing message comes back to us; like mosquitto_sub, do not print it.
      if (!msg.retain && msg.payload.length === 0 && cleared.delete(msg.topic)) return undefined;
      if (msg.retain && msg.payload.length > 0) {
        cleared.add(msg.topic);
        client.publish(msg.topic, '', { retain: true, qos: 0 }).catch(() => undefined);
      }
    }
    return renderMessage(msg, output);
  };
  // Consuming through messages() carries back-pressure end to end: while stdout's reader is
  // slower than the broker, the client stops reading its socket.
  const stream = client.messages();
  const consume = async (): Promise<void> => {
    for await (const msg of stream) {
      if (finished) break;
      const out = render(msg);
      if (out === undefined) continue;
      received++;
      if (count > 0 && received >= count) end(0);
      if (!process.stdout.write(out) && !finished) {
        await new Promise((resolve) => process.stdout.once('drain', resolve));
      }
    }
  };
  consume().catch((err: unknown) => {
    failure = errorMessage(err);
    end(1);
  });
  client.on('close', () => end(finished ? 0 : 1));

  const opened = await openClient('sub', args, client);
  if (typeof opened === 'number') return opened;
  client.on('offline', (err) => {
    if (args.debug)
      process.stderr.write(
        `petrel sub: connection lost${err ? `: ${err.message}` : ''}; reconnecting\n`,
      );
  });
  client.on('error', (err) => {
    if (args.debug) process.stderr.write(`petrel sub: ${err.message}\n`);
  });
  const onSignal = (): void => end(0);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  // `petrel sub ... | head -1`: the reader went away, which ends the tool quietly.
  const onStdoutError = (): void => end(0);
  process.stdout.on('error', onStdoutError);
  let timer: ReturnType<typeof setTimeout> | undefined;
  let timedOut = false;
  if (timeout > 0) {
    timer = setTimeout(() => {
      timedOut = true;
      end(27);
    }, timeout * 1000);
  }
  try {
    if (unsubscribe.length > 0) await client.unsubscribe(unsubscribe);
    if (topics.length > 0) {
      const result = await client.subscribe(topics, subOptions);
      const denied = result.granted.filter((g) => g.reasonCode >= 0x80);
      if (denied.length === result.granted.length) {
        end(1);
        failure = `subscription denied: ${denied.map((d) => `${d.topicFilter} (0x${d.reasonCode.toString(16)})`).join(', ')}`;
      } else if (denied.length > 0 && !args.quiet) {
        process.stderr.write(
          `petrel sub: warning: subscription denied for ${denied.map((d) => d.topicFilter).join(', ')}\n`,
        );
      }
    }
    if (exitAfterSubscribe || topics.length === 0) end(0);
  } catch (err) {
    failure = errorMessage(err);
    end(1);
  }
  const code = await done;
  if (timer !== undefined) clearTimeout(timer);
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  process.stdout.off('error', onStdoutError);
  void stream.return();
  if (client.state !== 'closed') await client.disconnect({ timeout: 1000 });
  if (timedOut) return fail('sub', `timed out after ${timeout} s`, 27);
  if (code !== 0) return fail('sub', failure ?? 'connection lost', code);
  return 0;
}
