/**
 * The virtual-server actor (keepalived 2.2.7 check/ipwrapper.c), pure: real servers' health and
 * weights in, IPVS effects, notifies and fifo lines out.
 *
 * What it keeps, in keepalived's words:
 * - per real server: which checkers are failed (num_failed_checkers), `alive` (in service), `set`
 *   (present in the IPVS table, which with inhibit_on_failure includes weight 0), the effective
 *   weight (configured weight, moved by misc_dynamic);
 * - per virtual server: quorum_state_up, and the sorry server's alive/set.
 *
 * The rules:
 * - a real server goes down when its first checker fails and comes back when its last failed
 *   checker recovers (update_svr_checker_state).
 * - quorum: the sum of live weights against quorum ± hysteresis: gained at sum ≥ quorum +
 *   hysteresis, lost at sum < quorum − hysteresis or sum 0 (update_quorum_state).
 * - sorry_server: while quorum is lost, the live real servers leave the table and the sorry server
 *   takes their place; when quorum comes back it leaves and they return. A real server's own
 *   changes touch the table only while the sorry server is not in (perform_svr_state).
 * - inhibit_on_failure (and sorry_server_inhibit): removal becomes weight 0; adding back an
 *   inhibited one restores its weight (ipvs_cmd's rewriting).
 * - omega: at shutdown the down notifiers run; without it they do not.
 */
import type { RealServer, ScriptCommand, VirtualServer } from '../../config/types.js';
import type { IpvsDest, IpvsServiceId } from '../../adapters/ipvs-types.js';
import type { QuorumReason, QuorumState, RsChange, RsView, VsAction, VsInput, VsStepResult, VsTransition, VsView } from './contract.js';
import { rsFifoLine, rsName, serviceIdOf, vsFifoLine, vsName } from './format.js';

/** IPVS weights are 0..65535 (keepalived's real_weight clamps an effective weight into it). */
export const IPVS_WEIGHT_MAX = 65535;

export function realWeight(w: number): number {
  return w <= 0 ? 0 : w > IPVS_WEIGHT_MAX ? IPVS_WEIGHT_MAX : Math.trunc(w);
}

interface RsRuntime {
  checkersUp: boolean[];
  /** misc_dynamic weight asked by each checker, if any. */
  dynamic: Array<number | undefined>;
  alive: boolean;
  set: boolean;
}

interface SorryRuntime {
  alive: boolean;
  set: boolean;
}

export interface VsState {
  quorum: QuorumState;
  rs: RsRuntime[];
  sorry?: SorryRuntime;
}

/** Where a destination comes from: a configured real server or the sorry server. */
interface DestTarget {
  address: string;
  port: number;
  family: RealServer['family'];
  method: IpvsDest['method'];
  inhibit: boolean;
  weight: number;
  failed: boolean;
  uthreshold?: number;
  lthreshold?: number;
  runtime: { set: boolean };
}

export interface VirtualServerActor {
  readonly config: VirtualServer;
  readonly name: string;
  readonly service: IpvsServiceId;
  init(): VsState;
  step(state: VsState, input: VsInput): VsStepResult<VsState>;
  view(state: VsState): VsView;
}

