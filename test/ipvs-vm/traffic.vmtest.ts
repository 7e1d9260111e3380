/**
 * Real traffic through LVS-NAT, INSIDE the VM (see ipvs.vmtest.ts for how it runs): a client
 * namespace asks the VIP for a page, IPVS (programmed by our adapter from a keepalived.conf) hands
 * each connection to one of two real-server namespaces running an HTTP server, round robin. Taking
 * a real server out (what a failed health check does) sends everything to the other; inhibiting it
 * (weight 0) does too; putting it back restores the alternation.
 *
 * The VM's own root namespace is the director; the VM has no network card, so nothing leaves it.
 *   client ns kts-cl 203.0.113.2 ── veth ── director 203.0.113.1 (VIP 203.0.113.100)
 *   director 198.51.100.1 on bridge kts-br ── veth ── kts-rs1 198.51.100.11, kts-rs2 198.51.100.12
 */
import { strict as assert } from 'node:assert';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadConfigText } from '../../src/config/load.js';
import { groupsOf, wantedTable } from '../../src/adapters/linux/ipvs-map.js';
import { NetlinkIpvs } from '../../src/adapters/linux/ipvs-netlink.js';

let passed = 0;
let failed = 0;
async function test(name: string, fn: () => Promise<void> | void): Promise<void> {
  const t0 = Date.now();
  try {
    await fn();
    passed++;
    console.log(`ok   ${name} (${Date.now() - t0} ms)`);
  } catch (err) {
    failed++;
    console.log(`FAIL ${name}\n     ${(err instanceof Error ? (err.stack ?? err.message) : String(err)).split('\n').join('\n     ')}`);
  }
}

function sh(cmd: string): string {
  return execFileSync('sh', ['-c', cmd], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

const CONF = `
virtual_server 203.0.113.100 80 {
    delay_loop 3
    lb_algo rr
    lb_kind NAT
    protocol TCP
    real_server 198.51.100.11 80 {
        weight 1
    }
    real_server 198.51.100.12 80 {
        weight 1
    }
}
`;

const servers: ChildProcess[] = [];

function lab(): void {
  sh(
    [
      'ipvsadm -C',
      'sysctl -qw net.ipv4.ip_forward=1',
      'ip netns add kts-cl',
      'ip link add kts-cl0 type veth peer name eth0 netns kts-cl',
      'ip addr add 203.0.113.1/24 dev kts-cl0',
      'ip addr add 203.0.113.100/32 dev kts-cl0',
      'ip link set kts-cl0 up',
      'ip -n kts-cl link set lo up',
      'ip -n kts-cl addr add 203.0.113.2/24 dev eth0',
      'ip -n kts-cl link set eth0 up',
      'ip link add kts-br type bridge',
      'ip addr add 198.51.100.1/24 dev kts-br',
      'ip link set kts-br up',
    ].join(' && '),
  );
  for (const n of [1, 2]) {
    sh(
      [
        `ip netns add kts-rs${n}`,
        `ip link add kts-rs${n}p type veth peer name eth0 netns kts-rs${n}`,
        `ip link set kts-rs${n}p master kts-br up`,
        `ip -n kts-rs${n} link set lo up`,
        `ip -n kts-rs${n} addr add 198.51.100.1${n}/24 dev eth0`,
        `ip -n kts-rs${n} link set eth0 up`,
        // LVS-NAT: replies must go back through the director, which rewrites them.
        `ip -n kts-rs${n} route add default via 198.51.100.1`,
      ].join(' && '),
    );
    const dir = `/tmp/kts-rs${n}`;
    mkdirSync(dir, { recursive: true });
    writeFileSync(`${dir}/index.html`, `rs${n}\n`);
    servers.push(spawn('ip', ['netns', 'exec', `kts-rs${n}`, 'busybox', 'httpd', '-f', '-p', `198.51.100.1${n}:80`, '-h', dir], { stdio: 'ignore' }));
  }
}

/** One HTTP request per call, each on a new connection: the real server that answered. */
function ask(times: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < times; i++) out.push(sh('ip netns exec kts-cl curl -sf -m 5 http://203.0.113.100/').trim());
  return out;
}

async function waitServing(): Promise<void> {
  for (let i = 0; i < 50; i++) {
    try {
      sh('ip netns exec kts-rs1 curl -sf -m 2 http://198.51.100.11/ && ip netns exec kts-rs2 curl -sf -m 2 http://198.51.100.12/');
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  throw new Error('the real servers did not start serving');
}

async function main(): Promise<void> {
  const r = loadConfigText(CONF, 'traffic.conf');
  assert.ok(r.config, r.diagnostics.map((d) => d.message).join('; '));
  const cfg = r.config;
  const o = await NetlinkIpvs.open({ groups: groupsOf(cfg) });
  assert.ok(o.ok);
  const ipvs = o.ipvs;
  lab();
  await waitServing();

  const svc = { type: 'address', protocol: 'TCP', address: '203.0.113.100', port: 80, family: 'ipv4' } as const;
  const rs1 = { address: '198.51.100.11', port: 80, family: 'ipv4', weight: 1, method: 'NAT' } as const;

  await test('LVS-NAT from keepalived.conf: connections to the VIP alternate between the two real servers (rr)', async () => {
    const rep = await ipvs.reconcile(wantedTable(cfg));
    assert.ok(rep.ok);
    const got = ask(4);
    assert.deepEqual([...got].sort(), ['rs1', 'rs1', 'rs2', 'rs2']);
    assert.notEqual(got[0], got[1]);
    assert.notEqual(got[1], got[2]);
  });

  await test('a real server taken out (failed check) gets no more connections; put back, it gets its turn again', async () => {
    assert.deepEqual(await ipvs.apply({ type: 'ipvsDelDest', service: svc, dest: rs1 }), { ok: true });
    assert.deepEqual(ask(3), ['rs2', 'rs2', 'rs2']);
    assert.deepEqual(await ipvs.apply({ type: 'ipvsAddDest', service: svc, dest: rs1 }), { ok: true });
    assert.deepEqual([...ask(4)].sort(), ['rs1', 'rs1', 'rs2', 'rs2']);
  });

  await test('inhibit_on_failure: weight 0 keeps the real server in the table but sends it no new connections', async () => {
    assert.deepEqual(await ipvs.apply({ type: 'ipvsEditDest', service: svc, dest: { ...rs1, weight: 0 } }), { ok: true });
    assert.match(sh('ipvsadm -Ln'), /198\.51\.100\.11:80\s+Masq\s+0/);
    assert.deepEqual(ask(3), ['rs2', 'rs2', 'rs2']);
    assert.deepEqual(await ipvs.apply({ type: 'ipvsEditDest', service: svc, dest: rs1 }), { ok: true });
    assert.deepEqual([...ask(2)].sort(), ['rs1', 'rs2']);
  });

  ipvs.close();
}

main()
  .catch((err) => {
    failed++;
    console.log(`FAIL (uncaught) ${err instanceof Error ? err.stack : String(err)}`);
  })
  .finally(() => {
    for (const s of servers) if (s.pid !== undefined) s.kill();
    try {
      sh('ip netns del kts-cl; ip netns del kts-rs1; ip netns del kts-rs2; ip link del kts-br; ipvsadm -C');
    } catch {
      // the VM is thrown away anyway
    }
    console.log(`${passed} passed, ${failed} failed`);
    process.exitCode = failed === 0 ? 0 : 1;
  });
