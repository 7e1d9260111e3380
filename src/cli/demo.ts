/**
 * `keepalived-ts demo`: a real failover in network namespaces, explained step by step. As root,
 * with no arguments: a switch, two load balancers (lb1 priority 150, lb2 priority 100) sharing the
 * VIP 192.0.2.100 and each serving HTTP with its own name, and a client. It shows the election,
 * kills the master's whole process group, shows the takeover and that the client is still
 * answered — by lb2 — then the failover timeline from the event logs, and removes everything
 * (namespaces, processes by pid, temp files) even on failure or Ctrl-C.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DemoLab, httpServerArgv, type Started } from '../daemon/demo-lab.js';

const VIP = '192.0.2.100';
const LBS = [
  { name: 'lb1', address: '192.0.2.11', priority: 150 },
  { name: 'lb2', address: '192.0.2.12', priority: 100 },
] as const;
const CLIENT = { name: 'client', address: '192.0.2.50' };
/** v3 with 0.25 s adverts: master-down interval 0.75 s plus skew, quick to watch, calm on a busy host. */
const ADVERT_INT = 0.25;

export interface DemoIo {
  out: (s: string) => void;
  err: (s: string) => void;
}

const defaultIo: DemoIo = {
  out: (s) => void process.stdout.write(s),
  err: (s) => void process.stderr.write(s),
};

function demoConf(name: string, priority: number): string {
  return `# keepalived-ts demo: ${name}
global_defs {
  router_id ${name}
  vrrp_version 3
}
vrrp_instance VI_1 {
  state BACKUP
  interface eth0
  virtual_router_id 51
  priority ${priority}
  advert_int ${ADVERT_INT}
  virtual_ipaddress {
    ${VIP}/24
  }
}
`;
}

/** The daemon's entry beside this build: .ts under tsx, .js when compiled. */
function daemonEntry(): string {
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  return fileURLToPath(new URL(`../daemon/entry${ext}`, import.meta.url));
}

