/**
 * keepalived.conf text for simulated labs: the engine tests, the properties and the bench load
 * their nodes through the real config loader, as `simulate` does.
 */
export interface LabInstance {
  name: string;
  vrid: number;
  priority: number;
  iface?: string;
  advertInt?: number;
  version?: 2 | 3;
  nopreempt?: boolean;
  preemptDelay?: number;
  state?: 'MASTER' | 'BACKUP';
  vips?: string[];
  unicastSrc?: string;
  unicastPeers?: string[];
  authPass?: string;
  trackScript?: Array<{ name: string; weight?: number }>;
  extra?: string[];
}

export interface LabNode {
  routerId: string;
  instances: LabInstance[];
  syncGroups?: Array<{ name: string; members: string[] }>;
  scripts?: Array<{ name: string; weight?: number }>;
  globals?: string[];
}

/** The documentation VIP of a VRID. */
export function vipOf(vrid: number): string {
  return vrid <= 254 ? `198.51.100.${vrid}` : `203.0.113.${vrid - 254}`;
}

export function nodeConfigText(node: LabNode): string {
  const out: string[] = [];
  out.push('global_defs {', `  router_id ${node.routerId}`, ...(node.globals ?? []).map((g) => `  ${g}`), '}');
  for (const s of node.scripts ?? []) {
    out.push(`vrrp_script ${s.name} {`, '  script "/bin/true"', '  interval 1');
    if (s.weight !== undefined) out.push(`  weight ${s.weight}`);
    out.push('}');
  }
  for (const g of node.syncGroups ?? []) {
    out.push(`vrrp_sync_group ${g.name} {`, '  group {', ...g.members.map((m) => `    ${m}`), '  }', '}');
  }
  for (const i of node.instances) {
    out.push(`vrrp_instance ${i.name} {`);
    out.push(`  state ${i.state ?? 'BACKUP'}`);
    out.push(`  interface ${i.iface ?? 'eth0'}`);
    out.push(`  virtual_router_id ${i.vrid}`);
    out.push(`  priority ${i.priority}`);
    out.push(`  advert_int ${i.advertInt ?? 1}`);
    if (i.version !== undefined) out.push(`  version ${i.version}`);
    if (i.nopreempt) out.push('  nopreempt');
    if (i.preemptDelay !== undefined) out.push(`  preempt_delay ${i.preemptDelay}`);
    if (i.unicastSrc !== undefined) out.push(`  unicast_src_ip ${i.unicastSrc}`);
    if (i.unicastPeers !== undefined) out.push('  unicast_peer {', ...i.unicastPeers.map((p) => `    ${p}`), '  }');
    if (i.authPass !== undefined) out.push('  authentication {', '    auth_type PASS', `    auth_pass ${i.authPass}`, '  }');
    if (i.trackScript !== undefined) {
      out.push('  track_script {', ...i.trackScript.map((t) => `    ${t.name}${t.weight !== undefined ? ` weight ${t.weight}` : ''}`), '  }');
    }
    out.push('  virtual_ipaddress {', ...(i.vips ?? [vipOf(i.vrid)]).map((v) => `    ${v}`), '  }');
    for (const e of i.extra ?? []) out.push(`  ${e}`);
    out.push('}');
  }
  return `${out.join('\n')}\n`;
}
