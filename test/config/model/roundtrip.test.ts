import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatDiagnostic, hasErrors } from '../../../src/config/diagnostics.js';
import { loadConfigFile, loadConfigText } from '../../../src/config/load.js';
import { printConfig } from '../../../src/config/printer.js';
import { keepalivedConfigArb } from './arbitraries.js';
import { withoutPlaces } from './helpers.js';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

describe('printer', () => {
  it('a random valid configuration, printed and loaded again, is the same typed configuration (300 runs)', () => {
    fc.assert(
      fc.property(keepalivedConfigArb, (config) => {
        const text = printConfig(config);
        const r = loadConfigText(text, 'printed.conf', { configId: 'n' });
        if (hasErrors(r.diagnostics)) throw new Error(`printed config has errors:\n${r.diagnostics.map(formatDiagnostic).join('\n')}\n${text}`);
        expect(withoutPlaces(r.config)).toEqual(withoutPlaces(config));
      }),
      { numRuns: 300 },
    );
  });

  it('the conf/ samples round-trip too, and printing is stable (print . load . print = print)', () => {
    const dir = join(import.meta.dirname, '../../../conf');
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.conf'))) {
      const first = loadConfigFile(join(dir, f), { configId: 'n' });
      const text = printConfig(first.config!);
      const second = loadConfigText(text, 'printed.conf');
      expect(withoutPlaces(second.config)).toEqual(withoutPlaces(first.config));
      expect(printConfig(second.config!)).toBe(text);
    }
  });
});
