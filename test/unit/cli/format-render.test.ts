// Rendering parsed `-F` formats; the expected bytes are what mosquitto_sub 2.0.11 printed for
// the same message and format (its padding quirks included).
import assert from 'node:assert/strict';
import { test } from 'node:test';

process.env.TZ = 'America/St_Johns';

import { parseFormat } from '../../../src/cli/format-parse.js';
import type { FormatContext } from '../../../src/cli/format-render.js';
import { nowTime, renderFormat } from '../../../src/cli/format-render.js';
import { defaultOutput, renderMessage } from '../../../src/cli/output.js';
import type { Message } from '../../../src/client/types.js';

/** 2021-01-03 00:07:09.123456789 in St. John's (-0330), 03:37:09 UTC. */
const TIME = { ms: 1_609_645_029_123, ns: 123_456_789 };

const full: Message = {
  topic: 'fmt/a',
  payload: Buffer.from('hello world'),
  qos: 1,
  retain: true,
  dup: false,
  packetId: 0,
  properties: {
    subscriptionIdentifiers: [7],
    contentType: 'text/plain',
    responseTopic: 'reply/x',
    correlationData: Buffer.from('corr1'),
    payloadFormatIndicator: 1,
    userProperties: [
      ['k1', 'v1'],
      ['k2', 'v2'],
      ['k1', 'v3'],
    ],
    messageExpiryInterval: 3596,
  },
};

const bare: Message = {
  topic: 'fmt/b',
  payload: Buffer.from('ab'),
  qos: 0,
  retain: true,
  dup: false,
  packetId: 0,
  properties: undefined,
};

function render(format: string, msg: Message, ctx: Partial<FormatContext> = {}): string {
  return renderFormat(parseFormat(format), msg, {
    time: TIME,
    packetId: 0,
    warn: () => assert.fail('no warning expected'),
    ...ctx,
  }).toString('latin1');
}

test('message parameters: %t %p %q %r %l %m %x %X', () => {
  assert.equal(
    render('%t|%p|%q|%r|%l|%m|%x|%X', full, { packetId: 12 }),
    'fmt/a|hello world|1|1|11|12|68656c6c6f20776f726c64|68656C6C6F20776F726C64',
  );
  assert.equal(render('%q|%r|%m', bare), '0|1|0');
});

test('v5 properties: %C %D %E %F %P %R %S %A', () => {
  assert.equal(
    render('%C|%D|%E|%F|%P|%R|%S|%A', full),
    'text/plain|corr1|3596|1|k1:v1 k2:v2 k1:v3|reply/x|7|',
  );
});

test('a missing property prints nothing, or its padding for the padded ones', () => {
  assert.equal(render('%C|%D|%E|%F|%P|%R|%S|%A|', bare), '||||||||');
  assert.equal(
    render('%5E|%5F|%05F|%5C|%05C|%5R|%05R|%5S|%05P|', bare),
    '     |     |00000|     |     |||     ||',
  );
  assert.equal(render('%5A|%05A|%-5A|%-05A|', full), '     |00000|     |00000|');
});

test('numbers take -, 0 and a width: %A %E %F %l %m %S', () => {
  assert.equal(render('%5S|%05S|%-5S|', full), '    7|00007|7    |');
  assert.equal(render('%5l|%05l|%-5l|%5m|', bare), '    2|00002|2    |    0|');
  assert.equal(render('%8E|%-8E|%08E|%2E', full), '    3596|3596    |00003596|3596');
  assert.equal(render('%3F|%03A', { ...bare, properties: { topicAlias: 4 } }), '   |004');
  // The expiry interval is printed through a signed int, as mosquitto does.
  assert.equal(render('%E', { ...bare, properties: { messageExpiryInterval: 0xffffffff } }), '-1');
  assert.equal(
    render('%05E', { ...bare, properties: { messageExpiryInterval: 0xfffffffe } }),
    '-0002',
  );
});

test('strings take - and a width, and a maximum width: %C %I %R %t', () => {
  assert.equal(render('%5C|%-5C|%5R|', full), 'text/plain|text/plain|reply/x|');
  assert.equal(render('%.3C|%8.3C|%-8.3C|%3.8C|', full), 'tex|     tex|tex     |text/pla|');
  assert.equal(
    render('%5t|%-5t|%05t|%5.1t|%.t|%5.t|%.0t|', bare),
    'fmt/b|fmt/b|fmt/b|    f||     ||',
  );
  assert.equal(render('%8t|%-8t|', bare), '   fmt/b|fmt/b   |');
  assert.equal(render('%12.4R|%-9.5R|', full), '        repl|reply    |');
  assert.equal(render('%.10I|%-26I|', full), '2021-01-03|2021-01-03T00:07:09-0330  |');
  // Widths count bytes, as printf does.
  assert.deepEqual(
    renderFormat(
      parseFormat('%.2t|%4t'),
      { ...bare, topic: 'é' },
      { time: TIME, packetId: 0, warn: () => undefined },
    ),
    Buffer.concat([Buffer.from('é'), Buffer.from('|  '), Buffer.from('é')]),
  );
});

test('%p %x %X: a width pads and also cuts the payload, as mosquitto does', () => {
  assert.equal(render('%5p|%-5p|%05p|%1p|%-p|%.1p|', bare), '   ab|ab   |000ab|a|ab  |ab|');
  assert.equal(
    render('%1x|%2x|%3x|%4x|%6x|%-6x|%06x|%06X|%-x|', bare),
    ' |61| 61|  61|    61|61    |000061|000061|6162  |',
  );
  assert.equal(render('%4p|%20p|', full), 'hell|         hello world|');
  assert.equal(render('%p|%x|%-p|%5p|', { ...bare, payload: Buffer.alloc(0) }), '|||     |');
});

