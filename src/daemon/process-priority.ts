/**
 * Scheduling priority (nice) of the daemon's processes: keepalived's vrrp_priority and
 * checker_priority, and the lower one of the processes that do nothing urgent.
 *
 * Why some yield: parsing a 43,000-line configuration keeps a process's main thread and V8's
 * collector threads busy on every core for a few hundred ms, then again when the old configuration
 * is collected. On a two-core load balancer that starved the VRRP child: a master of 50 instances at
 * 10 ms adverts left gaps of 40–80 ms in its adverts and the backup took over (seen with
 * `perf sched` in test/daemon/reload-big.test.ts: in a 64 ms gap the parsing process's five threads
 * ran 77 ms of CPU, the VRRP child 5 ms). So the configuration loader (config-loader.ts) runs
 * BACKGROUND_NICE_STEP nicer than the daemon was started, and so does the watchdog
 * (native/watchdog.c: a child restarted a few ms later changes nothing); the children run at the
 * priority they were started with (or the configured one): when both want a core, the kernel gives
 * it to the VRRP child.
 *
 * Linux keeps a nice value per thread, and setpriority(PRIO_PROCESS, tid) sets one thread's: a
 * process is reniced by renicing each of its threads (/proc/self/task), V8's collector threads
 * included. A thread created later inherits the nice of the thread that creates it.
 */
import { readdirSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

/** How much nicer than the daemon the configuration loader runs (the watchdog's PARENT_NICE_STEP too). */
export const BACKGROUND_NICE_STEP = 10;

/** The nice value of this process's main thread. */
export function currentNice(): number {
  return getPriority(0);
}

/** The threads (task ids) of this process. */
function threadIds(): number[] {
  try {
    return readdirSync('/proc/self/task').map(Number).filter((t) => Number.isInteger(t) && t > 0);
  } catch {
    return [process.pid];
  }
}

/**
 * Sets every thread of this process to `nice` (clamped to −20…19). A lower value than the
 * current one needs CAP_SYS_NICE (root has it): without it, the error says so and the threads
 * keep theirs. Threads that end meanwhile are skipped.
 */
export function setProcessNice(nice: number): { ok: true } | { ok: false; error: string } {
  const target = Math.max(-20, Math.min(19, Math.trunc(nice)));
  for (const tid of threadIds()) {
    try {
      setPriority(tid, target);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? (e as { info?: { code?: string } }).info?.code;
      if (code === 'ESRCH') continue;
      return { ok: false, error: `cannot set the nice value ${target} (thread ${tid}): ${(e as Error).message}` };
    }
  }
  return { ok: true };
}

/**
 * A child's priority keeper (keepalived's vrrp_priority / checker_priority): `apply` sets the
 * configured nice value, or the daemon's own when none is configured, at start and again when a
 * reload changes it. A failure is logged, never fatal: the child runs at the priority it has.
 */
export function childPriority(
  who: string,
  keyword: string,
  log: { info(line: string): void; error(line: string): void },
): (configured: number | undefined, base: number) => void {
  let applied: number | undefined;
  return (configured, base) => {
    const nice = configured ?? base;
    if (nice === applied) return;
    const r = setProcessNice(nice);
    if (!r.ok) return log.error(`${who} process priority: ${r.error}`);
    if (configured !== undefined) log.info(`${who} process priority set to ${nice} (${keyword})`);
    applied = nice;
  };
}
