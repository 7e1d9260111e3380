/**
 * The IPVS adapter on a real kernel: generic netlink, family "IPVS" (resolved through the
 * controller), requests built and replies read by src/protocol/ipvs.ts.
 *
 * Nothing here throws at its callers for a kernel refusal: every call resolves to a result whose
 * error names the errno (EEXIST, ESRCH, ENOENT, EINVAL...) and the service or destination it was
 * about, so the engine can log it, retry and reconcile. Effects are applied one at a time, in the
 * order they were given (a dest must not overtake its service).
 *
 * Beyond the shared `IpvsAdapter` interface it offers what keepalived does to IPVS at start, stop and
 * on VRRP transitions: reconcile with a wanted table, lvs_flush, removal of the managed services,
 * lvs_timeouts (SET_CONFIG), the sync daemon (NEW_DAEMON / DEL_DAEMON) and GET_INFO.
 */
import { createRequire } from 'node:module';
import { getSystemErrorMap } from 'node:util';
import type * as Netlink from 'netlink';
import type { LvsSyncDaemon } from '../../config/types.js';
import {
  GENL_ID_CTRL,
  NLM_F_DUMP,
  NLMSG_ERROR,
  decodeFamilyId,
  decodeNlmsgerr,
  encodeGetFamily,
} from '../../protocol/genetlink.js';
import {
  IPVS_GENL_NAME,
  IP_VS_STATE,
  decodeConfigMessage,
  decodeDaemonMessage,
  decodeDestMessage,
  decodeInfoMessage,
  decodeServiceMessage,
  identityKey,
  ipvsRequest,
  type IpvsDaemonEntry,
  type IpvsDaemonSpec,
  type IpvsInfo,
  type IpvsServiceIdentity,
  type IpvsTimeouts,
} from '../../protocol/ipvs.js';
import { destKey, serviceKey, type IpvsAdapter, type IpvsEffect, type IpvsResult, type IpvsServiceId, type IpvsTableEntry } from '../ipvs-types.js';
import { describeOp, destIdKey, planReconcile, type IpvsOp, type PlanOptions } from './ipvs-diff.js';
import {
  destFromKernel,
  kernelDest,
  kernelDestId,
  kernelIdentities,
  kernelServices,
  kernelTable,
  serviceFromKernel,
  type IpvsGroups,
  type KernelTableEntry,
} from './ipvs-map.js';

/** One request's outcome at the transport: the reply payloads (genl header + attributes), or an errno. */
export type GenlReply = { ok: true; payloads: Buffer[] } | { ok: false; errno: number; detail?: string };

/** What the adapter needs from a generic netlink socket. Never rejects. */
export interface GenlTransport {
  request(family: number, payload: Buffer, dump: boolean): Promise<GenlReply>;
  close(): void;
}

const ETIMEDOUT = 110;
const EIO = 5;

/** The transport over the `netlink` package's generic netlink socket. */
export function netlinkTransport(timeoutMs = 5000): GenlTransport {
  const mod = createRequire(import.meta.url)('netlink') as typeof Netlink;
  const genl = mod.createGenericNetlink();
  const sock = genl.socket;
  return {
    async request(family, payload, dump) {
      try {
        // checkError: false: the ERROR message comes back to be read here (errno), not as an Error's text.
        const [msgs] = await sock.request(family, [payload], { flags: dump ? NLM_F_DUMP : 0, checkError: false, timeout: timeoutMs });
        const payloads: Buffer[] = [];
        for (const m of msgs) {
          if (m.type === NLMSG_ERROR) {
            const e = decodeNlmsgerr(m.data);
            if (!e.ok) return { ok: false, errno: EIO, detail: 'unreadable netlink error message' };
            if (e.value !== 0) return { ok: false, errno: e.value };
            continue;
          }
          if (m.type === family) payloads.push(m.data);
        }
        return { ok: true, payloads };
      } catch (err) {
        // A send refused by the socket (EPERM without CAP_NET_ADMIN...) carries its errno; a reply
        // that never came is the package's timeout.
        const text = err instanceof Error ? err.message : String(err);
        const errno = (err as { errno?: unknown } | null)?.errno;
        if (typeof errno === 'number' && errno !== 0) return { ok: false, errno: Math.abs(errno), detail: text };
        return { ok: false, errno: /Timeout/i.test(text) ? ETIMEDOUT : EIO, detail: text };
      }
    },
    close() {
      try {
        sock.close();
      } catch {
        // already closed
      }
    },
  };
}

