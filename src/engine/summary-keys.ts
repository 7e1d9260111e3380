import type { NewEvent } from '../store/schema.js';
import type { VrrpAction, VrrpInput } from '../machines/vrrp/contract.js';
import { StreamSummarizer } from '../store/summarizer.js';

/**
 * Events the engine wants logged as is even when their stream is steady: an input that caused a
 * transition must have a seq of its own for the transition to name as its cause.
 */
const FORCED = new WeakSet<NewEvent>();

export function markForced(e: NewEvent): void {
  FORCED.add(e);
}

/** The summarizer the engine uses: the store's, with the engine's streams and fields. */
export function createEngineSummarizer(opts: { maxOpenMs?: number } = {}): StreamSummarizer {
  return new StreamSummarizer({
    key: (e) => (FORCED.has(e) ? undefined : summaryKey(e)),
    fields: summaryFields,
    ...(opts.maxOpenMs !== undefined ? { maxOpenMs: opts.maxOpenMs } : {}),
  });
}

/**
 * Which of the engine's records form steady streams (DESIGN.md: "What repeats is summarised"), and
 * the fields that must stay equal for a record to fold into its stream's summary — exactly what the
 * machine reads from it, so a summary says everything replay needs.
 *
 * Steady streams: adverts received from one sender, the advert timer's expiries, adverts sent while
 * MASTER, GARP refreshes, and packets dropped for the same reason from the same source. Everything
 * else (transitions, first adverts, link and script changes) is logged as is.
 */
export function summaryKey(e: NewEvent): string | undefined {
  if (e.kind === 'input') {
    const input = e.data as VrrpInput | DropData;
    switch (input.type) {
      case 'advert':
        return `advert ${input.src}`;
      case 'timer':
        return input.timer === 'advert' || input.timer === 'garpRefresh' ? `timer ${input.timer}` : undefined;
      case 'drop':
        return `drop ${input.reason} ${input.src}`;
      default:
        return undefined;
    }
  }
  if (e.kind === 'effect') {
    const action = e.data as VrrpAction;
    return action.type === 'sendAdvert' || action.type === 'sendGarp' ? action.type : undefined;
  }
  return undefined;
}

/**
 * The fields as one compact string ("priority/interval/addresses"): the summarizer compares them on
 * every event of a steady stream, and a string compares far cheaper than an object walked into
 * canonical JSON. The structured form is still in the summary's `sample` (the first folded event).
 */
export function summaryFields(e: NewEvent): unknown {
  if (e.kind === 'input') {
    const input = e.data as VrrpInput | DropData;
    if (input.type === 'advert') return `priority ${input.priority} interval ${input.maxAdverIntCs}cs ${joined(input.addresses)}`;
    return input.type === 'drop' ? input.reason : null;
  }
  const action = e.data as VrrpAction;
  if (action.type === 'sendAdvert') {
    return `v${action.version} priority ${action.priority} interval ${action.maxAdverIntCs}cs ${joined(action.addresses)}`;
  }
  if (action.type === 'sendGarp') return `${action.repeat}x ${joined(action.addresses)}`;
  return null;
}

/** The usual instance has one VIP: no join for it. */
function joined(addresses: string[]): string {
  return addresses.length === 1 ? addresses[0]! : addresses.join(' ');
}

/** `data` of an input record of type 'drop': a packet that failed the receive checks. */
export interface DropData {
  type: 'drop';
  at: number;
  src: string;
  reason: string;
  detail?: string;
}
