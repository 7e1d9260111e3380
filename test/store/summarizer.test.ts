import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { NewEvent } from '../../src/store/schema.js';
import { StreamSummarizer, canonicalJson, type SummaryData } from '../../src/store/summarizer.js';

/** Adverts are summarised per actor + sender; everything else is logged as is. */
const key = (e: NewEvent): string | undefined => {
  const d = e.data as { src?: string };
  return e.kind === 'input' && e.type === 'advert' ? `${e.actor}|advert|${d.src}` : undefined;
};
const fields = (e: NewEvent): unknown => {
  const d = e.data as { priority: number; maxAdverIntCs: number; addresses: string[] };
  return { priority: d.priority, maxAdverIntCs: d.maxAdverIntCs, addresses: d.addresses };
};

function advert(t: number, opts: { actor?: string; src?: string; priority?: number; node?: string } = {}): NewEvent {
  return {
    wallTime: 1_700_000_000_000 + t,
    monoTime: t,
    node: opts.node ?? 'lb1',
    actor: opts.actor ?? 'vrrp/VI_1',
    kind: 'input',
    type: 'advert',
    data: {
      type: 'advert',
      at: t,
      src: opts.src ?? '192.0.2.11',
      priority: opts.priority ?? 150,
      maxAdverIntCs: 100,
      addresses: ['192.0.2.100'],
    },
  };
}

function transition(t: number, actor = 'vrrp/VI_1'): NewEvent {
  return { wallTime: 1_700_000_000_000 + t, monoTime: t, node: 'lb1', actor, kind: 'transition', type: 'state', data: { from: 'BACKUP', to: 'MASTER' } };
}

const summaries = (out: NewEvent[]): NewEvent<SummaryData>[] => out.filter((e) => e.kind === 'summary') as NewEvent<SummaryData>[];

