/**
 * Benchmark, run INSIDE the IPVS VM (scripts/ipvs-vm/bench.sh): program 1,000 services × 3 real
 * servers with our netlink adapter (one reconcile from an empty table), read the table back, run a
 * reconcile that has nothing to do; then the same table with `ipvsadm -R` (the reference). Both in
 * the same VM under the same emulated CPU (TCG is 15-20x slower than the host): compare the ratio,
 * not the absolute numbers.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { NetlinkIpvs } from '../../src/adapters/linux/ipvs-netlink.js';
import type { IpvsTableEntry } from '../../src/adapters/ipvs-types.js';

const SERVICES = Number(process.env.KTS_BENCH_SERVICES ?? 1000);
const DESTS = 3;

function table(): IpvsTableEntry[] {
  const out: IpvsTableEntry[] = [];
  for (let i = 0; i < SERVICES; i++) {
    const address = `192.0.2.${1 + (i % 250)}`;
    const port = 1000 + Math.floor(i / 250);
    out.push({
      service: { id: { type: 'address', protocol: 'TCP', address, port, family: 'ipv4' }, scheduler: 'wrr', flags: [] },
      dests: Array.from({ length: DESTS }, (_, d) => ({ address: `198.51.100.${1 + d}`, port: 80, family: 'ipv4' as const, weight: 1 + d, method: 'NAT' as const })),
    });
  }
  return out;
}

function restoreText(t: IpvsTableEntry[]): string {
  const lines: string[] = [];
  for (const e of t) {
    const id = e.service.id;
    if (id.type !== 'address') continue;
    lines.push(`-A -t ${id.address}:${id.port} -s ${e.service.scheduler}`);
    for (const d of e.dests) lines.push(`-a -t ${id.address}:${id.port} -r ${d.address}:${d.port} -m -w ${d.weight}`);
  }
  return lines.join('\n') + '\n';
}

const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;

async function main(): Promise<void> {
  const o = await NetlinkIpvs.open();
  if (!o.ok) throw new Error(o.message);
  const ipvs = o.ipvs;
  const t = table();
  execFileSync('ipvsadm', ['-C']);

  let t0 = process.hrtime.bigint();
  const r = await ipvs.reconcile(t);
  const program = ms(t0);
  if (!r.ok) throw new Error('reconcile failed');
  t0 = process.hrtime.bigint();
  const read = await ipvs.kernelTable();
  const readMs = ms(t0);
  t0 = process.hrtime.bigint();
  const noop = await ipvs.reconcile(t);
  const noopMs = ms(t0);
  if (read.length !== SERVICES || noop.applied.length !== 0) throw new Error('table mismatch');

  execFileSync('ipvsadm', ['-C']);
  writeFileSync('/tmp/kts-restore.txt', restoreText(t));
  t0 = process.hrtime.bigint();
  execFileSync('sh', ['-c', 'ipvsadm -R < /tmp/kts-restore.txt']);
  const restoreMs = ms(t0);
  const listed = execFileSync('sh', ['-c', 'ipvsadm -Ln | grep -c "^TCP"'], { encoding: 'utf8' }).trim();
  if (Number(listed) !== SERVICES) throw new Error(`ipvsadm -R gave ${listed} services`);
  t0 = process.hrtime.bigint();
  execFileSync('sh', ['-c', 'ipvsadm -Sn > /dev/null']);
  const saveMs = ms(t0);
  execFileSync('ipvsadm', ['-C']);
  ipvs.close();

  const requests = SERVICES * (1 + DESTS);
  const row = (what: string, v: number) => console.log(`${what.padEnd(44)} ${v.toFixed(0).padStart(7)} ms`);
  console.log(`IPVS programming, ${SERVICES} services x ${DESTS} real servers (${requests} netlink requests), QEMU TCG VM`);
  row('keepalived-ts reconcile from empty', program);
  row('ipvsadm -R (same table)', restoreMs);
  row('keepalived-ts read back (dump services+dests)', readMs);
  row('ipvsadm -Sn (dump)', saveMs);
  row('keepalived-ts reconcile with nothing to do', noopMs);
  console.log(JSON.stringify({ bench: 'ipvs-program', services: SERVICES, dests: DESTS, programMs: program, ipvsadmRestoreMs: restoreMs, readMs, ipvsadmSaveMs: saveMs, noopReconcileMs: noopMs }));
}

main().catch((err) => {
  console.log(`bench failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
