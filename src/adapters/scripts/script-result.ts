/**
 * rise / fall as keepalived counts them (vrrp_scheduler.c, vrrp_script_child_thread), pure.
 *
 * `result` runs from 0 to rise+fall-1; the script is good while result >= rise. A success moves it
 * up one step while below rise-1 and then jumps to the top (rise+fall-1); a failure moves it down
 * one step while above rise and then drops to 0. So from good it takes `fall` failures in a row to
 * become bad, and from bad `rise` successes in a row to become good.
 *
 * Start (vrrp_init_script): without init_fail, result = rise-1 and the state is INIT — the very
 * first run decides either way, one success or one failure is enough; with init_fail, result = 0
 * and the script is bad until `rise` successes.
 *
 * The machine sees a script as good from the start unless init_fail (the engine passes the
 * vrrp_script blocks to it), so `feed` reports a change only when the verdict differs from what
 * was last reported: a first success without init_fail reports nothing.
 */
export class ScriptResult {
  private result: number;
  private init: 'INIT' | 'FAILED' | 'DONE';
  private reported: boolean;

  constructor(
    readonly rise: number,
    readonly fall: number,
    initFail: boolean,
  ) {
    // keepalived requires rise, fall >= 1; a config that slipped through with 0 behaves as 1.
    if (!(this.rise >= 1)) this.rise = 1;
    if (!(this.fall >= 1)) this.fall = 1;
    this.init = initFail ? 'FAILED' : 'INIT';
    this.result = initFail ? 0 : this.rise - 1;
    this.reported = !initFail;
  }

  /** The verdict last reported (what the machine holds). */
  get ok(): boolean {
    return this.reported;
  }

  /** keepalived's dump word: INIT, INIT/FAILED, GOOD or BAD. */
  get status(): 'INIT' | 'INIT/FAILED' | 'GOOD' | 'BAD' {
    if (this.init === 'INIT') return 'INIT';
    if (this.init === 'FAILED') return 'INIT/FAILED';
    return this.result >= this.rise ? 'GOOD' : 'BAD';
  }

  /**
   * One run's outcome. Returns keepalived's verdict when this run crossed the threshold
   * ('succeeded' / 'failed', the moment keepalived logs `VRRP_Script(x) ...` and updates
   * priorities) and `changed` when that verdict differs from the one last reported.
   */
  feed(success: boolean): { verdict?: 'succeeded' | 'failed'; changed: boolean } {
    const top = this.rise + this.fall - 1;
    let verdict: 'succeeded' | 'failed' | undefined;
    if (success) {
      if (this.result < this.rise - 1) {
        this.result++;
      } else if (this.result !== top) {
        if (this.result < this.rise) verdict = 'succeeded';
        this.result = top;
      }
    } else if (this.result > this.rise) {
      this.result--;
    } else {
      if (this.result === this.rise || this.init === 'INIT') verdict = 'failed';
      this.result = 0;
    }
    this.init = 'DONE';
    if (verdict === undefined) return { changed: false };
    const ok = verdict === 'succeeded';
    const changed = ok !== this.reported;
    this.reported = ok;
    return { verdict, changed };
  }
}
