import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { md5Hex } from '../../src/adapters/probes/digest.js';
import { decodeAnswerHead, dnsTypeCode, encodeQuery } from '../../src/adapters/probes/dns-message.js';
import { parseHexString, replyMatches } from '../../src/adapters/probes/hex-string.js';
import { buildHttpRequest } from '../../src/adapters/probes/http-request.js';
import { HttpResponseReader, parseStatusCode, statusAccepted } from '../../src/adapters/probes/http-response.js';
import { decodeEcho, encodeEchoRequest, internetChecksum } from '../../src/adapters/probes/icmp.js';
import { findGroup, findUser } from '../../src/adapters/probes/passwd.js';
import { takeReply } from '../../src/adapters/probes/smtp-reply.js';
import { dumpBuffer, parseArgs } from '../../src/cli/genhash.js';

const bytes = fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a));

describe('DNS messages', () => {
  it('encodes a query as RFC 1035 says (RD set, one IN question)', () => {
    const q = encodeQuery(0x1234, 'www.example.', dnsTypeCode('a'));
    expect('error' in q).toBe(false);
    expect((q as Buffer).toString('hex')).toBe('123401000001000000000000' + '03777777076578616d706c6500' + '00010001');
    expect((encodeQuery(1, '.', dnsTypeCode(undefined)) as Buffer).subarray(12).toString('hex')).toBe('0000060001');
    expect(dnsTypeCode('BOGUS')).toBe(6); // keepalived falls back to SOA
    expect(encodeQuery(1, 'a..b', 1)).toEqual({ error: 'empty label in a..b' });
    expect('error' in (encodeQuery(1, 'x'.repeat(64), 1) as object)).toBe(true);
  });

  test.prop([fc.integer({ min: 0, max: 0xffff }), fc.array(fc.stringMatching(/^[a-z0-9-]{1,20}$/), { maxLength: 5 }), fc.constantFrom('A', 'AAAA', 'SOA', 'MX', 'TXT', 'NS', 'CNAME')])(
    'a query decodes back to its id and question',
    (id, labels, type) => {
      const name = labels.join('.');
      const q = encodeQuery(id, name, dnsTypeCode(type)) as Buffer;
      const d = decodeAnswerHead(q);
      expect(d.ok).toBe(true);
      if (d.ok) {
        expect(d.value).toMatchObject({ id, qr: false, rcode: 0, qdcount: 1 });
        expect(d.value.question).toEqual({ name, type: dnsTypeCode(type), klass: 1 });
      }
    },
  );

  test.prop([bytes])('the answer decoder never throws on any bytes', (b) => {
    const d = decodeAnswerHead(b);
    expect(typeof d.ok).toBe('boolean');
  });

  it('follows compression pointers and stops a pointer loop', () => {
    const loop = Buffer.from('000100000001000000000000' + 'c00c00010001', 'hex');
    loop.writeUInt16BE(0x8180, 2);
    // question name at 12 is a pointer to itself
    expect(decodeAnswerHead(loop)).toEqual({ ok: false, error: 'question: compression loop' });
  });
});

describe('ICMP echo', () => {
  it('an IPv4 echo request carries a valid checksum', () => {
    const b = encodeEchoRequest(4, 0x4242, 7, Buffer.from('ping'));
    expect(b[0]).toBe(8);
    expect(internetChecksum(b)).toBe(0);
  });
  test.prop([bytes])('decodeEcho never throws', (b) => {
    expect(typeof decodeEcho(4, b).ok).toBe('boolean');
    expect(typeof decodeEcho(6, b).ok).toBe('boolean');
  });
  it('skips the IPv4 header of a raw-socket read', () => {
    const icmp = encodeEchoRequest(4, 9, 10, Buffer.alloc(4));
    icmp[0] = 0;
    const ip = Buffer.concat([Buffer.from('4500002000000000400100000000000000000000', 'hex'), icmp]);
    expect(decodeEcho(4, ip)).toMatchObject({ ok: true, value: { type: 0, id: 9, seq: 10 } });
  });
});

