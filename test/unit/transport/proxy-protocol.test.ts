import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { ProxyHeader } from '../../../src/transport/proxy-protocol.js';
import {
  PROXY_V1_MAX_LENGTH,
  PROXY_V2_SIGNATURE,
  ProxyHeaderDecoder,
  parseProxyHeader,
} from '../../../src/transport/proxy-protocol.js';

/** An MQTT 3.1.1 CONNECT (client id `c`), the bytes that follow a header in real traffic. */
const CONNECT = Buffer.from('100d00044d5154540402003c000163', 'hex');

function header(buf: Buffer): ProxyHeader {
  const r = parseProxyHeader(buf);
  assert.equal(r.status, 'done', r.status === 'invalid' ? r.reason : 'incomplete');
  return (r as { header: ProxyHeader }).header;
}

function invalidReason(buf: Buffer): string {
  const r = parseProxyHeader(buf);
  assert.equal(r.status, 'invalid', `expected invalid, got ${r.status}`);
  return (r as { reason: string }).reason;
}

/** A v2 header: command (0 LOCAL, 1 PROXY), family byte, address block and TLVs. */
function v2(cmd: number, fam: number, addresses: Buffer, tlvs: Buffer = Buffer.alloc(0)): Buffer {
  const fixed = Buffer.alloc(4);
  fixed[0] = 0x20 | cmd;
  fixed[1] = fam;
  fixed.writeUInt16BE(addresses.length + tlvs.length, 2);
  return Buffer.concat([PROXY_V2_SIGNATURE, fixed, addresses, tlvs]);
}

function ipv4Block(src: number[], dst: number[], sport: number, dport: number): Buffer {
  const b = Buffer.alloc(12);
  Buffer.from(src).copy(b, 0);
  Buffer.from(dst).copy(b, 4);
  b.writeUInt16BE(sport, 8);
  b.writeUInt16BE(dport, 10);
  return b;
}

function ipv6Block(src: string, dst: string, sport: number, dport: number): Buffer {
  const b = Buffer.alloc(36);
  Buffer.from(src, 'hex').copy(b, 0);
  Buffer.from(dst, 'hex').copy(b, 16);
  b.writeUInt16BE(sport, 32);
  b.writeUInt16BE(dport, 34);
  return b;
}

function tlv(type: number, value: Buffer): Buffer {
  const b = Buffer.alloc(3);
  b[0] = type;
  b.writeUInt16BE(value.length, 1);
  return Buffer.concat([b, value]);
}

