/**
 * `replay --html FILE`: one self-contained page (no script, stylesheet or font from elsewhere: it
 * must open on a laptop without network after an incident) that draws one lane per instance per
 * node, coloured by state over time on the aligned clock, with the cause of each state on hover
 * (an SVG <title>, which every browser shows as a tooltip), and the timeline as a table below.
 */
import { formatTime } from './format.js';
import type { MergedTimeline } from './merge.js';
import type { NodeScan, TimelineEntry } from './timeline.js';

export interface Segment {
  state: string;
  from: number;
  to: number;
  /** Tooltip: when, the change and its cause. */
  title: string;
}

export interface Lane {
  node: string;
  instance: string;
  segments: Segment[];
}

const COLOURS: Record<string, string> = {
  MASTER: '#2e9d4f',
  BACKUP: '#3b6fd6',
  FAULT: '#d43c3c',
  INIT: '#b9b9b9',
  STOP: '#7a7a7a',
  DOWN: '#3a3a3a',
  UNKNOWN: '#e6e6e6',
};

/** The state of every (node, instance) over time, from the merged timeline. */
export function buildLanes(t: MergedTimeline, scans: readonly NodeScan[], instance?: string): { lanes: Lane[]; start: number; end: number } {
  const lanes: Lane[] = [];
  const byKey = new Map<string, Lane>();
  const nodeLanes = new Map<string, Lane[]>();
  for (const s of scans) {
    const names: string[] = [];
    for (const r of s.runs) for (const i of r.instances) if (!names.includes(i.name) && (instance === undefined || i.name === instance)) names.push(i.name);
    const list: Lane[] = [];
    for (const name of names) {
      const lane: Lane = { node: s.node, instance: name, segments: [] };
      lanes.push(lane);
      list.push(lane);
      byKey.set(`${s.node}\u0000${name}`, lane);
    }
    nodeLanes.set(s.node, list);
  }
  const times = t.entries.map((e) => e.time);
  const start = times.length > 0 ? Math.min(...times) : 0;
  let end = times.length > 0 ? Math.max(...times) : 1;
  // Leave room after the last change so its state shows.
  end += Math.max(1000, (end - start) * 0.05);
  const open = (lane: Lane, state: string, at: number, title: string): void => {
    const last = lane.segments.at(-1);
    if (last !== undefined) last.to = at;
    lane.segments.push({ state, from: at, to: end, title });
  };
  for (const lane of lanes) lane.segments.push({ state: 'UNKNOWN', from: start, to: end, title: `${lane.node} ${lane.instance}: state unknown (before the selected range)` });
  for (const e of t.entries) {
    const when = formatTime(e.time);
    if (e.kind === 'start' || e.kind === 'crash') {
      for (const lane of nodeLanes.get(e.node) ?? []) {
        open(lane, e.kind === 'start' ? 'INIT' : 'DOWN', e.time, `${when} ${e.node}: ${e.text}`);
      }
    } else if (e.kind === 'transition' && e.instance !== undefined && e.to !== undefined) {
      const lane = byKey.get(`${e.node}\u0000${e.instance}`);
      if (lane !== undefined) open(lane, e.to, e.time, titleOf(e, when));
    }
  }
  for (const lane of lanes) lane.segments = lane.segments.filter((s) => s.to > s.from || s === lane.segments.at(-1));
  return { lanes, start, end };
}

function titleOf(e: TimelineEntry, when: string): string {
  const prio = e.priority !== undefined ? ` [priority ${e.priority}]` : '';
  return `${when} ${e.node} ${e.instance}: ${e.from} -> ${e.to}: ${e.text}${prio} (record ${e.seq})`;
}

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

