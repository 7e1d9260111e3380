/**
 * The addresses configured on this host, from rtnetlink: a dump at open, then the kernel's
 * notifications (RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR: RTM_NEWADDR / RTM_DELADDR). keepalived's
 * checker process keeps the same watch (its netlink reflector) for ha_suspend: a virtual server's
 * checkers run only while its address is on this host (check_api.c update_checker_activity).
 *
 * An address is present while it is on at least one interface: keepalived counts an address held
 * by several interfaces (an IPv6 link-local one, say) once per interface, so that only the removal
 * of the last one counts as gone. A change is emitted when an address appears (first interface)
 * or disappears (last interface), not for the kernel's updates of an address already there (IPv6
 * DAD finishing, lifetimes refreshed).
 */
import { Observable, Subject } from 'rxjs';
import type { NetlinkMessage } from 'netlink';
import { addressFromMessage, dumpAddresses, netlinkModule, openRtnetlink, RTM_DELADDR, RTM_NEWADDR, type AddressInfo, type RtSocket } from './rtnetlink.js';

export interface AddressChange {
  /** Canonical text (as formatIpv4 / formatIpv6 write it). */
  address: string;
  family: 'ipv4' | 'ipv6';
  /** true: now on this host (first interface); false: on none any more. */
  present: boolean;
}

export class AddressMonitor {
  private readonly subject = new Subject<AddressChange>();
  /** `ifindex address` of every address held, by interface. */
  private readonly held = new Set<string>();
  /** Interfaces per address (the count behind `present`). */
  private readonly count = new Map<string, number>();
  /** Set while the first dump is read: what a notification told meanwhile wins over the dump. */
  private touched: Set<string> | undefined = new Set();
  private closed = false;

  /** Appearances and disappearances of addresses on this host. */
  readonly changes$: Observable<AddressChange> = this.subject.asObservable();

  private constructor(private readonly sock: RtSocket) {}

  /** Subscribe to address notifications, then dump the current addresses. */
  static async open(): Promise<AddressMonitor> {
    const sock = openRtnetlink({ ref: true });
    const mon = new AddressMonitor(sock);
    // The NetlinkSocket underneath: the package's typed event drops RTM_NEWADDR vs RTM_DELADDR.
    sock.socket.on('message', (msgs: NetlinkMessage[]) => mon.onMessages(msgs));
    // ENOBUFS: notifications were lost in a burst; the dump tells the truth again.
    sock.socket.on('error', () => void mon.resync());
    sock.addMembership('IPV4_IFADDR');
    sock.addMembership('IPV6_IFADDR');
    try {
      const touched = mon.touched!;
      for (const a of await dumpAddresses(sock)) if (!touched.has(keyOf(a))) mon.apply(a, true);
    } catch (e) {
      sock.socket.close();
      throw e;
    } finally {
      mon.touched = undefined;
    }
    return mon;
  }

  /** Whether the address (canonical text) is on some interface of this host. */
  has(address: string): boolean {
    return (this.count.get(address) ?? 0) > 0;
  }

  /** Every address on this host, once each. */
  addresses(): string[] {
    return [...this.count.keys()];
  }

  private onMessages(msgs: NetlinkMessage[]): void {
    const rt = netlinkModule().rt;
    for (const m of msgs) {
      if (m.type !== RTM_NEWADDR && m.type !== RTM_DELADDR) continue;
      let info: AddressInfo | undefined;
      try {
        const parsed = rt.parseMessage(m.type, m.data);
        info = parsed.kind === 'address' ? addressFromMessage(parsed) : undefined;
      } catch {
        continue; // a message the package cannot parse tells us nothing usable
      }
      if (info === undefined) continue;
      this.touched?.add(keyOf(info));
      this.apply(info, m.type === RTM_NEWADDR);
    }
  }

  /** Read the addresses again and emit what changed since the last known state. */
  async resync(): Promise<void> {
    if (this.closed) return;
    let now: AddressInfo[];
    try {
      now = await dumpAddresses(this.sock);
    } catch {
      return; // the next notification or resync will do
    }
    const seen = new Set(now.map(keyOf));
    for (const key of [...this.held]) {
      if (seen.has(key)) continue;
      const [ifindex, address] = key.split(' ') as [string, string];
      this.apply({ ifindex: Number(ifindex), address, family: address.includes(':') ? 'ipv6' : 'ipv4' }, false);
    }
    for (const a of now) this.apply(a, true);
  }

  private apply(a: Pick<AddressInfo, 'ifindex' | 'address' | 'family'>, add: boolean): void {
    if (this.closed) return;
    const key = keyOf(a);
    if (add === this.held.has(key)) return; // an update of an address already held, or a repeat
    const before = this.count.get(a.address) ?? 0;
    const after = before + (add ? 1 : -1);
    if (add) this.held.add(key);
    else this.held.delete(key);
    if (after > 0) this.count.set(a.address, after);
    else this.count.delete(a.address);
    if ((before === 0) !== (after === 0)) this.subject.next({ address: a.address, family: a.family, present: after > 0 });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.subject.complete();
    this.sock.socket.close();
  }
}

function keyOf(a: Pick<AddressInfo, 'ifindex' | 'address'>): string {
  return `${a.ifindex} ${a.address}`;
}
