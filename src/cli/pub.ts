// `petrel pub`: publish one message, a file, stdin or stdin line by line (like mosquitto_pub).
import { createInterface } from 'node:readline';
import type { DisconnectOptions, PublishOptions } from '../client/types.js';
import type { Source } from './common.js';
import {
  applySrv,
  commonHelp,
  errorMessage,
  fail,
  fixedPayload,
  int,
  num,
  openClient,
  parseArgs,
  printHelp,
  readStdin,
  sourceFlags,
  switchFlag,
  UsageError,
  valueFlag,
} from './common.js';

const help = `Usage: petrel pub -t TOPIC (-m MESSAGE | -f FILE | -l | -s | -n) [options]

Message:
  -t, --topic TOPIC        topic to publish to
  -m, --message TEXT       the message
  -f, --file FILE          send the contents of a file
  -l, --stdin-line         send each line of stdin as a message
  -s, --stdin-file         send all of stdin as one message
  -n, --null-message       send an empty message
  -r, --retain             retain the message
  --repeat N               publish the message N times
  --repeat-delay SECONDS   pause between repeats
${commonHelp}`;

/** Entry point of `petrel pub`; returns the exit code. */
export async function run(argv: string[]): Promise<number> {
  if (printHelp(argv, help)) return 0;
  let topic: string | undefined;
  let retain = false;
  let repeat = 1;
  let repeatDelay = 0;
  const sources: Source[] = [];
  let args: ReturnType<typeof parseArgs>;
  try {
    args = parseArgs(argv, [
      valueFlag(['-t', '--topic'], (v) => {
        topic = v;
      }),
      ...sourceFlags(sources),
      switchFlag(['-l', '--stdin-line'], () => {
        sources.push({ kind: 'lines' });
      }),
      switchFlag(['-r', '--retain'], () => {
        retain = true;
      }),
      valueFlag(['--repeat'], (v, f) => {
        repeat = int(v, f, 1, 1e9);
      }),
      valueFlag(['--repeat-delay'], (v, f) => {
        repeatDelay = num(v, f);
      }),
    ]);
    topic ??= args.urlTopic;
    if (topic === undefined) throw new UsageError("option '-t' (topic) is required");
    if (sources.length === 0) {
      throw new UsageError("a message is required: one of '-m', '-f', '-l', '-s' or '-n'");
    }
    if (sources.length > 1) {
      throw new UsageError("only one of '-m', '-f', '-l', '-s' and '-n' may be given");
    }
  } catch (err) {
    if (err instanceof UsageError) return fail('pub', `${err.message} (see --help)`, 2);
    throw err;
  }
  const source = sources[0]!;
  let payload: Buffer | undefined;
  try {
    payload = fixedPayload(source);
  } catch (err) {
    return fail('pub', `cannot read '${(source as { path: string }).path}': ${errorMessage(err)}`);
  }

  const srvFailure = await applySrv('pub', args);
  if (srvFailure !== undefined) return srvFailure;
  const client = await openClient('pub', args);
  if (typeof client === 'number') return client;
  const options: PublishOptions = { qos: args.qos, retain };
  if (args.protocolVersion === 5) options.properties = args.properties.publish;
  const t = topic;
  try {
    if (source.kind === 'lines') {
      const pending: Array<Promise<unknown>> = [];
      const rl = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY });
      for await (const line of rl) {
        const p = client.publish(t, line, options);
        // Handled here so an early failure is not an unhandled rejection; Promise.all reports it.
        p.catch(() => undefined);
        pending.push(p);
        // Wait for acknowledgement in batches so a long stream does not pile up in memory.
        if (pending.length >= 100) await Promise.all(pending.splice(0));
      }
      await Promise.all(pending);
    } else {
      if (source.kind === 'stdin') payload = await readStdin();
      const body = payload ?? Buffer.alloc(0);
      for (let i = 0; i < repeat; i++) {
        if (i > 0 && repeatDelay > 0) await new Promise((r) => setTimeout(r, repeatDelay * 1000));
        await client.publish(t, body, options);
      }
    }
  } catch (err) {
    client.destroy();
    return fail('pub', errorMessage(err));
  }
  const disconnect: DisconnectOptions = {};
  const dp = args.properties.disconnect;
  if (dp.sessionExpiryInterval !== undefined) {
    disconnect.sessionExpiryInterval = dp.sessionExpiryInterval;
  }
  if (dp.userProperties !== undefined) disconnect.userProperties = dp.userProperties;
  await client.disconnect(disconnect);
  return 0;
}
