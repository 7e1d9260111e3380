/**
 * `ipvsadm -Ln` (and `-Ln --thresholds`) as data, and the same shape derived from a wanted kernel
 * table, so the VM tests compare the kernel's table as the reference tool prints it with what the
 * configuration says. Services and destinations are sorted so order never matters.
 *
 *   TCP  192.0.2.1:80 sh (sh-fallback,sh-port) persistent 30 mask 255.255.255.0
 *     -> 198.51.100.1:8080            Masq    3      0          0
 * becomes { line: 'TCP 192.0.2.1:80 sh (sh-fallback,sh-port) persistent 30 mask 255.255.255.0',
 *           dests: ['198.51.100.1:8080 Masq 3 UTHRESH LTHRESH'] }
 */
import { IP_VS_CONN_F, IP_VS_SVC_F, IPPROTO_SCTP, IPPROTO_UDP } from '../../src/protocol/ipvs.js';
import { defaultNetmask, granularityOf, schedFlagWords } from '../../src/adapters/linux/ipvs-map.js';
import type { KernelTableEntry } from '../../src/adapters/linux/ipvs-map.js';

export interface ListedService {
  line: string;
  /** `ADDR:PORT FORWARD WEIGHT UTHRESHOLD LTHRESHOLD` */
  dests: string[];
}

function blocks(text: string): Array<{ head: string[]; dests: string[][] }> {
  const out: Array<{ head: string[]; dests: string[][] }> = [];
  for (const raw of text.split('\n')) {
    const words = raw.trim().split(/\s+/).filter(Boolean);
    if (words.length === 0) continue;
    if (words[0] === '->') {
      // The column header line "-> RemoteAddress:Port ..." comes before any service.
      if (out.length === 0) continue;
      out[out.length - 1]!.dests.push(words.slice(1));
    } else if (['TCP', 'UDP', 'SCTP', 'FWM'].includes(words[0]!)) {
      out.push({ head: words, dests: [] });
    }
  }
  return out;
}

export function parseIpvsadmList(list: string, thresholds: string): ListedService[] {
  const a = blocks(list);
  const t = blocks(thresholds);
  const out = a.map((b, i) => ({
    line: b.head.join(' '),
    dests: b.dests.map((d, j) => {
      const th = t[i]?.dests[j];
      return `${d[0]} ${d[1]} ${d[2]} ${th?.[1] ?? '?'} ${th?.[2] ?? '?'}`;
    }),
  }));
  return sortListing(out);
}

function sortListing(l: ListedService[]): ListedService[] {
  return l.map((s) => ({ line: s.line, dests: [...s.dests].sort() })).sort((x, y) => (x.line < y.line ? -1 : x.line > y.line ? 1 : 0));
}

const FORWARD: Record<number, string> = {
  [IP_VS_CONN_F.MASQ]: 'Masq',
  [IP_VS_CONN_F.LOCALNODE]: 'Local',
  [IP_VS_CONN_F.TUNNEL]: 'Tunnel',
  [IP_VS_CONN_F.DROUTE]: 'Route',
};

function hostPort(family: string, address: string, port: number): string {
  return family === 'ipv6' ? `[${address}]:${port}` : `${address}:${port}`;
}

/** What `ipvsadm -Ln` would print for a wanted table, as data. */
export function expectedListing(t: readonly KernelTableEntry[]): ListedService[] {
  return sortListing(
    t.map((e) => {
      const s = e.service;
      const words: string[] = [];
      if ('fwmark' in s) {
        words.push('FWM', String(s.fwmark));
        if (s.family === 'ipv6') words.push('IPv6');
      } else {
        words.push(s.protocol === IPPROTO_UDP ? 'UDP' : s.protocol === IPPROTO_SCTP ? 'SCTP' : 'TCP', hostPort(s.family, s.address, s.port));
      }
      words.push(s.schedName);
      const flagWords = schedFlagWords(s.schedName, s.flags).filter((w) => w !== 'ops');
      if (flagWords.length > 0) words.push(`(${flagWords.join(',')})`);
      if (s.flags & IP_VS_SVC_F.PERSISTENT) {
        words.push('persistent', String(s.timeout));
        if (s.netmask !== defaultNetmask(s.family)) words.push('mask', granularityOf(s.family, s.netmask)!);
      }
      if (s.flags & IP_VS_SVC_F.ONEPACKET) words.push('ops');
      return {
        line: words.join(' '),
        dests: e.dests.map((d) => `${hostPort(d.family, d.address, d.port)} ${FORWARD[d.fwdMethod] ?? '?'} ${d.weight} ${d.uThresh} ${d.lThresh}`),
      };
    }),
  );
}
