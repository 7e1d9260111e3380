/**
 * The Linux adapters for VRRP: the real-socket twins of the simulated ones.
 *  - raw-vrrp-transport: VrrpTransport on raw sockets (the kts_net addon's Raw4Socket / Raw6Socket)
 *  - vip-netlink / route-netlink: virtual_ipaddress and virtual_routes on rtnetlink
 *  - garp: gratuitous ARP / unsolicited NA frames on AF_PACKET (kts_net addon)
 *  - vmac-netlink: use_vmac macvlans with the virtual MAC
 *  - link-monitor: interface up/down from rtnetlink notifications, and interface lookups
 */
export { openRawVrrpTransport, RawVrrpTransport, VRRP_TOS } from './raw-vrrp-transport.js';
export type {
  LinuxReceivedVrrpPacket,
  OpenResult,
  TransportEndpointSpec,
  TransportError,
  TransportInterface,
  TransportStats,
} from './raw-vrrp-transport.js';
export { VipNetlink, broadcastFor, scopeNumber } from './vip-netlink.js';
export type { PresentAddress, VipResult, VipSpec } from './vip-netlink.js';
export { RouteNetlink, RTPROT_KEEPALIVED, parsePrefix } from './route-netlink.js';
export type { RouteResult, RouteSpec } from './route-netlink.js';
export { GarpSender } from './garp.js';
export type { GarpTarget, SendResult } from './garp.js';
export { LinkMonitor, interfaceLookup, linkStateOf } from './link-monitor.js';
export type { InterfaceLookup, LinkEvent, LinkState } from './link-monitor.js';
export type { AddressInfo, LinkInfo } from './rtnetlink.js';
export { kernelTimerFactory, loadNative } from './native.js';
export type { KtsNet, NativeLoad, Raw6Socket } from './native.js';
export { VmacNetlink, vmacName, macvlanLinkInfo, MACVLAN_MODE_PRIVATE } from './vmac-netlink.js';
export type { VmacResult, VmacSpec } from './vmac-netlink.js';
