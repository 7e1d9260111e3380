/**
 * What a probe needs of its cancellation: whether it was cancelled, and a call when it is. An
 * AbortSignal is one (tests and genhash pass those); the checker engine passes a ProbeCancel,
 * which costs a few fields where an AbortController builds an EventTarget — it makes one per probe,
 * thousands a second with a big configuration.
 */
export interface ProbeSignal {
  readonly aborted: boolean;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/** A one-shot cancellation for one probe; every listener runs once, at the first abort(). */
export class ProbeCancel implements ProbeSignal {
  aborted = false;
  private listeners: Array<() => void> | undefined;

  addEventListener(_type: 'abort', listener: () => void): void {
    // As an AbortSignal: a listener added after the abort is never called.
    if (this.aborted) return;
    (this.listeners ??= []).push(listener);
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    const ls = this.listeners;
    if (ls === undefined) return;
    const i = ls.indexOf(listener);
    if (i >= 0) ls.splice(i, 1);
  }

  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    const ls = this.listeners;
    this.listeners = undefined;
    if (ls !== undefined) for (const l of ls) l();
  }
}
