import { describe, expect, it } from 'vitest';
import { lines, ok } from './helpers.js';

const vs = (body: string, head = '192.0.2.10 80'): string => `virtual_server ${head} {\n${body}\n}\n`;

describe('virtual_server', () => {
  it("keepalived 2.2.7's defaults, with its warnings for what it defaults", () => {
    const text = vs('  real_server 192.0.2.20 80 {\n  }');
    const { config } = ok(text);
    const v = config.virtualServers[0]!;
    expect(v).toMatchObject({
      key: { type: 'address', address: '192.0.2.10', port: 80, family: 'ipv4' },
      protocol: 'UDP',
      delayLoopMs: 60000,
      lbAlgo: 'wlc',
      lbKind: 'NAT',
      quorum: 1,
      hysteresis: 0,
      alpha: false,
      omega: false,
      haSuspend: false,
      opsFlag: false,
      schedFlags: [],
      sorryServerInhibit: false,
      inhibitOnFailure: false,
    });
    expect(v.persistenceTimeout).toBeUndefined();
    expect(v.realServers[0]).toMatchObject({ address: '192.0.2.20', port: 80, family: 'ipv4', weight: 1, inhibitOnFailure: false, checkers: [] });
    expect(lines(text)).toEqual([
      'test.conf:1:1: warning: Virtual server [192.0.2.10]:none:80: no protocol set - defaulting to UDP',
      "test.conf:1:1: warning: Virtual server [192.0.2.10]:udp:80: no scheduler set, setting default 'wlc'",
      'test.conf:1:1: warning: Virtual server [192.0.2.10]:udp:80: no forwarding method set, setting default NAT',
    ]);
  });

  it('reads every virtual_server keyword, with the legacy and the new names', () => {
    const { config } = ok(
      vs(`  delay_loop 6
  lb_algo rr
  lb_kind DR
  persistence_timeout 50
  persistence_granularity 255.255.255.0
  protocol TCP
  virtualhost www.example.org
  sorry_server 192.0.2.99 8080
  sorry_server_lvs_method DR
  sorry_server_inhibit
  inhibit_on_failure
  quorum 2
  hysteresis 1
  quorum_up "/bin/up.sh now" root
  quorum_down /bin/down.sh
  alpha
  omega
  ha_suspend
  ops
  sh-port
  sh-fallback
  flag-1`) +
        vs('  lvs_sched sh\n  lvs_method TUN\n  protocol SCTP\n  persistence_timeout', '2001:db8::10 443'),
    );
    const [a, b] = config.virtualServers;
    expect(a).toMatchObject({
      delayLoopMs: 6000,
      lbAlgo: 'rr',
      lbKind: 'DR',
      persistenceTimeout: 50,
      persistenceGranularity: '255.255.255.0',
      protocol: 'TCP',
      virtualhost: 'www.example.org',
      sorryServer: { address: '192.0.2.99', port: 8080, lvsMethod: 'DR' },
      sorryServerInhibit: true,
      inhibitOnFailure: true,
      quorum: 2,
      hysteresis: 1,
      quorumUp: { argv: ['/bin/up.sh', 'now'], user: 'root' },
      quorumDown: { argv: ['/bin/down.sh'] },
      alpha: true,
      omega: true,
      haSuspend: true,
      opsFlag: true,
      schedFlags: ['sh-port', 'sh-fallback', 'flag-1'],
    });
    expect(b).toMatchObject({
      key: { type: 'address', address: '2001:db8::10', port: 443, family: 'ipv6' },
      lbAlgo: 'sh',
      lbKind: 'TUN',
      protocol: 'SCTP',
      persistenceTimeout: 360,
    });
  });

  it('fwmark and group keys; virtual_server_group members', () => {
    const { config } = ok(`virtual_server_group WEB {
  192.0.2.1 80
  192.0.2.10-20 8080
  2001:db8::1-ff 443
  fwmark 7
}
virtual_server group WEB {
  protocol TCP
  lb_algo rr
  lb_kind NAT
}
virtual_server fwmark 42 {
  ip_family inet6
  lb_algo rr
  lb_kind DR
}`);
    expect(config.virtualServerGroups[0]).toMatchObject({
      name: 'WEB',
      members: [
        { type: 'address', address: '192.0.2.1', port: 80, family: 'ipv4' },
        { type: 'address', address: '192.0.2.10', rangeEnd: 20, port: 8080, family: 'ipv4' },
        { type: 'address', address: '2001:db8::1', rangeEnd: 0xff, port: 443, family: 'ipv6' },
        { type: 'fwmark', fwmark: 7, family: 'ipv4' },
      ],
    });
    expect(config.virtualServers.map((v) => v.key)).toEqual([
      { type: 'group', name: 'WEB' },
      { type: 'fwmark', fwmark: 42, family: 'ipv6' },
    ]);
  });
});

