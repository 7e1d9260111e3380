/**
 * Crash safety: a child process appending in a loop is killed with SIGKILL 50 times at random
 * moments. After each kill the log opens, its seqs are contiguous, and no record is torn or
 * duplicated: each run's records are a gap-free prefix of what it appended, in order.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { EventLog } from '../../src/store/event-log.js';
import type { EventRecord } from '../../src/store/schema.js';
import { tempDirs } from './helpers.js';

const tmp = tempDirs('kts-store-crash-');
afterAll(() => tmp.cleanup());

const root = fileURLToPath(new URL('../..', import.meta.url));
const KILLS = 50;
let child: string;

/**
 * The child runs as plain JavaScript: the store and the child transpiled once here, because 50
 * starts through a TypeScript loader would spend most of the test's time compiling.
 */
beforeAll(() => {
  const out = tmp.make();
  symlinkSync(join(root, 'node_modules'), join(out, 'node_modules'));
  writeFileSync(join(out, 'package.json'), '{"type":"module"}');
  writeFileSync(
    join(out, 'rxjs-core.js'),
    "export { Subject } from 'rxjs/internal/Subject';\nexport { Observable } from 'rxjs/internal/Observable';\n",
  );
  const sources = [
    ...readdirSync(join(root, 'src/store')).filter((f) => f.endsWith('.ts')).map((f) => `src/store/${f}`),
    'test/store/fixtures/crash-child.ts',
  ];
  for (const rel of sources) {
    const js = ts
      .transpileModule(readFileSync(join(root, rel), 'utf8'), {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
      })
      // The same Subject and Observable, loaded without rxjs's index (hundreds of modules: most
      // of a child's start on a busy machine).
      .outputText.replace(/from 'rxjs';/g, `from '${join(out, 'rxjs-core.js')}';`);
    const dest = join(out, rel.replace(/\.ts$/, '.js'));
    mkdirSync(dirname(dest), { recursive: true });
    writeFileSync(dest, js);
  }
  child = join(out, 'test/store/fixtures/crash-child.js');
});

/** Start the child, let it append for `ms` after it is ready, SIGKILL it. Returns the lastSeq it opened at. */
function runAndKill(dir: string, run: number, ms: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [child, dir, String(run)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let opened: number | undefined;
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /^ready (\d+)\n/.exec(out);
      if (m && opened === undefined) {
        opened = Number(m[1]);
        setTimeout(() => p.kill('SIGKILL'), ms);
      }
    });
    p.on('error', reject);
    p.on('exit', (code, signal) => {
      if (signal === 'SIGKILL' && opened !== undefined) resolve(opened);
      else reject(new Error(`child exited ${code ?? signal} before being killed: ${err}`));
    });
  });
}

describe('EventLog crash safety', () => {
  it('refuses a second process on the same directory, and frees it when the first dies', async () => {
    const dir = tmp.make();
    const p = spawn(process.execPath, [child, dir, '1'], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((resolve, reject) => {
        p.stdout.on('data', (d: Buffer) => (d.toString().startsWith('ready') ? resolve() : undefined));
        p.on('exit', (code) => reject(new Error(`child exited ${code}`)));
      });
      await expect(EventLog.open(dir, { node: 'lb1' })).rejects.toMatchObject({
        code: 'LOCKED',
        message: `event log ${dir} is in use by another keepalived-ts process`,
      });
    } finally {
      const exited = new Promise((r) => p.on('exit', r));
      p.kill('SIGKILL');
      await exited;
    }
    const log = await EventLog.open(dir, { node: 'lb1' });
    expect(log.lastSeq).toBeGreaterThanOrEqual(0);
    await log.close();
  });

  it(`survives ${KILLS} SIGKILLs at random moments: contiguous, nothing torn or duplicated`, async () => {
    const dir = tmp.make();
    let last = 0;
    let lastRecord: EventRecord | undefined;
    let totalRecords = 0;
    for (let run = 1; run <= KILLS; run++) {
      const ms = Math.floor(Math.random() * 60);
      const opened = await runAndKill(dir, run, ms);
      // The child continued exactly where the log ended.
      expect(opened).toBe(last);

      const reader = await EventLog.openReader(dir);
      try {
        const bounds = await reader.bounds();
        // Re-read the previous last record (unchanged) and everything after it.
        const fresh: EventRecord[] = [];
        for await (const r of reader.read({ fromSeq: Math.max(1, last) })) fresh.push(r);
        if (lastRecord) expect(fresh.shift()).toEqual(lastRecord);
        const seqs = fresh.map((r) => r.seq);
        expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, k) => last + 1 + k));
        fresh.forEach((r, k) => expect(r.data).toMatchObject({ run, i: k, pad: 'x'.repeat(k % 200) }));
        if (fresh.length > 0) {
          last = fresh.at(-1)!.seq;
          lastRecord = fresh.at(-1);
        }
        expect(bounds?.last ?? 0).toBe(last);
        totalRecords += fresh.length;
      } finally {
        await reader.close();
      }
    }
    // And the whole log at the end, once: contiguous from 1, runs in order.
    const reader = await EventLog.openReader(dir);
    let expected = 1;
    let prevRun = 0;
    for await (const r of reader.read()) {
      expect(r.seq).toBe(expected++);
      const run = (r.data as { run: number }).run;
      expect(run).toBeGreaterThanOrEqual(prevRun);
      prevRun = run;
    }
    await reader.close();
    expect(expected - 1).toBe(totalRecords);
    expect(totalRecords).toBeGreaterThan(KILLS);
  }, 120_000);
});
