/**
 * Cross-node lint: the configurations of the nodes that share a LAN segment, checked against each
 * other. keepalived checks one file at a time; these are the mistakes that only show across files
 * (issue 2 part 6). Instances are matched across nodes by VRID and address family: on one segment
 * a VRID names one virtual router.
 *
 * Errors: the nodes cannot form one virtual router (adverts would be dropped or both become
 * master): advert_int, version, authentication or VIP set differ; two owners (priority 255).
 * Warnings: legal but most likely not meant.
 */
import type { Diagnostic, SourcePos } from './diagnostics.js';
import type { AddressFamily, KeepalivedConfig, VrrpInstance } from './types.js';

export interface LintNode {
  file: string;
  config: KeepalivedConfig;
}

interface Member {
  node: LintNode;
  inst: VrrpInstance;
}

function where(m: Member): SourcePos {
  return m.inst.pos ?? { file: m.node.file, line: 1, column: 1 };
}

function vipSet(i: VrrpInstance): string {
  return i.virtualIpaddress
    .map((v) => `${v.address}/${v.prefixLen}`)
    .sort()
    .join(', ');
}

function authText(i: VrrpInstance): string {
  return i.authentication ? `${i.authentication.type} '${i.authentication.pass}'` : 'none';
}

function label(m: Member): string {
  return `${m.inst.name} (${m.node.file})`;
}

export function lintNodes(nodes: Array<{ file: string; config: KeepalivedConfig }>): Diagnostic[] {
  const out: Diagnostic[] = [];
  const err = (pos: SourcePos, code: string, message: string): void => {
    out.push({ severity: 'error', pos, code, message });
  };
  const warn = (pos: SourcePos, code: string, message: string): void => {
    out.push({ severity: 'warning', pos, code, message });
  };

  const routers = new Map<string, Member[]>();
  for (const node of nodes) {
    for (const inst of node.config.vrrpInstances) {
      const key = `${inst.family}/${inst.virtualRouterId}`;
      const list = routers.get(key) ?? [];
      list.push({ node, inst });
      routers.set(key, list);
    }
    lintStrict(node, warn);
  }

  for (const [key, members] of routers) {
    if (members.length < 2) continue;
    const [family, vrid] = key.split('/') as [AddressFamily, string];
    const what = `VRID ${vrid} (${family === 'ipv4' ? 'IPv4' : 'IPv6'})`;
    const first = members[0]!;
    for (const m of members.slice(1)) {
      const a = first.inst;
      const b = m.inst;
      if (a.advertIntMs !== b.advertIntMs) {
        err(where(m), 'lint-advert-int', `${what}: advert_int ${b.advertIntMs / 1000}s in ${label(m)} differs from ${a.advertIntMs / 1000}s in ${label(first)}; adverts would be dropped`);
      }
      if (a.version !== b.version) {
        err(where(m), 'lint-version', `${what}: VRRP version ${b.version} in ${label(m)} differs from version ${a.version} in ${label(first)}`);
      }
      if (authText(a) !== authText(b)) {
        const strictNote = a.strictMode !== b.strictMode ? ' (vrrp_strict ignores authentication on the strict node)' : '';
        err(where(m), 'lint-auth', `${what}: authentication ${authText(b)} in ${label(m)} differs from ${authText(a)} in ${label(first)}${strictNote}`);
      }
      if (vipSet(a) !== vipSet(b)) {
        err(where(m), 'lint-vips', `${what}: virtual_ipaddress {${vipSet(b)}} in ${label(m)} differs from {${vipSet(a)}} in ${label(first)}`);
      }
    }
    // Priorities: equal ones leave the election to the primary addresses; two owners both claim
    // the addresses.
    const owners = members.filter((m) => m.inst.priority === 255);
    if (owners.length > 1) {
      for (const m of owners.slice(1)) {
        err(where(m), 'lint-two-owners', `${what}: ${label(m)} and ${label(owners[0]!)} both have priority 255 (address owner); only one node can own the addresses`);
      }
    }
    const byPrio = new Map<number, Member[]>();
    for (const m of members) byPrio.set(m.inst.priority, [...(byPrio.get(m.inst.priority) ?? []), m]);
    for (const [prio, same] of byPrio) {
      if (same.length < 2 || prio === 255) continue;
      for (const m of same.slice(1)) {
        warn(where(m), 'lint-same-priority', `${what}: ${label(m)} has the same priority ${prio} as ${label(same[0]!)}; the higher primary IP address decides the election - give each node its own priority`);
      }
    }
    const top = Math.max(...members.map((m) => m.inst.priority));
    for (const m of members) {
      if (m.inst.preempt) continue;
      if (m.inst.initialState === 'MASTER') {
        warn(where(m), 'lint-nopreempt-master', `${what}: ${label(m)} has nopreempt with state MASTER; nopreempt only works when every node starts as BACKUP`);
      } else if (m.inst.priority < top) {
        warn(where(m), 'lint-nopreempt-lower', `${what}: ${label(m)} has nopreempt but a lower priority (${m.inst.priority} < ${top}); nopreempt belongs on the higher-priority node, or on all nodes`);
      }
    }
  }
  return out;
}

/** vrrp_strict drops what strict RFC VRRP does not allow: say what this node would lose. */
function lintStrict(node: LintNode, warn: (pos: SourcePos, code: string, message: string) => void): void {
  const vsAddresses = new Set(
    node.config.virtualServers.flatMap((vs) => (vs.key.type === 'address' ? [vs.key.address] : [])),
  );
  for (const inst of node.config.vrrpInstances) {
    if (!inst.strictMode) continue;
    if (inst.unicastPeers.length > 0) {
      warn(inst.pos, 'lint-strict-unicast', `${inst.name} (${node.file}): vrrp_strict with unicast_peer: strict RFC mode only sends multicast adverts`);
    }
    if (!inst.accept) {
      for (const v of inst.virtualIpaddress) {
        if (vsAddresses.has(v.address)) {
          warn(v.pos ?? inst.pos, 'lint-strict-vip', `${inst.name} (${node.file}): vrrp_strict drops traffic to VIP ${v.address} on a non-owner master, but a virtual_server on this node listens on it; add 'accept'`);
        }
      }
    }
  }
}
