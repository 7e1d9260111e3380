/** Pure codecs: VRRP v2/v3, IPv4/IPv6 headers, ARP and NA frames, checksums, addresses. */
export type { DecodeErrorReason, DecodeResult } from './errors.js';
export * from './checksum.js';
export * from './address.js';
export * from './ethernet.js';
export * from './ipv4-header.js';
export * from './ipv6-header.js';
export * from './vrrp-packet.js';
export * from './vrrp-validate.js';
export * from './vrrp-receive.js';
export * from './arp.js';
export * from './nd.js';