async function waitFor(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The time stamp of a daemon log line ("2026-11-25 19:25:26.539 Keepalived_vrrp[..]: ..."). */
function lineTime(output: string, needle: string, after = 0): number | undefined {
  for (const line of output.split('\n')) {
    if (!line.includes(needle)) continue;
    const t = new Date(line.slice(0, 23).replace(' ', 'T')).getTime();
    if (Number.isFinite(t) && t >= after) return t;
  }
  return undefined;
}

export async function main(argv: string[], io: DemoIo = defaultIo): Promise<number> {
  if (argv.length > 0) {
    io.err('usage: keepalived-ts demo   (no arguments; needs root: it builds network namespaces)\n');
    return 2;
  }
  if (process.getuid?.() !== 0) {
    io.err('keepalived-ts demo: needs root (it creates network namespaces and raw sockets)\n');
    return 1;
  }
  const lab = new DemoLab();
  const work = mkdtempSync(join(tmpdir(), 'kts-demo-'));
  const say = (s: string): void => io.out(`${s}\n`);
  let step = 0;
  const title = (s: string): void => say(`\n[${++step}] ${s}`);
  const daemons = new Map<string, Started>();
  let interrupted = false;
  const onSignal = (): void => {
    interrupted = true;
    say('\ninterrupted: cleaning up');
    finish();
    process.exit(130);
  };
  let finished = false;
  const finish = (): void => {
    if (finished) return;
    finished = true;
    const r = lab.cleanup();
    rmSync(work, { recursive: true, force: true });
    say(`\ncleaned up: ${r.namespaces} namespaces deleted, ${r.killed} leftover process group(s) killed, ${work} removed`);
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const curl = (): string => {
    try {
      return lab.exec(`${lab.prefix}${CLIENT.name}`, ['curl', '-s', '--max-time', '2', `http://${VIP}/`], 5000).trim();
    } catch {
      return '(no answer)';
    }
  };

  try {
    say(`keepalived-ts demo: a real VRRP failover in network namespaces (prefix ${lab.prefix})`);
    title('Building the lab');
    lab.buildSwitch();
    say(`    switch   ${lab.switchNs}: bridge br0 (STP off, no multicast snooping)`);
    for (const h of [...LBS, CLIENT]) {
      lab.addHost(h.name, h.address);
      say(`    ${h.name.padEnd(8)} ${lab.prefix}${h.name}: eth0 ${h.address}/24`);
    }

    title('Starting a tiny HTTP server on each load balancer (it answers its own name)');
    for (const lb of LBS) lab.start(`http-${lb.name}`, `${lab.prefix}${lb.name}`, httpServerArgv(lb.name));
    for (const lb of LBS) {
      await waitFor(`${lb.name}'s HTTP server`, () => {
        try {
          return lab.exec(`${lab.prefix}${CLIENT.name}`, ['curl', '-s', '--max-time', '1', `http://${lb.address}/`], 3000).includes(lb.name);
        } catch {
          return false;
        }
      }, 10_000);
      say(`    http://${lb.address}/ -> served by ${lb.name}`);
    }

    title(`Writing the configurations: vrrp_instance VI_1, VRID 51, VIP ${VIP}, VRRPv3, advert_int ${ADVERT_INT}`);
    for (const lb of LBS) {
      writeFileSync(join(work, `${lb.name}.conf`), demoConf(lb.name, lb.priority));
      say(`    ${join(work, `${lb.name}.conf`)}: priority ${lb.priority}`);
    }

    title('Starting keepalived-ts on both load balancers (each in its own process group)');
    for (const lb of LBS) {
      const args = [
        process.execPath, ...process.execArgv, daemonEntry(),
        '-f', join(work, `${lb.name}.conf`), '-n', '-l',
        '-p', join(work, `${lb.name}.pid`), '-r', join(work, `${lb.name}.vrrp.pid`), '-c', join(work, `${lb.name}.check.pid`),
        '--log-dir', join(work, `log-${lb.name}`),
      ];
      const d = lab.start(lb.name, `${lab.prefix}${lb.name}`, args);
      daemons.set(lb.name, d);
      say(`    ${lb.name}: keepalived-ts -f ${lb.name}.conf -n -l   (pid ${d.proc.pid})`);
    }
    const lb1 = daemons.get('lb1')!;
    const lb2 = daemons.get('lb2')!;
    const hasVip = (name: string): boolean => lab.exec(`${lab.prefix}${name}`, ['ip', '-4', 'addr', 'show', 'dev', 'eth0']).includes(`inet ${VIP}/`);

    title('Election');
    await waitFor('lb1 to become MASTER', () => lb1.output().includes('(VI_1) Entering MASTER STATE') && hasVip('lb1'), 30_000);
    await waitFor('lb2 to be BACKUP without the VIP', () => lb2.output().includes('(VI_1) Entering BACKUP STATE') && !hasVip('lb2'), 10_000);
    say('    lb1: (VI_1) Entering MASTER STATE   (priority 150 wins)');
    say('    lb2: (VI_1) Entering BACKUP STATE');
    say(`    ip addr: ${VIP} is on lb1, not on lb2`);
    const before = curl();
    say(`    client: curl http://${VIP}/ -> ${before}`);

    title("Killing lb1's keepalived-ts: SIGKILL to its whole process group (a crash: no goodbye advert)");
    const mastersBefore = lb2.output().split('Entering MASTER STATE').length - 1;
    const killedAt = Date.now();
    lab.killGroup(lb1);
    await lb1.exited;
    say(`    kill -KILL -${lb1.proc.pid}`);

    title('Takeover');
    await waitFor('lb2 to take over', () => lb2.output().split('Entering MASTER STATE').length - 1 > mastersBefore && hasVip('lb2'), 15_000);
    const tookOver = lineTime(lb2.output(), 'Entering MASTER STATE', killedAt - 1000);
    say(`    lb2: (VI_1) Entering MASTER STATE${tookOver !== undefined ? `   (${Math.max(0, tookOver - killedAt)} ms after the kill)` : ''}`);
    if (lb2.output().includes(`Sending gratuitous ARP on eth0 for ${VIP}`)) say(`    lb2: Sending gratuitous ARP on eth0 for ${VIP}`);
    say(`    ip addr: ${VIP} is on lb2`);
    await waitFor('the client to be answered by lb2', () => curl().includes('lb2'), 10_000);
    say(`    client: curl http://${VIP}/ -> ${curl()}   (answered by the backup)`);

    title('Stopping lb2 gracefully (SIGTERM) so its event log can be read');
    await lab.stop(lb2);
    say(`    lb2 exited with status ${lb2.proc.exitCode}`);

    title('The failover timeline, from the two event logs (keepalived-ts replay)');
    let timeline = '';
    try {
      const { main: replay } = await import('./replay.js');
      let err = '';
      const code = await replay([join(work, 'log-lb1'), join(work, 'log-lb2')], { out: (s) => (timeline += s), err: (s) => (err += s) });
      if (code !== 0) timeline = '';
      if (timeline === '' && err) say(`    (replay: ${err.trim()})`);
    } catch (e) {
      say(`    (replay unavailable: ${(e as Error).message})`);
    }
    if (timeline !== '') {
      for (const line of timeline.trimEnd().split('\n')) say(`    ${line}`);
    } else {
      say('    from the daemons\' log lines:');
      const lines = [...lb1.output().split('\n').map((l) => `lb1 ${l}`), ...lb2.output().split('\n').map((l) => `lb2 ${l}`)]
        .filter((l) => /Entering|gratuitous|removing VIPs|sent 0 priority/.test(l))
        .sort((x, y) => x.slice(4, 27).localeCompare(y.slice(4, 27)));
      for (const l of lines) say(`    ${l}`);
    }
    if (interrupted) return 130;
    say('\ndone: the VIP moved to lb2 and the client kept being answered.');
    return 0;
  } catch (e) {
    io.err(`keepalived-ts demo: ${(e as Error).message}\n`);
    for (const [name, d] of daemons) io.err(`--- ${name}'s log:\n${d.output()}\n`);
    return 1;
  } finally {
    finish();
  }
}
