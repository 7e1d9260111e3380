import type { ChildProcess } from 'node:child_process';

/**
 * Resolves once a tcpdump started by a test says "listening on" (on stderr): from then on it sees
 * every frame. Rejects with what it printed if that does not come within `timeoutMs`.
 */
export function tcpdumpListening(proc: ChildProcess, timeoutMs = 10_000): Promise<void> {
  return new Promise<void>((res, rej) => {
    let err = '';
    const t = setTimeout(() => rej(new Error(`tcpdump did not start: ${err}`)), timeoutMs);
    proc.stderr?.on('data', (d: Buffer | string) => {
      err += d.toString();
      if (err.includes('listening on')) {
        clearTimeout(t);
        res();
      }
    });
  });
}
