import { describe, expect, it } from 'vitest';
import { parseReplayArgs, parseWhen } from '../../src/replay/args.js';

describe('replay arguments', () => {
  it('reads times as ISO 8601 (UTC unless a zone is given) or ms since the epoch', () => {
    expect(parseWhen('2026-11-25T03:10:52Z')).toBe(Date.UTC(2026, 10, 25, 3, 10, 52));
    expect(parseWhen('2026-11-25 03:10:52.5')).toBe(Date.UTC(2026, 10, 25, 3, 10, 52, 500));
    expect(parseWhen('2026-11-25T03:10:52+01:00')).toBe(Date.UTC(2026, 10, 25, 2, 10, 52));
    expect(parseWhen('2026-11-25')).toBe(Date.UTC(2026, 10, 25));
    expect(parseWhen('1795576252345')).toBe(1795576252345);
    expect(parseWhen('yesterday')).toBeUndefined();
  });

  it('takes the directories, the options and the --what-if files up to the next option', () => {
    const r = parseReplayArgs(['a', 'b', '--instance', 'VI_1', '--since=1000', '--until', '2000', '--what-if', 'x.conf', 'y.conf', '--verify', '--json', '--html', 'out.html']);
    expect(r).toEqual({
      ok: true,
      args: { dirs: ['a', 'b'], instance: 'VI_1', since: 1000, until: 2000, whatIf: ['x.conf', 'y.conf'], verify: true, json: true, html: 'out.html' },
    });
  });

  it('refuses what it cannot read, with the reason', () => {
    const err = (argv: string[]): string => {
      const r = parseReplayArgs(argv);
      return r.ok ? '' : r.error;
    };
    expect(err([])).toBe('no event log directory given');
    expect(err(['a', '--bogus'])).toBe('unknown option --bogus');
    expect(err(['a', '-x'])).toBe('unknown option -x');
    expect(err(['a', '--since', 'soon'])).toContain('--since: not a time: soon');
    expect(err(['a', '--since', '2000', '--until', '1000'])).toBe('--until is before --since');
    expect(err(['a', '--what-if'])).toBe('--what-if needs configuration files');
    expect(err(['a', '--verify=yes'])).toBe('--verify takes no value');
    expect(err(['a', '--html'])).toBe('--html needs a file name');
  });
});
