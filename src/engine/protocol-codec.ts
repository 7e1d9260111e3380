import { encodeVrrp, validateAdvert } from '../protocol/index.js';
import type { VrrpCodec } from './codec.js';

/** The engine's codec bound to src/protocol: real bytes out, keepalived's receive checks in. */
export const protocolCodec: VrrpCodec = {
  encode: (adv, opts) => encodeVrrp(adv, opts),
  validate: (payload, ctx) => validateAdvert(payload, ctx),
};
