import { setFlagsFromString } from 'node:v8';

/**
 * Turns off V8's allocation-site pretenuring for this process. Called first thing by the CLI (so by
 * `simulate`, `replay` and the daemon's parent) and by the daemon's children.
 *
 * Why: V8 watches each object-literal site in the code; when most objects of a site are still alive
 * at a young-generation collection, it decides the site makes long-lived objects and from then on
 * allocates them straight in the old generation. Our engine decides that wrongly at start: while 765
 * instances start and wait out their first Master_Down_Interval, their first inputs, actions, timer
 * entries and events all live for seconds, and the config parse keeps the young generation busy, so
 * the sites of those per-event objects get tenured within the first 300 ms. For the rest of the run
 * every advert's short-lived objects go to the old generation and are reclaimed by full mark-compact
 * collections: in the 3 × 255 instance simulation (bench/vrrp-sim.ts) collections then took 13–18 %
 * of the profile and the hour ran in 5.9–6.8 s; without pretenuring, 4.6–4.8 s, and the run-to-run
 * spread (which sites get tenured depends on when collections fall) is gone. Nothing in keepalived-ts
 * allocates the kind of long-lived bulk that pretenuring is for: it stays young and is promoted once.
 *
 * The flag is read at each collection (the pretenuring decision), so setting it at run time takes
 * effect for every site decided afterwards; test/engine/gc-tuning.test.ts checks exactly that.
 */
let tuned = false;

export function tuneGarbageCollector(): void {
  if (tuned) return;
  tuned = true;
  setFlagsFromString('--no-allocation-site-pretenuring');
}
