/** Keep the CPU (and the event loop) busy for `ms`: a synchronous job, a timer callback's work. */
export function busy(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // spin
  }
}