describe('PROXY protocol v1', () => {
  it('parses TCP4 and says where the header ends', () => {
    const text = 'PROXY TCP4 192.0.2.10 198.51.100.1 56324 1883\r\n';
    const h = header(Buffer.concat([Buffer.from(text), CONNECT]));
    assert.deepEqual(h, {
      version: 1,
      family: 'TCP4',
      sourceAddress: '192.0.2.10',
      sourcePort: 56324,
      destinationAddress: '198.51.100.1',
      destinationPort: 1883,
      length: text.length,
    });
  });

  it('parses TCP6', () => {
    const h = header(Buffer.from('PROXY TCP6 2001:db8::1 2001:db8::2 65535 0\r\n'));
    assert.equal(h.family, 'TCP6');
    assert.equal(h.sourceAddress, '2001:db8::1');
    assert.equal(h.destinationAddress, '2001:db8::2');
    assert.equal(h.sourcePort, 65535);
    assert.equal(h.destinationPort, 0);
  });

  it('UNKNOWN names no address, whatever follows it on the line', () => {
    for (const text of ['PROXY UNKNOWN\r\n', 'PROXY UNKNOWN ffff:f::1 ffff:f::2 1 2\r\n']) {
      const h = header(Buffer.from(text));
      assert.equal(h.family, 'UNKNOWN');
      assert.equal(h.sourceAddress, undefined);
      assert.equal(h.sourcePort, undefined);
      assert.equal(h.length, text.length);
    }
  });

  it('accepts a header of exactly 107 bytes and refuses 108', () => {
    // The longest legal line: UNKNOWN with filler up to the bound.
    const at = (n: number) => `PROXY UNKNOWN ${'x'.repeat(n - 16)}\r\n`;
    assert.equal(at(PROXY_V1_MAX_LENGTH).length, 107);
    assert.equal(header(Buffer.from(at(107))).length, 107);
    assert.match(invalidReason(Buffer.from(at(108))), /longer than 107/);
  });

  it('refuses a line without CRLF once 107 bytes are there, not before', () => {
    const line = Buffer.from(`PROXY TCP4 ${'1'.repeat(200)}`);
    assert.equal(parseProxyHeader(line.subarray(0, 106)).status, 'incomplete');
    assert.match(invalidReason(line.subarray(0, 107)), /longer than 107/);
  });

  const bad: Array<[string, string]> = [
    ['no header at all (an MQTT CONNECT)', CONNECT.toString('latin1')],
    ['lower-case keyword', 'proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n'],
    ['missing space after PROXY', 'PROXYTCP4 1.2.3.4 5.6.7.8 1 2\r\n'],
    ['unknown protocol', 'PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n'],
    ['too few fields', 'PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n'],
    ['too many fields', 'PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n'],
    ['double space', 'PROXY TCP4  1.2.3.4 5.6.7.8 1 2\r\n'],
    ['trailing space', 'PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n'],
    ['IPv4 part above 255', 'PROXY TCP4 1.2.3.256 5.6.7.8 1 2\r\n'],
    ['IPv4 with three parts', 'PROXY TCP4 1.2.3 5.6.7.8 1 2\r\n'],
    ['IPv4 with a leading zero', 'PROXY TCP4 1.2.3.04 5.6.7.8 1 2\r\n'],
    ['IPv4 with a letter', 'PROXY TCP4 1.2.3.a 5.6.7.8 1 2\r\n'],
    ['IPv6 address on TCP4', 'PROXY TCP4 ::1 5.6.7.8 1 2\r\n'],
    ['IPv4 address on TCP6', 'PROXY TCP6 1.2.3.4 ::1 1 2\r\n'],
    ['bad destination', 'PROXY TCP4 1.2.3.4 5.6.7 1 2\r\n'],
    ['IPv6 with a zone', 'PROXY TCP6 fe80::1%eth0 ::1 1 2\r\n'],
    ['IPv6 with a bad group', 'PROXY TCP6 2001:db8::g ::1 1 2\r\n'],
    ['port above 65535', 'PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n'],
    ['negative port', 'PROXY TCP4 1.2.3.4 5.6.7.8 -1 2\r\n'],
    ['port with a leading zero', 'PROXY TCP4 1.2.3.4 5.6.7.8 01 2\r\n'],
    ['port with a sign', 'PROXY TCP4 1.2.3.4 5.6.7.8 +1 2\r\n'],
    ['non-numeric port', 'PROXY TCP4 1.2.3.4 5.6.7.8 1 http\r\n'],
    ['empty port', 'PROXY TCP4 1.2.3.4 5.6.7.8 1 \r\n'],
    ['LF without CR', 'PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n'],
    ['CR followed by something else', 'PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rX'],
    ['a control byte', 'PROXY TCP4 1.2.3.4\t5.6.7.8 1 2\r\n'],
    ['a non-ASCII byte', 'PROXY TCP4 1.2.3.4 5.6.7.8 1 2\u00e9\r\n'],
  ];
  for (const [name, text] of bad) {
    it(`refuses ${name}`, () => {
      invalidReason(Buffer.from(text, 'latin1'));
    });
  }

  it('refuses a wrong first byte at once, and a wrong prefix as soon as it differs', () => {
    invalidReason(Buffer.from([0x10]));
    assert.equal(parseProxyHeader(Buffer.from('PROX')).status, 'incomplete');
    invalidReason(Buffer.from('PROXX'));
    invalidReason(Buffer.from('GET / HTTP/1.1\r\n'));
  });
});

