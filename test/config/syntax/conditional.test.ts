import { hostname } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultConfigId, parseConfigText, MAX_EXPANDED_LINES } from '../../../src/config/parser.js';
import { lines, shape } from './helpers.js';

const conf = (...ls: string[]) => ls.join('\n') + '\n';
const parseAs = (configId: string, text: string) => parseConfigText(text, 'k.conf', { configId });

describe('@ID conditional lines', () => {
  // keepalived.conf(5) "Conditional configuration", and the unicast_peer example there.
  const text = conf(
    'global_defs {',
    '    @main   router_id main_router',
    '    @backup router_id backup_router',
    '}',
    'unicast_peer {',
    '    @^main    192.0.2.4',
    '    @^backup  192.0.2.5',
    '    @^backup2 192.0.2.6',
    '}',
  );

  it('a line @name is used only when name is the config id; @^name only when it is not', () => {
    expect(shape(parseAs('main', text).parsed.statements)).toEqual([
      ['global_defs', [['router_id', 'main_router']]],
      ['unicast_peer', [['192.0.2.5'], ['192.0.2.6']]],
    ]);
    expect(shape(parseAs('backup', text).parsed.statements)).toEqual([
      ['global_defs', [['router_id', 'backup_router']]],
      ['unicast_peer', [['192.0.2.4'], ['192.0.2.6']]],
    ]);
    expect(shape(parseAs('other', text).parsed.statements)).toEqual([
      ['global_defs', []],
      ['unicast_peer', [['192.0.2.4'], ['192.0.2.5'], ['192.0.2.6']]],
    ]);
  });

  it('the kept words keep their own columns', () => {
    const s = parseAs('main', text).parsed.statements[0]!.block![0]!;
    expect(s.keyword.pos).toEqual({ file: 'k.conf', line: 2, column: 13 });
    expect(s.args[0]!.pos).toEqual({ file: 'k.conf', line: 2, column: 23 });
  });

  it('@name with nothing after it is dropped, even for the matching id', () => {
    const r = parseAs('main', conf('@main', '@main\t', 'x 1'));
    expect(shape(r.parsed.statements)).toEqual([['x', '1']]);
    expect(r.diagnostics).toEqual([]);
  });

  it('a conditional line may open and close blocks', () => {
    const r = parseAs('b', conf('@a vrrp_instance A {', '@b vrrp_instance B {', 'priority 1', '}'));
    expect(shape(r.parsed.statements)).toEqual([['vrrp_instance', 'B', [['priority', '1']]]]);
  });

  it('the default config id is the host name up to the first dot', () => {
    expect(defaultConfigId()).toBe(hostname().split('.')[0]);
    const r = parseConfigText(conf(`@${defaultConfigId()} mine 1`, '@^' + defaultConfigId() + ' theirs 1'), 'k.conf');
    expect(shape(r.parsed.statements)).toEqual([['mine', '1']]);
  });
});

