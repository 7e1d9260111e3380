/**
 * The contract of the VRRP instance machine: what goes in, what comes out. It is data only, so
 * the engine, the simulator, replay and the conformance tests (test/conformance/) all speak it.
 *
 * The machine is pure: no sockets, no clock. Time reaches it as `at` on every input (ms on the
 * engine's clock, virtual or monotonic) and timers are actions: the machine arms and cancels them,
 * the engine's scheduler fires them, and an expiry comes back as a `timer` input, recorded like any
 * other input so replay can feed it back in order.
 *
 * Units: RFC 5798 keeps intervals in centiseconds; the wire fields here keep that unit
 * (`maxAdverIntCs`), timer delays are ms.
 */

export type VrrpState = 'INIT' | 'BACKUP' | 'MASTER' | 'FAULT' | 'STOP';

/** The timers one instance owns; at most one of each is armed at a time (arming re-arms). */
export type VrrpTimer =
  /** Master_Down_Timer (RFC 5798 §6.4.2): BACKUP waits this long for an advert. */
  | 'masterDown'
  /** Adver_Timer: MASTER sends an advert at each expiry. */
  | 'advert'
  /** preempt_delay: a BACKUP that would preempt waits this long first. */
  | 'preemptDelay'
  /** garp_master_delay: second burst of gratuitous ARP / NA after becoming MASTER. */
  | 'garpDelay'
  /** garp_master_refresh: periodic GARP while MASTER. */
  | 'garpRefresh'
  /** garp_lower_prio_delay: GARP burst after seeing a lower-priority advert while MASTER. */
  | 'garpLowerPrio'
  /** vrrp_startup_delay: nothing happens before it expires. */
  | 'startupDelay';

/** A received advertisement that passed the protocol checks (src/protocol validation). */
export interface AdvertInput {
  type: 'advert';
  at: number;
  /** Source address of the IP packet (the sender's primary address). */
  src: string;
  priority: number;
  /** Max Adver Int in centiseconds (v2's whole seconds × 100). */
  maxAdverIntCs: number;
  /** The addresses listed in the advert, canonical text form. */
  addresses: string[];
}

export type VrrpInput =
  /** The engine starts the instance (daemon start, or a reload that added it). */
  | { type: 'startup'; at: number }
  | AdvertInput
  | { type: 'timer'; at: number; timer: VrrpTimer }
  /** A tracked interface (or the instance's own interface) changed state. */
  | { type: 'interface'; at: number; name: string; up: boolean }
  /** A tracked vrrp_script reached a new result (after rise/fall). */
  | { type: 'script'; at: number; name: string; ok: boolean }
  /**
   * The sync group moves this member: the engine sends this to every member in the same step when
   * one member changes state, so the group moves together (keepalived's vrrp_sync_group).
   */
  | {
      type: 'syncGroup';
      at: number;
      state: 'MASTER' | 'BACKUP' | 'FAULT';
      /** The member whose transition caused this input (lets members count who holds the group down). */
      from?: string;
      /** The sync group's name. */
      group?: string;
    }
  /** Graceful stop (SIGTERM, or a reload that removed the instance). */
  | { type: 'shutdown'; at: number };

/** Fields of an advert to send; the engine adds what is per-transport (auth, source, destination). */
export interface SendAdvert {
  type: 'sendAdvert';
  version: 2 | 3;
  vrid: number;
  priority: number;
  maxAdverIntCs: number;
  addresses: string[];
}

export type VrrpAction =
  | SendAdvert
  /** Install the instance's virtual_ipaddress (+ routes) on the host. */
  | { type: 'addVips'; addresses: string[] }
  /** Remove them. */
  | { type: 'removeVips'; addresses: string[] }
  /** One burst: `repeat` gratuitous ARPs (IPv4) / unsolicited NAs (IPv6) per address. */
  | { type: 'sendGarp'; addresses: string[]; repeat: number }
  /** Run notify scripts / fifo / smtp for a state change (engine maps to the configured ones). */
  | { type: 'notify'; state: 'MASTER' | 'BACKUP' | 'FAULT' | 'STOP'; priority: number }
  | { type: 'armTimer'; timer: VrrpTimer; delayMs: number }
  | { type: 'cancelTimer'; timer: VrrpTimer };

/** Why a transition happened, as data; replay renders it in words. */
export type TransitionReason =
  | { code: 'startup' }
  | { code: 'ownerStartup' }
  /** No advert for the master-down interval. */
  | { code: 'masterDownTimeout'; masterDownIntervalMs: number; lastMaster?: string }
  /** A priority-0 advert from the master: takeover after skew time. */
  | { code: 'masterStopped'; from: string }
  /** An advert with higher priority (or equal priority, higher address) reached a MASTER. */
  | { code: 'higherPriorityAdvert'; from: string; priority: number; ourPriority: number }
  /** A BACKUP preempts a lower-priority master (after preempt_delay if any). */
  | { code: 'preempt'; from: string; priority: number; ourPriority: number }
  | { code: 'interfaceDown'; name: string }
  | { code: 'interfaceUp'; name: string }
  | { code: 'scriptFailed'; name: string }
  | { code: 'scriptRecovered'; name: string }
  /** Effective priority changed by a weighted track (may not change state by itself). */
  | { code: 'priorityChange'; from: number; to: number; by: string }
  | { code: 'syncGroup'; group: string; state: string }
  | { code: 'shutdown' };

export interface Transition {
  from: VrrpState;
  to: VrrpState;
  reason: TransitionReason;
}

/** What the engine, status and metrics read from an instance. */
export interface VrrpInstanceView {
  name: string;
  state: VrrpState;
  /** Configured priority plus track weights, clamped 1..254 (255 only for the owner). */
  effectivePriority: number;
  /** Master_Adver_Interval learnt from the master (v3), cs. */
  masterAdverIntCs: number;
  /** Address of the master we last heard (BACKUP), or ours (MASTER). */
  masterAddress?: string;
}

/** The result of feeding one input to an instance. */
export interface VrrpStepResult<S> {
  snapshot: S;
  actions: VrrpAction[];
  /** Present when the state changed. */
  transition?: Transition;
}

/**
 * Pure stepping of one instance (implemented in machine.ts as `createVrrpStepper(instance, globals)`):
 * `init` gives the snapshot before anything happened (state INIT, no actions unless the config asks);
 * the engine then feeds `{type:'startup'}` and every later input through `step`.
 */
export interface VrrpStepper<S> {
  init(at: number): VrrpStepResult<S>;
  step(snapshot: S, input: VrrpInput): VrrpStepResult<S>;
  view(snapshot: S): VrrpInstanceView;
}
