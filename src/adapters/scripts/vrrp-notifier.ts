import type { GlobalDefs, VrrpInstance, VrrpSyncGroup } from '../../config/types.js';
import type { NotifyFifos } from './notify-fifo.js';
import type { NotifyRunner } from './notify-runner.js';
import type { SmtpAlerter } from './smtp-alert.js';
import type { NotifyEvent, NotifyState } from './types.js';

export interface VrrpNotifierConfig {
  globalDefs: Partial<Pick<GlobalDefs, 'smtpAlert' | 'smtpAlertVrrp'>>;
  vrrpInstances: ReadonlyArray<Pick<VrrpInstance, 'name' | 'smtpAlert' | 'notify' | 'notifyMaster' | 'notifyBackup' | 'notifyFault' | 'notifyStop'>>;
  vrrpSyncGroups: ReadonlyArray<Pick<VrrpSyncGroup, 'name' | 'smtpAlert' | 'notify' | 'notifyMaster' | 'notifyBackup' | 'notifyFault' | 'notifyStop'>>;
}

/** smtp_alert of an instance or group, else global smtp_alert_vrrp, else smtp_alert, else off. */
export function smtpAlertEnabled(own: boolean | undefined, g: VrrpNotifierConfig['globalDefs']): boolean {
  return own ?? g.smtpAlertVrrp ?? g.smtpAlert ?? false;
}

/**
 * What a committed `notify` effect sets off, in keepalived's order (send_instance_notifies):
 * the notify_<state> script then `notify` (queued, run one at a time in log order), the fifo line
 * (written at once: the fifo is ordered by itself and must not wait behind a slow script), then the
 * mail. The engine calls `instance` from its committed-effects stream.
 */
export class VrrpNotifier {
  constructor(
    private readonly config: VrrpNotifierConfig,
    private readonly parts: { scripts?: NotifyRunner; fifos?: NotifyFifos; mailer?: SmtpAlerter },
  ) {}

  instance(name: string, state: NotifyState, priority: number): void {
    const inst = this.config.vrrpInstances.find((i) => i.name === name);
    this.dispatch({ type: 'INSTANCE', name, state, priority }, inst);
  }

  group(name: string, state: NotifyState): void {
    const group = this.config.vrrpSyncGroups.find((g) => g.name === name);
    this.dispatch({ type: 'GROUP', name, state, priority: 0 }, group);
  }

  private dispatch(ev: NotifyEvent, owner: VrrpNotifierConfig['vrrpInstances'][number] | undefined): void {
    if (owner) this.parts.scripts?.notify(ev, owner);
    this.parts.fifos?.writeVrrp(ev);
    if (this.parts.mailer && smtpAlertEnabled(owner?.smtpAlert, this.config.globalDefs)) this.parts.mailer.vrrpTransition(ev);
  }
}
