/**
 * Gratuitous ARP and unsolicited Neighbour Advertisement on AF_PACKET: the frames are built by
 * src/protocol (keepalived's byte layout) and sent whole, because the Ethernet source and the ARP
 * sender MAC must be ours to choose (the interface MAC, or the virtual MAC with use_vmac) and an IP
 * socket cannot send ARP at all.
 *
 * Never throws: each send resolves to a result carrying the errno name and a sentence for the log.
 */
import { encodeGratuitousArp, encodeUnsolicitedNa } from '../../protocol/index.js';
import { loadNative, type KtsNet } from './native.js';

export type SendResult = { ok: true; bytes: number } | { ok: false; code?: string; error: string };

export interface GarpTarget {
  ifindex: number;
  /** For log lines only. */
  ifname?: string;
  /** Ethernet source and ARP sender / NA target link-layer address. */
  senderMac: string;
}

function send(addon: KtsNet | undefined, loadError: string | undefined, target: GarpTarget, frame: Buffer, what: string): SendResult {
  if (!addon) return { ok: false, code: 'ENOSYS', error: `${what}: ${loadError ?? 'no AF_PACKET support'}` };
  try {
    return { ok: true, bytes: addon.packetSend(target.ifindex, frame) };
  } catch (e) {
    const err = e as Error & { code?: string };
    return { ok: false, ...(err.code ? { code: err.code } : {}), error: `${what}: ${err.message}` };
  }
}

/** The frame senders, with the addon injected (tests can count frames without a kernel). */
export class GarpSender {
  constructor(private readonly addon: KtsNet | undefined, private readonly loadError?: string) {}

  static open(): GarpSender {
    const n = loadNative();
    return n.ok ? new GarpSender(n.addon) : new GarpSender(undefined, n.error);
  }

  /** "Sending gratuitous ARP on eth0 for 192.0.2.100": one ARP request who-has VIP tell VIP. */
  gratuitousArp(target: GarpTarget, address: string): SendResult {
    const what = `gratuitous ARP on ${target.ifname ?? `ifindex ${target.ifindex}`} for ${address}`;
    let frame: Buffer;
    try {
      frame = encodeGratuitousArp({ senderMac: target.senderMac, address });
    } catch (e) {
      return { ok: false, code: 'EINVAL', error: `${what}: ${(e as Error).message}` };
    }
    return send(this.addon, this.loadError, target, frame, what);
  }

  /** Unsolicited NA for `vip` from the interface's link-local address to ff02::1 (Override set). */
  unsolicitedNa(target: GarpTarget, opts: { src: string; vip: string; router?: boolean }): SendResult {
    const what = `unsolicited NA on ${target.ifname ?? `ifindex ${target.ifindex}`} for ${opts.vip}`;
    let frame: Buffer;
    try {
      frame = encodeUnsolicitedNa({
        senderMac: target.senderMac,
        src: opts.src,
        target: opts.vip,
        ...(opts.router !== undefined ? { router: opts.router } : {}),
      });
    } catch (e) {
      return { ok: false, code: 'EINVAL', error: `${what}: ${(e as Error).message}` };
    }
    return send(this.addon, this.loadError, target, frame, what);
  }
}
