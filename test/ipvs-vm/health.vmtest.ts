/**
 * Health checks driving IPVS on a real kernel, INSIDE the VM (see ipvs.vmtest.ts for how it runs):
 * the daemon's checker side (CheckerProcess: checker engine, real HTTP_GET probes, the netlink
 * adapter behind its model) programs LVS-NAT from a keepalived.conf, and real traffic shows it.
 * No effect is made by hand here: a real server's page disappears (404) and the CHECKER removes it;
 * the page comes back and the checker adds it back; both fail and the sorry server takes over;
 * inhibit_on_failure keeps a failed server at weight 0. A service deleted behind the daemon's back
 * makes the next effect fail: the refusal is logged with the service and the table reconciled.
 * lvs_sync_daemon follows the VRRP instance's state as the watchdog forwards it; stop removes it all.
 *
 *   client ns kts-hc 203.0.113.2 ── veth ── director 203.0.113.1 (VIP 203.0.113.100)
 *   director 198.51.100.1 on bridge kts-hbr ── kts-h1 .11, kts-h2 .12 (real), kts-h3 .13 (sorry)
 */
import { strict as assert } from 'node:assert';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { loadConfigText } from '../../src/config/load.js';
import { CheckerProcess } from '../../src/daemon/checker-process.js';
import { MemoryJournal } from '../../src/engine/memory-journal.js';

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
    console.log(`     daemon log:\n       ${lines.join('\n       ')}`);
  }
}

