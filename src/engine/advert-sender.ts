import type { Subscription } from 'rxjs';
import type { VrrpInstance } from '../config/types.js';
import type { SendAdvert } from '../machines/vrrp/contract.js';
import { advertIntCs } from '../machines/vrrp/timers.js';
import type { AdvertToEncode, VrrpCodec } from './codec.js';
import type { NodeEngine } from './node.js';
import type { VrrpTransport } from './transport.js';

/** TTL / hop limit of every advert (RFC 5798 §5.1.1.3). */
const VRRP_TTL = 255;
const AUTH_PASS = 1;
const AUTH_AH = 2;

/**
 * The advert adapter: carries out committed `sendAdvert` effects on a VRRP transport. It adds what is
 * per transport and not the machine's business — source address, destination (the multicast group,
 * or each unicast peer in turn, as keepalived sends one copy per peer), authentication, the v3
 * checksum form — and encodes real bytes with the protocol codec.
 */
export class AdvertSender {
  private readonly subscription: Subscription;
  private readonly perInstance = new Map<string, SenderEntry>();
  private readonly cacheEncoded: boolean;
  /** Adverts put on the transport (one per destination). */
  sent = 0;

  constructor(
    private readonly engine: NodeEngine,
    private readonly transport: VrrpTransport,
    private readonly codec: VrrpCodec,
    /** global_defs vrrp_mcast_group4 / vrrp_mcast_group6. */
    groups: { vrrpMcastGroup4: string; vrrpMcastGroup6: string } = { vrrpMcastGroup4: '224.0.0.18', vrrpMcastGroup6: 'ff02::12' },
    /** Reuse the encoded bytes while the advert's fields stay the same (default on). */
    opts: { cacheEncoded?: boolean } = {},
  ) {
    this.cacheEncoded = opts.cacheEncoded !== false;
    const globals = { group4: groups.vrrpMcastGroup4, group6: groups.vrrpMcastGroup6 };
    for (const name of engine.instanceNames()) {
      const config = engine.instanceConfig(name)!;
      const src = engine.primaryAddressOf(name)!;
      const dsts = config.unicastPeers.length > 0
        ? config.unicastPeers.map((p) => p.address)
        : [config.family === 'ipv4' ? globals.group4 : globals.group6];
      const auth: Pick<AdvertToEncode, 'authType' | 'authData'> = {};
      if (config.version === 2) {
        auth.authType = 0;
        if (config.authentication?.type === 'PASS') {
          auth.authType = AUTH_PASS;
          // keepalived copies up to 8 password bytes, zero padded.
          const data = Buffer.alloc(8);
          data.write(config.authentication.pass.slice(0, 8), 'latin1');
          auth.authData = data;
        } else if (config.authentication?.type === 'AH') {
          auth.authType = AUTH_AH;
        }
      }
      const entry: SenderEntry = { config, src, dsts, auth, last: undefined, payloads: [] };
      this.perInstance.set(name, entry);
      // The advert a takeover will most likely send first (configured priority), encoded now: the
      // first advert of a new master then costs no encoding — nor the codec's first-call compile.
      // Another priority later is a cache miss like any change of fields.
      if (this.cacheEncoded) {
        this.encodeAll(entry, {
          type: 'sendAdvert',
          version: config.version,
          vrid: config.virtualRouterId,
          priority: Math.min(255, Math.max(1, config.priority)),
          maxAdverIntCs: advertIntCs(config.version, config.advertIntMs),
          addresses: config.virtualIpaddress.map((v) => v.address),
        });
      }
    }
    this.subscription = engine.effects$.subscribe((e) => {
      if (e.action.type === 'sendAdvert') this.send(e.instance, e.action);
    });
  }

  private send(instance: string, a: SendAdvert): void {
    const entry = this.perInstance.get(instance);
    if (entry === undefined) return;
    const { config, src, dsts } = entry;
    // A MASTER sends the same advert every interval: encode once per change of its fields. The
    // bytes are a pure function of these fields and of the entry's fixed src/dsts/auth/form.
    const last = entry.last;
    const same =
      this.cacheEncoded &&
      last !== undefined &&
      last.priority === a.priority &&
      last.maxAdverIntCs === a.maxAdverIntCs &&
      last.version === a.version &&
      last.vrid === a.vrid &&
      sameStrings(last.addresses, a.addresses);
    if (!same) this.encodeAll(entry, a);
    const payloads = entry.payloads;
    for (let i = 0; i < dsts.length; i++) {
      const dst = dsts[i]!;
      this.transport.send({ ifname: config.interface, family: config.family, src, dst, ttl: VRRP_TTL, payload: payloads[i]! });
      this.sent++;
    }
  }

  private encodeAll(entry: SenderEntry, a: SendAdvert): void {
    const { config, src, dsts, auth } = entry;
    const adv: AdvertToEncode = {
      version: a.version,
      type: 1,
      vrid: a.vrid,
      priority: a.priority,
      maxAdverIntCs: a.maxAdverIntCs,
      addresses: a.addresses,
      family: config.family,
    };
    if (auth.authType !== undefined) adv.authType = auth.authType;
    if (auth.authData !== undefined) adv.authData = auth.authData;
    entry.payloads = dsts.map((dst) => this.codec.encode(adv, { src, dst, v3ChecksumAsV2: config.v3ChecksumAsV2 }));
    // Our own copy of the fields: the action is the journal's record, not ours to keep pointing at.
    entry.last = this.cacheEncoded
      ? { version: a.version, vrid: a.vrid, priority: a.priority, maxAdverIntCs: a.maxAdverIntCs, addresses: [...a.addresses] }
      : undefined;
  }

  close(): void {
    this.subscription.unsubscribe();
  }
}

interface SenderEntry {
  config: VrrpInstance;
  src: string;
  dsts: string[];
  auth: Pick<AdvertToEncode, 'authType' | 'authData'>;
  /** The fields the payloads below were encoded from (cache on). */
  last: Pick<SendAdvert, 'version' | 'vrid' | 'priority' | 'maxAdverIntCs' | 'addresses'> | undefined;
  /** One encoded payload per destination, in `dsts` order. */
  payloads: Uint8Array[];
}

function sameStrings(a: readonly string[], b: readonly string[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
