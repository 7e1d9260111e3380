import {
  destKey,
  serviceKey,
  type IpvsAdapter,
  type IpvsDest,
  type IpvsEffect,
  type IpvsResult,
  type IpvsService,
  type IpvsTableEntry,
} from './ipvs-types.js';

/** One call the twin received, with what it answered. */
export interface IpvsCall {
  effect: IpvsEffect;
  result: IpvsResult;
}

export interface RecordingIpvsOptions {
  /** Called after every call (tests, the checker runner's JSONL output). */
  onCall?: (call: IpvsCall, twin: RecordingIpvs) => void;
}

/**
 * The recording twin of the IPVS adapter: what runs where the kernel has no IPVS. It keeps the
 * table in memory with the kernel's rules (adding what exists is EEXIST, removing or editing what
 * does not is ENOENT, a service goes with its destinations), so a logic error in the effects shows
 * up here as it would on a real kernel, and it records every call in order.
 */
export class RecordingIpvs implements IpvsAdapter {
  readonly calls: IpvsCall[] = [];
  private readonly services = new Map<string, { service: IpvsService; dests: Map<string, IpvsDest> }>();
  private readonly opts: RecordingIpvsOptions;

  constructor(opts: RecordingIpvsOptions = {}) {
    this.opts = opts;
  }

  async apply(effect: IpvsEffect): Promise<IpvsResult> {
    return this.applySync(effect);
  }

  /** The same as `apply`, synchronously (the twin has nothing to wait for). */
  applySync(effect: IpvsEffect): IpvsResult {
    const result = this.change(effect);
    const call: IpvsCall = { effect: structuredClone(effect), result };
    this.calls.push(call);
    this.opts.onCall?.(call, this);
    return result;
  }

  async table(): Promise<IpvsTableEntry[]> {
    return this.snapshot();
  }

  /** The table now, as copies. */
  snapshot(): IpvsTableEntry[] {
    return [...this.services.values()].map((s) => ({
      service: structuredClone(s.service),
      dests: [...s.dests.values()].map((d) => ({ ...d })),
    }));
  }

  /** Destinations of one service as `address:port weight` lines, sorted: compact for assertions. */
  destsOf(service: IpvsService['id']): Array<{ address: string; port: number; weight: number }> | undefined {
    const s = this.services.get(serviceKey(service));
    if (s === undefined) return undefined;
    return [...s.dests.values()]
      .map((d) => ({ address: d.address, port: d.port, weight: d.weight }))
      .sort((a, b) => (a.address === b.address ? a.port - b.port : a.address < b.address ? -1 : 1));
  }

  private change(effect: IpvsEffect): IpvsResult {
    switch (effect.type) {
      case 'ipvsAddService': {
        const k = serviceKey(effect.service.id);
        if (this.services.has(k)) return fail('EEXIST', `service ${k} exists`);
        this.services.set(k, { service: structuredClone(effect.service), dests: new Map() });
        return { ok: true };
      }
      case 'ipvsDelService': {
        const k = serviceKey(effect.service);
        if (!this.services.delete(k)) return fail('ESRCH', `no service ${k}`);
        return { ok: true };
      }
      case 'ipvsAddDest':
      case 'ipvsEditDest':
      case 'ipvsDelDest': {
        const k = serviceKey(effect.service);
        const s = this.services.get(k);
        if (s === undefined) return fail('ESRCH', `no service ${k}`);
        const dk = destKey(effect.dest);
        const has = s.dests.has(dk);
        if (effect.type === 'ipvsAddDest') {
          if (has) return fail('EEXIST', `destination ${dk} exists in ${k}`);
          s.dests.set(dk, { ...effect.dest });
        } else if (!has) {
          return fail('ENOENT', `no destination ${dk} in ${k}`);
        } else if (effect.type === 'ipvsEditDest') {
          s.dests.set(dk, { ...effect.dest });
        } else {
          s.dests.delete(dk);
        }
        return { ok: true };
      }
    }
  }
}

function fail(errno: string, message: string): IpvsResult {
  return { ok: false, errno, message };
}
