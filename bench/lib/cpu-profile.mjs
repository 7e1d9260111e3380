// Preloaded with `--import` (NODE_OPTIONS may not hold --cpu-prof): profiles this process for
// KTS_PROF_MS ms after KTS_PROF_DELAY_MS, then writes a .cpuprofile into KTS_PROF_DIR
// (KTS_PROF_KIND=heap: a sampling allocation profile, .heapprofile, instead).
import { Session } from 'node:inspector';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.env.KTS_PROF_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  const delay = Number(process.env.KTS_PROF_DELAY_MS ?? 0);
  const span = Number(process.env.KTS_PROF_MS ?? 10000);
  const heap = process.env.KTS_PROF_KIND === 'heap';
  setTimeout(() => {
    if (heap) {
      session.post('HeapProfiler.enable', () =>
        session.post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true }, () => {
          setTimeout(() => {
            session.post('HeapProfiler.stopSampling', (err, res) => {
              if (!err) writeFileSync(join(dir, `${process.pid}.heapprofile`), JSON.stringify(res.profile));
            });
          }, span).unref();
        }),
      );
      return;
    }
    session.post('Profiler.enable', () =>
      session.post('Profiler.start', () => {
        setTimeout(() => {
          session.post('Profiler.stop', (err, res) => {
            if (!err) writeFileSync(join(dir, `${process.pid}.cpuprofile`), JSON.stringify(res.profile));
          });
        }, span).unref();
      }),
    );
  }, delay).unref();
}
