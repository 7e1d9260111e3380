/**
 * The IPVS generic netlink codec against the attribute layout of include/uapi/linux/ip_vs.h, byte by
 * byte, plus round trips and totality (any bytes in, a value or a typed error out).
 * The same codec is checked against a real kernel and ipvsadm inside the VM (test/ipvs-vm/).
 */
import { describe, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import {
  IPVS_CMD,
  IP_VS_CONN_F,
  IP_VS_STATE,
  IP_VS_SVC_F,
  IPPROTO_TCP,
  IPPROTO_UDP,
  decodeConfigMessage,
  decodeDaemonMessage,
  decodeDestMessage,
  decodeInfoMessage,
  decodeServiceMessage,
  formatIpvsVersion,
  identityKey,
  ipvsRequest,
  type IpvsDestSpec,
  type IpvsServiceSpec,
} from '../../src/protocol/ipvs.js';
import { attr, decodeFamilyId, decodeNlmsgs, encodeAttrs, encodeGenlPayload, encodeGetFamily, encodeNlmsg, NLMSG_DONE } from '../../src/protocol/genetlink.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

const web: IpvsServiceSpec = {
  family: 'ipv4',
  protocol: IPPROTO_TCP,
  address: '192.0.2.10',
  port: 80,
  schedName: 'rr',
  flags: IP_VS_SVC_F.PERSISTENT,
  timeout: 300,
  netmask: 0xffffff00,
};

describe('requests, byte for byte', () => {
  it('NEW_SERVICE for TCP 192.0.2.10:80 rr persistent 300 mask 255.255.255.0 has the ip_vs.h layout', () => {
    const expected = [
      '01010000', // genlmsghdr: cmd NEW_SERVICE (1), version 1, reserved
      '54000100', // CMD_ATTR_SERVICE (1), nested, 84 bytes
      '0600' + '0100' + '0200' + '0000', // SVC_ATTR_AF u16 = AF_INET (2), padded
      '0600' + '0200' + '0600' + '0000', // PROTOCOL u16 = 6
      '1400' + '0300' + 'c000020a' + '00'.repeat(12), // ADDR: 16-byte nf_inet_addr, IPv4 first
      '0600' + '0400' + '0050' + '0000', // PORT: 80 in network order
      '0700' + '0600' + '727200' + '00', // SCHED_NAME "rr\0", padded
      '0c00' + '0700' + '01000000' + 'ffffffff', // FLAGS: struct ip_vs_flags { flags, mask }
      '0800' + '0800' + '2c010000', // TIMEOUT u32 = 300
      '0800' + '0900' + 'ffffff00', // NETMASK __be32 = 255.255.255.0
    ].join('');
    expect(hex(ipvsRequest.newService(web))).toBe(expected);
  });

  it('an IPv6 service sends 16 address bytes and its prefix length as a host-order u32', () => {
    const b = ipvsRequest.newService({ ...web, family: 'ipv6', address: '2001:db8::80', port: 443, netmask: 64 });
    const h = hex(b);
    expect(h).toContain('0600' + '0100' + '0a00'); // AF_INET6 = 10
    expect(h).toContain('1400' + '0300' + '20010db8' + '00'.repeat(10) + '0080');
    expect(h).toContain('0600' + '0400' + '01bb'); // 443, network order
    expect(h.endsWith('0800' + '0900' + '40000000')).toBe(true); // 64, as the kernel compares it
  });

  it('a fwmark service is named by AF and FWMARK only', () => {
    expect(hex(ipvsRequest.delService({ family: 'ipv4', fwmark: 617443 }))).toBe(
      '03010000' + '14000100' + '060001000200' + '0000' + '08000500' + 'e36b0900' // 617443 = 0x96be3,
    );
  });

  it('NEW_DEST carries the service identity and the full dest: method, weight, thresholds', () => {
    const d: IpvsDestSpec = { address: '198.51.100.11', port: 8080, family: 'ipv4', fwdMethod: IP_VS_CONN_F.DROUTE, weight: 3, uThresh: 1000, lThresh: 100 };
    const h = hex(ipvsRequest.newDest({ family: 'ipv4', protocol: IPPROTO_TCP, address: '192.0.2.10', port: 80 }, d));
    const svc = '0600010002000000' + '0600020006000000' + '14000300c000020a' + '00'.repeat(12) + '0600040000500000';
    const dest =
      '14000100c633640b' + '00'.repeat(12) + // DEST_ATTR_ADDR
      '060002001f900000' + // PORT 8080 network order
      '06000b0002000000' + // ADDR_FAMILY AF_INET
      '0800030003000000' + // FWD_METHOD DROUTE
      '0800040003000000' + // WEIGHT 3
      '08000500e8030000' + // U_THRESH 1000
      '0800060064000000'; // L_THRESH 100
    // Service identity: 4 + 8 + 8 + 20 + 8 = 48 bytes; dest: 4 + 20 + 8 + 8 + 4 × 8 = 72.
    expect(h).toBe('05010000' + '30000100' + svc + '48000200' + dest);
  });

  it('SET_CONFIG sends only the timeouts given; FLUSH and GET_SERVICE carry nothing', () => {
    expect(hex(ipvsRequest.setConfig({ tcp: 7200, udp: 90 }))).toBe('0c010000' + '08000400201c0000' + '080006005a000000');
    expect(hex(ipvsRequest.flush())).toBe('11010000');
    expect(hex(ipvsRequest.getServices())).toBe('04010000');
  });

  it('NEW_DAEMON: state, interface, sync id, then the optional group and port', () => {
    const h = hex(ipvsRequest.newDaemon({ state: IP_VS_STATE.BACKUP, mcastIfn: 'eth1', syncId: 51, mcastGroup: '224.0.0.81', mcastPort: 8848 }));
    expect(h).toBe(
      '09010000' + '30000300' + // 4 + 8 + 12 + 8 + 8 + 8 = 48
         '0800010002000000' + '0900020065746831' + '00000000' + '0800030033000000' + '08000500e0000051' + '060007009022' + '0000',
    );
  });

  it('names longer than the kernel takes and non-addresses are programming errors', () => {
    expect(() => ipvsRequest.newService({ ...web, schedName: 'a-scheduler-name-too-long' })).toThrow(RangeError);
    expect(() => ipvsRequest.newService({ ...web, address: 'not-an-address' })).toThrow(RangeError);
  });

  it('CTRL_CMD_GETFAMILY asks for "IPVS" and the reply gives its id', () => {
    expect(hex(encodeGetFamily('IPVS'))).toBe('03010000' + '0900' + '0200' + '4950565300' + '000000');
    const reply = encodeGenlPayload(1, 1, [attr.string(2, 'IPVS'), attr.u16(1, 32)]);
    expect(decodeFamilyId(reply)).toEqual({ ok: true, value: 32 });
  });
});

describe('dump replies', () => {
  it('a service as the kernel reports it: HASHED dropped, STATS64 read', () => {
    const flags = Buffer.alloc(8);
    flags.writeUInt32LE(IP_VS_SVC_F.PERSISTENT | IP_VS_SVC_F.HASHED | IP_VS_SVC_F.SCHED2, 0);
    flags.writeUInt32LE(0xffffffff, 4);
    const u64 = (t: number, v: bigint) => {
      const b = Buffer.alloc(8);
      b.writeBigUInt64LE(v);
      return attr.bytes(t, b);
    };
    const payload = encodeGenlPayload(IPVS_CMD.NEW_SERVICE, 1, [
      attr.nested(1, [
        attr.u16(1, 2),
        attr.u16(2, IPPROTO_UDP),
        attr.bytes(3, Buffer.concat([Buffer.from([192, 0, 2, 12]), Buffer.alloc(12)])),
        attr.be16(4, 53),
        attr.string(6, 'sh'),
        attr.bytes(7, flags),
        attr.u32(8, 60),
        attr.be32(9, 0xffffffff),
        attr.nested(12, [u64(1, 5n), u64(4, 1234n)]),
      ]),
    ]);
    const r = decodeServiceMessage(payload);
    expect(r).toEqual({
      ok: true,
      value: {
        family: 'ipv4',
        protocol: IPPROTO_UDP,
        address: '192.0.2.12',
        port: 53,
        schedName: 'sh',
        flags: IP_VS_SVC_F.PERSISTENT | IP_VS_SVC_F.SCHED2,
        timeout: 60,
        netmask: 0xffffffff,
        stats: { conns: 5n, inpkts: 0n, outpkts: 0n, inbytes: 1234n, outbytes: 0n, cps: 0n, inpps: 0n, outpps: 0n, inbps: 0n, outbps: 0n },
      },
    });
  });

  it('a dest: address, port, method, signed weight, thresholds and connection counts', () => {
    const payload = encodeGenlPayload(IPVS_CMD.NEW_DEST, 1, [
      attr.nested(2, [
        attr.bytes(1, Buffer.concat([Buffer.from([198, 51, 100, 1]), Buffer.alloc(12)])),
        attr.be16(2, 8080),
        attr.u32(3, IP_VS_CONN_F.MASQ),
        attr.u32(4, 7),
        attr.u32(5, 100),
        attr.u32(6, 10),
        attr.u32(7, 2),
        attr.u32(8, 9),
        attr.u32(9, 0),
        attr.u16(11, 2),
      ]),
    ]);
    expect(decodeDestMessage(payload, 'ipv4')).toEqual({
      ok: true,
      value: { address: '198.51.100.1', port: 8080, family: 'ipv4', fwdMethod: 0, weight: 7, uThresh: 100, lThresh: 10, activeConns: 2, inactConns: 9, persistConns: 0 },
    });
  });

  it('config, info and daemon replies', () => {
    expect(decodeConfigMessage(encodeGenlPayload(IPVS_CMD.SET_CONFIG, 1, [attr.u32(4, 900), attr.u32(5, 120), attr.u32(6, 300)]))).toEqual({
      ok: true,
      value: { tcp: 900, tcpFin: 120, udp: 300 },
    });
    const info = decodeInfoMessage(encodeGenlPayload(IPVS_CMD.SET_INFO, 1, [attr.u32(1, 0x010201), attr.u32(2, 4096)]));
    expect(info.ok && formatIpvsVersion(info.value.version)).toBe('1.2.1');
    const d = decodeDaemonMessage(ipvsRequest.newDaemon({ state: IP_VS_STATE.MASTER, mcastIfn: 'eth1', syncId: 7, mcastTtl: 3 }));
    expect(d).toEqual({ ok: true, value: { state: 1, mcastIfn: 'eth1', syncId: 7, mcastTtl: 3 } });
  });

  it('typed errors: wrong command, missing attributes, unknown family', () => {
    expect(decodeServiceMessage(ipvsRequest.flush())).toMatchObject({ ok: false, reason: 'unexpected-command' });
    expect(decodeServiceMessage(encodeGenlPayload(IPVS_CMD.NEW_SERVICE, 1, []))).toMatchObject({ ok: false, reason: 'missing-attribute' });
    expect(decodeServiceMessage(encodeGenlPayload(IPVS_CMD.NEW_SERVICE, 1, [attr.nested(1, [attr.u16(1, 99)])]))).toMatchObject({
      ok: false,
      reason: 'bad-family',
    });
    expect(decodeServiceMessage(Buffer.from([1, 1, 0, 0, 0xff, 0, 1, 0]))).toMatchObject({ ok: false, reason: 'truncated' });
  });

  it('identity keys read as ipvsadm prints services', () => {
    expect(identityKey(web)).toBe('TCP 192.0.2.10:80');
    expect(identityKey({ family: 'ipv6', protocol: IPPROTO_TCP, address: '2001:db8::1', port: 443 })).toBe('TCP [2001:db8::1]:443');
    expect(identityKey({ family: 'ipv6', fwmark: 8 })).toBe('FWM 8 IPv6');
  });
});

describe('netlink framing', () => {
  it('nlmsghdr: length, type, flags, seq, pid little-endian; messages split back', () => {
    const m = encodeNlmsg({ type: 32, flags: 0x305, seq: 7, pid: 0 }, ipvsRequest.getServices());
    expect(hex(m)).toBe('14000000' + '2000' + '0503' + '07000000' + '00000000' + '04010000');
    const two = Buffer.concat([m, encodeNlmsg({ type: NLMSG_DONE, flags: 2, seq: 7, pid: 0 }, Buffer.alloc(4))]);
    const r = decodeNlmsgs(two);
    expect(r.ok && r.value.map((x) => [x.type, x.seq, x.payload.length])).toEqual([
      [32, 7, 4],
      [NLMSG_DONE, 7, 4],
    ]);
  });

  it('attributes are padded to 4 bytes and nest', () => {
    expect(hex(encodeAttrs([attr.u8(13, 1), attr.nested(2, [attr.string(6, 'wlc')])]))).toBe('05000d0001000000' + '0c000200' + '08000600776c6300');
  });
});

const arbService: fc.Arbitrary<IpvsServiceSpec> = fc.oneof(
  fc.record({
    family: fc.constant('ipv4' as const),
    protocol: fc.constantFrom(6, 17, 132),
    address: fc.ipV4(),
    port: fc.integer({ min: 0, max: 65535 }),
    schedName: fc.constantFrom('rr', 'wrr', 'sh', 'mh', 'lblcr'),
    flags: fc.integer({ min: 0, max: 0x3d }).map((f) => f & ~IP_VS_SVC_F.HASHED),
    timeout: fc.nat(),
    netmask: fc.integer({ min: 0, max: 0xffffffff }),
  }),
  fc.record({
    family: fc.constant('ipv6' as const),
    fwmark: fc.integer({ min: 1, max: 0xffffffff }),
    schedName: fc.constantFrom('rr', 'sed', 'nq'),
    flags: fc.constantFrom(0, 1, 4, 9),
    timeout: fc.nat(),
    netmask: fc.integer({ min: 1, max: 128 }),
  }),
);

describe('properties', () => {
  test.prop([arbService])('a service survives NEW_SERVICE encode → decode unchanged', (s) => {
    const r = decodeServiceMessage(ipvsRequest.newService(s));
    expect(r).toEqual({ ok: true, value: s });
  });

  test.prop([
    fc.record({
      address: fc.ipV4(),
      port: fc.integer({ min: 0, max: 65535 }),
      family: fc.constant('ipv4' as const),
      fwdMethod: fc.constantFrom(0, 2, 3),
      weight: fc.integer({ min: 0, max: 65535 }),
      uThresh: fc.nat(),
      lThresh: fc.nat(),
    }),
  ])('a dest survives NEW_DEST encode → decode unchanged', (d) => {
    const r = decodeDestMessage(ipvsRequest.newDest({ family: 'ipv4', fwmark: 1 }, d), 'ipv4');
    expect(r).toEqual({ ok: true, value: { ...d, activeConns: 0, inactConns: 0, persistConns: 0 } });
  });

  test.prop([fc.uint8Array({ maxLength: 300 })])('any bytes: every decoder returns a value or a typed error, never throws', (bytes) => {
    for (const r of [
      decodeServiceMessage(bytes),
      decodeDestMessage(bytes, 'ipv6'),
      decodeDaemonMessage(bytes),
      decodeConfigMessage(bytes),
      decodeInfoMessage(bytes),
      decodeNlmsgs(bytes),
      decodeFamilyId(bytes),
    ]) {
      expect(typeof r.ok).toBe('boolean');
    }
  });

  test.prop([arbService, fc.nat({ max: 200 }), fc.integer({ min: 0, max: 255 })])(
    'a real reply with one byte changed still decodes to a value or a typed error',
    (s, at, v) => {
      const b = Buffer.from(ipvsRequest.newService(s));
      b[at % b.length] = v;
      const r = decodeServiceMessage(b);
      expect(typeof r.ok).toBe('boolean');
    },
  );
});