describe('PROXY protocol v2', () => {
  it('parses PROXY over TCP/IPv4', () => {
    const buf = v2(1, 0x11, ipv4Block([203, 0, 113, 7], [10, 0, 0, 1], 40000, 8883));
    assert.deepEqual(header(Buffer.concat([buf, CONNECT])), {
      version: 2,
      family: 'TCP4',
      sourceAddress: '203.0.113.7',
      sourcePort: 40000,
      destinationAddress: '10.0.0.1',
      destinationPort: 8883,
      length: 28,
    });
  });

  it('parses PROXY over TCP/IPv6, in RFC 5952 text', () => {
    const buf = v2(
      1,
      0x21,
      ipv6Block('20010db8000000000000000000000001', '20010db800010000000000000000abcd', 1, 65535),
    );
    const h = header(buf);
    assert.equal(h.family, 'TCP6');
    assert.equal(h.sourceAddress, '2001:db8::1');
    assert.equal(h.destinationAddress, '2001:db8:1::abcd');
    assert.equal(h.sourcePort, 1);
    assert.equal(h.destinationPort, 65535);
    assert.equal(h.length, 52);
  });

  it('renders IPv4-mapped, all-zero, loopback and zero-free IPv6 addresses like Node does', () => {
    const at = (hex: string) =>
      header(v2(1, 0x21, ipv6Block(hex, '00000000000000000000000000000001', 1, 2))).sourceAddress;
    assert.equal(at('00000000000000000000ffffc0000201'), '::ffff:192.0.2.1');
    assert.equal(at('00000000000000000000000000000000'), '::');
    assert.equal(at('00000000000000000000000000000001'), '::1');
    assert.equal(at('00010002000300040005000600070008'), '1:2:3:4:5:6:7:8');
    // A single zero group is not shortened; the longest run (first on a tie) is.
    assert.equal(at('00010000000200030004000500060007'), '1:0:2:3:4:5:6:7');
    assert.equal(at('00010000000000020000000000030004'), '1::2:0:0:3:4');
    assert.equal(at('00010000000000020000000000000003'), '1:0:0:2::3');
    assert.equal(at('fe800000000000000000000000000000'), 'fe80::');
  });

  it('skips TLVs (AWS VPC endpoint id, ALPN, a NOOP padding) and keeps the bytes after them', () => {
    const tlvs = Buffer.concat([
      tlv(0xea, Buffer.from('\x01vpce-0123456789abcdef', 'latin1')),
      tlv(0x01, Buffer.from('mqtt')),
      tlv(0x04, Buffer.alloc(5)),
      tlv(0x02, Buffer.alloc(0)),
    ]);
    const buf = v2(1, 0x11, ipv4Block([1, 2, 3, 4], [5, 6, 7, 8], 1, 2), tlvs);
    const d = new ProxyHeaderDecoder();
    const r = d.push(Buffer.concat([buf, CONNECT]));
    assert.equal(r.status, 'done');
    if (r.status !== 'done') return;
    assert.equal(r.header.sourceAddress, '1.2.3.4');
    assert.equal(r.header.length, buf.length);
    assert.deepEqual(r.rest, CONNECT);
  });

  it('LOCAL keeps the socket address whatever family and block it carries', () => {
    for (const buf of [
      v2(0, 0x00, Buffer.alloc(0)),
      v2(0, 0x11, ipv4Block([1, 2, 3, 4], [5, 6, 7, 8], 1, 2)),
      v2(0, 0x77, Buffer.alloc(3)),
    ]) {
      const h = header(buf);
      assert.equal(h.family, 'UNKNOWN');
      assert.equal(h.sourceAddress, undefined);
      assert.equal(h.length, buf.length);
    }
  });

  it('PROXY with an unspecified family or a UNIX socket names no IP address', () => {
    assert.equal(header(v2(1, 0x00, Buffer.alloc(0))).sourceAddress, undefined);
    const unix = header(v2(1, 0x31, Buffer.alloc(216)));
    assert.equal(unix.family, 'UNIX');
    assert.equal(unix.sourceAddress, undefined);
  });

  it('parses UDP families (addresses are still the client)', () => {
    const h = header(v2(1, 0x12, ipv4Block([9, 9, 9, 9], [8, 8, 8, 8], 5, 6)));
    assert.equal(h.family, 'UDP4');
    assert.equal(h.sourceAddress, '9.9.9.9');
  });

  it('refuses a bad signature as soon as a byte differs', () => {
    const sig = Buffer.from(PROXY_V2_SIGNATURE);
    assert.equal(parseProxyHeader(sig.subarray(0, 5)).status, 'incomplete');
    sig[5] = 0x00;
    assert.match(invalidReason(sig.subarray(0, 6)), /signature/);
    const full = v2(1, 0x11, ipv4Block([1, 2, 3, 4], [5, 6, 7, 8], 1, 2));
    full[11] = 0x0b;
    assert.match(invalidReason(full), /signature/);
  });

  it('refuses a version other than 2 and a command other than LOCAL or PROXY', () => {
    for (const verCmd of [0x11, 0x31, 0x22, 0x2f, 0x00]) {
      const buf = v2(1, 0x11, ipv4Block([1, 2, 3, 4], [5, 6, 7, 8], 1, 2));
      buf[12] = verCmd;
      assert.match(invalidReason(buf), /version or command/);
      // Already at the 13th byte, without waiting for the rest.
      assert.match(invalidReason(buf.subarray(0, 13)), /version or command/);
    }
  });

  it('refuses an unknown family or protocol byte', () => {
    for (const fam of [0x01, 0x10, 0x13, 0x20, 0x33, 0x41, 0xff]) {
      assert.match(invalidReason(v2(1, fam, Buffer.alloc(216))), /family/);
    }
  });

  it('refuses a length too short for the address family', () => {
    assert.match(invalidReason(v2(1, 0x11, Buffer.alloc(11))), /length/);
    assert.match(invalidReason(v2(1, 0x21, Buffer.alloc(35))), /length/);
    assert.match(invalidReason(v2(1, 0x31, Buffer.alloc(215))), /length/);
    // Known from the 16 fixed bytes alone.
    assert.match(invalidReason(v2(1, 0x21, Buffer.alloc(12)).subarray(0, 16)), /length/);
  });

  it('refuses TLVs that overrun or do not fill the block (a wrong length)', () => {
    const addr = ipv4Block([1, 2, 3, 4], [5, 6, 7, 8], 1, 2);
    const good = tlv(0x01, Buffer.from('mqtt'));
    // A TLV claiming more bytes than the block holds.
    const over = Buffer.from(good);
    over.writeUInt16BE(5, 1);
    assert.match(invalidReason(v2(1, 0x11, addr, over)), /TLV/);
    // Leftover bytes too few for a TLV header.
    assert.match(invalidReason(v2(1, 0x11, addr, Buffer.concat([good, Buffer.alloc(2)]))), /TLV/);
  });

  it('a length longer than what arrived waits for more (and the rest is never taken early)', () => {
    const buf = v2(1, 0x11, ipv4Block([1, 2, 3, 4], [5, 6, 7, 8], 1, 2));
    // Claims 4 bytes more than the address block: a 4-byte field the peer has not sent yet.
    buf.writeUInt16BE(16, 14);
    assert.equal(parseProxyHeader(buf).status, 'incomplete');
    // What then arrives is taken as the header's TLV area: MQTT bytes do not form valid TLVs.
    assert.match(invalidReason(Buffer.concat([buf, CONNECT])), /TLV/);
  });
});

