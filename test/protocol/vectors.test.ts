/**
 * Byte-exact against the real keepalived 2.2.7: every packet in ./vectors (captured on a bridge,
 * decoded by tshark -V -x). The expected values are read from tshark's decode text, never typed in.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  buildIpv4Header,
  decodeArpFrame,
  decodeVrrp,
  encodeGratuitousArp,
  encodeVrrp,
  formatMac,
  IPPROTO_VRRP,
  parseIpv4Packet,
  validateAdvert,
} from '../../src/protocol/index.js';
import { allFields, field, readVectors } from './pcap.js';

const dir = join(import.meta.dirname, 'vectors');
const files = readdirSync(dir).filter((f) => f.endsWith('.txt'));

describe('keepalived 2.2.7 vectors', () => {
  it('are present (two captures, three packets each)', () => {
    expect(files.length).toBe(2);
    for (const f of files) expect(readVectors(join(dir, f)).length).toBe(3);
  });

  for (const file of files) {
    for (const pkt of readVectors(join(dir, file))) {
      const name = `${file}: ${pkt.title}`;
      if (pkt.text.includes('Virtual Router Redundancy Protocol')) {
        const version = Number(field(pkt.text, 'VRRP protocol version'));
        const src = field(pkt.text, 'Source Address');
        const dst = field(pkt.text, 'Destination Address');
        const advInt = Number(field(pkt.text, 'Adver Int'));
        const priority = Number(/^\d+/.exec(field(pkt.text, 'Priority'))![0]);
        const vrid = Number(field(pkt.text, 'Virtual Rtr ID'));
        const count = Number(field(pkt.text, 'Addr Count'));
        const addresses = allFields(pkt.text, 'IP Address');
        const checksum = parseInt(/0x([0-9a-f]{4})/.exec(field(pkt.text, 'Checksum'))![1]!, 16);
        const type = Number(/\((\d+)\)/.exec(field(pkt.text, 'VRRP packet type'))![1]);
        const authType = version === 2 ? Number(/\((\d+)\)/.exec(field(pkt.text, 'Auth Type'))![1]) : undefined;
        const maxAdverIntCs = version === 2 ? advInt * 100 : advInt;
        const ip = parseIpv4Packet(pkt.bytes.subarray(14));

        it(`${name}: parseIpv4Packet gives tshark's IP fields`, () => {
          expect(ip.ok).toBe(true);
          if (!ip.ok) return;
          expect(ip.value.src).toBe(src);
          expect(ip.value.dst).toBe(dst);
          expect(ip.value.ttl).toBe(Number(field(pkt.text, 'Time to Live')));
          expect(ip.value.protocol).toBe(IPPROTO_VRRP);
          expect(ip.value.tos).toBe(parseInt(/0x([0-9a-f]{2})/.exec(field(pkt.text, 'Differentiated Services Field'))![1]!, 16));
          expect(ip.value.headerChecksumOk).toBe(true);
          expect(ip.value.payload.length).toBe(Number(field(pkt.text, 'Total Length')) - 20);
        });

        it(`${name}: buildIpv4Header reproduces keepalived's IP header`, () => {
          if (!ip.ok) throw new Error('no IP');
          const id = parseInt(/0x([0-9a-f]{4})/.exec(field(pkt.text, 'Identification'))![1]!, 16);
          const built = buildIpv4Header({ src, dst, protocol: IPPROTO_VRRP, payloadLength: ip.value.payload.length, id });
          expect(built.toString('hex')).toBe(pkt.bytes.subarray(14, 34).toString('hex'));
        });

        it(`${name}: encodeVrrp gives exactly the captured VRRP payload`, () => {
          if (!ip.ok) throw new Error('no IP');
          const adv = { version: version as 2 | 3, type, vrid, priority, maxAdverIntCs, addresses, family: 'ipv4' as const, ...(authType === undefined ? {} : { authType }) };
          expect(encodeVrrp(adv, { src, dst }).toString('hex')).toBe(ip.value.payload.toString('hex'));
        });

        it(`${name}: decodeVrrp gives the fields tshark shows`, () => {
          if (!ip.ok) throw new Error('no IP');
          const d = decodeVrrp(ip.value.payload, 'ipv4');
          expect(d.ok).toBe(true);
          if (!d.ok) return;
          expect(d.value).toMatchObject({ version, type, vrid, priority, maxAdverIntCs, addresses, family: 'ipv4', checksum });
          expect(d.value.addresses.length).toBe(count);
          expect(d.value.authType).toBe(authType);
          if (version === 2) expect(d.value.authData).toEqual(Buffer.alloc(8));
        });

        it(`${name}: validateAdvert accepts it as a peer with the same config would`, () => {
          if (!ip.ok) throw new Error('no IP');
          const r = validateAdvert(ip.value.payload, {
            version: version as 2 | 3,
            vrid,
            family: 'ipv4',
            advertIntCs: maxAdverIntCs,
            vips: addresses,
            skipCheckAdvAddr: false,
            unicastPeers: [],
            multicastGroup: '224.0.0.18',
            ttl: ip.value.ttl,
            src: ip.value.src,
            dst: ip.value.dst,
          });
          expect(r).toMatchObject({ ok: true, warnings: [] });
          if (r.ok) expect(r.advert.priority).toBe(priority);
        });
      } else {
        it(`${name}: encodeGratuitousArp gives exactly the captured frame`, () => {
          expect(pkt.text).toContain('[Is gratuitous: True]');
          const senderMac = /^(\S+)/.exec(field(pkt.text, 'Sender MAC address'))![1]!;
          const address = field(pkt.text, 'Sender IP address');
          const frame = encodeGratuitousArp({ senderMac, address });
          expect(frame.length).toBe(Number(/^(\d+) bytes/.exec(field(pkt.text, 'Frame Length'))![1]));
          expect(frame.toString('hex')).toBe(pkt.bytes.toString('hex'));
          // Same frame from MAC bytes instead of text.
          expect(encodeGratuitousArp({ senderMac: Buffer.from(senderMac.split(':').map((h) => parseInt(h, 16))), address })).toEqual(frame);
        });

        it(`${name}: decodeArpFrame gives the fields tshark shows`, () => {
          const d = decodeArpFrame(pkt.bytes);
          expect(d.ok).toBe(true);
          if (!d.ok) return;
          expect(d.value.senderIp).toBe(field(pkt.text, 'Sender IP address'));
          expect(d.value.targetIp).toBe(field(pkt.text, 'Target IP address'));
          expect(d.value.senderMac).toBe(/^(\S+)/.exec(field(pkt.text, 'Sender MAC address'))![1]);
          expect(d.value.op).toBe(Number(/\((\d+)\)/.exec(field(pkt.text, 'Opcode'))![1]));
          expect(d.value.gratuitous).toBe(true);
          expect(d.value.ethDst).toBe(formatMac(Buffer.alloc(6, 0xff)));
        });
      }
    }
  }
});
