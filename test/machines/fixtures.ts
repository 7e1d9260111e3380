import { defaultGlobalDefs } from '../../src/config/build.js';
import type { GlobalDefs, VrrpInstance } from '../../src/config/types.js';
import type { VrrpAction, VrrpInput, VrrpStepResult } from '../../src/machines/vrrp/contract.js';
import { createVrrpStepper, type VrrpSnapshot, type VrrpStepperOptions } from '../../src/machines/vrrp/machine.js';

const pos = { file: 'test.conf', line: 1, column: 1 };

/** keepalived 2.2.7's global defaults (keepalived.conf(5)), as the config layer builds them. */
export function globals(over: Partial<GlobalDefs> = {}): GlobalDefs {
  return { ...defaultGlobalDefs(), routerId: 'test', ...over };
}

/** A vrrp_instance with keepalived's defaults: VRID 51, priority 100, advert_int 1, one VIP. */
export function instance(over: Partial<VrrpInstance> = {}): VrrpInstance {
  return {
    name: 'VI_1',
    initialState: 'BACKUP',
    interface: 'eth0',
    vmacXmitBase: false,
    virtualRouterId: 51,
    priority: 100,
    advertIntMs: 1000,
    version: 2,
    family: 'ipv4',
    preempt: true,
    preemptDelayMs: 0,
    unicastSrcIp: '192.0.2.10',
    unicastPeers: [],
    virtualIpaddress: [{ address: '192.0.2.100', prefixLen: 32, family: 'ipv4' }],
    virtualIpaddressExcluded: [],
    virtualRoutes: [],
    trackInterface: [],
    trackScript: [],
    garpMasterDelayMs: 5000,
    garpMasterRepeat: 5,
    garpMasterRefreshMs: 0,
    garpMasterRefreshRepeat: 1,
    garpLowerPrioDelayMs: 0,
    garpLowerPrioRepeat: 0,
    lowerPrioNoAdvert: false,
    higherPrioSendAdvert: false,
    skipCheckAdvAddr: false,
    strictMode: false,
    accept: true,
    v3ChecksumAsV2: false,
    pos,
    ...over,
  };
}

/** Drives one stepper and keeps its snapshot; every step's result is returned for assertions. */
export class Driver {
  readonly stepper;
  snapshot: VrrpSnapshot;
  constructor(inst: Partial<VrrpInstance> = {}, g: Partial<GlobalDefs> = {}, opts: VrrpStepperOptions = {}) {
    this.stepper = createVrrpStepper(instance(inst), globals(g), opts);
    this.snapshot = this.stepper.init(0).snapshot;
  }
  step(input: VrrpInput): VrrpStepResult<VrrpSnapshot> {
    const r = this.stepper.step(this.snapshot, input);
    this.snapshot = r.snapshot;
    return r;
  }
  get state() {
    return this.stepper.view(this.snapshot).state;
  }
  get view() {
    return this.stepper.view(this.snapshot);
  }
}

export const VIP = ['192.0.2.100'];

export function advert(priority: number, over: Partial<VrrpAction & { maxAdverIntCs: number }> = {}): VrrpAction {
  return { type: 'sendAdvert', version: 2, vrid: 51, priority, maxAdverIntCs: 100, addresses: VIP, ...over } as VrrpAction;
}

/** An advert input from a peer. */
export function rx(at: number, src: string, priority: number, maxAdverIntCs = 100): VrrpInput {
  return { type: 'advert', at, src, priority, maxAdverIntCs, addresses: VIP };
}

export function timer(at: number, t: Extract<VrrpInput, { type: 'timer' }>['timer']): VrrpInput {
  return { type: 'timer', at, timer: t };
}
