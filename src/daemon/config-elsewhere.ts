/**
 * The children's way to load the configuration: in a loader process of their own
 * (config-loader.ts), never on their event loop. The VRRP child gets only its part (vrrpPartOf)
 * and how many virtual servers the whole has (so it can ask the watchdog for a checker child).
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { KeepalivedConfig } from '../config/types.js';

export interface LoaderRequest {
  file: string;
  configId?: string;
  /** 'vrrp': only the VRRP child's part; 'all': the whole configuration. */
  part: 'vrrp' | 'all';
  /** The daemon's nice value: the loader runs BACKGROUND_NICE_STEP above it. */
  nice: number;
}

export type LoaderReply = { ok: true; config: KeepalivedConfig; warnings: string[]; virtualServers: number } | { ok: false; errors: string[] };

/** Node options of a child that the loader should not have (they tune the child's own run). */
function loaderExecArgv(): string[] {
  return process.execArgv.filter((a) => a !== '--no-lazy' && a !== '--no-flush-bytecode' && !a.startsWith('--max-semi-space-size'));
}

function loaderModule(): string {
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  return fileURLToPath(new URL(`./config-loader${ext}`, import.meta.url));
}

export function loadConfigElsewhere(req: LoaderRequest): Promise<LoaderReply> {
  return new Promise((resolve) => {
    let answered = false;
    const proc = fork(loaderModule(), [], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: loaderExecArgv() });
    proc.once('message', (m: LoaderReply) => {
      answered = true;
      resolve(m);
    });
    proc.once('error', (e) => {
      if (answered) return;
      answered = true;
      resolve({ ok: false, errors: [`cannot start the configuration loader: ${e.message}`] });
    });
    proc.once('exit', (code, signal) => {
      if (answered) return;
      answered = true;
      resolve({ ok: false, errors: [`the configuration loader ended without an answer (${signal ?? `exit status ${code}`})`] });
    });
    proc.send(req);
  });
}