export function errnoName(errno: number): string {
  return getSystemErrorMap().get(-errno)?.[0] ?? `E${errno}`;
}

function errnoText(errno: number): string {
  return getSystemErrorMap().get(-errno)?.[1] ?? `error ${errno}`;
}

/** A typed failure of something that has no IpvsResult to carry it (opening, reading the table). */
export class IpvsNetlinkError extends Error {
  constructor(
    readonly errno: string,
    message: string,
  ) {
    super(message);
    this.name = 'IpvsNetlinkError';
  }
}

export interface NetlinkIpvsOptions {
  /** virtual_server_group members, for effects on a `group` service id. */
  groups?: IpvsGroups;
  /** Where refusals and retries are reported (one line each, naming the service). */
  log?: (line: string) => void;
  /** Retries of a request refused for a transient reason (EAGAIN, ENOMEM, EBUSY, timeout...). Default 2. */
  retries?: number;
  retryDelayMs?: number;
  /** The socket to use (tests, another namespace); default: a new generic netlink socket. */
  transport?: GenlTransport;
}

export type OpenResult = { ok: true; ipvs: NetlinkIpvs } | { ok: false; errno: string; message: string };

export interface ReconcileReport {
  ok: boolean;
  /** Each kernel operation applied, in order, with its result. */
  applied: Array<{ op: IpvsOp; result: IpvsResult }>;
  /** Wanted services that cannot be expressed for the kernel (a granularity its family cannot take). */
  unmappable: IpvsServiceId[];
}

const PIPELINE = 64;
const TRANSIENT = new Set(['EAGAIN', 'ENOMEM', 'ENOBUFS', 'EBUSY', 'EINTR', 'ETIMEDOUT']);

export class NetlinkIpvs implements IpvsAdapter {
  private queue: Promise<unknown> = Promise.resolve();
  private readonly groups: IpvsGroups;
  private readonly retries: number;
  private readonly retryDelayMs: number;

  private constructor(
    private readonly transport: GenlTransport,
    /** The family id the controller gave "IPVS". */
    readonly familyId: number,
    private readonly opts: NetlinkIpvsOptions,
  ) {
    this.groups = opts.groups ?? new Map();
    this.retries = opts.retries ?? 2;
    this.retryDelayMs = opts.retryDelayMs ?? 50;
  }

  /** Resolve the IPVS family; a kernel without IPVS answers ENOENT, returned, not thrown. */
  static async open(opts: NetlinkIpvsOptions = {}): Promise<OpenResult> {
    let transport: GenlTransport;
    try {
      transport = opts.transport ?? netlinkTransport();
    } catch (err) {
      return { ok: false, errno: 'EIO', message: `cannot open a generic netlink socket: ${err instanceof Error ? err.message : String(err)}` };
    }
    const r = await transport.request(GENL_ID_CTRL, encodeGetFamily(IPVS_GENL_NAME), false);
    if (!r.ok) {
      transport.close();
      const name = errnoName(r.errno);
      const why = name === 'ENOENT' ? 'the kernel has no IPVS (modprobe ip_vs)' : (r.detail ?? errnoText(r.errno));
      return { ok: false, errno: name, message: `generic netlink family ${IPVS_GENL_NAME}: ${why}` };
    }
    for (const p of r.payloads) {
      const id = decodeFamilyId(p);
      if (id.ok) return { ok: true, ipvs: new NetlinkIpvs(transport, id.value, opts) };
    }
    transport.close();
    return { ok: false, errno: 'EPROTO', message: `generic netlink family ${IPVS_GENL_NAME}: no family id in the controller's reply` };
  }

  close(): void {
    this.transport.close();
  }