describe('real_server and checkers', () => {
  it('real_server keywords', () => {
    const { config } = ok(
      vs(`  protocol TCP
  lb_algo rr
  lb_kind NAT
  real_server 192.0.2.20 8080 {
    weight 3
    inhibit_on_failure
    uthreshold 100
    lthreshold 10
    lvs_method DR
    notify_up "/bin/up.sh rs1"
    notify_down /bin/down.sh nobody
    delay_loop 10
    alpha
    retry 4
    delay_before_retry 2
    warmup 5
  }`),
    );
    const rs = config.virtualServers[0]!.realServers[0]!;
    expect(rs).toMatchObject({
      address: '192.0.2.20',
      port: 8080,
      weight: 3,
      inhibitOnFailure: true,
      uthreshold: 100,
      lthreshold: 10,
      lvsMethod: 'DR',
      notifyUp: { argv: ['/bin/up.sh', 'rs1'] },
      notifyDown: { argv: ['/bin/down.sh'], user: 'nobody' },
      delayLoopMs: 10000,
      alpha: true,
      retry: 4,
      delayBeforeRetryMs: 2000,
      warmupMs: 5000,
    });
  });

  it('every checker type, its options and its defaults (nb_get_retry = retry)', () => {
    const { config } = ok(
      vs(`  protocol TCP
  lb_algo rr
  lb_kind NAT
  delay_loop 9
  real_server 192.0.2.20 80 {
    TCP_CHECK {
      connect_ip 192.0.2.21
      connect_port 8080
      bindto 192.0.2.1
      bind_port 5000
      bind_if eth0
      connect_timeout 3
      retry 2
      delay_before_retry 4
      delay_loop 7
      warmup 1
      fwmark 9
      alpha
    }
    HTTP_GET {
      url {
        path /health
        digest 640205B7B0FC66C1EA91C463FAC6334D
        status_code 200 300-399
        virtualhost www.example.org
        regex "^OK"
      }
      nb_get_retry 3
      virtualhost default.example.org
      http_protocol 1.1
    }
    SSL_GET {
      url {
        path /
      }
      enable_sni
    }
    MISC_CHECK {
      misc_path "/bin/check.sh 192.0.2.20"
      misc_timeout 5
      misc_dynamic
    }
    SMTP_CHECK {
      helo_name lb.example.org
    }
    DNS_CHECK {
      type A
      name www.example.org
    }
    UDP_CHECK {
      payload 0a0b0c
      require_reply
    }
    PING_CHECK {
    }
    FILE_CHECK {
      track_file weights
    }
  }`),
    );
    const strip = <T extends { pos?: unknown }>(c: T): Omit<T, 'pos'> => {
      const { pos: _p, ...rest } = c;
      return rest;
    };
    const cs = config.virtualServers[0]!.realServers[0]!.checkers.map(strip);
    expect(cs).toEqual([
      { type: 'TCP_CHECK', connectIp: '192.0.2.21', connectPort: 8080, bindto: '192.0.2.1', bindPort: 5000, bindIf: 'eth0', connectTimeoutMs: 3000, retry: 2, delayBeforeRetryMs: 4000, delayLoopMs: 7000, warmupMs: 1000, fwmark: 9, alpha: true },
      {
        type: 'HTTP_GET',
        urls: [{ path: '/health', digest: '640205b7b0fc66c1ea91c463fac6334d', statusCode: [[200, 200], [300, 399]], virtualhost: 'www.example.org', regex: '^OK' }],
        connectTimeoutMs: 5000,
        retry: 3,
        delayBeforeRetryMs: 3000,
        virtualhost: 'default.example.org',
        httpProtocol: '1.1',
      },
      { type: 'SSL_GET', urls: [{ path: '/', statusCode: [[200, 299]] }], connectTimeoutMs: 5000, retry: 1, delayBeforeRetryMs: 3000, enableSni: true },
      { type: 'MISC_CHECK', miscPath: { argv: ['/bin/check.sh', '192.0.2.20'] }, miscTimeoutMs: 5000, miscDynamic: true, connectTimeoutMs: 5000, retry: 0, delayBeforeRetryMs: 1000 },
      { type: 'SMTP_CHECK', heloName: 'lb.example.org', connectTimeoutMs: 5000, retry: 1, delayBeforeRetryMs: 1000 },
      // DNS_CHECK: delay_before_retry defaults to the delay_loop (here the virtual server's 9 s), retry to 3.
      { type: 'DNS_CHECK', dnsType: 'A', dnsName: 'www.example.org', connectTimeoutMs: 5000, retry: 3, delayBeforeRetryMs: 9000 },
      { type: 'UDP_CHECK', payload: '0a0b0c', requireReply: true, connectTimeoutMs: 5000, retry: 1, delayBeforeRetryMs: 1000 },
      { type: 'PING_CHECK', connectTimeoutMs: 5000, retry: 1, delayBeforeRetryMs: 1000 },
      { type: 'FILE_CHECK', trackFile: 'weights', connectTimeoutMs: 5000, retry: 1, delayBeforeRetryMs: 1000 },
    ]);
  });
});