describe('$NAME parameters', () => {
  it('$NAME followed by a blank, and ${NAME} anywhere, are replaced', () => {
    const r = parseAs('x', conf('$P=240', 'priority $P', 'a ${P}x $P,y ($P)', 'b $Px'));
    expect(shape(r.parsed.statements)).toEqual([
      ['priority', '240'],
      ['a', '240x', '240,y', '(240)'],
      ['b', '$Px'],
    ]);
    expect(r.diagnostics).toEqual([]);
  });

  it('a substituted word points at the $ that produced it', () => {
    const r = parseAs('x', conf('$P=240', '  priority  ${P}  z'));
    const s = r.parsed.statements[0]!;
    expect(s.args.map((w) => [w.text, w.pos.column])).toEqual([
      ['240', 13],
      ['z', 19],
    ]);
  });

  it('replacement is recursive and done at use time (man page example)', () => {
    const r = parseAs(
      'x',
      conf(
        '$ADDRESS_BASE=10.2.${ADDRESS_BASE_SUB}',
        '$ADDRESS_BASE_SUB=0',
        '${ADDRESS_BASE}.100/32',
        '$ADDRESS_BASE_SUB=10',
        '${ADDRESS_BASE}.100/32',
      ),
    );
    expect(shape(r.parsed.statements)).toEqual([['10.2.0.100/32'], ['10.2.10.100/32']]);
  });

  it('works with conditionals: @main $PRIORITY=240 and $IF_MAIN=@main (man page examples)', () => {
    const text = conf(
      '@main $PRIORITY=240',
      '@backup $PRIORITY=200',
      'vrrp_instance VI_0 {',
      '    priority $PRIORITY',
      '}',
      '$IF_MAIN=@main',
      '$IF_MAIN advert_int 3',
    );
    expect(shape(parseAs('main', text).parsed.statements)).toEqual([
      ['vrrp_instance', 'VI_0', [['priority', '240']]],
      ['advert_int', '3'],
    ]);
    expect(shape(parseAs('backup', text).parsed.statements)).toEqual([['vrrp_instance', 'VI_0', [['priority', '200']]]]);
  });

  it('a blank before = makes it no definition (keepalived: unknown keyword $Y)', () => {
    expect(shape(parseAs('x', conf('$Y = 2', 'k $Y')).parsed.statements)).toEqual([
      ['$Y', '=', '2'],
      ['k', '$Y'],
    ]);
  });

  it('empty values are allowed; a definition can be redefined', () => {
    expect(shape(parseAs('x', conf('$E=', 'a${E}b', '$E=1', 'a${E}b')).parsed.statements)).toEqual([['ab'], ['a1b']]);
  });

  it('an undefined ${NAME} outside quotes is an error at its place and stays one word', () => {
    const r = parseAs('x', conf('vrrp_instance V {', '  notify ${UNDEF} "/x ${ALSO_UNDEF}" $UNBRACED', '}'));
    expect(shape(r.parsed.statements)).toEqual([
      ['vrrp_instance', 'V', [['notify', '${UNDEF}', '/x ${ALSO_UNDEF}', '$UNBRACED']]],
    ]);
    expect(lines(r.diagnostics)).toEqual([
      "k.conf:2:10: error: parameter '${UNDEF}' is not defined [undefined-parameter]",
    ]);
  });

  it('an undefined name on a line rechecked after substitution is reported once', () => {
    const r = parseAs('main', conf('$C=@main', '$C x ${UNDEF}'));
    expect(shape(r.parsed.statements)).toEqual([['x', '${UNDEF}']]);
    expect(lines(r.diagnostics)).toEqual(["k.conf:2:6: error: parameter '${UNDEF}' is not defined [undefined-parameter]"]);
  });

  it('pre-defined _HASH, _BANG, _INSTANCE, _PWD and _RANDOM', () => {
    const r = parseConfigText(
      conf('a $_HASH ${_BANG}x ${_INSTANCE} ${_PWD}', 'r ${_RANDOM 5 7} ${_RANDOM}'),
      'conf/k.conf',
      { configId: 'lb1' },
    );
    const [a, rnd] = r.parsed.statements;
    expect([a!.keyword.text, ...a!.args.map((w) => w.text)]).toEqual(['a', '#', '!x', 'lb1', path.resolve('conf')]);
    const n1 = Number(rnd!.args[0]!.text);
    const n2 = Number(rnd!.args[1]!.text);
    expect(n1 >= 5 && n1 <= 7 && Number.isInteger(n1)).toBe(true);
    expect(n2 >= 0 && n2 <= 32767 && Number.isInteger(n2)).toBe(true);
  });

  it('a self-referencing parameter stops with an error instead of running for ever', () => {
    const r = parseAs('x', conf('$Z=${Z}a', 'kw ${Z}', 'next 1'));
    expect(lines(r.diagnostics)).toEqual([
      'k.conf:2:1: error: Parameter substitution on line would exceed maximum line length [parameter-overflow]',
    ]);
    expect(shape(r.parsed.statements)).toEqual([['kw', '${Z}'], ['next', '1']]);
  });
});