describe('HEX_STR', () => {
  it('reads keepalived.conf(5)\'s example', () => {
    const p = parseHexString('Ab12f 3 456 546443123');
    expect('error' in p).toBe(false);
    expect((p as { data: Buffer }).data.toString('hex')).toBe('ab120f03450654644312' + '03');
  });
  it('X nibbles are wildcards in require_reply, errors elsewhere', () => {
    const p = parseHexString('cX 0x', true) as { data: Buffer; mask: Buffer };
    expect(replyMatches(Buffer.from([0xc7, 0x05]), p)).toBe(true);
    expect(replyMatches(Buffer.from([0xd7, 0x05]), p)).toBe(false);
    expect(replyMatches(Buffer.from([0xc7]), p)).toBe(true); // only the shorter length is compared
    expect(parseHexString('cX')).toMatchObject({ error: expect.stringContaining("'X'") });
    expect(parseHexString('  ')).toEqual({ error: 'empty hex string' });
  });
});

describe('HTTP request and response', () => {
  it('builds keepalived\'s request for IPv6 without a virtualhost', () => {
    expect(buildHttpRequest({ path: '/', protocol: '1.0', host: '2001:db8::2', port: 80, family: 6 })).toBe(
      'GET / HTTP/1.0\r\nUser-Agent: KeepAliveClient\r\nHost: [2001:db8::2]:80\r\n\r\n',
    );
  });

  it('reads the status code as keepalived does', () => {
    expect(parseStatusCode(Buffer.from('HTTP/1.1 204 No Content\r\n'))).toBe(204);
    expect(parseStatusCode(Buffer.from('HTTP/1.0 200\r\n'))).toBe(200);
    expect(parseStatusCode(Buffer.from('HTTP/1.0 2000 OK\r\n'))).toBe(0);
    expect(parseStatusCode(Buffer.from('SSH-2.0-OpenSSH\r\n'))).toBe(0);
    expect(statusAccepted(299, [])).toBe(true);
    expect(statusAccepted(301, [])).toBe(false);
    expect(statusAccepted(404, [[200, 299], [404, 404]])).toBe(true);
  });

  it('hashes only Content-Length bytes and says when it has them all', () => {
    const r = new HttpResponseReader();
    expect(r.push(Buffer.from('HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nab'))).toBe('more');
    expect(r.push(Buffer.from('cdef'))).toBe('complete');
    expect(r.bodyBytes).toBe(3);
    expect(r.digestBytes().toString('hex')).toBe(md5Hex('abc'));
  });

  test.prop([fc.uint8Array({ maxLength: 400 }), fc.array(fc.nat(400), { maxLength: 6 })])(
    'any split of a response into chunks gives the same head, body length and digest',
    (bodyArr, cuts) => {
      const body = Buffer.from(bodyArr);
      const whole = Buffer.concat([Buffer.from('HTTP/1.1 200 OK\r\nX: y\r\n\r\n'), body]);
      const points = [...new Set(cuts.map((c) => c % (whole.length + 1)))].sort((a, b) => a - b);
      const r = new HttpResponseReader();
      let prev = 0;
      for (const p of [...points, whole.length]) {
        r.push(whole.subarray(prev, p));
        prev = p;
      }
      expect(r.head?.statusCode).toBe(200);
      expect(r.bodyBytes).toBe(body.length);
      expect(r.digestBytes().toString('hex')).toBe(md5Hex(body));
    },
  );

  test.prop([fc.array(bytes, { maxLength: 8 })])('the response reader never throws on any bytes', (chunks) => {
    const r = new HttpResponseReader({ maxHeaderBytes: 256, keepBodyBytes: 64 });
    for (const c of chunks) {
      const res = r.push(c);
      expect(['more', 'complete', 'header-too-large']).toContain(res);
    }
    r.digestBytes();
  });
});