describe('static_ipaddress and static_routes', () => {
  it('reads addresses and routes', () => {
    const { config } = ok(`static_ipaddress {
  192.0.2.5/24 dev eth0 scope link
}
static_routes {
  198.51.100.0/24 via 192.0.2.1 dev eth0
}`);
    expect(config.staticIpaddress.map(({ pos: _p, ...v }) => v)).toEqual([{ address: '192.0.2.5', prefixLen: 24, family: 'ipv4', dev: 'eth0', scope: 'link' }]);
    expect(config.staticRoutes.map(({ pos: _p, ...v }) => v)).toEqual([
      { words: ['198.51.100.0/24', 'via', '192.0.2.1', 'dev', 'eth0'], dst: '198.51.100.0/24', via: '192.0.2.1', dev: 'eth0' },
    ]);
  });
});

describe('inheritance from the virtual server', () => {
  it("inhibit_on_failure of the virtual server is its real servers' default, even when written after them", () => {
    const { config } = ok(vs('  protocol TCP\n  lb_algo rr\n  lb_kind NAT\n  real_server 192.0.2.2 80 {\n  }\n  real_server 192.0.2.3 80 {\n    inhibit_on_failure false\n  }\n  inhibit_on_failure'));
    expect(config.virtualServers[0]!.realServers.map((r) => r.inhibitOnFailure)).toEqual([true, false]);
  });
});

describe('checker timings given in a real_server', () => {
  it("are the defaults of its checkers: a checker's own value wins, the per-type default applies when neither is given", () => {
    const { config } = ok(
      vs(`  protocol TCP
  lb_algo rr
  lb_kind NAT
  real_server 192.0.2.20 80 {
    TCP_CHECK {
    }
    HTTP_GET {
      url {
        path /
      }
      retry 7
      delay_before_retry 2
    }
    DNS_CHECK {
      type A
      name example.org
    }
    retry 4
    delay_before_retry 9
  }
  real_server 192.0.2.21 80 {
    TCP_CHECK {
    }
    HTTP_GET {
      url {
        path /
      }
    }
  }`),
    );
    const [a, b] = config.virtualServers[0]!.realServers;
    // Given after the checkers, the real server's values still reach the checkers that set none.
    expect(a!.checkers.map((c) => [c.type, c.retry, c.delayBeforeRetryMs])).toEqual([
      ['TCP_CHECK', 4, 9000],
      ['HTTP_GET', 7, 2000],
      ['DNS_CHECK', 4, 9000],
    ]);
    // Without them: keepalived's per-type defaults (retry 1; delay_before_retry 1 s, HTTP 3 s).
    expect(b!.checkers.map((c) => [c.type, c.retry, c.delayBeforeRetryMs])).toEqual([
      ['TCP_CHECK', 1, 1000],
      ['HTTP_GET', 1, 3000],
    ]);
  });
});
