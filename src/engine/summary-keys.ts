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
        return advertStreamKey(input.src);
      case 'timer':
        return input.timer === 'advert' ? ADVERT_TIMER_KEY : input.timer === 'garpRefresh' ? 'timer garpRefresh' : undefined;
      case 'drop':
        return `drop ${input.reason} ${input.src}`;
      default:
        return undefined;
    }
  }
  if (e.kind === 'effect') {
    const action = e.data as VrrpAction;
    return action.type === 'sendAdvert' ? SENT_ADVERT_KEY : action.type === 'sendGarp' ? 'sendGarp' : undefined;
  }
  return undefined;
}

/** The stream key of adverts received from `src` (summaryKey of such an input). */
export function advertStreamKey(src: string): string {
  return keyFor(advertKeys, 'advert ', src);
}

/** The stream key of the advert timer's expiries, and of the adverts sent (summaryKey of those). */
export const ADVERT_TIMER_KEY = 'timer advert';
export const SENT_ADVERT_KEY = 'sendAdvert';

/**
 * The fields as one compact string ("priority/interval/addresses"): the summarizer compares them on
 * every event of a steady stream, and a string compares far cheaper than an object walked into
 * canonical JSON. The structured form is still in the summary's `sample` (the first folded event).
 */
export function summaryFields(e: NewEvent): unknown {
  if (e.kind === 'input') {
    const input = e.data as VrrpInput | DropData;
    if (input.type === 'advert') return advertInputFields(input);
    return input.type === 'drop' ? input.reason : null;
  }
  const action = e.data as VrrpAction;
  if (action.type === 'sendAdvert') return sentAdvertFields(action);
  if (action.type === 'sendGarp') return `${action.repeat}x ${joined(action.addresses)}`;
  return null;
}

/** summaryFields of an advert received. */
export function advertInputFields(input: Extract<VrrpInput, { type: 'advert' }>): string {
  return fieldsText(advertFields, input.addresses, 0, input.priority, input.maxAdverIntCs);
}

/** summaryFields of an advert sent. */
export function sentAdvertFields(action: Extract<VrrpAction, { type: 'sendAdvert' }>): string {
  return fieldsText(sentFields, action.addresses, action.version, action.priority, action.maxAdverIntCs);
}

/**
 * The same text object for the same fields, when the addresses come in the same array as last time
 * (a steady stream: the engine reuses a repeated advert's validation, a machine its VIP list). The
 * summarizer then compares two references instead of building and comparing a new string per event.
 * The memo lives on the array (weakly) and is checked field by field, so it can only ever give the
 * text the fields would build: addresses arrays are never mutated once in an input or an action.
 */
interface FieldsMemo {
  version: number;
  priority: number;
  intervalCs: number;
  text: string;
}
const advertFields = new WeakMap<readonly string[], FieldsMemo>();
const sentFields = new WeakMap<readonly string[], FieldsMemo>();

function fieldsText(
  memo: WeakMap<readonly string[], FieldsMemo>,
  addresses: string[],
  version: number,
  priority: number,
  intervalCs: number,
): string {
  const m = memo.get(addresses);
  if (m !== undefined && m.version === version && m.priority === priority && m.intervalCs === intervalCs) return m.text;
  // An advert received has no version field here (version 0): "priority …"; one sent: "v2 priority …".
  const text = `${version > 0 ? `v${version} ` : ''}priority ${priority} interval ${intervalCs}cs ${joined(addresses)}`;
  memo.set(addresses, { version, priority, intervalCs, text });
  return text;
}

/** Stream keys per source address, built once (bounded: sources can be spoofed on a real LAN). */
const advertKeys = new Map<string, string>();
const MAX_CACHED_KEYS = 4096;

function keyFor(cache: Map<string, string>, prefix: string, src: string): string {
  let k = cache.get(src);
  if (k === undefined) {
    if (cache.size >= MAX_CACHED_KEYS) cache.clear();
    k = `${prefix}${src}`;
    cache.set(src, k);
  }
  return k;
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
