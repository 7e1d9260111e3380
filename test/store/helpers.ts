import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventRecord, NewEvent } from '../../src/store/schema.js';
import type { EventLogLogger } from '../../src/store/event-log.js';

/** A fresh directory under the system temp dir; `cleanup()` removes all of them. */
export function tempDirs(prefix = 'kts-store-') {
  const dirs: string[] = [];
  return {
    make(): string {
      const d = mkdtempSync(join(tmpdir(), `${prefix}${process.pid}-`));
      dirs.push(d);
      return d;
    },
    cleanup(): void {
      for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
    },
  };
}

export function advert(i: number, opts: { actor?: string; wallTime?: number; data?: unknown } = {}): NewEvent {
  return {
    wallTime: opts.wallTime ?? 1_700_000_000_000 + i * 1000,
    monoTime: i * 1000,
    node: 'lb1',
    actor: opts.actor ?? 'vrrp/VI_1',
    kind: 'input',
    type: 'advert',
    data: opts.data ?? { src: '192.0.2.11', priority: 150, maxAdverIntCs: 100, addresses: ['192.0.2.100'], i },
  };
}

export async function collect(it: AsyncIterable<EventRecord>): Promise<EventRecord[]> {
  const out: EventRecord[] = [];
  for await (const r of it) out.push(r);
  return out;
}

/** A logger that remembers what it was told (the log must be loud about failures). */
export function memoryLogger(): EventLogLogger & { errors: string[]; warnings: string[] } {
  const errors: string[] = [];
  const warnings: string[] = [];
  return { errors, warnings, error: (m) => void errors.push(m), warn: (m) => void warnings.push(m) };
}
