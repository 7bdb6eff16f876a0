// `petrel rr`: MQTT 5 request/response (like mosquitto_rr): publish a request with a Response
// Topic and Correlation Data, print the response, exit.
import type { RequestOptions } from '../client/request.js';
import type { Source } from './common.js';
import {
  applySrv,
  commonHelp,
  errorMessage,
  fail,
  fixedPayload,
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
import { defaultOutput, outputFlags, renderMessage } from './output.js';

const help = `Usage: petrel rr -t REQUEST_TOPIC -e RESPONSE_TOPIC (-m MSG | -f FILE | -s | -n) [options]

  -t, --topic TOPIC        request topic
  -e, --response-topic T   response topic (default: a topic unique to this client)
  -m, --message TEXT       request payload;  -f FILE;  -s (stdin);  -n (empty)
  -W SECONDS               give up (exit 27) after SECONDS (default 10)
  -v, --verbose            print "topic payload"
  -F FORMAT, -N, --json    output as petrel sub (-F: mosquitto_sub's format)
${commonHelp}`;

/** Entry point of `petrel rr`; returns the exit code. */
export async function run(argv: string[]): Promise<number> {
  if (printHelp(argv, help)) return 0;
  let topic: string | undefined;
  let responseTopic: string | undefined;
  const sources: Source[] = [];
  let timeout = 10;
  let retain = false;
  const output = defaultOutput();
  let args: ReturnType<typeof parseArgs>;
  try {
    args = parseArgs(
      ['-V', '5', ...argv],
      [
        valueFlag(['-t', '--topic'], (v) => {
          topic = v;
        }),
        valueFlag(['-e', '--response-topic'], (v) => {
          responseTopic = v;
        }),
        ...sourceFlags(sources),
        switchFlag(['-r', '--retain'], () => {
          retain = true;
        }),
        valueFlag(['-W', '--timeout'], (v, f) => {
          timeout = num(v, f, 0.001);
        }),
        ...outputFlags(output),
      ],
    );
    topic ??= args.urlTopic;
    if (args.protocolVersion !== 5) {
      throw new UsageError("option '-V': request/response needs MQTT 5 (-V 5)");
    }
    if (topic === undefined) throw new UsageError("option '-t' (request topic) is required");
    // -m and -n both set the message and a repeated flag replaces the earlier one, so what
    // must be unique is the kind of source.
    const kinds = new Set(sources.map((s) => (s.kind === 'null' ? 'message' : s.kind)));
    if (kinds.size !== 1) {
      throw new UsageError("exactly one of '-m', '-f', '-s' or '-n' is required");
    }
  } catch (err) {
    if (err instanceof UsageError) return fail('rr', `${err.message} (see --help)`, 2);
    throw err;
  }
  const source = sources[sources.length - 1]!;
  const file = source.kind === 'file' ? source.path : undefined;
  let payload: Buffer;
  try {
    payload = fixedPayload(source) ?? (await readStdin());
  } catch (err) {
    return fail('rr', `cannot read '${file}': ${errorMessage(err)}`);
  }
  const srvFailure = await applySrv('rr', args);
  if (srvFailure !== undefined) return srvFailure;
  const client = await openClient('rr', args);
  if (typeof client === 'number') return client;
  const options: RequestOptions = {
    qos: args.qos,
    retain,
    timeout: timeout * 1000,
    properties: args.properties.publish,
  };
  if (responseTopic !== undefined) options.responseTopic = responseTopic;
  try {
    const msg = await client.request(topic!, payload, options);
    process.stdout.write(renderMessage(msg, output));
  } catch (err) {
    await client.disconnect({ timeout: 500 });
    const code = (err as { code?: string }).code === 'REQUEST_TIMEOUT' ? 27 : 1;
    return fail('rr', code === 27 ? `timed out after ${timeout} s` : errorMessage(err), code);
  }
  await client.disconnect({ timeout: 1000 });
  return 0;
}
