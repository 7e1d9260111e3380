import type { Checker, CheckerCommon, RealServer, VirtualServer } from '../../src/config/types.js';
import type { CheckerSettings } from '../../src/machines/checker/contract.js';

export const POS = { file: 'test', line: 1, column: 1 };

export function settings(over: Partial<CheckerSettings> = {}): CheckerSettings {
  return { delayLoopMs: 6000, retry: 2, delayBeforeRetryMs: 1500, warmupMs: 0, alpha: false, probeTimeoutMs: 4000, ...over };
}

export function common(over: Partial<CheckerCommon> = {}): CheckerCommon {
  return { connectTimeoutMs: 3000, retry: 1, delayBeforeRetryMs: 1000, pos: POS, ...over };
}

export function tcpCheck(over: Partial<CheckerCommon> = {}): Checker {
  return { type: 'TCP_CHECK', ...common(over) };
}

export function realServer(address: string, over: Partial<RealServer> = {}): RealServer {
  return { address, port: 80, family: address.includes(':') ? 'ipv6' : 'ipv4', weight: 1, inhibitOnFailure: false, checkers: [tcpCheck()], pos: POS, ...over };
}

export function virtualServer(realServers: RealServer[], over: Partial<VirtualServer> = {}): VirtualServer {
  return {
    key: { type: 'address', address: '192.0.2.100', port: 80, family: 'ipv4' },
    protocol: 'TCP',
    delayLoopMs: 6000,
    lbAlgo: 'rr',
    lbKind: 'NAT',
    sorryServerInhibit: false,
    inhibitOnFailure: false,
    quorum: 1,
    hysteresis: 0,
    alpha: false,
    omega: false,
    haSuspend: false,
    opsFlag: false,
    schedFlags: [],
    realServers,
    pos: POS,
    ...over,
  };
}
