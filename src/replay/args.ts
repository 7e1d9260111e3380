/**
 * The arguments of `keepalived-ts replay`, parsed purely (no I/O) so they can be tested alone.
 *
 *   replay DIR... [--instance NAME] [--since T] [--until T] [--json] [--html FILE] [--verify]
 *                 [--what-if CONF...]
 *
 * T: an ISO 8601 date and time (`2026-11-25T03:10:52Z`, or `2026-11-25 03:10:52`, read as UTC when no
 * zone is given — the timeline prints UTC), or ms since the epoch. `--what-if` takes every following
 * argument up to the next option: put the log directories before it.
 */
export interface ReplayArgs {
  dirs: string[];
  instance?: string;
  since?: number;
  until?: number;
  json: boolean;
  html?: string;
  verify: boolean;
  whatIf: string[];
}

export type ReplayArgsResult = { ok: true; args: ReplayArgs } | { ok: false; error: string };

export const REPLAY_USAGE = `usage: keepalived-ts replay DIR... [--instance NAME] [--since T] [--until T] [--json]
                            [--html FILE] [--verify] [--what-if CONF...]
  DIR: an event log directory (event_log_dir), one per node; several merge into one timeline.
  T: ISO 8601 time (UTC unless a zone is given) or ms since the epoch.
  --verify   re-run the recorded inputs through the machines; report the first divergence.
  --what-if  re-simulate the nodes from their external inputs with these configurations
             (matched to nodes by router_id); put the DIRs before it.`;

/** ISO 8601 or ms since the epoch → ms; undefined when neither. */
export function parseWhen(text: string): number | undefined {
  const t = text.trim();
  if (/^-?\d+(\.\d+)?$/.test(t)) return Number(t);
  let iso = t;
  // No zone given: UTC, as the timeline prints.
  if (/^\d{4}-\d\d-\d\d([T ]\d\d:\d\d(:\d\d(\.\d+)?)?)?$/.test(iso)) iso = iso.includes(' ') || iso.includes('T') ? `${iso.replace(' ', 'T')}Z` : `${iso}T00:00:00Z`;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? undefined : ms;
}

export function parseReplayArgs(argv: readonly string[]): ReplayArgsResult {
  const args: ReplayArgs = { dirs: [], json: false, verify: false, whatIf: [] };
  const fail = (error: string): ReplayArgsResult => ({ ok: false, error });
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      args.dirs.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith('--') || a === '-') {
      if (a.startsWith('-') && a !== '-') return fail(`unknown option ${a}`);
      args.dirs.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(0, eq) : a;
    const inline = eq > 0 ? a.slice(eq + 1) : undefined;
    const value = (): string | undefined => (inline !== undefined ? inline : argv[++i]);
    switch (name) {
      case '--json':
      case '--verify':
        if (inline !== undefined) return fail(`${name} takes no value`);
        if (name === '--json') args.json = true;
        else args.verify = true;
        break;
      case '--instance': {
        const v = value();
        if (v === undefined || v === '') return fail('--instance needs a vrrp_instance name');
        args.instance = v;
        break;
      }
      case '--since':
      case '--until': {
        const v = value();
        if (v === undefined) return fail(`${name} needs a time`);
        const t = parseWhen(v);
        if (t === undefined) return fail(`${name}: not a time: ${v} (ISO 8601, or ms since the epoch)`);
        if (name === '--since') args.since = t;
        else args.until = t;
        break;
      }
      case '--html': {
        const v = value();
        if (v === undefined || v === '') return fail('--html needs a file name');
        args.html = v;
        break;
      }
      case '--what-if': {
        if (inline !== undefined) {
          if (inline === '') return fail('--what-if needs configuration files');
          args.whatIf.push(inline);
          break;
        }
        const before = args.whatIf.length;
        while (i + 1 < argv.length && !argv[i + 1]!.startsWith('--')) args.whatIf.push(argv[++i]!);
        if (args.whatIf.length === before) return fail('--what-if needs configuration files');
        break;
      }
      default:
        return fail(`unknown option ${name}`);
    }
  }
  if (args.dirs.length === 0) return fail('no event log directory given');
  if (args.since !== undefined && args.until !== undefined && args.until < args.since) return fail('--until is before --since');
  return { ok: true, args };
}
