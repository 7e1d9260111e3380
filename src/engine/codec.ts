/**
 * What the engine needs from the VRRP codec (src/protocol), as an interface: the receive path
 * validates a payload for one instance, the advert sender encodes. The real binding is
 * `protocolCodec` in protocol-codec.ts; tests may bind anything that keeps the contract.
 */

export interface AdvertToEncode {
  version: 2 | 3;
  type: number;
  vrid: number;
  priority: number;
  maxAdverIntCs: number;
  addresses: string[];
  family: 'ipv4' | 'ipv6';
  authType?: number;
  authData?: Buffer;
}

/** keepalived's receive context for one instance (mirrors src/protocol's ReceiveContext). */
export interface AdvertReceiveContext {
  version: 2 | 3;
  vrid: number;
  family: 'ipv4' | 'ipv6';
  advertIntCs: number;
  auth?: { type: 'PASS' | 'AH'; pass: string };
  vips: string[];
  skipCheckAdvAddr: boolean;
  /** Empty = multicast. */
  unicastPeers: string[];
  multicastGroup: string;
  ttl?: number;
  src: string;
  dst: string;
  ownerPriority?: boolean;
  checkUnicastSrc?: boolean;
  unicastPeerTtl?: Record<string, { minTtl?: number; maxTtl?: number }>;
  v3ChecksumAsV2?: boolean;
}

export interface ValidatedAdvert {
  priority: number;
  maxAdverIntCs: number;
  addresses: string[];
}

export type AdvertValidation =
  | { ok: true; advert: ValidatedAdvert; warnings: string[] }
  | { ok: false; reason: string; detail?: string };

export interface VrrpCodec {
  encode(adv: AdvertToEncode, opts: { src: string; dst: string; v3ChecksumAsV2?: boolean }): Uint8Array;
  validate(payload: Uint8Array, ctx: AdvertReceiveContext): AdvertValidation;
}
