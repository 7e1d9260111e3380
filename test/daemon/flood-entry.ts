/**
 * A hostile third host for extras.test.ts: run inside its own namespace, it sends a bounded flood
 * of malformed VRRP v2 adverts (every one with priority 254, so any that slipped through would
 * cause a takeover), one burst per kind, and prints what it sent as JSON.
 *
 *   flood-entry.ts IFNAME SRC COUNT UNICAST_TARGET...
 *
 * Kinds, and the receive check each must fail (src/protocol/vrrp-validate.ts):
 *   ttl        TTL 64 instead of 255                        -> ttl
 *   auth       wrong auth_pass                              -> auth-pass
 *   vrid       VRID 53, which nobody runs                   -> a foreign VRID
 *   interval   advert_int 3 s instead of 1 s                -> advert-interval
 *   vips       another VIP in the list                      -> vip-mismatch
 *   unicast    unicast to the peers of VI_2 from a stranger  -> unicast-src
 */
import { openRawVrrpTransport } from '../../src/adapters/linux/index.js';
import { encodeVrrp, passwordAuthData } from '../../src/protocol/index.js';

const [ifname = 'eth0', src = '192.0.2.3', countText = '100', ...targets] = process.argv.slice(2);
const count = Number(countText);
const GROUP = '224.0.0.18';

interface Kind {
  name: string;
  vrid: number;
  addresses: string[];
  pass: string;
  intervalCs: number;
  ttl: number;
  dsts: string[];
}

const base = { vrid: 51, addresses: ['192.0.2.100'], pass: 'secret1', intervalCs: 100, ttl: 255, dsts: [GROUP] };
const kinds: Kind[] = [
  { ...base, name: 'ttl', ttl: 64 },
  { ...base, name: 'auth', pass: 'wrong' },
  { ...base, name: 'vrid', vrid: 53 },
  { ...base, name: 'interval', intervalCs: 300 },
  { ...base, name: 'vips', addresses: ['192.0.2.199'] },
  { ...base, name: 'unicast', vrid: 52, addresses: ['192.0.2.101'], dsts: targets },
];

const { transport, failures } = await openRawVrrpTransport(() => 0, [{ ifname, family: 'ipv4', groups: [] }]);
if (failures.length > 0) {
  console.error(failures.map((f) => f.message).join('\n'));
  process.exit(2);
}
const sent: Record<string, number> = {};
for (const k of kinds) {
  for (const dst of k.dsts) {
    const payload = encodeVrrp(
      { version: 2, type: 1, vrid: k.vrid, priority: 254, maxAdverIntCs: k.intervalCs, addresses: k.addresses, family: 'ipv4', authType: 1, authData: passwordAuthData(k.pass) },
      { src, dst },
    );
    for (let i = 0; i < count; i++) {
      transport.send({ ifname, family: 'ipv4', src, dst, ttl: k.ttl, payload });
      sent[k.name] = (sent[k.name] ?? 0) + 1;
      // Bursts of 10, then a breath: a flood (~2000 packets/s), but one the sender's own socket
      // buffer takes, and long enough (about a second) to overlap the master's adverts.
      if (i % 10 === 9) await new Promise((r) => setTimeout(r, 5));
    }
  }
}
await new Promise((r) => setTimeout(r, 200));
console.log(JSON.stringify({ sent, stats: transport.stats }));
transport.close();