describe('StreamSummarizer', () => {
  it('appends the first advert as is and folds a steady stream into one summary', () => {
    const s = new StreamSummarizer({ key, fields });
    const first = advert(0);
    expect(s.offer(first)).toEqual([first]);
    for (let t = 1000; t <= 10_000; t += 1000) expect(s.offer(advert(t))).toEqual([]);
    expect(s.openCount).toBe(1);
    const out = s.flush(10_000, true);
    expect(out).toHaveLength(1);
    const sum = out[0] as NewEvent<SummaryData>;
    expect(sum.kind).toBe('summary');
    expect(sum.type).toBe('advert');
    expect(sum.actor).toBe('vrrp/VI_1');
    expect(sum.monoTime).toBe(10_000);
    expect(sum.data).toMatchObject({
      kind: 'input',
      count: 10,
      first: { monoTime: 1000, wallTime: 1_700_000_001_000 },
      last: { monoTime: 10_000, wallTime: 1_700_000_010_000 },
      maxGapMs: 1000,
      fields: { priority: 150, maxAdverIntCs: 100, addresses: ['192.0.2.100'] },
      reason: 'stop',
    });
    expect((sum.data.sample as { at: number }).at).toBe(1000);
  });

  it('records the largest gap, including the one after the event logged as is', () => {
    const s = new StreamSummarizer({ key, fields });
    s.offer(advert(0));
    s.offer(advert(2500)); // gap 2500 from the head
    s.offer(advert(3500));
    s.offer(advert(4000));
    const [sum] = summaries(s.flush(4000, true));
    expect(sum!.data.maxGapMs).toBe(2500);
    expect(sum!.data.count).toBe(3);
  });

  it('closes the summary when a field the machine reads changes, then appends the changed advert', () => {
    const s = new StreamSummarizer({ key, fields });
    s.offer(advert(0));
    s.offer(advert(1000));
    s.offer(advert(2000));
    const changed = advert(3000, { priority: 90 });
    const out = s.offer(changed);
    expect(out).toHaveLength(2);
    expect(out[0]!.kind).toBe('summary');
    expect((out[0] as NewEvent<SummaryData>).data).toMatchObject({ count: 2, reason: 'changed', fields: { priority: 150 } });
    expect(out[1]).toBe(changed);
    // The new priority is a new steady stream.
    expect(s.offer(advert(4000, { priority: 90 }))).toEqual([]);
  });

  it('a changed field with nothing folded yet appends only the event', () => {
    const s = new StreamSummarizer({ key, fields });
    s.offer(advert(0));
    const changed = advert(1000, { priority: 90 });
    expect(s.offer(changed)).toEqual([changed]);
  });

  it('closes the actor\'s open summaries before its transition, so the log stays ordered', () => {
    const s = new StreamSummarizer({ key, fields });
    s.offer(advert(0));
    s.offer(advert(1000));
    s.offer(advert(2000));
    const tr = transition(5609);
    const out = s.offer(tr);
    expect(out.map((e) => e.kind)).toEqual(['summary', 'transition']);
    expect((out[0] as NewEvent<SummaryData>).data.reason).toBe('break');
    expect(out[0]!.monoTime).toBeLessThanOrEqual(tr.monoTime);
    expect(s.openCount).toBe(0);
    // The stream itself is remembered: the same adverts after the transition fold again.
    expect(s.offer(advert(6000))).toEqual([]);
  });

  it('leaves other actors\' summaries open on a transition', () => {
    const s = new StreamSummarizer({ key, fields });
    s.offer(advert(0, { actor: 'vrrp/VI_2' }));
    s.offer(advert(1000, { actor: 'vrrp/VI_2' }));
    s.offer(advert(0));
    s.offer(advert(1000));
    const out = s.offer(transition(1500));
    expect(out).toHaveLength(2);
    expect(out[0]!.actor).toBe('vrrp/VI_1');
    expect(s.openCount).toBe(1);
  });

  it('keeps separate streams for two senders (split brain) and orders them per actor', () => {
    const s = new StreamSummarizer({ key, fields });
    const a0 = advert(0, { src: '192.0.2.11' });
    expect(s.offer(a0)).toEqual([a0]);
    s.offer(advert(1000, { src: '192.0.2.11' }));
    // The first advert of another sender is logged as is, after what came before it.
    const b0 = advert(1100, { src: '192.0.2.12', priority: 100 });
    const out = s.offer(b0);
    expect(out.map((e) => e.kind)).toEqual(['summary', 'input']);
    expect(out[1]).toBe(b0);
    // Afterwards both steady streams fold.
    expect(s.offer(advert(2000, { src: '192.0.2.11' }))).toEqual([]);
    expect(s.offer(advert(2100, { src: '192.0.2.12', priority: 100 }))).toEqual([]);
    expect(s.offer(advert(3000, { src: '192.0.2.11' }))).toEqual([]);
    expect(s.openCount).toBe(2);
    const closed = summaries(s.flush(3000, true));
    expect(closed.map((c) => c.data.count)).toEqual([1, 2]);
    expect(closed.map((c) => c.monoTime)).toEqual([2100, 3000]);
  });

  it('never summarises events whose key is undefined', () => {
    const s = new StreamSummarizer({ key, fields });
    const t1 = transition(1);
    const t2 = transition(2);
    expect(s.offer(t1)).toEqual([t1]);
    expect(s.offer(t2)).toEqual([t2]);
    expect(s.flush(100, true)).toEqual([]);
  });

  it('flush closes only the summaries open longer than maxOpenMs', () => {
    const s = new StreamSummarizer({ key, fields, maxOpenMs: 60_000 });
    s.offer(advert(0));
    s.offer(advert(1000));
    s.offer(advert(0, { actor: 'vrrp/VI_2' }));
    s.offer(advert(30_000, { actor: 'vrrp/VI_2' }));
    expect(s.flush(59_999)).toEqual([]);
    const out = summaries(s.flush(61_000));
    expect(out).toHaveLength(1);
    expect(out[0]!.actor).toBe('vrrp/VI_1');
    expect(out[0]!.data.reason).toBe('age');
    expect(s.openCount).toBe(1);
    // The stream goes on into a new summary, without repeating the event as is.
    expect(s.offer(advert(62_000))).toEqual([]);
    expect(s.openCount).toBe(2);
  });

  it('closes an over-age summary on offer even if flush is never called', () => {
    const s = new StreamSummarizer({ key, fields, maxOpenMs: 10_000 });
    s.offer(advert(0));
    for (let t = 1000; t < 10_000; t += 1000) expect(s.offer(advert(t))).toEqual([]);
    const out = summaries(s.offer(advert(11_000)));
    expect(out).toHaveLength(1);
    expect(out[0]!.data).toMatchObject({ count: 9, reason: 'age', first: { monoTime: 1000 }, last: { monoTime: 9000 } });
    expect(s.openCount).toBe(1);
  });

  it('forgets the streams at flush(all): the next event is logged as is again', () => {
    const s = new StreamSummarizer({ key, fields });
    s.offer(advert(0));
    s.offer(advert(1000));
    s.flush(1000, true);
    const again = advert(2000);
    expect(s.offer(again)).toEqual([again]);
  });

  it('compares fields whatever the order of their keys', () => {
    expect(canonicalJson({ b: 1, a: [1, { d: 2, c: 3 }] })).toBe(canonicalJson({ a: [1, { c: 3, d: 2 }], b: 1 }));
    expect(canonicalJson({ a: 1 })).not.toBe(canonicalJson({ a: 2 }));
    const cyclic: Record<string, unknown> = { a: 1n };
    cyclic.self = cyclic;
    expect(() => canonicalJson(cyclic)).not.toThrow();
    expect(canonicalJson([NaN, undefined, new Uint8Array([1, 2])])).toBe('["#NaN","#undefined","#bytes:0102"]');
  });

  it('compares primitive fields (the engine passes one string) by value', () => {
    const byText = new StreamSummarizer({ key, fields: (e) => String((e.data as { priority: number }).priority) });
    byText.offer(advert(0));
    expect(byText.offer(advert(1000))).toEqual([]);
    const changed = advert(2000, { priority: 90 });
    expect(byText.offer(changed).map((e) => e.kind)).toEqual(['summary', 'input']);
    // A number and the same digits as a string are different fields.
    let asNumber = true;
    const mixed = new StreamSummarizer({ key, fields: () => (asNumber ? 150 : '150') });
    mixed.offer(advert(0));
    expect(mixed.offer(advert(1000))).toEqual([]);
    asNumber = false;
    expect(mixed.offer(advert(2000))).toHaveLength(2);
  });

  it('keeps the nodes apart when one summarizer serves several (simulation)', () => {
    const s = new StreamSummarizer({ key, fields });
    s.offer(advert(0, { node: 'lb1' }));
    const other = advert(500, { node: 'lb2' });
    expect(s.offer(other)).toEqual([other]);
  });

  // Property: the output explains the input exactly — every input is either logged as is or
  // counted in a summary of its stream with its fields and times; per actor the log is in time order.
  it('property: the output accounts for every input, in order, per stream and per actor', () => {
    const evArb = fc.record({
      dt: fc.integer({ min: 0, max: 4000 }),
      actor: fc.constantFrom('vrrp/VI_1', 'vrrp/VI_2'),
      kind: fc.constantFrom('advert', 'advert', 'advert', 'advert', 'transition'),
      src: fc.constantFrom('192.0.2.11', '192.0.2.12'),
      priority: fc.constantFrom(100, 100, 100, 150),
      flush: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(evArb, { maxLength: 120 }), fc.integer({ min: 1000, max: 20_000 }), (steps, maxOpenMs) => {
        const s = new StreamSummarizer({ key, fields, maxOpenMs });
        const inputs: NewEvent[] = [];
        const out: NewEvent[] = [];
        let t = 0;
        for (const st of steps) {
          t += st.dt;
          const e = st.kind === 'advert' ? advert(t, { actor: st.actor, src: st.src, priority: st.priority }) : transition(t, st.actor);
          inputs.push(e);
          out.push(...s.offer(e));
          if (st.flush) out.push(...s.flush(t));
        }
        out.push(...s.flush(t, true));

        // Inputs logged as is keep their relative order.
        const asIs = out.filter((e) => e.kind !== 'summary');
        const asIsSet = new Set(asIs);
        expect(inputs.filter((e) => asIsSet.has(e))).toEqual(asIs);

        // Per stream: walk the inputs and consume the outputs.
        const streamOf = (e: NewEvent): string => (e.kind === 'summary' ? (e.data as SummaryData).key : key(e) ?? '');
        const indexOf = new Map(inputs.map((e, i) => [e, i] as const));
        const span = new Map<NewEvent, [number, number]>();
        const keys = new Set(inputs.map((e) => key(e)).filter((k): k is string => k !== undefined));
        for (const k of keys) {
          const ins = inputs.filter((e) => key(e) === k);
          const outs = out.filter((e) => streamOf(e) === k);
          let i = 0;
          for (const o of outs) {
            if (o.kind !== 'summary') {
              expect(o).toBe(ins[i]);
              // Logged as is only when the stream starts or its fields change.
              if (i > 0) expect(canonicalJson(fields(ins[i]!))).not.toBe(canonicalJson(fields(ins[i - 1]!)));
              i++;
              continue;
            }
            const d = o.data as SummaryData;
            expect(d.count).toBeGreaterThan(0);
            const folded = ins.slice(i, i + d.count);
            expect(folded).toHaveLength(d.count);
            let gap = 0;
            for (let j = 0; j < folded.length; j++) {
              expect(canonicalJson(fields(folded[j]!))).toBe(canonicalJson(d.fields));
              gap = Math.max(gap, folded[j]!.monoTime - ins[i + j - 1]!.monoTime);
            }
            expect(d.first.monoTime).toBe(folded[0]!.monoTime);
            expect(d.last.monoTime).toBe(folded.at(-1)!.monoTime);
            expect(d.maxGapMs).toBe(gap);
            span.set(o, [indexOf.get(folded[0]!)!, indexOf.get(folded.at(-1)!)!]);
            expect(d.last.monoTime - d.first.monoTime).toBeLessThan(maxOpenMs);
            i += d.count;
          }
          expect(i).toBe(ins.length);
        }

        // Per actor, the log is in input order: an event logged as is comes after every input folded
        // into the summaries before it, and a summary folds only inputs that came after the events
        // logged as is before it.
        for (const actor of ['vrrp/VI_1', 'vrrp/VI_2']) {
          let maxSeen = -1;
          let maxAsIs = -1;
          for (const o of out.filter((e) => e.actor === actor)) {
            if (o.kind === 'summary') {
              const [first, last] = span.get(o)!;
              expect(first).toBeGreaterThan(maxAsIs);
              maxSeen = Math.max(maxSeen, last);
            } else {
              const i = indexOf.get(o)!;
              expect(i).toBeGreaterThan(maxSeen);
              maxSeen = maxAsIs = i;
            }
          }
        }
        expect(s.openCount).toBe(0);
      }),
      { numRuns: 300 },
    );
  });
  describe('steady streams folded by their holder (foldsSteady / foldSteady)', () => {
    const k = (e: NewEvent): string => key(e)!;

    it('folds exactly as offer does, and says no wherever offer would append something', () => {
      // Two summarizers fed the same stream: one by offer, one by foldSteady wherever it folds.
      const byOffer = new StreamSummarizer({ key, fields, maxOpenMs: 5000 });
      const byFold = new StreamSummarizer({ key, fields, maxOpenMs: 5000 });
      const offered: NewEvent[] = [];
      const folded: NewEvent[] = [];
      let folds = 0;
      const times = [0, 1000, 2000, 3000, 4000, 5000, 6000, 7000, 9000, 10_000, 11_000];
      for (const t of times) {
        const e = advert(t, { priority: t === 3000 ? 120 : 150 });
        const answer = byOffer.offer(e);
        offered.push(...answer);
        const stream = byFold.streamOf(e.node, e.actor, k(e));
        const steady = stream !== undefined && byFold.foldsSteady(stream, fields(e), e.monoTime);
        expect(steady, `at ${t}`).toBe(answer.length === 0);
        if (steady) {
          byFold.foldSteady(stream, e.monoTime, e.wallTime, e.data);
          folds++;
        } else folded.push(...byFold.offer(e));
      }
      offered.push(...byOffer.flush(11_000, true));
      folded.push(...byFold.flush(11_000, true));
      expect(folded).toEqual(offered);
      // Logged or closing something: 0 (first), 3000 (other fields), 4000 (fields back), 10,000 (the
      // summary opened at 5000 has aged: closed, a new one opens). Everything else folds.
      expect(folds).toBe(times.length - 4);
    });

    it('a stream replaced by changed fields, or forgotten by flush(all), never folds again', () => {
      const s = new StreamSummarizer({ key, fields });
      s.offer(advert(0));
      const old = s.streamOf('lb1', 'vrrp/VI_1', k(advert(0)))!;
      expect(s.foldsSteady(old, fields(advert(1000)), 1000)).toBe(true);
      s.offer(advert(2000, { priority: 120 }));
      expect(s.foldsSteady(old, fields(advert(3000)), 3000)).toBe(false);
      const now = s.streamOf('lb1', 'vrrp/VI_1', k(advert(0)))!;
      expect(s.foldsSteady(now, fields(advert(3000, { priority: 120 })), 3000)).toBe(true);
      s.flush(3000, true);
      expect(s.foldsSteady(now, fields(advert(4000, { priority: 120 })), 4000)).toBe(false);
      expect(s.streamOf('lb1', 'vrrp/VI_1', k(advert(0)))).toBeUndefined();
    });

    it('says no to a summary open for maxOpenMs (offer would close it as aged)', () => {
      const s = new StreamSummarizer({ key, fields, maxOpenMs: 3000 });
      s.offer(advert(0));
      s.offer(advert(1000));
      const st = s.streamOf('lb1', 'vrrp/VI_1', k(advert(0)))!;
      expect(s.foldsSteady(st, fields(advert(3999)), 3999)).toBe(true);
      expect(s.foldsSteady(st, fields(advert(4000)), 4000)).toBe(false);
      expect(s.offer(advert(4000)).map((e) => e.kind)).toEqual(['summary']);
    });
  });
});
