import { afterEach, describe, expect, it, vi } from 'vitest';

const setFlags = vi.fn();
vi.mock('node:v8', async (orig) => ({ ...(await orig<typeof import('node:v8')>()), setFlagsFromString: setFlags }));
// The children load their configuration in a loader process: here it never answers (they just wait).
vi.mock('../../src/daemon/config-elsewhere.js', () => ({ loadConfigElsewhere: () => new Promise(() => undefined) }));

afterEach(() => {
  setFlags.mockClear();
  vi.resetModules();
});

describe('tuneGarbageCollector', () => {
  it("turns off V8's allocation-site pretenuring, once per process", async () => {
    const { tuneGarbageCollector } = await import('../../src/engine/gc-tuning.js');
    tuneGarbageCollector();
    tuneGarbageCollector();
    expect(setFlags.mock.calls).toEqual([['--no-allocation-site-pretenuring']]);
  });

  it('is done by the entries of the daemon children when they load', async () => {
    // The children's entries run their setup at load; keep them from talking to a parent. Their
    // settings come from the environment, as the watchdog gives them.
    const on = vi.spyOn(process, 'on').mockImplementation(() => process);
    process.env.KTS_CHILD_SETTINGS = JSON.stringify({ configFile: '/nonexistent.conf', nice: 0, logConsole: false, logDetail: false, keepVipsAtExit: false });
    try {
      await import('../../src/daemon/vrrp-child.js');
      expect(setFlags.mock.calls).toEqual([['--no-allocation-site-pretenuring']]);
      vi.resetModules();
      setFlags.mockClear();
      await import('../../src/daemon/checker-child.js');
      expect(setFlags.mock.calls).toEqual([['--no-allocation-site-pretenuring']]);
    } finally {
      on.mockRestore();
      delete process.env.KTS_CHILD_SETTINGS;
    }
  });
});