describe('multiline definitions', () => {
  // keepalived.conf(5) "Multiline definitions" example (interface/use_vmac trimmed).
  const text = conf(
    '$INSTANCE= \\',
    'vrrp_instance VI_${NUM} { \\',
    '    virtual_router_id 1 \\',
    '    @high priority 130 \\',
    '    @low priority 120 \\',
    '    virtual_ipaddress { \\',
    '        10.0.${NUM}.254/24 \\',
    '    } \\',
    '}',
    '',
    '$NUM=0',
    '$INSTANCE',
    '',
    '$NUM=1',
    '$INSTANCE',
  );

  it('expands each line, with @ID and parameters applied at use', () => {
    const r = parseAs('high', text);
    expect(r.diagnostics).toEqual([]);
    expect(shape(r.parsed.statements)).toEqual([
      ['vrrp_instance', 'VI_0', [['virtual_router_id', '1'], ['priority', '130'], ['virtual_ipaddress', [['10.0.0.254/24']]]]],
      ['vrrp_instance', 'VI_1', [['virtual_router_id', '1'], ['priority', '130'], ['virtual_ipaddress', [['10.0.1.254/24']]]]],
    ]);
    // Every expanded word points at the $INSTANCE that produced it.
    const vi1 = r.parsed.statements[1]!;
    expect(vi1.block![1]!.args[0]!.pos).toEqual({ file: 'k.conf', line: 15, column: 1 });
  });

  it('nests: a multiline value may use another multiline parameter', () => {
    const r = parseAs(
      'x',
      conf('$RS= \\', 'real_server 192.0.2.${RS_NUM} 80 { \\', '  weight 1 \\', '}', '$VS= \\', 'virtual_server 198.51.100.1 80 { \\', '  $RS_NUM=1 \\', '  $RS \\', '  $RS_NUM=2 \\', '  $RS \\', '}', '$VS'),
    );
    expect(r.diagnostics).toEqual([]);
    expect(shape(r.parsed.statements)).toEqual([
      [
        'virtual_server',
        '198.51.100.1',
        '80',
        [
          ['real_server', '192.0.2.1', '80', [['weight', '1']]],
          ['real_server', '192.0.2.2', '80', [['weight', '1']]],
        ],
      ],
    ]);
  });

  it('a blank line ends the definition (keepalived 2.2.7 does the same)', () => {
    const r = parseAs('x', conf('$DEF= \\', '  kw_one a \\', '', '  kw_two b', 'g {', '$DEF', '}'));
    expect(shape(r.parsed.statements)).toEqual([['kw_two', 'b'], ['g', [['kw_one', 'a']]]]);
  });

  it('a comment before the closing \\ does not end the definition (keepalived 2.2.7 agrees)', () => {
    const r = parseAs('x', conf('$DEF= \\', '  kw_one a # c1 \\', '  kw_two b', 'g {', '$DEF', '}'));
    expect(shape(r.parsed.statements)).toEqual([['g', [['kw_one', 'a'], ['kw_two', 'b']]]]);
  });

  it('a multiline parameter is only replaced at the end of its line', () => {
    const r = parseAs('x', conf('$M= \\', 'a 1 \\', 'b 2', 'x $M y'));
    expect(shape(r.parsed.statements)).toEqual([['x', '$M', 'y']]);
  });
});