describe('SMTP replies', () => {
  it('takes a single-line and a multi-line reply', () => {
    expect(takeReply(Buffer.from('220 hi\r\n'))).toEqual({ code: 220, used: 8 });
    expect(takeReply(Buffer.from('250-a\r\n250-b\r\n250 c\r\n'))).toEqual({ code: 250, used: 21 });
    expect(takeReply(Buffer.from('250-a\r\n250'))).toBe('incomplete');
    expect(takeReply(Buffer.from('hello\r\n'))).toBe('garbage');
  });
  test.prop([bytes])('never throws', (b) => {
    const r = takeReply(b);
    expect(r === 'incomplete' || r === 'garbage' || typeof r.code === 'number').toBe(true);
  });
});

describe('passwd and group lookups', () => {
  const passwd = 'root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n';
  it('finds users and groups by name or number', () => {
    expect(findUser(passwd, 'nobody')).toEqual({ uid: 65534, gid: 65534 });
    expect(findUser(passwd, '0')).toEqual({ uid: 0, gid: 0 });
    expect(findUser(passwd, 'ghost')).toBeUndefined();
    expect(findGroup('nogroup:x:65534:\n', 'nogroup')).toBe(65534);
    expect(findGroup('', '42')).toBe(42);
  });
});

describe('genhash', () => {
  it('dumps buffers exactly as keepalived\'s genhash -v (lines taken from keepalived 2.2.7)', () => {
    expect(dumpBuffer(Buffer.from('HTTP/1.0 404 Not Found\r\nContent-Length: 40\r\n\r\n'))).toBe(
      '0000  48 54 54 50 2f 31 2e 30 - 20 34 30 34 20 4e 6f 74   HTTP/1.0 404 Not\n' +
        '0016  20 46 6f 75 6e 64 0d 0a - 43 6f 6e 74 65 6e 74 2d    Found..Content-\n' +
        '0032  4c 65 6e 67 74 68 3a 20 - 34 30 0d 0a 0d 0a         Length: 40....  \n',
    );
    expect(dumpBuffer(Buffer.from([0x6f, 0x64, 0x79, 0x01, 0x02]))).toBe(
      '0000  6f 64 79 01 02          -                           ody..           \n',
    );
  });

  it('parses getopt-style arguments', () => {
    expect(parseArgs(['-s', '192.0.2.2', '-p', '80', '-u', '/'])).toMatchObject({
      kind: 'run',
      opts: { server: '192.0.2.2', port: 80, url: '/', ssl: false, protocol: '1.0', verbose: false },
    });
    expect(parseArgs(['-vS', '-s192.0.2.2', '--port=443', '--url', '/x', '-P', '1.0c', '-t', '3', '-I', '-V', 'h.example'])).toMatchObject({
      kind: 'run',
      opts: { verbose: true, ssl: true, sni: true, port: 443, url: '/x', protocol: '1.0C', timeoutS: 3, virtualhost: 'h.example' },
    });
    expect(parseArgs(['-h'])).toEqual({ kind: 'help' });
    expect(parseArgs(['-s', 'www.example', '-p', '80', '-u', '/'])).toEqual({ kind: 'error', message: 'server should be an IP, not www.example' });
    expect(parseArgs(['-s', '192.0.2.2', '-p', '0', '-u', '/'])).toEqual({ kind: 'error', message: "invalid port number '0'" });
    expect(parseArgs(['-s', '192.0.2.2', '-u', '/'])).toEqual({ kind: 'error' });
    expect(parseArgs(['-s', '192.0.2.2', '-p', '80', '-u', '/', 'extra'])).toMatchObject({ kind: 'error' });
    expect(parseArgs(['-P', '2.0', '-s', '192.0.2.2', '-p', '80', '-u', '/'])).toMatchObject({ kind: 'error' });
  });
});
