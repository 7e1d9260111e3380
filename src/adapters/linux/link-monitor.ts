/**
 * Interface state from rtnetlink notifications (RTNLGRP_LINK), for track_interface and FAULT, and
 * the lookups the other adapters need: ifindex, MAC, the primary IPv4 address (the VRRP source,
 * RFC 3768 §5.1.1.1), the IPv6 link-local address (RFC 5798 §5.1.2.1).
 *
 * "Up" means IFF_UP and IFF_RUNNING, as keepalived's IF_ISUP: an interface administratively up
 * without carrier cannot carry adverts, so it must put the instance in FAULT.
 */
import { Observable, Subject } from 'rxjs';
import type { NetlinkMessage } from 'netlink';
import {
  dumpAddresses,
  dumpLinks,
  linkFromMessage,
  netlinkModule,
  openRtnetlink,
  RTM_DELLINK,
  RTM_NEWLINK,
  type AddressInfo,
  type LinkInfo,
  type RtSocket,
} from './rtnetlink.js';

export type LinkState = 'up' | 'down' | 'deleted';

export interface LinkEvent {
  ifindex: number;
  ifname: string;
  /** The state derived from the flags; an event is emitted only when it changes. */
  state: LinkState;
  /** The state before (undefined for an interface not seen before). */
  previous?: LinkState;
  link: LinkInfo;
}

export function linkStateOf(link: LinkInfo): 'up' | 'down' {
  return link.up && link.running ? 'up' : 'down';
}

export class LinkMonitor {
  private readonly subject = new Subject<LinkEvent>();
  /** Last known state per ifindex, seeded by a dump at open so the first notification compares right. */
  private readonly known = new Map<number, LinkInfo>();
  private closed = false;

  /** Changes of the derived up/down state, and deletions. */
  readonly linkEvents$: Observable<LinkEvent> = this.subject.asObservable();

  private constructor(private readonly sock: RtSocket) {}

  /** Subscribe to link notifications, then dump the current links. */
  static async open(): Promise<LinkMonitor> {
    const sock = openRtnetlink({ ref: true });
    const mon = new LinkMonitor(sock);
    // Listen on the NetlinkSocket underneath: the typed event hides RTM_NEWLINK vs RTM_DELLINK.
    sock.socket.on('message', (msgs: NetlinkMessage[]) => mon.onMessages(msgs));
    // ENOBUFS: the kernel dropped notifications (a burst overflowed the socket buffer). The state
    // is re-read, as keepalived does, so no up/down change is lost for good.
    sock.socket.on('error', () => void mon.resync());
    sock.addMembership('LINK');
    try {
      for (const l of await dumpLinks(sock)) if (!mon.known.has(l.ifindex)) mon.known.set(l.ifindex, l);
    } catch (e) {
      sock.socket.close();
      throw e;
    }
    return mon;
  }

  private onMessages(msgs: NetlinkMessage[]): void {
    const rt = netlinkModule().rt;
    for (const m of msgs) {
      if (m.type !== RTM_NEWLINK && m.type !== RTM_DELLINK) continue;
      let link: LinkInfo | undefined;
      try {
        const parsed = rt.parseMessage(m.type, m.data);
        link = parsed.kind === 'link' ? linkFromMessage(parsed) : undefined;
      } catch {
        continue; // a message the package cannot parse tells us nothing usable
      }
      if (link) this.apply(link, m.type === RTM_DELLINK);
    }
  }

  /** Dump the links and emit what changed since the last known state (also deletions missed). */
  async resync(): Promise<void> {
    if (this.closed) return;
    let links: LinkInfo[];
    try {
      links = await dumpLinks(this.sock);
    } catch {
      return; // the next notification or resync will do
    }
    const seen = new Set<number>();
    for (const link of links) {
      seen.add(link.ifindex);
      this.apply(link, false);
    }
    for (const [ifindex, link] of [...this.known]) if (!seen.has(ifindex)) this.apply(link, true);
  }

  private apply(link: LinkInfo, deleted: boolean): void {
    const before = this.known.get(link.ifindex);
    const previous = before ? linkStateOf(before) : undefined;
    if (deleted) {
      this.known.delete(link.ifindex);
      this.subject.next({ ifindex: link.ifindex, ifname: link.ifname, state: 'deleted', ...(previous ? { previous } : {}), link });
      return;
    }
    this.known.set(link.ifindex, link);
    const state = linkStateOf(link);
    if (state !== previous) this.subject.next({ ifindex: link.ifindex, ifname: link.ifname, state, ...(previous ? { previous } : {}), link });
  }

  /** The links as last seen (dump at open, then notifications). */
  snapshot(): LinkInfo[] {
    return [...this.known.values()];
  }

  byName(ifname: string): LinkInfo | undefined {
    for (const l of this.known.values()) if (l.ifname === ifname) return l;
    return undefined;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.subject.complete();
    this.sock.socket.close();
  }
}

/** One-shot lookups on a short-lived rtnetlink socket (at start and on reload, never per packet). */
export interface InterfaceLookup {
  link(ifname: string): Promise<LinkInfo | undefined>;
  ifindex(ifname: string): Promise<number | undefined>;
  mac(ifname: string): Promise<string | undefined>;
  /** The interface's primary IPv4 address: the first non-secondary one, as the kernel lists it. */
  primaryIpv4(ifname: string): Promise<string | undefined>;
  /** The first IPv6 link-local (fe80::/10) address. */
  ipv6LinkLocal(ifname: string): Promise<string | undefined>;
  addresses(ifname?: string): Promise<AddressInfo[]>;
}

async function withSocket<T>(fn: (sock: RtSocket) => Promise<T>): Promise<T> {
  const sock = openRtnetlink();
  try {
    return await fn(sock);
  } finally {
    sock.socket.close();
  }
}

export const interfaceLookup: InterfaceLookup = {
  link: (ifname) => withSocket(async (s) => (await dumpLinks(s)).find((l) => l.ifname === ifname)),
  ifindex: async (ifname) => (await interfaceLookup.link(ifname))?.ifindex,
  mac: async (ifname) => (await interfaceLookup.link(ifname))?.mac,
  addresses: (ifname) =>
    withSocket(async (s) => {
      const all = await dumpAddresses(s);
      if (ifname === undefined) return all;
      const link = (await dumpLinks(s)).find((l) => l.ifname === ifname);
      return link ? all.filter((a) => a.ifindex === link.ifindex) : [];
    }),
  primaryIpv4: async (ifname) => (await interfaceLookup.addresses(ifname)).find((a) => a.family === 'ipv4' && !a.secondary)?.address,
  ipv6LinkLocal: async (ifname) =>
    (await interfaceLookup.addresses(ifname)).find((a) => a.family === 'ipv6' && /^fe[89ab][0-9a-f]:/i.test(a.address))?.address,
};
