// `petrel rr`: MQTT 5 request/response (like mosquitto_rr): publish a request with a Response
// Topic and Correlation Data, print the response, exit.
import { readFileSync } from 'node:fs';
import { MqttClient } from '../client/client.js';
import type { RequestOptions } from '../client/request.js';
import {
  attachDebug,
  clientOptions,
  commonHelp,
  errorMessage,
  fail,
  formatMessage,
  jsonMessage,
  num,
  parseArgs,
  readStdin,
  UsageError,
} from './common.js';

const help = `Usage: petrel rr -t REQUEST_TOPIC -e RESPONSE_TOPIC (-m MSG | -f FILE | -s | -n) [options]

  -t, --topic TOPIC        request topic
  -e, --response-topic T   response topic (default: a topic unique to this client)
  -m, --message TEXT       request payload;  -f FILE;  -s (stdin);  -n (empty)
  -W SECONDS               give up (exit 27) after SECONDS (default 10)
  -v, --verbose            print "topic payload"
  -F FORMAT, -N, --json    output as petrel sub
${commonHelp}`;

/** Entry point of `petrel rr`; returns the exit code. */
export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help')) {
    process.stdout.write(help);
    return 0;
  }
  let topic: string | undefined;
  let responseTopic: string | undefined;
  let message: Buffer | undefined;
  let file: string | undefined;
  let stdin = false;
  let timeout = 10;
  let verbose = false;
  let format: string | undefined;
  let newline = true;
  let json = false;
  let retain = false;
  let args: ReturnType<typeof parseArgs>;
  try {
    args = parseArgs(
      ['-V', '5', ...argv],
      [
        {
          names: ['-t', '--topic'],
          arity: 1,
          apply: (v) => {
            topic = v;
          },
        },
        {
          names: ['-e', '--response-topic'],
          arity: 1,
          apply: (v) => {
            responseTopic = v;
          },
        },
        {
          names: ['-m', '--message'],
          arity: 1,
          apply: (v) => {
            message = Buffer.from(v, 'utf8');
          },
        },
        {
          names: ['-f', '--file'],
          arity: 1,
          apply: (v) => {
            file = v;
          },
        },
        {
          names: ['-s', '--stdin-file'],
          arity: 0,
          apply: () => {
            stdin = true;
          },
        },
        {
          names: ['-n', '--null-message'],
          arity: 0,
          apply: () => {
            message = Buffer.alloc(0);
          },
        },
        {
          names: ['-r', '--retain'],
          arity: 0,
          apply: () => {
            retain = true;
          },
        },
        {
          names: ['-W', '--timeout'],
          arity: 1,
          apply: (v, f) => {
            timeout = num(v, f, 0.001);
          },
        },
        {
          names: ['-v', '--verbose'],
          arity: 0,
          apply: () => {
            verbose = true;
          },
        },
        {
          names: ['-F', '--format'],
          arity: 1,
          apply: (v) => {
            format = v;
          },
        },
        {
          names: ['-N'],
          arity: 0,
          apply: () => {
            newline = false;
          },
        },
        {
          names: ['--json'],
          arity: 0,
          apply: () => {
            json = true;
          },
        },
      ],
    );
    topic ??= args.urlTopic;
    if (args.protocolVersion !== 5) {
      throw new UsageError("option '-V': request/response needs MQTT 5 (-V 5)");
    }
    if (topic === undefined) throw new UsageError("option '-t' (request topic) is required");
    const sources = [message !== undefined, file !== undefined, stdin].filter(Boolean).length;
    if (sources !== 1) {
      throw new UsageError("exactly one of '-m', '-f', '-s' or '-n' is required");
    }
  } catch (err) {
    if (err instanceof UsageError) return fail('rr', `${err.message} (see --help)`, 2);
    throw err;
  }
  let payload: Buffer;
  try {
    payload = message ?? (file !== undefined ? readFileSync(file) : await readStdin());
  } catch (err) {
    return fail('rr', `cannot read '${file}': ${errorMessage(err)}`);
  }
  const client = new MqttClient(clientOptions(args, 'petrel_rr'));
  if (args.debug) attachDebug(client);
  try {
    await client.connect();
  } catch (err) {
    return fail('rr', errorMessage(err));
  }
  const options: RequestOptions = {
    qos: args.qos,
    retain,
    timeout: timeout * 1000,
    properties: args.properties.publish,
  };
  if (responseTopic !== undefined) options.responseTopic = responseTopic;
  try {
    const msg = await client.request(topic!, payload, options);
    let out: Buffer;
    if (json) out = Buffer.from(`${jsonMessage(msg)}\n`);
    else if (format !== undefined) {
      out = Buffer.concat([formatMessage(format, msg), Buffer.from(newline ? '\n' : '')]);
    } else {
      out = Buffer.concat([
        Buffer.from(verbose ? `${msg.topic} ` : ''),
        msg.payload,
        Buffer.from(newline ? '\n' : ''),
      ]);
    }
    process.stdout.write(out);
  } catch (err) {
    await client.disconnect({ timeout: 500 });
    const code = (err as { code?: string }).code === 'REQUEST_TIMEOUT' ? 27 : 1;
    return fail('rr', code === 27 ? `timed out after ${timeout} s` : errorMessage(err), code);
  }
  await client.disconnect({ timeout: 1000 });
  return 0;
}