describe('ProxyHeaderDecoder', () => {
  const inputs: Array<[string, Buffer]> = [
    ['v1 TCP4', Buffer.from('PROXY TCP4 192.0.2.10 198.51.100.1 56324 1883\r\n')],
    ['v1 TCP6', Buffer.from('PROXY TCP6 ::ffff:192.0.2.1 ::1 56324 1883\r\n')],
    ['v1 UNKNOWN', Buffer.from('PROXY UNKNOWN\r\n')],
    ['v2 IPv4', v2(1, 0x11, ipv4Block([192, 0, 2, 10], [198, 51, 100, 1], 56324, 1883))],
    [
      'v2 IPv6 with a TLV',
      v2(
        1,
        0x21,
        ipv6Block('20010db8000000000000000000000001', '20010db8000000000000000000000002', 7, 8),
        tlv(0x05, Buffer.from('unique-id')),
      ),
    ],
    ['v2 LOCAL', v2(0, 0x00, Buffer.alloc(0))],
  ];

  for (const [name, hdr] of inputs) {
    it(`${name}: fed byte by byte, the header completes at its last byte and nothing is lost`, () => {
      const whole = header(hdr);
      const stream = Buffer.concat([hdr, CONNECT]);
      const d = new ProxyHeaderDecoder();
      for (let i = 0; i < hdr.length - 1; i++) {
        assert.equal(d.push(stream.subarray(i, i + 1)).status, 'incomplete', `byte ${i}`);
        assert.equal(d.buffered, i + 1);
      }
      // The last header byte arrives together with the whole CONNECT.
      const r = d.push(stream.subarray(hdr.length - 1));
      assert.equal(r.status, 'done');
      if (r.status !== 'done') return;
      assert.deepEqual(r.header, whole);
      assert.deepEqual(r.rest, CONNECT);
      assert.equal(d.buffered, 0);
    });
  }

  it('any split of header and MQTT bytes into chunks gives the same header and rest', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...inputs.map(([, h]) => h)),
        fc.array(fc.integer({ min: 1, max: 40 }), { maxLength: 30 }),
        (hdr, cuts) => {
          const stream = Buffer.concat([hdr, CONNECT]);
          const d = new ProxyHeaderDecoder();
          let p = 0;
          let rest: Buffer | undefined;
          for (const n of [...cuts, stream.length]) {
            if (p >= stream.length) break;
            const r = d.push(stream.subarray(p, p + n));
            p = Math.min(stream.length, p + n);
            if (r.status === 'invalid') return false;
            if (r.status === 'done') {
              assert.deepEqual(r.header, header(hdr));
              rest = Buffer.concat([r.rest, stream.subarray(p)]);
              break;
            }
          }
          assert.deepEqual(rest, CONNECT);
          return true;
        },
      ),
      { numRuns: 300 },
    );
  });

  it('never buffers more than one v1 line of junk', () => {
    const d = new ProxyHeaderDecoder();
    for (let i = 0; i < 106; i++)
      assert.equal(d.push(Buffer.from(i < 6 ? ('PROXY '[i] as string) : 'a')).status, 'incomplete');
    assert.equal(d.push(Buffer.from('a')).status, 'invalid');
    assert.equal(d.buffered, 0);
  });

  it('random bytes never throw', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const b = Buffer.from(bytes);
        parseProxyHeader(b);
        // Also with a valid opening, so the deeper checks see random input.
        parseProxyHeader(Buffer.concat([PROXY_V2_SIGNATURE, b]));
        parseProxyHeader(Buffer.concat([Buffer.from('PROXY '), b]));
        return true;
      }),
      { numRuns: 500 },
    );
  });
});
