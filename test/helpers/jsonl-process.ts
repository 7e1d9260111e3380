import type { ChildProcess } from 'node:child_process';

/**
 * A child process that talks JSON lines: one object per line on stdout (events, replies), one per
 * line on stdin (commands). Used for the lab's servers and the in-namespace probe runner.
 */
export class JsonlProcess {
  readonly events: Array<Record<string, unknown>> = [];
  private waiters: Array<{
    pred: (e: Record<string, unknown>) => boolean;
    resolve: (e: Record<string, unknown>) => void;
    reject: (e: Error) => void;
  }> = [];
  private buf = '';
  stderr = '';

  constructor(readonly proc: ChildProcess) {
    proc.stdout?.setEncoding('utf8');
    proc.stdout?.on('data', (d: string) => {
      this.buf += d;
      let nl: number;
      while ((nl = this.buf.indexOf('\n')) >= 0) {
        const line = this.buf.slice(0, nl);
        this.buf = this.buf.slice(nl + 1);
        if (!line.trim()) continue;
        let ev: Record<string, unknown>;
        try {
          ev = JSON.parse(line) as Record<string, unknown>;
        } catch {
          ev = { text: line };
        }
        this.events.push(ev);
        for (const w of [...this.waiters]) {
          if (w.pred(ev)) {
            this.waiters.splice(this.waiters.indexOf(w), 1);
            w.resolve(ev);
          }
        }
      }
    });
    proc.once('exit', (code) => {
      for (const w of this.waiters.splice(0)) {
        w.reject(new Error(`process exited (${code}) while waiting; stderr: ${this.stderr.slice(-2000)}`));
      }
    });
    proc.stderr?.setEncoding('utf8');
    proc.stderr?.on('data', (d: string) => {
      this.stderr += d;
    });
  }

  /** The first event (already seen or still to come) matching `pred`. */
  waitFor(pred: (e: Record<string, unknown>) => boolean, timeoutMs = 10_000, fromIndex = 0): Promise<Record<string, unknown>> {
    const seen = this.events.slice(fromIndex).find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.resolve !== done);
        reject(new Error(`timed out waiting for an event; stderr: ${this.stderr.slice(-2000)}`));
      }, timeoutMs);
      const done = (e: Record<string, unknown>): void => {
        clearTimeout(t);
        resolve(e);
      };
      const fail = (e: Error): void => {
        clearTimeout(t);
        reject(e);
      };
      this.waiters.push({ pred, resolve: done, reject: fail });
    });
  }

  send(obj: unknown): void {
    this.proc.stdin?.write(`${JSON.stringify(obj)}\n`);
  }

  /** Send a command carrying an `id` and wait for the reply with the same id. */
  private nextId = 1;
  async request(obj: Record<string, unknown>, timeoutMs = 20_000): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    const reply = this.waitFor((e) => e['id'] === id, timeoutMs, this.events.length);
    this.send({ ...obj, id });
    return reply;
  }
}
