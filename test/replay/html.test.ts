import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { main } from '../../src/cli/replay.js';
import { recordFailover, type Recorded } from './fixture.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

let rec: Recorded;
let browser: Browser | undefined;
let page: string;

beforeAll(async () => {
  rec = await recordFailover({ clockOffsetMs: { lb2: -2500 } });
  page = join(rec.root, 'failover.html');
  const code = await main([rec.dirs.lb1, rec.dirs.lb2, '--html', page], { out: () => undefined, err: (s) => process.stderr.write(s) });
  expect(code).toBe(0);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  if (rec) rmSync(rec.root, { recursive: true, force: true });
});

describe('replay --html: one self-contained page with a lane per instance per node', () => {
  it('needs nothing from elsewhere', () => {
    const html = readFileSync(page, 'utf8');
    expect(existsSync(page)).toBe(true);
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=|url\(|@import|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
  });

  it('draws the lanes, the states over time and the causes on hover, in Chromium', async () => {
    const p = await browser!.newPage();
    const failed: string[] = [];
    p.on('requestfailed', (r) => failed.push(r.url()));
    p.on('request', (r) => {
      if (!r.url().startsWith('file:')) failed.push(r.url());
    });
    await p.goto(pathToFileURL(page).href);
    const lanes = await p.$$eval('g.lane', (gs) => gs.map((g) => `${g.getAttribute('data-node')}/${g.getAttribute('data-instance')}`));
    expect(lanes).toEqual(['lb1/VI_1', 'lb2/VI_1']);

    const states = (node: string): Promise<string[]> =>
      p.$$eval(`g.lane[data-node="${node}"] rect.segment`, (rs) => rs.map((r) => r.getAttribute('data-state')!));
    // lb1: BACKUP, MASTER after lb2's weight drop, BACKUP when lb2 preempts back, MASTER after the crash, BACKUP again.
    expect((await states('lb1')).filter((s) => s !== 'UNKNOWN' && s !== 'INIT')).toEqual(['BACKUP', 'MASTER', 'BACKUP', 'MASTER', 'BACKUP']);
    // lb2: BACKUP, MASTER, BACKUP, MASTER, down (crash), then a new run: BACKUP, MASTER.
    expect((await states('lb2')).filter((s) => s !== 'UNKNOWN' && s !== 'INIT')).toEqual(['BACKUP', 'MASTER', 'BACKUP', 'MASTER', 'DOWN', 'BACKUP', 'MASTER']);

    // The segments have a visible width and are laid out left to right.
    const boxes = await p.$$eval('g.lane[data-node="lb1"] rect.segment', (rs) => rs.map((r) => ({ x: Number(r.getAttribute('x')), w: Number(r.getAttribute('width')) })));
    for (let i = 1; i < boxes.length; i++) expect(boxes[i]!.x).toBeGreaterThanOrEqual(boxes[i - 1]!.x);
    expect(boxes.every((b) => b.w >= 1)).toBe(true);
    const rendered = await p.$eval('g.lane[data-node="lb1"] rect.segment[data-state="MASTER"]', (r) => (r as unknown as SVGGraphicsElement).getBBox().width);
    expect(rendered).toBeGreaterThan(10);

    // Hovering a segment: its <title> (the browser's tooltip) gives the cause in words.
    const tips = await p.$$eval('g.lane[data-node="lb1"] rect.segment[data-state="MASTER"] > title', (ts) => ts.map((t) => t.textContent));
    expect(tips.some((t) => t!.includes('no advert from 192.0.2.11 for 3.609 s (master-down interval)'))).toBe(true);
    const lb2Priority = await p.$$eval('tr.kind-priority td', (tds) => tds.map((t) => t.textContent).join(' '));
    expect(lb2Priority).toContain('track_script chk_nginx failed: weight -60 → priority 90 (was 150)');
    await p.hover('g.lane[data-node="lb1"] rect.segment[data-state="MASTER"]');
    const stroke = await p.$eval('g.lane[data-node="lb1"] rect.segment[data-state="MASTER"]:hover', (r) => getComputedStyle(r).strokeWidth);
    expect(stroke).toBe('1.5px');
    expect(failed).toEqual([]);
    await p.close();
  });
});
