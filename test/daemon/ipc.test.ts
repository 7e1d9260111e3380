/**
 * What the loader sends the VRRP child: only the VRRP part of a configuration (vrrpPartOf). The
 * virtual servers stay out of the message, and leaving them out changes no reload decision (the
 * units and their fingerprints are the same as the whole configuration's).
 */
import { serialize } from 'node:v8';
import { expect, it } from 'vitest';
import { loadConfigText } from '../../src/config/load.js';
import type { KeepalivedConfig } from '../../src/config/types.js';
import { vrrpPartOf } from '../../src/daemon/ipc.js';
import { unitsOf } from '../../src/daemon/vrrp-process.js';

function conf(text: string): KeepalivedConfig {
  const r = loadConfigText(text, 'test.conf');
  if (!r.config) throw new Error(r.diagnostics.map((d) => d.message).join('; '));
  return r.config;
}

const VRRP = `global_defs {
  router_id lb-a
  vrrp_version 3
}
static_ipaddress {
  192.0.2.200/32 dev eth0
}
vrrp_script chk {
  script "/bin/true"
}
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 1
  priority 150
  advert_int 0.01
  track_script {
    chk
  }
  virtual_ipaddress {
    198.51.100.1/32
  }
}
vrrp_instance VI_2 {
  interface eth0
  virtual_router_id 2
  priority 150
  virtual_ipaddress {
    198.51.100.2/32
  }
}
vrrp_sync_group G {
  group {
    VI_2
  }
}
`;

function virtualServers(n: number): string {
  let s = 'virtual_server_group VSG {\n  192.0.2.50 80\n}\n';
  for (let i = 0; i < n; i++) {
    s += `virtual_server 192.0.2.${(i % 250) + 1} ${1000 + i} {\n  protocol TCP\n  real_server 198.51.100.${(i % 250) + 1} 8000 {\n    HTTP_GET {\n      url {\n        path /health/${i}\n        status_code 200\n      }\n    }\n  }\n}\n`;
  }
  return s;
}

it('the VRRP child gets global_defs, the vrrp_* blocks and static addresses, never the virtual servers', () => {
  const whole = conf(VRRP + virtualServers(200));
  expect(whole.virtualServers).toHaveLength(200);
  const part = vrrpPartOf(whole);
  expect(part.virtualServers).toEqual([]);
  expect(part.virtualServerGroups).toEqual([]);
  expect(part).toEqual({ ...whole, virtualServers: [], virtualServerGroups: [] });
  expect(part.staticIpaddress).toHaveLength(1);
  // The message does not grow with the virtual servers.
  expect(serialize(part).length).toBe(serialize(vrrpPartOf(conf(VRRP))).length);
  expect(serialize(whole).length).toBeGreaterThan(10 * serialize(part).length);
});

it('leaving the virtual servers out changes no reload decision: same units, same fingerprints', () => {
  const whole = conf(VRRP + virtualServers(50));
  const fingerprints = (c: KeepalivedConfig): Array<[string, string]> => unitsOf(c).map((u) => [u.key, u.fingerprint]);
  expect(fingerprints(vrrpPartOf(whole))).toEqual(fingerprints(whole));
  expect(fingerprints(vrrpPartOf(whole)).map(([k]) => k)).toEqual(['group/G', 'instance/VI_1']);
});
