import type { CheckerInput } from '../machines/checker/contract.js';
import type { NewEvent } from '../store/schema.js';
import { StreamSummarizer } from '../store/summarizer.js';

/**
 * What repeats in the checkers' log is summarised, not logged one by one (DESIGN.md): a healthy
 * checker's `check` timer expiries and its probe results, and a dead server's failed probes, form
 * steady streams; only a change (a different verdict, a new misc_dynamic weight) is logged as is.
 *
 * An input that moved something (a transition, a verdict for the virtual server) is "forced": it
 * is logged as is, because the records it caused name it as their cause.
 */
const FORCED = new WeakSet<NewEvent>();

export function markCheckerForced(e: NewEvent): void {
  FORCED.add(e);
}

export function checkerSummaryKey(e: NewEvent): string | undefined {
  if (FORCED.has(e) || e.kind !== 'input' || !e.actor.startsWith('rs/')) return undefined;
  const input = e.data as CheckerInput;
  switch (input.type) {
    case 'timer':
      return input.timer === 'check' ? 'timer check' : undefined;
    case 'probeResult':
      return 'probeResult';
    default:
      return undefined;
  }
}

/** Exactly what the checker machine reads from the input: the verdict and a dynamic weight. */
export function checkerSummaryFields(e: NewEvent): unknown {
  const input = e.data as CheckerInput;
  if (input.type !== 'probeResult') return null;
  return input.weight === undefined ? (input.ok ? 'ok' : 'failed') : `${input.ok ? 'ok' : 'failed'} weight ${input.weight}`;
}

export function createCheckerSummarizer(opts: { maxOpenMs?: number } = {}): StreamSummarizer {
  return new StreamSummarizer({
    key: checkerSummaryKey,
    fields: checkerSummaryFields,
    ...(opts.maxOpenMs !== undefined ? { maxOpenMs: opts.maxOpenMs } : {}),
  });
}