describe('~SEQ and ~LST', () => {
  it('~SEQ(var, start, end) repeats the rest of the line', () => {
    const r = parseAs('x', conf('~SEQ(SUBNET, 0, 3) ip_address 10.0.${SUBNET}.1'));
    expect(shape(r.parsed.statements)).toEqual([
      ['ip_address', '10.0.0.1'],
      ['ip_address', '10.0.1.1'],
      ['ip_address', '10.0.2.1'],
      ['ip_address', '10.0.3.1'],
    ]);
    expect(r.parsed.statements[3]!.args[0]!.pos).toEqual({ file: 'k.conf', line: 1, column: 31 });
  });

  it('~SEQx formats in hex; numbers may be written 0x..', () => {
    const a = parseAs('x', conf('~SEQx(S, 144, 16, 192) fe80::20:${S}:1'));
    const b = parseAs('x', conf('~SEQx(S, 0x90, 0x10, 0xc0) fe80::20:${S}:1'));
    const expected = [['fe80::20:90:1'], ['fe80::20:a0:1'], ['fe80::20:b0:1'], ['fe80::20:c0:1']];
    expect(shape(a.parsed.statements)).toEqual(expected);
    expect(shape(b.parsed.statements)).toEqual(expected);
  });

  it('several ~SEQ on one line nest, the last one innermost; one argument counts from 1', () => {
    const r = parseAs('x', conf('~SEQ(A, 1, 2) ~SEQ(B, 2) p ${A}.${B}', '~SEQ(C, -2) n $C'));
    expect(shape(r.parsed.statements)).toEqual([['p', '1.1'], ['p', '1.2'], ['p', '2.1'], ['p', '2.2'], ['n', '-1'], ['n', '-2']]);
  });

  it('~SEQ with a multiline parameter, inside a block', () => {
    const r = parseAs('x', conf('$RS= \\', 'real_server 192.0.2.$N 80 { \\', '}', 'vs {', '~SEQ(N, 1, 2) $RS', '}'));
    expect(shape(r.parsed.statements)).toEqual([
      ['vs', [['real_server', '192.0.2.1', '80', []], ['real_server', '192.0.2.2', '80', []]]],
    ]);
  });

  it('an invalid ~SEQ is an error at its line', () => {
    const r = parseAs('x', conf('x 1', '  ~SEQ(N, 1, -1, 5) a', '~SEQx(N, -1, 3) b', '~SEQ(N) c'));
    expect(lines(r.diagnostics)).toEqual([
      "k.conf:2:3: error: Invalid ~SEQ values '~SEQ(N, 1, -1, 5) a' [invalid-sequence]",
      "k.conf:3:1: error: ~SEQx is only valid for positive numbers '~SEQx(N, -1, 3) b' [invalid-sequence]",
      "k.conf:4:1: error: Invalid ~SEQ definition '~SEQ(N) c' [invalid-sequence]",
    ]);
    expect(shape(r.parsed.statements)).toEqual([['x', '1']]);
  });

  it('~LST with one variable and with {..} groups (man page example)', () => {
    const r = parseAs('x', conf('~LST(V, a, b) w $V', '~LST({IP, IP1}, {10,1},{20,4},{5,6},{12,8}) 192.168.${IP}.${IP1}'));
    expect(shape(r.parsed.statements)).toEqual([['w', 'a'], ['w', 'b'], ['192.168.10.1'], ['192.168.20.4'], ['192.168.5.6'], ['192.168.12.8']]);
  });

  it('expansion stops with one error at its bound (default MAX_EXPANDED_LINES)', () => {
    expect(MAX_EXPANDED_LINES).toBe(1_000_000);
    const r = parseConfigText(conf('~SEQ(A, 1, 2000) ~SEQ(B, 1, 1000) $A', 'after 1'), 'k.conf', {
      configId: 'x',
      maxExpandedLines: 5000,
    });
    expect(lines(r.diagnostics)).toEqual([
      'k.conf:1:35: error: parameter, ~SEQ and ~LST expansion stopped after 5000 lines [expansion-too-large]',
    ]);
    // 2 ~SEQ lines (the inner one per outer value) count too; then the file goes on.
    expect(r.parsed.statements.length).toBe(5000 - 5 + 1);
    expect(shape([r.parsed.statements[r.parsed.statements.length - 1]!])).toEqual([['after', '1']]);
  });
});
