/**
 * Entry of the configuration loader: a short-lived process a child forks (config-elsewhere.ts) to
 * parse the configuration at its start and at each reload. Parsing a 43,000-line file takes a few
 * hundred ms of CPU and leaves as much garbage; here it costs the VRRP child's loop nothing but the
 * result's deserialisation, and the memory goes away with the process.
 *
 * It runs BACKGROUND_NICE_STEP nicer than the child that forked it: when both want a core, the kernel
 * gives it to the child's adverts (raising a nice value never needs a privilege).
 */
import { loadDaemonConfig } from './daemon-config.js';
import { vrrpPartOf } from './ipc.js';
import type { LoaderReply, LoaderRequest } from './config-elsewhere.js';
import { BACKGROUND_NICE_STEP, setProcessNice } from './process-priority.js';

function reply(r: LoaderReply): void {
  process.send?.(r, undefined, undefined, () => {
    process.disconnect?.();
    process.exit(0);
  });
}

process.once('message', (m: LoaderRequest) => {
  setProcessNice(m.nice + BACKGROUND_NICE_STEP);
  try {
    const r = loadDaemonConfig(m.file, m.configId);
    if (!r.ok) return reply(r);
    const virtualServers = r.config.virtualServers.length;
    reply({ ok: true, config: m.part === 'vrrp' ? vrrpPartOf(r.config) : r.config, warnings: r.warnings, virtualServers });
  } catch (e) {
    reply({ ok: false, errors: [`${m.file}: ${(e as Error).message}`] });
  }
});
process.on('disconnect', () => process.exit(0));