test('%D and %p print raw bytes', () => {
  const bin = {
    ...bare,
    payload: Buffer.from([0, 0xff, 10]),
    properties: { correlationData: Buffer.from([0, 1]) },
  };
  assert.deepEqual(
    renderFormat(parseFormat('%p%D'), bin, { time: TIME, packetId: 0, warn: () => undefined }),
    Buffer.from([0, 0xff, 10, 0, 1]),
  );
  const big = { ...bare, payload: Buffer.alloc(1000, 0x61) };
  assert.equal(render('<%p>', big), `<${'a'.repeat(1000)}>`);
});

test('time helpers %I and %U, and @ conversions of the same instant', () => {
  assert.equal(render('%I', bare), '2021-01-03T00:07:09-0330');
  assert.equal(render('%U', bare), '1609645029.123456789');
  assert.equal(
    render('@Y-@m-@d @H:@M:@S.@N @z @Z @@', bare),
    '2021-01-03 00:07:09.123456789 -0330 NST @',
  );
  assert.equal(render('@N', bare, { time: { ms: 1000, ns: 5 } }), '000000005');
  // A character glibc's strftime does not know is printed after a %.
  assert.equal(render('@Q@E@ ', bare), '%Q%E% ');
});

test('escapes and literal text around parameters', () => {
  assert.equal(
    render('\\e[1m%t\\e[0m\\t%%\\0|\\a\\r\\n\\v\\\\', bare),
    '\x1b[1mfmt/b\x1b[0m\t%\0|\x07\r\n\x0b\\',
  );
});

test('%j: the message as mosquitto prints it, properties in the order received', () => {
  assert.equal(
    render('%j', full, { packetId: 1 }),
    '{"tst":"2021-01-03T00:07:09.123456Z-0330","topic":"fmt/a","qos":1,"retain":1,"payloadlen":11,"mid":1,' +
      '"properties":{"subscription-identifier":7,"content-type":"text/plain","response-topic":"reply/x",' +
      '"correlation-data":"corr1","payload-format-indicator":1,"user-properties":{"k1":"v1","k2":"v2","k1":"v3"},' +
      '"message-expiry-interval":3596},"payload":"hello world"}',
  );
  assert.equal(
    render('%j', bare),
    '{"tst":"2021-01-03T00:07:09.123456Z-0330","topic":"fmt/b","qos":0,"retain":1,"payloadlen":2,"payload":"ab"}',
  );
  assert.equal(
    render('%j', { ...bare, payload: Buffer.alloc(0), properties: {} }),
    '{"tst":"2021-01-03T00:07:09.123456Z-0330","topic":"fmt/b","qos":0,"retain":1,"payloadlen":0,"payload":null}',
  );
  // A payload is a C string to cJSON: escaped byte by byte and cut at a NUL.
  assert.match(
    render('%j', { ...bare, payload: Buffer.from('a\x01"\\\xc3\xa9\tb\0c', 'latin1') }),
    /"payloadlen":10,"payload":"a\\u0001\\"\\\\\xc3\xa9\\tb"}$/,
  );
  // Without a known packet id, mid is left out rather than invented.
  assert.doesNotMatch(render('%j', full), /"mid"/);
});

test('%J: a JSON payload is re-printed unformatted; other payloads are refused on stderr', () => {
  const json = { ...bare, payload: Buffer.from(' {"a" : [1, 2.50, true,null], "b":"\\u00e9"} ') };
  assert.equal(
    render('%J', json),
    '{"tst":"2021-01-03T00:07:09.123456Z-0330","topic":"fmt/b","qos":0,"retain":1,"payloadlen":44,' +
      '"payload":{"a":[1,2.5,true,null],"b":"\xc3\xa9"}}',
  );
  const warnings: string[] = [];
  const out = renderFormat(parseFormat('<%J>'), bare, {
    time: TIME,
    packetId: 0,
    warn: (l) => warnings.push(l),
  });
  assert.equal(out.toString(), '<>');
  assert.deepEqual(warnings, ['Error: Message payload is not valid JSON on topic fmt/b.']);
});

test('renderMessage appends a newline unless -N', () => {
  const o = { ...defaultOutput(), format: '%t:%p' };
  assert.equal(renderMessage(bare, o).toString(), 'fmt/b:ab\n');
  o.newline = false;
  assert.equal(renderMessage(bare, o).toString(), 'fmt/b:ab');
  assert.equal(renderMessage({ ...bare, qos: 2 }, { ...o, format: '%m' }, 77).toString(), '77');
  // By default the packet id is the message's own.
  assert.equal(
    renderMessage({ ...bare, qos: 1, packetId: 513 }, { ...o, format: '%m' }).toString(),
    '513',
  );
});

test('the print time follows the wall clock to the millisecond and carries digits below it (%U, @N)', () => {
  let subMs = 0;
  for (let i = 0; i < 200; i++) {
    const before = Date.now();
    const t = nowTime();
    const after = Date.now();
    assert.ok(t.ms >= before - 1 && t.ms <= after, `${t.ms} outside ${before}..${after}`);
    assert.ok(t.ns >= 0 && t.ns < 1e9 && Number.isInteger(t.ns));
    assert.equal(
      Math.floor(t.ns / 1e6),
      ((t.ms % 1000) + 1000) % 1000,
      'ns within the same millisecond',
    );
    if (t.ns % 1e6 !== 0) subMs++;
  }
  assert.ok(subMs > 100, `only ${subMs} of 200 readings had digits below the millisecond`);
});
