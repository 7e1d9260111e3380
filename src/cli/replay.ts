/**
 * `keepalived-ts replay DIR...`: explain and re-run recorded failovers (DESIGN.md, "Replay").
 * Exit 0: done (and, with --verify, no divergence); 1: a log could not be read, or --verify found a
 * divergence, or a --what-if configuration has errors; 2: usage error. Errors are one clear line
 * naming the directory and the problem, never a stack trace.
 */
import { writeFile } from 'node:fs/promises';
import { rootMessage } from '../store/errors.js';
import { parseReplayArgs, REPLAY_USAGE } from '../replay/args.js';
import { formatTimeline, timelineJson } from '../replay/format.js';
import { renderHtml } from '../replay/html.js';
import { asReplayError, closeLogs, openLogs, ReplayError, type OpenLog } from '../replay/load.js';
import { mergeTimelines } from '../replay/merge.js';
import { scanLogs } from '../replay/scan.js';
import { formatVerify, verifyLog, type VerifyResult } from '../replay/verify.js';
import { formatWhatIf, whatIf, whatIfJson } from '../replay/what-if.js';

export interface ReplayIo {
  out: (s: string) => void;
  err: (s: string) => void;
}

const defaultIo: ReplayIo = {
  out: (s) => void process.stdout.write(s),
  err: (s) => void process.stderr.write(s),
};

export async function main(argv: string[], io: ReplayIo = defaultIo): Promise<number> {
  const parsed = parseReplayArgs(argv);
  if (!parsed.ok) {
    io.err(`keepalived-ts replay: ${parsed.error}\n${REPLAY_USAGE}\n`);
    return 2;
  }
  const args = parsed.args;
  let logs: OpenLog[] = [];
  try {
    logs = await openLogs(args.dirs);
    const scans = await scanLogs(logs, args.instance !== undefined ? { instance: args.instance } : {});
    if (args.instance !== undefined && !scans.some((s) => s.runs.some((r) => r.instances.some((i) => i.name === args.instance)))) {
      io.err(`keepalived-ts replay: no vrrp_instance ${args.instance} in ${args.dirs.join(', ')}\n`);
      return 1;
    }
    const timeline = mergeTimelines(scans, { ...(args.since !== undefined ? { since: args.since } : {}), ...(args.until !== undefined ? { until: args.until } : {}) });
    const json: Record<string, unknown> = {};
    let status = 0;

    if (args.verify) {
      const results: VerifyResult[] = [];
      for (const l of logs) results.push(await verifyLog(l));
      if (results.some((r) => r.divergences > 0 || r.error !== undefined)) status = 1;
      if (args.json) json.verify = results;
      else io.out(formatVerify(results));
    }
    if (args.whatIf.length > 0) {
      const res = await whatIf(scans, timeline.alignment, args.whatIf);
      if (!res.ok) {
        io.err(res.errors.map((e) => `keepalived-ts replay: ${e}\n`).join(''));
        return 1;
      }
      if (args.json) json.whatIf = whatIfJson(res.report);
      else io.out(formatWhatIf(res.report));
    }
    if (args.html !== undefined) {
      await writeFile(args.html, renderHtml(timeline, scans)).catch((err: unknown) => {
        throw new ReplayError(`cannot write ${args.html}: ${rootMessage(err)}`);
      });
    }
    if (args.json) {
      json.timeline = timelineJson(timeline);
      io.out(`${JSON.stringify(args.verify || args.whatIf.length > 0 ? json : json.timeline, null, 2)}\n`);
    } else if (!args.verify && args.whatIf.length === 0) {
      io.out(formatTimeline(timeline));
    }
    return status;
  } catch (err) {
    io.err(`keepalived-ts replay: ${asReplayError(err, 'replay').message}\n`);
    return 1;
  } finally {
    await closeLogs(logs);
  }
}