  /** Run `f` after everything queued before it. */
  private serial<T>(f: () => Promise<T>): Promise<T> {
    const next = this.queue.then(f, f);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** One request, retried on transient refusals; `what` names it in the result and the log. */
  private async send(payload: Buffer, what: string): Promise<IpvsResult> {
    for (let attempt = 0; ; attempt++) {
      const r = await this.transport.request(this.familyId, payload, false);
      if (r.ok) return { ok: true };
      const name = errnoName(r.errno);
      const message = `${what}: ${r.detail ?? errnoText(r.errno)} (${name})`;
      if (TRANSIENT.has(name) && attempt < this.retries) {
        this.opts.log?.(`IPVS: ${message}; retrying`);
        await new Promise((res) => setTimeout(res, this.retryDelayMs * (attempt + 1)));
        continue;
      }
      this.opts.log?.(`IPVS: ${message}`);
      return { ok: false, errno: name, message };
    }
  }

  private async dump(payload: Buffer, what: string): Promise<{ ok: true; payloads: Buffer[] } | { ok: false; errno: string; message: string }> {
    const r = await this.transport.request(this.familyId, payload, true);
    if (r.ok) return r;
    const name = errnoName(r.errno);
    return { ok: false, errno: name, message: `${what}: ${r.detail ?? errnoText(r.errno)} (${name})` };
  }

  apply(effect: IpvsEffect): Promise<IpvsResult> {
    return this.serial(() => this.applyNow(effect));
  }

  private async applyNow(effect: IpvsEffect): Promise<IpvsResult> {
    const name = serviceKey(effect.type === 'ipvsAddService' ? effect.service.id : effect.service);
    if (effect.type === 'ipvsAddService') {
      const svcs = kernelServices(effect.service, this.groups);
      if (svcs === undefined) {
        return fail('EINVAL', `add ${name}: persistence_granularity ${effect.service.persistenceGranularity} does not fit its address family`);
      }
      if (svcs.length === 0) return fail('ENOENT', `add ${name}: no such virtual_server_group, or it has no members`);
      return this.each(svcs.map((s) => ({ payload: ipvsRequest.newService(s), what: `add service ${identityKey(s)}` })));
    }
    const ids = kernelIdentities(effect.service, this.groups);
    if (ids.length === 0) return fail('ENOENT', `${effect.type} ${name}: no such virtual_server_group, or it has no members`);
    switch (effect.type) {
      case 'ipvsDelService':
        return this.each(ids.map((id) => ({ payload: ipvsRequest.delService(id), what: `remove service ${identityKey(id)}` })));
      case 'ipvsAddDest':
      case 'ipvsEditDest': {
        const d = kernelDest(effect.dest);
        const verb = effect.type === 'ipvsAddDest' ? 'add' : 'edit';
        const build = effect.type === 'ipvsAddDest' ? ipvsRequest.newDest : ipvsRequest.setDest;
        return this.each(ids.map((id) => ({ payload: build(id, d), what: `${verb} ${destKey(d)} weight ${d.weight} in ${identityKey(id)}` })));
      }
      case 'ipvsDelDest':
        return this.each(
          ids.map((id) => {
            const d = kernelDestId(effect.dest, id.family);
            return { payload: ipvsRequest.delDest(id, d), what: `remove ${destIdKey(d)} from ${identityKey(id)}` };
          }),
        );
    }
  }

  /** Every request is sent (a group's members are independent); the first refusal is the result. */
  private async each(reqs: Array<{ payload: Buffer; what: string }>): Promise<IpvsResult> {
    let first: IpvsResult = { ok: true };
    for (const r of reqs) {
      const res = await this.send(r.payload, r.what);
      if (!res.ok && first.ok) first = res;
    }
    return first;
  }

  /** The kernel's table, as the kernel names things (no groups). Rejects with IpvsNetlinkError if it cannot be read. */
  kernelTable(): Promise<KernelTableEntry[]> {
    return this.serial(() => this.readKernelTable());
  }

  private async readKernelTable(): Promise<KernelTableEntry[]> {
    const svcs = await this.dump(ipvsRequest.getServices(), 'list services');
    if (!svcs.ok) throw new IpvsNetlinkError(svcs.errno, svcs.message);
    const out: KernelTableEntry[] = [];
    for (const p of svcs.payloads) {
      const s = decodeServiceMessage(p);
      if (!s.ok) {
        this.opts.log?.(`IPVS: unreadable service in the kernel's table (${s.reason}${s.detail ? `: ${s.detail}` : ''})`);
        continue;
      }
      const service = s.value;
      const { stats: _stats, ...spec } = service;
      const id: IpvsServiceIdentity = 'fwmark' in spec ? { family: spec.family, fwmark: spec.fwmark } : { family: spec.family, protocol: spec.protocol, address: spec.address, port: spec.port };
      const dests = await this.dump(ipvsRequest.getDests(id), `list destinations of ${identityKey(id)}`);
      if (!dests.ok) throw new IpvsNetlinkError(dests.errno, dests.message);
      const entry: KernelTableEntry = { service: spec, dests: [] };
      for (const dp of dests.payloads) {
        const d = decodeDestMessage(dp, spec.family);
        if (!d.ok) {
          this.opts.log?.(`IPVS: unreadable destination in ${identityKey(id)} (${d.reason})`);
          continue;
        }
        const { stats: _s, activeConns: _a, inactConns: _i, persistConns: _p, ...dspec } = d.value;
        entry.dests.push(dspec);
      }
      // The kernel keeps a service's destinations newest first (list_add_rcu at the head): turn
      // them back into insertion order, as IpvsTableEntry promises.
      entry.dests.reverse();
      out.push(entry);
    }
    return out;
  }

  async table(): Promise<IpvsTableEntry[]> {
    const t = await this.kernelTable();
    return t.map((e) => ({ service: serviceFromKernel(e.service), dests: e.dests.map(destFromKernel) }));
  }

  /**
   * Make the kernel's table the wanted one: read it, plan the difference (ipvs-diff.ts), apply each
   * operation. A refused operation does not stop the others; the report says which failed.
   */
  reconcile(wanted: readonly IpvsTableEntry[], opts: PlanOptions = {}): Promise<ReconcileReport> {
    return this.serial(async () => {
      const { table, unmappable } = kernelTable(wanted, this.groups);
      let current: KernelTableEntry[];
      try {
        current = await this.readKernelTable();
      } catch (err) {
        const e = err instanceof IpvsNetlinkError ? err : new IpvsNetlinkError('EIO', String(err));
        this.opts.log?.(`IPVS: reconcile: ${e.message}`);
        return { ok: false, applied: [], unmappable };
      }
      const applied: ReconcileReport['applied'] = [];
      const ops = planReconcile(current, table, opts);
      // Pipelined: up to PIPELINE requests in flight on the one socket. The kernel handles a
      // socket's messages in the order sent, so a service still goes in before its dests; waiting
      // for each ACK before the next request made programming a large table 3-4x slower.
      for (let i = 0; i < ops.length; i += PIPELINE) {
        const batch = ops.slice(i, i + PIPELINE);
        const results = await Promise.all(batch.map((op) => this.send(opPayload(op), describeOp(op))));
        batch.forEach((op, j) => applied.push({ op, result: results[j]! }));
      }
      for (const id of unmappable) this.opts.log?.(`IPVS: reconcile: ${serviceKey(id)} cannot be expressed for the kernel`);
      return { ok: unmappable.length === 0 && applied.every((a) => a.result.ok), applied, unmappable };
    });
  }

  /** lvs_flush: every service and destination goes. */
  flush(): Promise<IpvsResult> {
    return this.serial(() => this.send(ipvsRequest.flush(), 'flush'));
  }

  /** At stop (unless asked to keep them): remove the services we manage; the kernel removes their dests. */
  removeServices(ids: readonly IpvsServiceId[]): Promise<IpvsResult> {
    return this.serial(async () => {
      let first: IpvsResult = { ok: true };
      for (const id of ids) {
        const r = await this.applyNow({ type: 'ipvsDelService', service: id });
        // Already gone is what we wanted.
        if (!r.ok && r.errno !== 'ESRCH' && r.errno !== 'ENOENT' && first.ok) first = r;
      }
      return first;
    });
  }

  /** lvs_timeouts: only the values given change. */
  setTimeouts(t: IpvsTimeouts): Promise<IpvsResult> {
    const parts = [t.tcp !== undefined ? `tcp ${t.tcp}` : '', t.tcpFin !== undefined ? `tcpfin ${t.tcpFin}` : '', t.udp !== undefined ? `udp ${t.udp}` : ''].filter(Boolean);
    return this.serial(() => this.send(ipvsRequest.setConfig(t), `lvs_timeouts ${parts.join(' ')}`));
  }

  async timeouts(): Promise<Required<IpvsTimeouts>> {
    const r = await this.serial(() => this.transport.request(this.familyId, ipvsRequest.getConfig(), false));
    if (!r.ok) throw new IpvsNetlinkError(errnoName(r.errno), `read timeouts: ${errnoText(r.errno)}`);
    for (const p of r.payloads) {
      const c = decodeConfigMessage(p);
      if (c.ok) return c.value;
    }
    throw new IpvsNetlinkError('EPROTO', 'read timeouts: no SET_CONFIG reply');
  }

  async info(): Promise<IpvsInfo> {
    const r = await this.serial(() => this.transport.request(this.familyId, ipvsRequest.getInfo(), false));
    if (!r.ok) throw new IpvsNetlinkError(errnoName(r.errno), `read info: ${errnoText(r.errno)}`);
    for (const p of r.payloads) {
      const c = decodeInfoMessage(p);
      if (c.ok) return c.value;
    }
    throw new IpvsNetlinkError('EPROTO', 'read info: no SET_INFO reply');
  }

  /** Start the sync daemon in one role (lvs_sync_daemon; the role follows the VRRP instance). */
  startSyncDaemon(spec: IpvsDaemonSpec): Promise<IpvsResult> {
    const role = spec.state === IP_VS_STATE.MASTER ? 'master' : 'backup';
    return this.serial(() => this.send(ipvsRequest.newDaemon(spec), `start ${role} sync daemon on ${spec.mcastIfn} id ${spec.syncId}`));
  }

  stopSyncDaemon(state: typeof IP_VS_STATE.MASTER | typeof IP_VS_STATE.BACKUP): Promise<IpvsResult> {
    const role = state === IP_VS_STATE.MASTER ? 'master' : 'backup';
    return this.serial(() => this.send(ipvsRequest.delDaemon(state), `stop ${role} sync daemon`));
  }

  /** The sync daemons running now. */
  async syncDaemons(): Promise<IpvsDaemonEntry[]> {
    const r = await this.serial(() => this.dump(ipvsRequest.getDaemons(), 'list sync daemons'));
    if (!r.ok) throw new IpvsNetlinkError(r.errno, r.message);
    const out: IpvsDaemonEntry[] = [];
    for (const p of r.payloads) {
      const d = decodeDaemonMessage(p);
      if (d.ok) out.push(d.value);
    }
    return out;
  }
}

function fail(errno: string, message: string): IpvsResult {
  return { ok: false, errno, message };
}

function opPayload(o: IpvsOp): Buffer {
  switch (o.op) {
    case 'newService':
      return ipvsRequest.newService(o.service);
    case 'setService':
      return ipvsRequest.setService(o.service);
    case 'delService':
      return ipvsRequest.delService(o.service);
    case 'newDest':
      return ipvsRequest.newDest(o.service, o.dest);
    case 'setDest':
      return ipvsRequest.setDest(o.service, o.dest);
    case 'delDest':
      return ipvsRequest.delDest(o.service, o.dest);
  }
}

/**
 * lvs_sync_daemon → the daemon's parameters for one role. The sync id defaults to the VRRP
 * instance's VRID (keepalived.conf(5)), or 0 without one.
 */
export function syncDaemonSpec(cfg: LvsSyncDaemon, state: 'MASTER' | 'BACKUP', instanceVrid?: number): IpvsDaemonSpec {
  const spec: IpvsDaemonSpec = {
    state: state === 'MASTER' ? IP_VS_STATE.MASTER : IP_VS_STATE.BACKUP,
    mcastIfn: cfg.interface,
    syncId: cfg.syncId ?? instanceVrid ?? 0,
  };
  if (cfg.maxlen !== undefined) spec.syncMaxlen = cfg.maxlen;
  if (cfg.group !== undefined) spec.mcastGroup = cfg.group;
  if (cfg.port !== undefined) spec.mcastPort = cfg.port;
  if (cfg.ttl !== undefined) spec.mcastTtl = cfg.ttl;
  return spec;
}
