/**
 * A machine snapshot with its context replaced, as xstate's cloneMachineSnapshot makes it — for the
 * machines' steady-state shortcuts (vrrp/machine.ts, checker/machine.ts), which take the chart's
 * targetless transitions without a pass through xstate.
 *
 * `{ ...snapshot, context }` written as a literal when the snapshot has exactly the fields xstate 5's
 * createMachineSnapshot gives it (checked once): spreading sends V8 down its generic copy, which
 * was most of a steady step's cost. Any other shape (a future xstate) falls back to the spread.
 */

/** The optional fields of T: what a written-out context copy (patchedContext) must copy when present. */
export type OptionalKeys<T> = { [K in keyof T]-?: object extends Pick<T, K> ? K : never }[keyof T];

/** xstate 5's machine snapshot fields, in createMachineSnapshot's order. */
const SNAPSHOT_FIELDS = ['status', 'output', 'error', 'machine', 'context', '_nodes', 'value', 'tags', 'children', 'historyValue', 'matches', 'hasTag', 'can', 'getMeta', 'toJSON'];
/** Whether xstate's snapshots have exactly those fields (checked once, on the first snapshot). */
let snapshotFieldsKnown: boolean | undefined;

export function withContext<S extends { context: C }, C>(snapshot: S, context: C): S {
  if (snapshotFieldsKnown === undefined) {
    const keys = Object.keys(snapshot);
    snapshotFieldsKnown = keys.length === SNAPSHOT_FIELDS.length && keys.every((k, i) => k === SNAPSHOT_FIELDS[i]);
  }
  if (!snapshotFieldsKnown) return { ...snapshot, context };
  const s = snapshot as unknown as Record<string, unknown>;
  return {
    status: s.status,
    output: s.output,
    error: s.error,
    machine: s.machine,
    context,
    _nodes: s._nodes,
    value: s.value,
    tags: s.tags,
    children: s.children,
    historyValue: s.historyValue,
    matches: s.matches,
    hasTag: s.hasTag,
    can: s.can,
    getMeta: s.getMeta,
    toJSON: s.toJSON,
  } as unknown as S;
}
