/**
 * The memory lines of a child's SIGUSR2 stats: where its resident memory is — V8's heap spaces
 * (young generation apart: its size is a trade of memory against collections), memory held
 * outside the heap (Buffers, the event log's LevelDB) and the process's RSS. What an operator
 * checks first when a daemon's RSS looks large.
 */
import { getHeapSpaceStatistics } from 'node:v8';

const mb = (bytes: number): string => (bytes / 2 ** 20).toFixed(1);

export function memoryLines(): string[] {
  const m = process.memoryUsage();
  let young = 0;
  let old = 0;
  let used = 0;
  for (const s of getHeapSpaceStatistics()) {
    used += s.space_used_size;
    if (s.space_name === 'new_space' || s.space_name === 'new_large_object_space') young += s.physical_space_size;
    else old += s.physical_space_size;
  }
  return [
    `Memory: RSS ${mb(m.rss)} MB; V8 heap ${mb(used)} MB used of ${mb(young + old)} MB resident (young generation ${mb(young)} MB); outside the heap ${mb(m.external)} MB (Buffers ${mb(m.arrayBuffers)} MB)`,
  ];
}
