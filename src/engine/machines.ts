import { createVrrpStepper } from '../machines/vrrp/machine.js';
import { syncGroupInputs } from '../machines/vrrp/sync-group.js';
import type { VrrpMachineKit } from './node.js';

/** The real VRRP machines, as the engine takes them (daemon, simulate, properties, bench). */
export const vrrpMachineKit: VrrpMachineKit = { createStepper: createVrrpStepper, syncGroupInputs };
