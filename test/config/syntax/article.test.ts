import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../src/config/parser.js';
import { ARTICLE_BACKUP_CONF, ARTICLE_MASTER_CONF } from './article-files.js';
import { shape } from './helpers.js';

const expected = (state: string, priority: string) => [
  [
    'vrrp_instance',
    'VI_180',
    [
      ['state', state],
      ['interface', 'ens33'],
      ['virtual_router_id', '180'],
      ['priority', priority],
      ['advert_int', '1'],
      ['authentication', [['auth_type', 'PASS'], ['auth_pass', '1111']]],
      ['virtual_ipaddress', [['192.168.79.180']]],
    ],
  ],
  [
    'virtual_server',
    '192.168.79.180',
    '80',
    [
      ['delay_loop', '6'],
      ['lb_algo', 'rr'],
      ['lb_kind', 'DR'],
      ['persistence_timeout', '10'],
      ['protocol', 'TCP'],
      ['real_server', '192.168.79.128', '80', [['weight', '1']]],
      ['real_server', '192.168.79.129', '80', [['weight', '1']]],
      ['real_server', '192.168.79.131', '80', [['weight', '1']]],
    ],
  ],
];

describe("the source article's keepalived.conf files", () => {
  it('master (192.168.79.128): glued braces, tab indents, Chinese comments, !include as a comment', () => {
    const globbed: string[] = [];
    const r = parseConfigText(ARTICLE_MASTER_CONF, 'master.conf', {
      configId: 'lb1',
      glob: (p) => {
        globbed.push(p);
        return [];
      },
    });
    expect(r.diagnostics).toEqual([]);
    expect(globbed).toEqual([]);
    expect(r.parsed.files).toEqual(['master.conf']);
    expect(shape(r.parsed.statements)).toEqual(expected('MASTER', '102'));
  });

  it('backup (192.168.79.129) differs only in state and priority', () => {
    const r = parseConfigText(ARTICLE_BACKUP_CONF, 'backup.conf', { configId: 'lb2' });
    expect(r.diagnostics).toEqual([]);
    expect(shape(r.parsed.statements)).toEqual(expected('BACKUP', '80'));
  });

  it('positions point into the file as written (tabs are one column)', () => {
    const r = parseConfigText(ARTICLE_MASTER_CONF, 'master.conf', { configId: 'lb1' });
    const [vi, vs] = r.parsed.statements;
    expect(vi!.keyword.pos).toEqual({ file: 'master.conf', line: 3, column: 1 });
    // `vrrp_instance VI_180{`: the block's `{` is glued to the name, and `} ` closes it on line 22.
    expect(vi!.args[0]!.pos).toEqual({ file: 'master.conf', line: 3, column: 15 });
    expect(vi!.blockEnd).toEqual({ file: 'master.conf', line: 22, column: 1 });
    const state = vi!.block![0]!;
    expect(state.keyword.pos).toEqual({ file: 'master.conf', line: 4, column: 2 });
    expect(state.args[0]!.pos).toEqual({ file: 'master.conf', line: 4, column: 8 });
    // `\t\tauth_pass 1111` inside `authentication{`.
    const auth = vi!.block![5]!;
    expect(auth.block![1]!.keyword.pos).toEqual({ file: 'master.conf', line: 15, column: 3 });
    expect(vs!.keyword.pos).toEqual({ file: 'master.conf', line: 27, column: 1 });
  });
});
