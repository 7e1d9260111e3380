/**
 * Reconcile, the pure half: given the kernel's IPVS table and the wanted one, the list of kernel
 * operations that turns the first into the second, in an order the kernel accepts (a service before
 * its dests; a dest's removal before a service change that could refuse it).
 *
 * Services the kernel has and the wanted table does not are removed only with `foreign: 'remove'`
 * (keepalived leaves what it does not manage alone unless lvs_flush says otherwise).
 */
import {
  identityKey,
  type IpvsDestIdentity,
  type IpvsDestSpec,
  type IpvsServiceIdentity,
  type IpvsServiceSpec,
} from '../../protocol/ipvs.js';
import type { KernelTableEntry } from './ipvs-map.js';

export type IpvsOp =
  | { op: 'newService'; service: IpvsServiceSpec }
  | { op: 'setService'; service: IpvsServiceSpec }
  | { op: 'delService'; service: IpvsServiceIdentity }
  | { op: 'newDest'; service: IpvsServiceIdentity; dest: IpvsDestSpec }
  | { op: 'setDest'; service: IpvsServiceIdentity; dest: IpvsDestSpec }
  | { op: 'delDest'; service: IpvsServiceIdentity; dest: IpvsDestIdentity };

export interface PlanOptions {
  /** What to do with services that are in the kernel but not wanted. Default 'keep'. */
  foreign?: 'keep' | 'remove';
}

export function destIdKey(d: IpvsDestIdentity): string {
  return d.family === 'ipv6' ? `[${d.address}]:${d.port}` : `${d.address}:${d.port}`;
}

function identityOf(s: IpvsServiceSpec): IpvsServiceIdentity {
  return 'fwmark' in s
    ? { family: s.family, fwmark: s.fwmark }
    : { family: s.family, protocol: s.protocol, address: s.address, port: s.port };
}

export function serviceDiffers(a: IpvsServiceSpec, b: IpvsServiceSpec): boolean {
  return a.schedName !== b.schedName || a.flags !== b.flags || a.timeout !== b.timeout || a.netmask !== b.netmask || (a.peName ?? '') !== (b.peName ?? '');
}

export function destDiffers(a: IpvsDestSpec, b: IpvsDestSpec): boolean {
  return a.fwdMethod !== b.fwdMethod || a.weight !== b.weight || a.uThresh !== b.uThresh || a.lThresh !== b.lThresh;
}

export function planReconcile(current: readonly KernelTableEntry[], wanted: readonly KernelTableEntry[], opts: PlanOptions = {}): IpvsOp[] {
  const ops: IpvsOp[] = [];
  const have = new Map(current.map((e) => [identityKey(e.service), e]));
  const want = new Map<string, KernelTableEntry>();
  // A service named twice in the wanted table (two groups sharing a member): the first one wins, as
  // the kernel would refuse the second with EEXIST.
  for (const e of wanted) if (!want.has(identityKey(e.service))) want.set(identityKey(e.service), e);

  if (opts.foreign === 'remove') {
    for (const [k, e] of have) if (!want.has(k)) ops.push({ op: 'delService', service: identityOf(e.service) });
  }
  for (const [k, w] of want) {
    const h = have.get(k);
    const id = identityOf(w.service);
    if (h === undefined) {
      ops.push({ op: 'newService', service: w.service });
      const seen = new Set<string>();
      for (const d of w.dests) {
        if (seen.has(destIdKey(d))) continue;
        seen.add(destIdKey(d));
        ops.push({ op: 'newDest', service: id, dest: d });
      }
      continue;
    }
    const wantDests = new Map<string, IpvsDestSpec>();
    for (const d of w.dests) if (!wantDests.has(destIdKey(d))) wantDests.set(destIdKey(d), d);
    const haveDests = new Map(h.dests.map((d) => [destIdKey(d), d]));
    for (const [dk, d] of haveDests) {
      if (!wantDests.has(dk)) ops.push({ op: 'delDest', service: id, dest: { address: d.address, port: d.port, family: d.family } });
    }
    if (serviceDiffers(h.service, w.service)) ops.push({ op: 'setService', service: w.service });
    for (const [dk, d] of wantDests) {
      const hd = haveDests.get(dk);
      if (hd === undefined) ops.push({ op: 'newDest', service: id, dest: d });
      else if (destDiffers(hd, d)) ops.push({ op: 'setDest', service: id, dest: d });
    }
  }
  return ops;
}

/** An operation in words, for logs and errors: `newDest TCP 192.0.2.1:80 -> 192.0.2.10:80`. */
export function describeOp(o: IpvsOp): string {
  const svc = identityKey(o.service);
  switch (o.op) {
    case 'newService':
    case 'setService':
    case 'delService':
      return `${o.op} ${svc}`;
    default:
      return `${o.op} ${svc} -> ${destIdKey(o.dest)}`;
  }
}
