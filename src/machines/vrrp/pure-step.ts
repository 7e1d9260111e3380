import { createActor, type ActorScope, type AnyStateMachine, type EventFromLogic, type InputFrom, type SnapshotFrom } from 'xstate';

/**
 * xstate's pure stepping, with one inert actor scope per stepper instead of one per call.
 *
 * `transition(machine, snapshot, event)` from xstate builds a fresh inert scope on every call,
 * and building it constructs an actor, which computes the machine's initial snapshot again: that
 * is most of the cost of a step (~200 µs here, against a few µs for the step itself). The
 * machine's own `transition(snapshot, event, scope)` is the same pure function xstate calls; we
 * hand it a scope whose `actionExecutor` collects the actions instead of running them, exactly
 * as xstate's `transition` does. test/machines/pure-step.test.ts checks both give the same
 * snapshots and actions.
 */
export interface PureStepper<M extends AnyStateMachine> {
  /** The initial snapshot; `input` overrides the stepper's (one stepper can serve many actors). */
  initial(input?: InputFrom<M>): [SnapshotFrom<M>, Array<{ type: string; params?: unknown }>];
  step(snapshot: SnapshotFrom<M>, event: EventFromLogic<M>): [SnapshotFrom<M>, Array<{ type: string; params?: unknown }>];
}

export function createPureStepper<M extends AnyStateMachine>(machine: M, input: InputFrom<M>): PureStepper<M> {
  let collected: Array<{ type: string; params?: unknown }> = [];
  // Never started: it only gives the scope a `self` and a `system`, as xstate's inert scope does.
  const self = createActor(machine, { input } as never);
  const scope: ActorScope<SnapshotFrom<M>, EventFromLogic<M>> = {
    self: self as never,
    id: '',
    sessionId: '',
    logger: () => {},
    defer: () => {},
    emit: () => {},
    system: self.system,
    stopChild: () => {},
    actionExecutor: (action) => {
      collected.push(action as { type: string; params?: unknown });
    },
  };
  const take = () => {
    const out = collected;
    collected = [];
    return out;
  };
  return {
    initial(own?: InputFrom<M>) {
      collected = [];
      const snap = machine.getInitialSnapshot(scope as never, own ?? input) as SnapshotFrom<M>;
      return [snap, take()];
    },
    step(snapshot, event) {
      collected = [];
      const next = machine.transition(snapshot as never, event, scope as never) as SnapshotFrom<M>;
      return [next, take()];
    },
  };
}
