/**
 * The timeline as text (one line per entry, for a terminal or a ticket) and as JSON (for tools).
 */
import type { MergedTimeline } from './merge.js';
import type { TimelineEntry } from './timeline.js';

/** 2026-11-25 03:10:52.123 (UTC: nodes in several time zones read one clock). */
export function formatTime(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  const d = new Date(ms);
  if (Number.isNaN(d.getTime())) return String(ms);
  return d.toISOString().replace('T', ' ').replace('Z', '');
}

function offsetText(ms: number): string {
  const sign = ms < 0 ? '-' : '+';
  return `${sign}${Math.abs(ms).toFixed(3)} ms`;
}

export function formatEntry(e: TimelineEntry, nodeW: number, instW: number): string {
  const time = formatTime(e.time);
  const node = e.node.padEnd(nodeW);
  const inst = (e.instance ?? '*').padEnd(instW);
  let what: string;
  switch (e.kind) {
    case 'transition':
      what = `${`${e.from} -> ${e.to}`.padEnd(17)}  ${e.text}${e.priority !== undefined ? ` [priority ${e.priority}]` : ''}`;
      break;
    case 'priority':
      what = `${'priority'.padEnd(17)}  ${e.text}`;
      break;
    default:
      what = `${e.kind.padEnd(17)}  ${e.text}`;
  }
  const cause = e.cause !== undefined ? ` (seq ${e.seq}, cause ${e.cause.seq} ${e.cause.type})` : ` (seq ${e.seq})`;
  return `${time}  ${node}  ${inst}  ${what}${cause}`;
}

export function formatTimeline(t: MergedTimeline): string {
  const lines: string[] = [];
  if (t.nodes.length > 1) {
    lines.push(`clocks aligned on ${t.alignment.reference} (from adverts sent by one node and received by another: offset = (d_ab − d_ba)/2, within half the round trip):`);
    for (const n of t.nodes) {
      const o = t.alignment.offsets.get(n);
      if (o === undefined) continue;
      lines.push(`  ${n}: ${n === t.alignment.reference ? 'reference' : `offset ${offsetText(o.offsetMs)}, ${o.how}`}`);
    }
    lines.push('');
  }
  const nodeW = Math.max(4, ...t.entries.map((e) => e.node.length));
  const instW = Math.max(4, ...t.entries.map((e) => (e.instance ?? '*').length));
  for (const e of t.entries) lines.push(formatEntry(e, nodeW, instW));
  if (t.entries.length === 0) lines.push('(no event in the selected range)');
  return `${lines.join('\n')}\n`;
}

export function timelineJson(t: MergedTimeline): unknown {
  return {
    nodes: t.nodes,
    clocks: {
      reference: t.alignment.reference,
      method: 'min one-way delay per direction from adverts sent and received; offset = (d_ab - d_ba)/2, bound = half the round trip',
      offsets: t.nodes.map((n) => {
        const o = t.alignment.offsets.get(n)!;
        return { node: n, offsetMs: o.offsetMs, lowMs: finiteOrNull(o.low), highMs: finiteOrNull(o.high), pairs: o.pairs, how: o.how };
      }),
    },
    entries: t.entries.map((e) => ({ ...e, isoTime: new Date(e.time).toISOString() })),
  };
}

function finiteOrNull(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}
