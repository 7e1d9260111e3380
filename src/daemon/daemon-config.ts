/**
 * Loading the daemon's configuration: the diagnostics as lines (file:line:column), and whether it
 * can be run. Used by `keepalived-ts` before it becomes the watchdog and by the children's loader
 * process (config-loader.ts).
 */
import { loadConfigFile } from '../config/load.js';
import { formatDiagnostic } from '../config/diagnostics.js';
import type { KeepalivedConfig } from '../config/types.js';

export type ConfigLoad = { ok: true; config: KeepalivedConfig; warnings: string[] } | { ok: false; errors: string[] };

export function loadDaemonConfig(file: string, configId?: string): ConfigLoad {
  const r = loadConfigFile(file, configId !== undefined ? { configId } : {});
  const lines = r.diagnostics.map(formatDiagnostic);
  if (r.config === undefined) return { ok: false, errors: lines.length > 0 ? lines : [`${file}: cannot be used`] };
  return { ok: true, config: r.config, warnings: lines };
}
