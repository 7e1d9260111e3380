/**
 * fast-check arbitraries for valid, normalized KeepalivedConfig values: what loadConfigText
 * would produce for some file (constraints keepalived imposes are respected, e.g. strict mode has
 * no authentication, priority 255 starts as MASTER, v2 adverts are whole seconds). Source places
 * and file lists are left out: the round-trip compares everything else.
 */
import fc from 'fast-check';
import type {
  Checker,
  CheckerCommon,
  GlobalDefs,
  HttpUrl,
  KeepalivedConfig,
  LvsMethod,
  LvsScheduler,
  RealServer,
  ScriptCommand,
  TrackedByWeight,
  UnicastPeer,
  VirtualIp,
  VirtualRoute,
  VirtualServer,
  VirtualServerGroup,
  VrrpInstance,
  VrrpScript,
  VrrpSyncGroup,
} from '../../../src/config/types.js';

const NOPOS = { file: '', line: 0, column: 0 };

/** Words over an alphabet (fc.stringMatching is far slower to generate and shrink). */
const word = (alphabet: string, minLength: number, maxLength: number): fc.Arbitrary<string> =>
  fc.string({ unit: fc.constantFrom(...alphabet.split('')), minLength, maxLength });
const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const DIGITS = '0123456789';
const HEX = '0123456789abcdef';
/** A prefix keeps generated words clear of keepalived's directives (include, @id, $NAME, ~SEQ). */
const ident = (prefix: string): fc.Arbitrary<string> => word(LOWER + DIGITS + '_', 1, 8).map((s) => `${prefix}${s}`);
const pathWord = word(LOWER + DIGITS + '._-', 1, 12).map((s) => `/${s}`);
const argWord = word(LOWER + LOWER.toUpperCase() + DIGITS + '._=-', 1, 8);
const ipv4 = fc.tuple(fc.constantFrom('192.0.2', '198.51.100', '203.0.113'), fc.integer({ min: 0, max: 255 })).map(([n, h]) => `${n}.${h}`);
const ipv6 = fc.integer({ min: 1, max: 0xffff }).map((h) => `2001:db8::${h.toString(16)}`);
const ms = (max: number, min = 0): fc.Arbitrary<number> => fc.integer({ min, max });
const opt = <T>(a: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> => fc.option(a, { nil: undefined });

/** Drops undefined fields, so generated objects look like what the builder makes. */
function clean<T extends object>(o: T): T {
  for (const k of Object.keys(o) as Array<keyof T>) if (o[k] === undefined) delete o[k];
  return o;
}

const scriptCmd = (withUser: boolean): fc.Arbitrary<ScriptCommand> =>
  fc
    .record({
      argv: fc.tuple(pathWord, fc.array(argWord, { maxLength: 2 })).map(([p, a]) => [p, ...a]),
      user: withUser ? opt(ident('u')) : fc.constant(undefined),
      group: withUser ? opt(ident('g')) : fc.constant(undefined),
    })
    .map((c) => {
      if (c.user === undefined) delete c.group;
      return clean(c);
    });

const globalDefs: fc.Arbitrary<GlobalDefs> = fc
  .record({
    routerId: ident('r'),
    vrrpVersion: fc.constantFrom(2 as const, 3 as const),
    vrrpMcastGroup4: fc.constantFrom('224.0.0.18', '224.0.0.19'),
    vrrpMcastGroup6: fc.constantFrom('ff02::12', 'ff02::13'),
    vrrpStrict: fc.boolean(),
    vrrpSkipCheckAdvAddr: fc.boolean(),
    vrrpCheckUnicastSrc: fc.boolean(),
    vrrpV3ChecksumAsV2: fc.constant(false),
    vrrpGarpMasterDelayMs: ms(100000),
    vrrpGarpMasterRepeat: ms(10),
    vrrpGarpMasterRefreshMs: ms(100000),
    vrrpGarpMasterRefreshRepeat: ms(10),
    vrrpGarpLowerPrioDelayMs: opt(ms(100000)),
    vrrpGarpLowerPrioRepeat: opt(ms(10)),
    vrrpGarpIntervalMs: ms(1000, 1),
    vrrpGnaIntervalMs: ms(1000, 1),
    vrrpLowerPrioNoAdvert: fc.boolean(),
    vrrpHigherPrioSendAdvert: fc.boolean(),
    vrrpStartupDelayMs: ms(180000),
    vrrpPriority: opt(fc.integer({ min: -20, max: 19 })),
    scriptUser: opt(fc.record({ user: ident('u'), group: opt(ident('g')) }).map(clean)),
    enableScriptSecurity: fc.boolean(),
    notifyFifo: opt(fc.record({ path: pathWord, user: opt(ident('u')) }).map(clean)),
    notifyFifoScript: opt(scriptCmd(true)),
    vrrpNotifyFifo: opt(fc.record({ path: pathWord }).map(clean)),
    vrrpNotifyFifoScript: opt(scriptCmd(true)),
    lvsNotifyFifo: opt(fc.record({ path: pathWord }).map(clean)),
    lvsNotifyFifoScript: opt(scriptCmd(false)),
    notificationEmail: fc.array(ident('m').map((s) => `${s}@example.org`), { maxLength: 3 }),
    notificationEmailFrom: opt(fc.constant('ka@example.org')),
    smtpServer: opt(fc.record({ host: fc.oneof(ipv4, fc.constant('mail.example.org')), port: fc.integer({ min: 1, max: 65535 }) })),
    smtpHeloName: opt(ident('h')),
    smtpConnectTimeoutMs: ms(4294000),
    smtpAlert: fc.boolean(),
    smtpAlertVrrp: opt(fc.boolean()),
    smtpAlertChecker: opt(fc.boolean()),
    lvsFlush: fc.boolean(),
    lvsTimeouts: opt(fc.record({ tcpS: opt(ms(100000)), tcpFinS: opt(ms(1000)), udpS: opt(ms(1000)) }).map(clean).filter((t) => Object.keys(t).length > 0)),
    lvsSyncDaemon: opt(
      fc.record({
        interface: fc.constantFrom('eth0', 'eth1'),
        vrrpInstance: ident('VI_'),
        syncId: opt(fc.integer({ min: 0, max: 255 })),
        maxlen: opt(fc.integer({ min: 1, max: 65507 })),
        port: opt(fc.integer({ min: 1, max: 65535 })),
        ttl: opt(fc.integer({ min: 1, max: 255 })),
        group: opt(fc.constant('224.0.0.81')),
      }).map(clean),
    ),
  })
  .map((g) => clean(g as GlobalDefs));

const vip = (family: 'ipv4' | 'ipv6'): fc.Arbitrary<VirtualIp> =>
  fc
    .record({
      address: family === 'ipv4' ? ipv4 : ipv6,
      prefixLen: fc.integer({ min: 0, max: family === 'ipv4' ? 32 : 128 }),
      family: fc.constant(family),
      brd: family === 'ipv4' ? opt(ipv4) : fc.constant(undefined),
      dev: opt(fc.constantFrom('eth0', 'eth1')),
      scope: opt(fc.constantFrom('global', 'link', 'host')),
      label: opt(fc.constantFrom('eth0:vip', 'eth1:1')),
      noPrefixRoute: opt(fc.constant(true)),
    })
    .map(clean);

const route: fc.Arbitrary<VirtualRoute> = fc
  .record({
    src: opt(ipv4),
    dst: fc.oneof(fc.constant('default'), fc.tuple(ipv4, fc.integer({ min: 8, max: 32 })).map(([a, l]) => `${a}/${l}`)),
    via: opt(ipv4),
    dev: opt(fc.constantFrom('eth0', 'eth1')),
    table: opt(fc.integer({ min: 1, max: 250 }).map(String)),
    metric: opt(fc.integer({ min: 0, max: 1000 })),
    scope: opt(fc.constantFrom('link', 'global')),
  })
  .map((r) => {
    const words: string[] = [];
    if (r.src) words.push('src', r.src);
    words.push(r.dst);
    if (r.via) words.push('via', r.via);
    if (r.dev) words.push('dev', r.dev);
    if (r.table) words.push('table', r.table);
    if (r.metric !== undefined) words.push('metric', String(r.metric));
    if (r.scope) words.push('scope', r.scope);
    return clean({ words, ...r });
  });

const tracked = (names: fc.Arbitrary<string>): fc.Arbitrary<TrackedByWeight> =>
  fc.record({ name: names, weight: opt(fc.integer({ min: -254, max: 254 })), reverse: fc.boolean() }).map(clean);

const vrrpScript = (name: string): fc.Arbitrary<VrrpScript> =>
  fc
    .record({
      name: fc.constant(name),
      script: scriptCmd(true),
      intervalMs: ms(100000, 1),
      timeoutMs: opt(ms(100000, 1)),
      weight: fc.integer({ min: -253, max: 253 }),
      weightReverse: fc.boolean(),
      rise: fc.integer({ min: 1, max: 10 }),
      fall: fc.integer({ min: 1, max: 10 }),
      initFail: fc.boolean(),
      pos: fc.constant(NOPOS),
    })
    .map(clean);

function instanceArb(name: string, iface: string, vrid: number, family: 'ipv4' | 'ipv6', g: GlobalDefs, scripts: string[]): fc.Arbitrary<VrrpInstance> {
  const addr = family === 'ipv4' ? ipv4 : ipv6;
  return fc
    .record({
      strictMode: fc.boolean(),
      version: family === 'ipv6' ? fc.constant(3 as const) : fc.constantFrom(2 as const, 3 as const),
      priority: fc.integer({ min: 1, max: 255 }),
      wantMaster: fc.boolean(),
      preempt: fc.boolean(),
      advertUnits: fc.integer({ min: 1, max: 255 }),
      advertCs: fc.integer({ min: 1, max: 4095 }),
      auth: opt(fc.record({ type: fc.constantFrom('PASS' as const, 'AH' as const), pass: word(LOWER + DIGITS, 1, 8) })),
      useVmac: opt(ident('vm')),
      vmacXmitBase: fc.boolean(),
      preemptDelayMs: ms(1000000),
      unicastSrcIp: opt(addr),
      unicastPeers: fc.array(
        fc.record({ address: addr, minTtl: opt(fc.integer({ min: 0, max: 255 })), maxTtl: opt(fc.integer({ min: 0, max: 255 })) }).map((p) => clean(p as UnicastPeer)),
        { maxLength: 2 },
      ),
      vips: fc.array(vip(family), { minLength: 1, maxLength: 3 }),
      excluded: fc.array(fc.oneof(vip('ipv4'), vip('ipv6')), { maxLength: 2 }),
      routes: fc.array(route, { maxLength: 2 }),
      trackInterface: fc.array(tracked(fc.constantFrom('eth0', 'eth1', 'bond0')), { maxLength: 2 }),
      trackScript: scripts.length > 0 ? fc.array(tracked(fc.constantFrom(...scripts)), { maxLength: 2 }) : fc.constant<TrackedByWeight[]>([]),
      garp: fc.tuple(ms(100000), ms(10), ms(100000), ms(10), ms(100000), ms(10)),
      lowerPrioNoAdvert: fc.boolean(),
      higherPrioSendAdvert: fc.boolean(),
      skipCheckAdvAddr: fc.boolean(),
      accept: fc.boolean(),
      notifyMaster: opt(scriptCmd(true)),
      notifyBackup: opt(scriptCmd(true)),
      notify: opt(scriptCmd(true)),
      smtpAlert: opt(fc.boolean()),
    })
    .map((x) => {
      const owner = x.priority === 255;
      const inst: VrrpInstance = {
        name,
        initialState: owner || (x.wantMaster && !x.strictMode) ? 'MASTER' : 'BACKUP',
        interface: iface,
        useVmac: x.useVmac,
        vmacXmitBase: x.vmacXmitBase,
        virtualRouterId: vrid,
        priority: x.priority,
        advertIntMs: x.version === 2 ? x.advertUnits * 1000 : x.advertCs * 10,
        version: x.version,
        family,
        preempt: owner ? true : x.preempt,
        preemptDelayMs: x.preemptDelayMs,
        unicastSrcIp: x.unicastSrcIp,
        unicastPeers: x.unicastPeers,
        authentication: x.strictMode || x.version === 3 ? undefined : x.auth,
        virtualIpaddress: x.vips,
        virtualIpaddressExcluded: x.excluded,
        virtualRoutes: x.routes,
        trackInterface: x.trackInterface,
        trackScript: x.trackScript,
        garpMasterDelayMs: x.garp[0],
        garpMasterRepeat: x.garp[1],
        garpMasterRefreshMs: x.garp[2],
        garpMasterRefreshRepeat: x.garp[3],
        garpLowerPrioDelayMs: x.garp[4],
        garpLowerPrioRepeat: x.garp[5],
        lowerPrioNoAdvert: x.lowerPrioNoAdvert,
        higherPrioSendAdvert: x.higherPrioSendAdvert,
        skipCheckAdvAddr: x.skipCheckAdvAddr,
        strictMode: x.strictMode,
        accept: x.accept,
        v3ChecksumAsV2: g.vrrpV3ChecksumAsV2,
        notifyMaster: x.notifyMaster,
        notifyBackup: x.notifyBackup,
        notify: x.notify,
        smtpAlert: x.smtpAlert,
        pos: NOPOS,
      };
      return clean(inst);
    });
}

const common = (type: Checker['type']): fc.Arbitrary<CheckerCommon> => {
  if (type === 'FILE_CHECK') return fc.constant({ connectTimeoutMs: 5000, retry: 1, delayBeforeRetryMs: 1000, pos: NOPOS });
  const connect = type !== 'MISC_CHECK';
  return fc
    .record({
      connectIp: connect ? opt(ipv4) : fc.constant(undefined),
      connectPort: connect ? opt(fc.integer({ min: 1, max: 65535 })) : fc.constant(undefined),
      bindto: connect ? opt(ipv4) : fc.constant(undefined),
      bindPort: connect ? opt(fc.integer({ min: 1, max: 65535 })) : fc.constant(undefined),
      bindIf: connect ? opt(fc.constantFrom('eth0', 'eth1')) : fc.constant(undefined),
      connectTimeoutMs: connect ? ms(60000) : fc.constant(5000),
      retry: fc.integer({ min: 0, max: 10 }),
      delayBeforeRetryMs: ms(60000),
      delayLoopMs: opt(ms(60000)),
      warmupMs: opt(ms(60000)),
      fwmark: connect ? opt(fc.integer({ min: 0, max: 100000 })) : fc.constant(undefined),
      alpha: opt(fc.boolean()),
      pos: fc.constant(NOPOS),
    })
    .map(clean);
};

const url: fc.Arbitrary<HttpUrl> = fc
  .record({
    path: pathWord,
    digest: opt(word(HEX, 32, 32)),
    statusCode: fc.array(
      fc.tuple(fc.integer({ min: 100, max: 599 }), fc.integer({ min: 0, max: 99 })).map(([a, d]): [number, number] => [a, Math.min(599, a + d)]),
      { minLength: 1, maxLength: 3 },
    ),
    virtualhost: opt(fc.constant('www.example.org')),
    regex: opt(fc.constantFrom('^OK', 'up and running')),
  })
  .map(clean);

const checker: fc.Arbitrary<Checker> = fc
  .constantFrom<Checker['type']>('TCP_CHECK', 'HTTP_GET', 'SSL_GET', 'MISC_CHECK', 'SMTP_CHECK', 'DNS_CHECK', 'UDP_CHECK', 'PING_CHECK', 'FILE_CHECK')
  .chain((type): fc.Arbitrary<Checker> => {
    switch (type) {
      case 'TCP_CHECK':
      case 'PING_CHECK':
        return common(type).map((c) => ({ type, ...c }));
      case 'HTTP_GET':
      case 'SSL_GET':
        return fc
          .tuple(common(type), fc.array(url, { minLength: 1, maxLength: 2 }), opt(fc.constant('vh.example.org')), opt(fc.constantFrom('1.0', '1.0C', '1.1')), opt(fc.boolean()))
          .map(([c, urls, virtualhost, httpProtocol, enableSni]) => clean({ type, urls, ...c, virtualhost, httpProtocol, enableSni }));
      case 'MISC_CHECK':
        return fc
          .tuple(common(type), scriptCmd(false), opt(ms(60000)), fc.boolean())
          .map(([c, miscPath, miscTimeoutMs, miscDynamic]) => clean({ type, miscPath, miscTimeoutMs, miscDynamic, ...c }));
      case 'SMTP_CHECK':
        return fc.tuple(common(type), opt(ident('h'))).map(([c, heloName]) => clean({ type, heloName, ...c }));
      case 'DNS_CHECK':
        return fc
          .tuple(common(type), fc.constantFrom('A', 'NS', 'CNAME', 'SOA', 'MX', 'TXT', 'AAAA'), fc.constantFrom('.', 'www.example.org'))
          .map(([c, dnsType, dnsName]) => ({ type, dnsType, dnsName, ...c }));
      case 'UDP_CHECK':
        return fc
          .tuple(common(type), opt(word(HEX, 2, 8)), opt(fc.constant(true)))
          .map(([c, payload, requireReply]) => clean({ type, payload, requireReply, ...c }));
      case 'FILE_CHECK':
        return fc.tuple(common(type), ident('tf')).map(([c, trackFile]) => ({ type, trackFile, ...c }));
    }
  });

const METHODS: LvsMethod[] = ['NAT', 'DR', 'TUN'];
const SCHEDULERS: LvsScheduler[] = ['rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'sh', 'dh', 'sed', 'nq', 'mh', 'fo', 'ovf', 'twos'];

const realServer = (fwmark: boolean): fc.Arbitrary<RealServer> =>
  fc
    .record({
      addr: fc.oneof(ipv4.map((a) => ({ address: a, family: 'ipv4' as const })), ipv6.map((a) => ({ address: a, family: 'ipv6' as const }))),
      port: fwmark ? fc.constant(0) : fc.integer({ min: 0, max: 65535 }),
      weight: fc.integer({ min: 0, max: 1000 }),
      inhibitOnFailure: fc.boolean(),
      uthreshold: opt(fc.integer({ min: 0, max: 10000 })),
      lthreshold: opt(fc.integer({ min: 0, max: 10000 })),
      lvsMethod: opt(fc.constantFrom(...METHODS)),
      notifyUp: opt(scriptCmd(true)),
      notifyDown: opt(scriptCmd(true)),
      delayLoopMs: opt(ms(60000)),
      alpha: opt(fc.boolean()),
      retry: opt(fc.integer({ min: 0, max: 10 })),
      delayBeforeRetryMs: opt(ms(60000)),
      warmupMs: opt(ms(60000)),
      checkers: fc.array(checker, { maxLength: 2 }),
    })
    .map(({ addr, ...rs }) => clean({ address: addr.address, family: addr.family, ...rs, pos: NOPOS }));

const vsGroup = (name: string): fc.Arbitrary<VirtualServerGroup> =>
  fc
    .array(
      fc.oneof(
        fc.record({ address: ipv4, rangeEnd: opt(fc.integer({ min: 0, max: 255 })), port: fc.integer({ min: 0, max: 65535 }) }).map((m) => clean({ type: 'address' as const, ...m, family: 'ipv4' as const })),
        fc.record({ address: ipv6, rangeEnd: opt(fc.integer({ min: 0, max: 0xffff })), port: fc.integer({ min: 0, max: 65535 }) }).map((m) => clean({ type: 'address' as const, ...m, family: 'ipv6' as const })),
        fc.integer({ min: 1, max: 100000 }).map((fwmark) => ({ type: 'fwmark' as const, fwmark, family: 'ipv4' as const })),
      ),
      { maxLength: 3 },
    )
    .map((members) => ({ name, members, pos: NOPOS }));

const virtualServer = (groups: string[]): fc.Arbitrary<VirtualServer> =>
  fc
    .oneof(
      fc.record({ address: ipv4, port: fc.integer({ min: 0, max: 65535 }) }).map((k) => ({ type: 'address' as const, ...k, family: 'ipv4' as const })),
      fc.record({ address: ipv6, port: fc.integer({ min: 0, max: 65535 }) }).map((k) => ({ type: 'address' as const, ...k, family: 'ipv6' as const })),
      fc.record({ fwmark: fc.integer({ min: 1, max: 1000000 }), family: fc.constantFrom('ipv4' as const, 'ipv6' as const) }).map((k) => ({ type: 'fwmark' as const, ...k })),
      ...(groups.length > 0 ? [fc.constantFrom(...groups).map((name) => ({ type: 'group' as const, name }))] : []),
    )
    .chain((key) =>
      fc
        .record({
          protocol: key.type === 'fwmark' ? fc.constant('UDP' as const) : fc.constantFrom('TCP' as const, 'UDP' as const, 'SCTP' as const),
          delayLoopMs: ms(100000, 1),
          lbAlgo: fc.constantFrom(...SCHEDULERS),
          lbKind: fc.constantFrom(...METHODS),
          persistence: opt(fc.record({ timeout: fc.integer({ min: 1, max: 2678400 }), granularity: opt(fc.constantFrom('255.255.255.0', '255.255.0.0', '64')) })),
          virtualhost: opt(fc.constant('www.example.org')),
          sorryServer: opt(fc.record({ address: ipv4, port: fc.integer({ min: 0, max: 65535 }), lvsMethod: opt(fc.constantFrom(...METHODS)) }).map(clean)),
          sorryServerInhibit: fc.boolean(),
          inhibitOnFailure: fc.boolean(),
          quorum: fc.integer({ min: 1, max: 1000 }),
          hysteresis: fc.integer({ min: 0, max: 100 }),
          quorumUp: opt(scriptCmd(true)),
          quorumDown: opt(scriptCmd(true)),
          alpha: fc.boolean(),
          omega: fc.boolean(),
          haSuspend: fc.boolean(),
          opsFlag: fc.boolean(),
          schedFlags: fc.uniqueArray(fc.constantFrom('flag-1', 'flag-2', 'flag-3', 'sh-port', 'sh-fallback', 'mh-port', 'mh-fallback'), { maxLength: 3 }),
          realServers: fc.array(realServer(key.type === 'fwmark'), { maxLength: 3 }),
        })
        .map(({ persistence, ...v }) =>
          clean({ key, ...v, persistenceTimeout: persistence?.timeout, persistenceGranularity: persistence?.granularity, pos: NOPOS }),
        ),
    );

export const keepalivedConfigArb: fc.Arbitrary<KeepalivedConfig> = fc
  .record({
    globalDefs,
    scriptNames: fc.uniqueArray(ident('chk_'), { maxLength: 3 }),
    routers: fc.uniqueArray(
      fc.record({ iface: fc.constantFrom('eth0', 'eth1'), vrid: fc.integer({ min: 1, max: 255 }), family: fc.constantFrom('ipv4' as const, 'ipv6' as const) }),
      { maxLength: 4, selector: (r) => `${r.iface}/${r.family}/${r.vrid}` },
    ),
    groupNames: fc.uniqueArray(ident('vsg_'), { maxLength: 2 }),
    syncSplit: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 4, maxLength: 4 }),
    statics: fc.record({ addrs: fc.array(vip('ipv4'), { maxLength: 2 }), routes: fc.array(route, { maxLength: 2 }) }),
  })
  .chain(({ globalDefs: g, scriptNames, routers, groupNames, syncSplit, statics }) =>
    fc
      .record({
        scripts: fc.tuple(...scriptNames.map((n) => vrrpScript(n))),
        instances: fc.tuple(...routers.map((r, i) => instanceArb(`VI_${i}`, r.iface, r.vrid, r.family, g, scriptNames))),
        groups: fc.tuple(...groupNames.map((n) => vsGroup(n))),
        servers: fc.array(virtualServer(groupNames), { maxLength: 3 }),
        syncTracking: fc.array(fc.record({ ti: fc.array(tracked(fc.constantFrom('eth0', 'eth2')), { maxLength: 1 }), notifyMaster: opt(scriptCmd(true)), smtpAlert: opt(fc.boolean()), globalTracking: fc.boolean() }), { minLength: 2, maxLength: 2 }),
      })
      .map(({ scripts, instances, groups, servers, syncTracking }) => {
        // Sync groups: split the instances by syncSplit (0 = none, 1 = SG_1, 2 = SG_2).
        const syncGroups: VrrpSyncGroup[] = [];
        for (const gi of [1, 2]) {
          const members = instances.filter((_, i) => syncSplit[i] === gi);
          if (members.length === 0) continue;
          const t = syncTracking[gi - 1]!;
          for (const m of members) m.syncGroup = `SG_${gi}`;
          syncGroups.push(
            clean({
              name: `SG_${gi}`,
              group: members.map((m) => m.name),
              trackInterface: t.ti,
              trackScript: [],
              notifyMaster: t.notifyMaster,
              smtpAlert: t.smtpAlert,
              globalTracking: t.globalTracking,
              pos: NOPOS,
            }),
          );
        }
        const config: KeepalivedConfig = {
          globalDefs: g,
          vrrpScripts: scripts,
          vrrpSyncGroups: syncGroups,
          vrrpInstances: instances,
          virtualServerGroups: groups,
          virtualServers: servers,
          staticIpaddress: statics.addrs,
          staticRoutes: statics.routes,
          files: [],
        };
        return config;
      }),
  );
