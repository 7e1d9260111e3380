import { describe, expect, it } from 'vitest';
import { loadConfigText } from '../../src/config/load.js';
import { SimLan } from '../../src/adapters/sim-lan.js';
import { vrrpMachineKit } from '../../src/engine/machines.js';
import { MemoryJournal } from '../../src/engine/memory-journal.js';
import { NodeEngine, type EngineEffect } from '../../src/engine/node.js';
import { protocolCodec } from '../../src/engine/protocol-codec.js';
import { VirtualScheduler } from '../../src/engine/scheduler.js';
import { createEngineSummarizer } from '../../src/engine/summary-keys.js';
import type { EventRecord } from '../../src/store/schema.js';
import { nodeConfigText } from './lab.js';

describe('NodeEngine', () => {
  it('hands effects to adapters only after their record is committed, and logs the cause of each', () => {
    const config = loadConfigText(nodeConfigText({ routerId: 'lb1', instances: [{ name: 'VI_1', vrid: 9, priority: 255 }] }), 'lb1.conf').config!;
    const scheduler = new VirtualScheduler();
    const lan = new SimLan(scheduler);
    lan.attach('lb1', 'eth0', 'lan', ['192.0.2.10']);
    const journal = new MemoryJournal();
    const engine = new NodeEngine({
      config,
      scheduler,
      journal,
      transport: lan.transport('lb1'),
      codec: protocolCodec,
      machines: vrrpMachineKit,
      primaryAddress: () => '192.0.2.10',
      wallClock: () => 1_700_000_000_000 + scheduler.now(),
      summarizer: createEngineSummarizer(),
    });
    const order: string[] = [];
    const committed = new Set<number>();
    journal.committed$.subscribe((r: EventRecord) => committed.add(r.seq));
    const effects: EngineEffect[] = [];
    engine.effects$.subscribe((e) => {
      // a logged effect is already committed when it reaches an adapter — except an advert, which
      // goes at its step, ahead of its record (NodeEngine.commit), and so names no seq
      if (e.action.type === 'sendAdvert') expect(e.seq).toBeUndefined();
      else if (e.seq !== undefined) expect(committed.has(e.seq)).toBe(true);
      order.push(`${e.action.type}${e.seq === undefined && e.action.type !== 'sendAdvert' ? ' (repeat)' : ''}`);
      effects.push(e);
    });
    engine.start();
    // the owner (priority 255) is master at once
    expect(engine.state('VI_1')).toBe('MASTER');
    expect(order).toEqual(['sendAdvert', 'addVips', 'sendGarp', 'notify']);
    scheduler.runUntil(5_500);
    // adverts every second: the later ones are repeats folded into the log's summary, still carried out
    expect(order.filter((o) => o === 'sendAdvert').length).toBe(6); // at 0, 1, 2, 3, 4, 5 s
    const log = journal.events();
    // the first advert's record is logged as is (the later ones fold into the summary)
    expect(log.filter((r) => r.kind === 'effect' && r.type === 'sendAdvert')).toHaveLength(1);
    expect(log[0]).toMatchObject({ seq: 1, kind: 'config', actor: 'engine', node: 'lb1', wallTime: 1_700_000_000_000 });
    const t = log.find((r) => r.kind === 'transition' && r.type === 'MASTER')!;
    expect(t).toMatchObject({ actor: 'vrrp/VI_1', type: 'MASTER', data: { from: 'INIT', to: 'MASTER', reason: { code: 'ownerStartup' }, priority: 255 } });
    expect(log.find((r) => r.seq === t.cause)).toMatchObject({ kind: 'input', type: 'startup' });
    // graceful stop: priority-0 advert, VIPs removed, STOP; open summaries closed
    engine.stop();
    const last = effects.slice(-4).map((e) => e.action);
    expect(last).toEqual(expect.arrayContaining([expect.objectContaining({ type: 'sendAdvert', priority: 0 }), expect.objectContaining({ type: 'removeVips' })]));
    expect(engine.state('VI_1')).toBe('STOP');
    expect(journal.events().some((r) => r.kind === 'summary' && r.type === 'sendAdvert')).toBe(true);
    expect(engine.isRunning).toBe(false);
    expect(scheduler.pending()).toBe(0);
  });
});
