/**
 * Test helpers: a classic pcap writer (libpcap format: 24-byte global header, 16-byte record
 * headers, little-endian, LINKTYPE_ETHERNET), frame builders around our VRRP payloads, tshark
 * output splitting, and the parser of the recorded vectors (tshark -V -x text).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  buildIpv4Header,
  buildIpv6Header,
  ethernetHeader,
  ETHERTYPE_IPV4,
  ETHERTYPE_IPV6,
  IPPROTO_VRRP,
  ipv4MulticastMac,
  ipv6MulticastMac,
  macBytesOrThrow,
  parseAddress,
} from '../../src/protocol/index.js';

const LINKTYPE_ETHERNET = 1;

export function pcapFile(frames: Buffer[]): Buffer {
  const global = Buffer.alloc(24);
  global.writeUInt32LE(0xa1b2c3d4, 0); // magic, microsecond timestamps
  global.writeUInt16LE(2, 4);
  global.writeUInt16LE(4, 6);
  global.writeInt32LE(0, 8); // thiszone
  global.writeUInt32LE(0, 12); // sigfigs
  global.writeUInt32LE(65535, 16); // snaplen
  global.writeUInt32LE(LINKTYPE_ETHERNET, 20);
  const records = frames.map((f, i) => {
    const h = Buffer.alloc(16);
    h.writeUInt32LE(1_795_626_920 + i, 0);
    h.writeUInt32LE(0, 4);
    h.writeUInt32LE(f.length, 8);
    h.writeUInt32LE(f.length, 12);
    return Buffer.concat([h, f]);
  });
  return Buffer.concat([global, ...records]);
}

/** Ethernet + IPv4/IPv6 header (TTL / hop limit 255, keepalived's TOS 0xC0) around a VRRP payload. */
export function vrrpFrame(opts: { mac: string; src: string; dst: string; payload: Buffer; family: 'ipv4' | 'ipv6'; ttl?: number }): Buffer {
  const mac = macBytesOrThrow(opts.mac, 'mac');
  const dstBytes = parseAddress(opts.dst, opts.family)!.bytes;
  if (opts.family === 'ipv4') {
    const ip = buildIpv4Header({ src: opts.src, dst: opts.dst, protocol: IPPROTO_VRRP, payloadLength: opts.payload.length, ttl: opts.ttl ?? 255, id: 1 });
    return Buffer.concat([ethernetHeader(ipv4MulticastMac(dstBytes), mac, ETHERTYPE_IPV4), ip, opts.payload]);
  }
  const ip = buildIpv6Header({ src: opts.src, dst: opts.dst, nextHeader: IPPROTO_VRRP, payloadLength: opts.payload.length, hopLimit: opts.ttl ?? 255, trafficClass: 0xc0 });
  return Buffer.concat([ethernetHeader(ipv6MulticastMac(dstBytes), mac, ETHERTYPE_IPV6), ip, opts.payload]);
}

/** Run `tshark -r <pcap> -V` on the frames and return the decode of each frame. */
export function tsharkDecode(frames: Buffer[], prefs: string[] = []): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'kts-protocol-'));
  try {
    const file = join(dir, 'frames.pcap');
    writeFileSync(file, pcapFile(frames));
    const args = ['-r', file, '-V', '-n', ...prefs.flatMap((p) => ['-o', p])];
    const out = execFileSync('tshark', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
    return out.split(/^(?=Frame \d+: )/m).filter((s) => s.startsWith('Frame '));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface RecordedPacket {
  title: string;
  text: string;
  bytes: Buffer;
}

/** Split a vectors file (tshark -V -x) into its packets: the title, the decode text and the bytes. */
export function readVectors(path: string): RecordedPacket[] {
  const src = readFileSync(path, 'utf8');
  return src
    .split(/^######## /m)
    .slice(1)
    .map((section) => {
      const lines = section.split('\n');
      const hex: string[] = [];
      for (const line of lines) {
        if (!/^[0-9a-f]{4}  [0-9a-f]{2} /.test(line)) continue;
        hex.push(...line.slice(6, 6 + 16 * 3).trim().split(/\s+/).filter((h) => /^[0-9a-f]{2}$/.test(h)));
      }
      return { title: lines[0]!.trim(), text: section, bytes: Buffer.from(hex.join(''), 'hex') };
    });
}

/** The value of the first "Label: value" line in a tshark decode. */
export function field(text: string, label: string): string {
  const re = new RegExp(`^\\s*(?:[.01 ]+= )?${label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: (.*)$`, 'm');
  const m = re.exec(text);
  if (!m) throw new Error(`no "${label}" in tshark output`);
  return m[1]!.trim();
}

export function allFields(text: string, label: string): string[] {
  const re = new RegExp(`^\\s*(?:[.01 ]+= )?${label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: (.*)$`, 'gm');
  return [...text.matchAll(re)].map((m) => m[1]!.trim());
}
