/**
 * VRRP conformance cases in holo-vrrp's style: every directory beside this file that holds a
 * case.json is one case (format: README.md). The expected outputs come from RFC 5798 / RFC 3768,
 * keepalived.conf(5) and the real keepalived 2.2.7 — never from our own machine: this suite is
 * the independent check on it.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'vitest';
import { encodeVrrp, VRRP_MULTICAST_IPV4, VRRP_MULTICAST_IPV6 } from '../../src/protocol/vrrp-packet.js';
import { validateAdvert } from '../../src/protocol/vrrp-validate.js';
import { runMultiNode, runSingleNode, type Product } from './driver.js';
import { listCases, loadCase } from './format.js';
import { loadConfigText } from '../../src/config/load.js';
import { createVrrpStepper } from '../../src/machines/vrrp/machine.js';
import { syncGroupInputs } from '../../src/machines/vrrp/sync-group.js';

const here = dirname(fileURLToPath(import.meta.url));

const product: Product = {
  load: (text, file) => loadConfigText(text, file),
  createStepper: (instance, config, primaryAddress) =>
    createVrrpStepper(instance, config.globalDefs, {
      ...(primaryAddress ? { primaryAddress } : {}),
      vrrpScripts: config.vrrpScripts,
      ...(instance.syncGroup ? { syncGroup: config.vrrpSyncGroups.find((g) => g.name === instance.syncGroup) } : {}),
    }),
  syncInputs: (group, member, transition, at) => syncGroupInputs(group, member, transition, at),
  receive: (packet, instance, at) => {
    const family = instance.family;
    const dst = packet.dst ?? (family === 'ipv4' ? VRRP_MULTICAST_IPV4 : VRRP_MULTICAST_IPV6);
    const payload = encodeVrrp(
      {
        version: packet.version,
        type: 1,
        vrid: packet.vrid ?? instance.virtualRouterId,
        priority: packet.priority,
        maxAdverIntCs: packet.maxAdverIntCs,
        addresses: packet.addresses,
        family,
        ...(packet.version === 2 && family === 'ipv4' ? { authType: 0, authData: Buffer.alloc(8) } : {}),
      },
      { src: packet.src, dst },
    );
    const r = validateAdvert(payload, {
      version: instance.version,
      vrid: instance.virtualRouterId,
      family,
      advertIntCs: Math.round(instance.advertIntMs / 10),
      vips: instance.virtualIpaddress.map((v) => v.address),
      skipCheckAdvAddr: instance.skipCheckAdvAddr,
      unicastPeers: instance.unicastPeers.map((p) => p.address),
      multicastGroup: family === 'ipv4' ? VRRP_MULTICAST_IPV4 : VRRP_MULTICAST_IPV6,
      ttl: packet.ttl ?? 255,
      src: packet.src,
      dst,
    });
    if (!r.ok) return { ok: false, reason: r.reason, detail: r.detail };
    return {
      ok: true,
      input: { type: 'advert', at, src: packet.src, priority: r.advert.priority, maxAdverIntCs: r.advert.maxAdverIntCs, addresses: r.advert.addresses },
    };
  },
};

describe('VRRP conformance (test/conformance/<case>/)', () => {
  for (const name of listCases(here)) {
    const kase = loadCase(join(here, name), name);
    it(`${name}: ${kase.spec.description}`, () => {
      if (kase.spec.nodes) runMultiNode(product, kase, (file) => readFileSync(join(here, name, file), 'utf8'));
      else runSingleNode(product, kase);
    });
  }
});