export function renderHtml(t: MergedTimeline, scans: readonly NodeScan[], opts: { instance?: string; title?: string } = {}): string {
  const { lanes, start, end } = buildLanes(t, scans, opts.instance);
  const labelW = 220;
  const plotW = 1000;
  const laneH = 26;
  const top = 30;
  const height = top + lanes.length * laneH + 10;
  const span = end - start || 1;
  const x = (ms: number): number => labelW + ((ms - start) / span) * plotW;
  const parts: string[] = [];
  // Time axis: about eight ticks on round seconds.
  const step = niceStep(span / 8);
  for (let tick = Math.ceil(start / step) * step; tick <= end; tick += step) {
    const px = x(tick).toFixed(1);
    parts.push(`<line class="tick" x1="${px}" y1="${top - 6}" x2="${px}" y2="${height - 10}"/>`);
    parts.push(`<text class="tick-label" x="${px}" y="${top - 10}">${escapeHtml(formatTime(tick).slice(11))}</text>`);
  }
  lanes.forEach((lane, i) => {
    const y = top + i * laneH;
    parts.push(
      `<g class="lane" data-node="${escapeHtml(lane.node)}" data-instance="${escapeHtml(lane.instance)}">`,
      `<text class="lane-label" x="${labelW - 8}" y="${y + laneH / 2 + 4}">${escapeHtml(`${lane.node} · ${lane.instance}`)}</text>`,
    );
    for (const s of lane.segments) {
      const x0 = x(s.from);
      const w = Math.max(1, x(s.to) - x0);
      parts.push(
        `<rect class="segment" data-state="${s.state}" x="${x0.toFixed(2)}" y="${y + 3}" width="${w.toFixed(2)}" height="${laneH - 6}" fill="${COLOURS[s.state] ?? '#999'}"><title>${escapeHtml(s.title)}</title></rect>`,
      );
    }
    parts.push('</g>');
  });
  const legend = Object.entries(COLOURS)
    .map(([state, c]) => `<span class="key"><span class="swatch" style="background:${c}"></span>${state}</span>`)
    .join(' ');
  const offsets = t.nodes
    .map((n) => {
      const o = t.alignment.offsets.get(n);
      return `<li>${escapeHtml(n)}: ${n === t.alignment.reference ? 'reference clock' : escapeHtml(`offset ${o ? o.offsetMs.toFixed(3) : '?'} ms, ${o?.how ?? ''}`)}</li>`;
    })
    .join('');
  const rows = t.entries
    .map(
      (e) =>
        `<tr class="entry kind-${e.kind}"><td>${escapeHtml(formatTime(e.time))}</td><td>${escapeHtml(e.node)}</td><td>${escapeHtml(e.instance ?? '*')}</td><td>${escapeHtml(e.kind === 'transition' ? `${e.from} → ${e.to}` : e.kind)}</td><td>${escapeHtml(e.text)}</td><td>${e.seq}</td></tr>`,
    )
    .join('\n');
  const title = opts.title ?? `keepalived-ts replay: ${t.nodes.join(', ')}`;
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(title)}</title>
<style>
body { font: 13px system-ui, sans-serif; margin: 16px; color: #222; }
h1 { font-size: 16px; }
svg { display: block; }
.lane-label { text-anchor: end; font-size: 12px; }
.tick { stroke: #ddd; }
.tick-label { text-anchor: middle; font-size: 10px; fill: #666; }
.segment:hover { stroke: #000; stroke-width: 1.5; }
.key { margin-right: 12px; }
.swatch { display: inline-block; width: 12px; height: 12px; margin-right: 4px; vertical-align: -2px; }
table { border-collapse: collapse; margin-top: 16px; }
th { text-align: left; padding: 2px 8px; }
td { padding: 2px 8px; border-bottom: 1px solid #eee; vertical-align: top; }
tr.kind-crash td, tr.kind-log td { color: #a00; }
</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<p>${legend}</p>
<p>Times are UTC on ${escapeHtml(t.alignment.reference)}'s clock. Hover over a state for its cause.</p>
<ul class="clocks">${offsets}</ul>
<svg xmlns="http://www.w3.org/2000/svg" width="${labelW + plotW + 20}" height="${height}" role="img" aria-label="instance states per node over time">
${parts.join('\n')}
</svg>
<table class="timeline">
<tr><th>time</th><th>node</th><th>instance</th><th>change</th><th>cause</th><th>record</th></tr>
${rows}
</table>
</body>
</html>
`;
}

function niceStep(raw: number): number {
  const steps = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 1_800_000, 3_600_000, 7_200_000, 21_600_000, 43_200_000, 86_400_000];
  for (const s of steps) if (s >= raw) return s;
  return Math.ceil(raw / 86_400_000) * 86_400_000;
}
