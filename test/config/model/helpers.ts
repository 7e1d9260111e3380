import { formatDiagnostic, type Diagnostic } from '../../../src/config/diagnostics.js';
import { loadConfigText, type LoadOptions } from '../../../src/config/load.js';
import type { KeepalivedConfig } from '../../../src/config/types.js';

export const FILE = 'test.conf';

/** Load text that must have no error; returns the config and every diagnostic. */
export function ok(text: string, opts: LoadOptions = {}): { config: KeepalivedConfig; diagnostics: Diagnostic[] } {
  const r = loadConfigText(text, FILE, { configId: 'node1', ...opts });
  if (!r.config) throw new Error(`unexpected errors:\n${r.diagnostics.map(formatDiagnostic).join('\n')}`);
  return { config: r.config, diagnostics: r.diagnostics };
}

/** Load text and return its diagnostics as formatted lines (file:line:col: severity: message). */
export function lines(text: string, opts: LoadOptions = {}): string[] {
  return loadConfigText(text, FILE, { configId: 'node1', ...opts }).diagnostics.map(formatDiagnostic);
}

/** A minimal valid instance body wrapped around extra lines. */
export function instance(extra: string, name = 'VI_1'): string {
  return `vrrp_instance ${name} {\n  interface eth0\n  virtual_router_id 51\n${extra}\n  virtual_ipaddress {\n    192.0.2.100\n  }\n}\n`;
}

/** Drop source positions and file lists: what a round trip must preserve is the rest. */
export function withoutPlaces<T>(x: T): T {
  return JSON.parse(JSON.stringify(x, (k, v) => (k === 'pos' || k === 'files' ? undefined : v))) as T;
}