export function createVirtualServer(vs: VirtualServer): VirtualServerActor {
  const service = serviceIdOf(vs);
  const name = vsName(vs);
  const sorryWeight = 1;

  const effectiveWeight = (i: number, r: RsRuntime): number => {
    // keepalived (check_misc.c): each dynamic checker moves the weight by (its weight − configured).
    const base = vs.realServers[i]!.weight;
    let w = base;
    for (const d of r.dynamic) if (d !== undefined) w += d - base;
    return w;
  };
  const failedCount = (r: RsRuntime): number => r.checkersUp.reduce((n, up) => n + (up ? 0 : 1), 0);
  const weightSum = (st: VsState): number => {
    let sum = 0;
    st.rs.forEach((r, i) => {
      if (r.alive) sum += realWeight(effectiveWeight(i, r));
    });
    return sum;
  };

  const rsTarget = (st: VsState, i: number): DestTarget => {
    const cfg = vs.realServers[i]!;
    const r = st.rs[i]!;
    const t: DestTarget = {
      address: cfg.address,
      port: cfg.port,
      family: cfg.family,
      method: cfg.lvsMethod ?? vs.lbKind,
      inhibit: cfg.inhibitOnFailure || vs.inhibitOnFailure,
      weight: realWeight(effectiveWeight(i, r)),
      failed: failedCount(r) > 0,
      runtime: r,
    };
    if (cfg.uthreshold !== undefined) t.uthreshold = cfg.uthreshold;
    if (cfg.lthreshold !== undefined) t.lthreshold = cfg.lthreshold;
    return t;
  };
  const sorryTarget = (st: VsState, forceFailed = false): DestTarget | undefined => {
    const ss = vs.sorryServer;
    if (ss === undefined || st.sorry === undefined) return undefined;
    return {
      address: ss.address,
      port: ss.port,
      family: ss.address.includes(':') ? 'ipv6' : 'ipv4',
      method: ss.lvsMethod ?? vs.lbKind,
      inhibit: vs.sorryServerInhibit,
      weight: sorryWeight,
      failed: forceFailed,
      runtime: st.sorry,
    };
  };

  const dest = (t: DestTarget, weight: number): IpvsDest => {
    const d: IpvsDest = { address: t.address, port: t.port, family: t.family, weight, method: t.method };
    if (t.uthreshold !== undefined) d.uthreshold = t.uthreshold;
    if (t.lthreshold !== undefined) d.lthreshold = t.lthreshold;
    return d;
  };

  /**
   * keepalived's ipvs_cmd for a destination, with its inhibit rewriting: removing an inhibited
   * destination sets its weight to 0; adding one that is still there restores its weight. A
   * removal of what is not there, or an add of what is, would only earn a kernel error: skipped.
   */
  const destCmd = (out: VsAction[], op: 'add' | 'del', t: DestTarget, force = false): void => {
    const inhibit = t.inhibit && !force;
    if (op === 'del') {
      if (!t.runtime.set) return;
      if (inhibit) {
        out.push({ type: 'ipvsEditDest', service, dest: dest(t, 0) });
        return;
      }
      out.push({ type: 'ipvsDelDest', service, dest: { address: t.address, port: t.port } });
      t.runtime.set = false;
      return;
    }
    if (t.runtime.set) {
      if (inhibit) out.push({ type: 'ipvsEditDest', service, dest: dest(t, t.weight) });
      return;
    }
    t.runtime.set = true;
    out.push({ type: 'ipvsAddDest', service, dest: dest(t, inhibit && t.failed ? 0 : t.weight) });
  };

  const notifyRs = (out: VsAction[], i: number, alive: boolean): void => {
    const cfg = vs.realServers[i]!;
    const script: ScriptCommand | undefined = alive ? cfg.notifyUp : cfg.notifyDown;
    if (script !== undefined) out.push({ type: 'notify', target: 'rs', name: rsName(cfg), state: alive ? 'UP' : 'DOWN', script });
    out.push({ type: 'fifo', line: rsFifoLine(cfg, vs, alive) });
  };

  const notifyVs = (out: VsAction[], up: boolean): void => {
    const script = up ? vs.quorumUp : vs.quorumDown;
    if (script !== undefined) out.push({ type: 'notify', target: 'vs', name, state: up ? 'UP' : 'DOWN', script });
    out.push({ type: 'fifo', line: vsFifoLine(vs, up) });
  };

  /** The sorry server is standing in (its own "alive"). */
  const sorryActive = (st: VsState): boolean => st.sorry !== undefined && st.sorry.alive;

  /** Add or remove every live real server (perform_quorum_state). */
  const moveLive = (st: VsState, out: VsAction[], op: 'add' | 'del'): void => {
    st.rs.forEach((r, i) => {
      if (r.alive) destCmd(out, op, rsTarget(st, i));
    });
  };

  const reason = (code: QuorumReason['code'], threshold: number, sum: number): QuorumReason => ({
    code,
    quorum: vs.quorum,
    hysteresis: vs.hysteresis,
    threshold,
    weightSum: sum,
  });

  /** update_quorum_state: returns the quorum transition it made, if any. */
  const updateQuorum = (st: VsState, out: VsAction[], init: boolean, carriedUp?: boolean): VsTransition | undefined => {
    const from = st.quorum;
    const up = st.quorum === 'UP';
    const sum = weightSum(st);
    const threshold = vs.quorum + (up ? -1 : 1) * vs.hysteresis;
    if (!up && sum >= threshold) {
      st.quorum = 'UP';
      const ss = sorryTarget(st);
      if (ss !== undefined && sorryActive(st)) {
        destCmd(out, 'del', ss);
        st.sorry!.alive = false;
        moveLive(st, out, 'add');
      }
      if (carriedUp !== true) notifyVs(out, true);
      return { from, to: 'UP', reason: reason(init ? 'startup' : 'gained', threshold, sum) };
    }
    const ss = sorryTarget(st);
    if ((up && (sum === 0 || sum < threshold)) || (init && !up && ss !== undefined && !sorryActive(st))) {
      st.quorum = 'DOWN';
      if (ss !== undefined && !sorryActive(st)) {
        moveLive(st, out, 'del');
        destCmd(out, 'add', ss);
        st.sorry!.alive = true;
      }
      if (carriedUp !== false) notifyVs(out, false);
      return { from, to: 'DOWN', reason: reason(init ? 'startup' : 'lost', threshold, sum) };
    }
    if (init) {
      // Quorum down from the start with no sorry server: keepalived says nothing, but the state is known.
      st.quorum = 'DOWN';
      return { from, to: 'DOWN', reason: reason('startup', threshold, sum) };
    }
    return undefined;
  };

  /** perform_svr_state: a real server enters or leaves service. */
  const setAlive = (st: VsState, out: VsAction[], i: number, alive: boolean): VsTransition | undefined => {
    const r = st.rs[i]!;
    if (r.alive === alive) return undefined;
    if (st.quorum === 'UP' || !sorryActive(st)) destCmd(out, alive ? 'add' : 'del', rsTarget(st, i));
    r.alive = alive;
    notifyRs(out, i, alive);
    return updateQuorum(st, out, false);
  };

  const clone = (st: VsState): VsState => ({
    quorum: st.quorum,
    rs: st.rs.map((r) => ({ checkersUp: [...r.checkersUp], dynamic: [...r.dynamic], alive: r.alive, set: r.set })),
    ...(st.sorry !== undefined ? { sorry: { ...st.sorry } } : {}),
  });

  const changes = (before: VsState, after: VsState): RsChange[] => {
    const out: RsChange[] = [];
    after.rs.forEach((r, i) => {
      const b = before.rs[i]!;
      const w = r.set && !r.alive ? 0 : realWeight(effectiveWeight(i, r));
      const bw = b.set && !b.alive ? 0 : realWeight(effectiveWeight(i, b));
      if (b.alive !== r.alive || bw !== w || failedCount(b) !== failedCount(r)) {
        out.push({ rs: i, alive: r.alive, weight: w, failedCheckers: failedCount(r) });
      }
    });
    return out;
  };

  const service$ = (): VsAction => {
    const s: VsAction = {
      type: 'ipvsAddService',
      service: { id: service, scheduler: vs.lbAlgo, flags: [...vs.schedFlags, ...(vs.opsFlag ? ['ops'] : [])] },
    };
    if (vs.persistenceTimeout !== undefined) s.service.persistenceTimeout = vs.persistenceTimeout;
    if (vs.persistenceGranularity !== undefined) s.service.persistenceGranularity = vs.persistenceGranularity;
    return s;
  };

  return {
    config: vs,
    name,
    service,
    init(): VsState {
      const st: VsState = {
        quorum: 'INIT',
        rs: vs.realServers.map((rs) => ({ checkersUp: rs.checkers.map(() => true), dynamic: rs.checkers.map(() => undefined), alive: false, set: false })),
      };
      if (vs.sorryServer !== undefined) st.sorry = { alive: false, set: false };
      return st;
    },

    step(state, input): VsStepResult<VsState> {
      const st = clone(state);
      const out: VsAction[] = [];
      let transition: VsTransition | undefined;
      const note = (t: VsTransition | undefined): void => {
        if (t === undefined) return;
        transition = transition === undefined ? t : { from: transition.from, to: t.to, reason: t.reason };
      };
      switch (input.type) {
        case 'startup': {
          if (st.quorum !== 'INIT') break;
          out.push(service$());
          // init_service_rs: the healthy ones go in; failed inhibited ones go in at weight 0.
          st.rs.forEach((r, i) => {
            const cfgCheckers = vs.realServers[i]!.checkers.length;
            for (let c = 0; c < cfgCheckers; c++) r.checkersUp[c] = input.checkersUp[i]?.[c] ?? true;
            const t = rsTarget(st, i);
            if ((!t.failed && !r.alive) || (t.inhibit && !r.set)) {
              destCmd(out, 'add', t);
              if (!t.failed) r.alive = true;
            }
          });
          note(updateQuorum(st, out, true, input.quorumUp));
          // sorry_server_inhibit: the sorry server sits in the table at weight 0 from the start.
          const ss = sorryTarget(st, true);
          if (ss !== undefined && ss.inhibit && !ss.runtime.set) destCmd(out, 'add', ss);
          break;
        }
        case 'checker': {
          const r = st.rs[input.rs];
          if (r === undefined || input.checker < 0 || input.checker >= r.checkersUp.length || st.quorum === 'INIT' || st.quorum === 'STOPPED') break;
          const wasUp = r.checkersUp[input.checker]!;
          if (wasUp === input.up) {
            // An alpha checker's first failure: already counted; keepalived still notifies once.
            if (input.firstCheck && !input.up && !r.alive) notifyRs(out, input.rs, false);
            break;
          }
          const failed = failedCount(r);
          if (input.up ? failed <= 1 : failed === 0) note(setAlive(st, out, input.rs, input.up));
          r.checkersUp[input.checker] = input.up;
          break;
        }
        case 'weight': {
          const r = st.rs[input.rs];
          if (r === undefined || input.checker < 0 || input.checker >= r.dynamic.length || st.quorum === 'STOPPED') break;
          const old = realWeight(effectiveWeight(input.rs, r));
          r.dynamic[input.checker] = input.weight;
          const now = realWeight(effectiveWeight(input.rs, r));
          if (now === old || st.quorum === 'INIT') break;
          // update_svr_wgt: the table follows only if the server is in service and not displaced
          // by the sorry server; otherwise the weight waits for it to come back.
          if (r.set && r.alive && (st.quorum === 'UP' || !sorryActive(st))) {
            out.push({ type: 'ipvsEditDest', service, dest: dest(rsTarget(st, input.rs), now) });
          }
          note(updateQuorum(st, out, false));
          break;
        }
        case 'shutdown': {
          if (st.quorum === 'STOPPED') break;
          const from = st.quorum;
          const sum = weightSum(st);
          // clear_service_vs: sorry server out, then each real server (forced past inhibit).
          const ss = sorryTarget(st);
          if (ss !== undefined && ss.runtime.set) destCmd(out, 'del', ss, true);
          if (st.sorry !== undefined) st.sorry.alive = false;
          st.rs.forEach((r, i) => {
            // clear_service_rs: one that is not in the table (displaced by the sorry server) is left be.
            if (!r.set) return;
            destCmd(out, 'del', rsTarget(st, i), true);
            if (!r.alive) return;
            r.alive = false;
            if (vs.omega) notifyRs(out, i, false);
          });
          // update_vs_notifies(stopping): the quorum goes down; its notifier runs only with omega.
          if (vs.omega && from !== 'INIT') notifyVs(out, false);
          out.push({ type: 'ipvsDelService', service });
          st.quorum = 'STOPPED';
          transition = { from, to: 'STOPPED', reason: reason('shutdown', vs.quorum - vs.hysteresis, sum) };
          break;
        }
      }
      const result: VsStepResult<VsState> = { state: st, actions: out, rsChanges: changes(state, st) };
      if (transition !== undefined && transition.from !== transition.to) result.transition = transition;
      return result;
    },

    view(st): VsView {
      return {
        quorum: st.quorum,
        weightSum: weightSum(st),
        sorryServerActive: sorryActive(st),
        realServers: st.rs.map(
          (r, i): RsView => ({
            address: vs.realServers[i]!.address,
            port: vs.realServers[i]!.port,
            alive: r.alive,
            set: r.set,
            effectiveWeight: effectiveWeight(i, r),
            failedCheckers: failedCount(r),
          }),
        ),
      };
    },
  };
}