function sh(cmd: string): string {
  return execFileSync('sh', ['-c', cmd], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

const CHECK = `
        HTTP_GET {
            url {
                path /index.html
                status_code 200
            }
            connect_timeout 2
            retry 1
            delay_before_retry 0.3
        }`;

// VS :80 removes a failed real server and has a sorry server; VS :81 (same real servers, NAT
// rewrites the port) keeps a failed one at weight 0.
const CONF = `
global_defs {
    router_id vm-lb
    lvs_sync_daemon kts-hbr VI_1 id 7
}
vrrp_instance VI_1 {
    interface kts-hbr
    virtual_router_id 51
    priority 100
    virtual_ipaddress {
        203.0.113.200
    }
}
virtual_server 203.0.113.100 80 {
    delay_loop 1
    lb_algo rr
    lb_kind NAT
    protocol TCP
    sorry_server 198.51.100.13 80
    real_server 198.51.100.11 80 {
        weight 1${CHECK}
    }
    real_server 198.51.100.12 80 {
        weight 1${CHECK}
    }
}
virtual_server 203.0.113.100 81 {
    delay_loop 1
    lb_algo rr
    lb_kind NAT
    protocol TCP
    real_server 198.51.100.11 80 {
        weight 1
        inhibit_on_failure${CHECK}
    }
    real_server 198.51.100.12 80 {
        weight 1
        inhibit_on_failure${CHECK}
    }
}
`;

const servers: ChildProcess[] = [];
const lines: string[] = [];
const log = { info: (m: string) => void lines.push(m), detail: (m: string) => void lines.push(m), error: (m: string) => void lines.push(m) };

function lab(): void {
  sh(
    [
      'ipvsadm -C',
      'sysctl -qw net.ipv4.ip_forward=1',
      'ip netns add kts-hc',
      'ip link add kts-hc0 type veth peer name eth0 netns kts-hc',
      'ip addr add 203.0.113.1/24 dev kts-hc0',
      'ip addr add 203.0.113.100/32 dev kts-hc0',
      'ip link set kts-hc0 up',
      'ip -n kts-hc link set lo up',
      'ip -n kts-hc addr add 203.0.113.2/24 dev eth0',
      'ip -n kts-hc link set eth0 up',
      'ip link add kts-hbr type bridge',
      'ip addr add 198.51.100.1/24 dev kts-hbr',
      'ip link set kts-hbr up',
    ].join(' && '),
  );
  for (const n of [1, 2, 3]) {
    sh(
      [
        `ip netns add kts-h${n}`,
        `ip link add kts-h${n}p type veth peer name eth0 netns kts-h${n}`,
        `ip link set kts-h${n}p master kts-hbr up`,
        `ip -n kts-h${n} link set lo up`,
        `ip -n kts-h${n} addr add 198.51.100.1${n}/24 dev eth0`,
        `ip -n kts-h${n} link set eth0 up`,
        `ip -n kts-h${n} route add default via 198.51.100.1`,
      ].join(' && '),
    );
    mkdirSync(docRoot(n), { recursive: true });
    page(n, true);
    servers.push(spawn('ip', ['netns', 'exec', `kts-h${n}`, 'busybox', 'httpd', '-f', '-p', `198.51.100.1${n}:80`, '-h', docRoot(n)], { stdio: 'ignore' }));
  }
}

const docRoot = (n: number): string => `/tmp/kts-h${n}`;

/** The page the HTTP_GET checks (and the client) ask for: present = healthy, absent = 404. */
function page(n: number, present: boolean): void {
  if (present) writeFileSync(`${docRoot(n)}/index.html`, n === 3 ? 'sorry\n' : `rs${n}\n`);
  else rmSync(`${docRoot(n)}/index.html`, { force: true });
}

function ask(port: number, times: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < times; i++) out.push(sh(`ip netns exec kts-hc curl -sf -m 5 http://203.0.113.100:${port}/index.html`).trim());
  return out;
}

/** `ipvsadm -Ln` for one service: its real servers and their weights, e.g. ['198.51.100.11:80 1']. */
function table(port: number): string[] {
  const out = sh('ipvsadm -Ln');
  const blocks = out.split(/\n(?=TCP|UDP)/);
  const mine = blocks.find((b) => b.startsWith(`TCP  203.0.113.100:${port} `));
  if (mine === undefined) return ['(no service)'];
  return [...mine.matchAll(/->\s+(\d+\.\d+\.\d+\.\d+:\d+)\s+Masq\s+(\d+)/g)].map((m) => `${m[1]} ${m[2]}`).sort();
}

async function until(what: string, ok: () => boolean, timeoutMs = 40_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; ipvsadm -Ln:\n${sh('ipvsadm -Ln')}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function main(): Promise<void> {
  const r = loadConfigText(CONF, 'health.conf');
  assert.ok(r.config, r.diagnostics.map((d) => d.message).join('; '));
  lab();
  const both = ['198.51.100.11:80 1', '198.51.100.12:80 1'];

  let checker = await CheckerProcess.start({ config: r.config, log, journal: new MemoryJournal() });

  await test('the checker side programs the table from keepalived.conf; traffic alternates between both real servers', async () => {
    assert.ok(checker.ipvs.hasKernel, 'the kernel IPVS must be in use');
    await until('both services', () => table(80).join() === both.join() && table(81).join() === both.join());
    await until('both real servers to serve', () => {
      try {
        return [...ask(80, 4)].sort().join() === 'rs1,rs1,rs2,rs2';
      } catch {
        return false;
      }
    });
  });

  await test('a failing HTTP check removes the real server (VS :80) and inhibits it at weight 0 (VS :81); a refused effect is logged and reconciled', async () => {
    // Behind the daemon's back: VS :81 goes, so the checker's next edit on it is refused.
    sh('ipvsadm -D -t 203.0.113.100:81');
    page(1, false);
    await until('rs1 removed from VS :80', () => table(80).join() === '198.51.100.12:80 1');
    assert.ok(lines.includes('Removing service [198.51.100.11]:tcp:80 from VS [203.0.113.100]:tcp:80'), 'keepalived log line');
    await until('VS :81 back, rs1 at weight 0', () => table(81).join() === ['198.51.100.11:80 0', '198.51.100.12:80 1'].join());
    // Usually the edit of rs1 to weight 0; on a slow host rs2's check may time out too, and the
    // first effect refused is then another one on the same service (seen: ipvsAddDest).
    assert.ok(lines.some((l) => /IPVS: ipvs\w+ on TCP \[203\.0\.113\.100\]:81 refused .*reconciling/.test(l)), 'the refusal is logged with the service');
    assert.deepEqual(ask(80, 3), ['rs2', 'rs2', 'rs2']);
    assert.deepEqual(ask(81, 3), ['rs2', 'rs2', 'rs2']);
  });

  await test('the real server recovers: the checker adds it back and traffic alternates again', async () => {
    page(1, true);
    await until('rs1 back in both', () => table(80).join() === both.join() && table(81).join() === both.join());
    assert.deepEqual([...ask(80, 4)].sort(), ['rs1', 'rs1', 'rs2', 'rs2']);
  });

  await test('a reload (the checker side swapped, the kernel table kept) does not put a dead real server back', async () => {
    page(1, false);
    await until('rs1 removed from VS :80', () => table(80).join() === '198.51.100.12:80 1');
    // What the checker child does on SIGHUP: carry the states, stop keeping the table, start anew.
    const carried = checker.engine.carryState();
    await checker.stop({ keepKernelTable: true });
    assert.equal(table(80).join(), '198.51.100.12:80 1', 'the table is kept across the swap');
    checker = await CheckerProcess.start({ config: r.config!, log, journal: new MemoryJournal(), reload: true, carried });
    // Started and reconciled against the kernel: rs1 is still out (without the carried state the
    // new side's start would have added it back until its first check failed).
    assert.equal(table(80).join(), '198.51.100.12:80 1');
    assert.equal(table(81).join(), ['198.51.100.11:80 0', '198.51.100.12:80 1'].join());
    page(1, true);
    await until('rs1 back in both, through the new checker side', () => table(80).join() === both.join() && table(81).join() === both.join());
  });

  await test('all real servers fail: the sorry server takes over VS :80; VS :81 keeps both at weight 0', async () => {
    page(1, false);
    page(2, false);
    await until('the sorry server alone in VS :80', () => table(80).join() === '198.51.100.13:80 1');
    await until('both inhibited in VS :81', () => table(81).join() === ['198.51.100.11:80 0', '198.51.100.12:80 0'].join());
    assert.deepEqual(ask(80, 2), ['sorry', 'sorry']);
    page(1, true);
    page(2, true);
    await until('the real servers back, the sorry server gone', () => table(80).join() === both.join() && table(81).join() === both.join());
    assert.deepEqual([...ask(80, 2)].sort(), ['rs1', 'rs2']);
  });

  await test('lvs_sync_daemon follows the VRRP instance the watchdog forwards: backup until MASTER, then master only', async () => {
    await until('the backup sync daemon', () => /backup sync daemon \(mcast=kts-hbr, syncid=7/.test(sh('ipvsadm -L --daemon')), 10_000);
    assert.doesNotMatch(sh('ipvsadm -L --daemon'), /master sync daemon/);
    checker.followVrrp('VI_1', 'MASTER');
    await until('the master sync daemon alone', () => {
      const shown = sh('ipvsadm -L --daemon');
      return /master sync daemon \(mcast=kts-hbr, syncid=7/.test(shown) && !/backup sync daemon/.test(shown);
    }, 10_000);
  });

  await test('stop removes our services and the sync daemons from the kernel', async () => {
    await checker.stop();
    assert.equal(table(80)[0], '(no service)');
    assert.equal(table(81)[0], '(no service)');
    assert.doesNotMatch(sh('ipvsadm -L --daemon'), /sync daemon/);
  });
}

main()
  .catch((err) => {
    failed++;
    console.log(`FAIL (uncaught) ${err instanceof Error ? err.stack : String(err)}`);
  })
  .finally(() => {
    for (const s of servers) if (s.pid !== undefined) s.kill();
    try {
      sh('ip netns del kts-hc; ip netns del kts-h1; ip netns del kts-h2; ip netns del kts-h3; ip link del kts-hbr; ipvsadm -C');
    } catch {
      // the VM is thrown away anyway
    }
    console.log(`${passed} passed, ${failed} failed`);
    process.exitCode = failed === 0 ? 0 : 1;
    // Timers of the checker side (if a test failed before stop) must not hold the VM.
    setTimeout(() => process.exit(process.exitCode ?? 1), 2000).unref();
  });
