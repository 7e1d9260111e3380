import type { ScriptCommand } from '../../config/types.js';
import { resolveRunAs } from '../probes/passwd.js';
import type { RunAs } from './types.js';

/** keepalived's default script user, used when it exists and nothing else is configured. */
export const DEFAULT_SCRIPT_USER = 'keepalived_script';

export type UserLookup = (user: string, group?: string) => RunAs | { error: string };

/**
 * Who runs a script, in keepalived's order: the script's own `user [group]`, then global_defs
 * script_user, then `keepalived_script` if that user exists, then the daemon's own uid/gid
 * (keepalived.conf(5), "SCRIPTS"). A configured user that does not exist is an error (keepalived
 * refuses the script) rather than a silent fallback to root.
 */
export function scriptRunAs(
  cmd: ScriptCommand,
  scriptUser: { user: string; group?: string } | undefined,
  lookup: UserLookup = resolveRunAs,
): RunAs | { error: string } {
  if (cmd.user !== undefined) return lookup(cmd.user, cmd.group);
  if (scriptUser !== undefined) return lookup(scriptUser.user, scriptUser.group);
  const dflt = lookup(DEFAULT_SCRIPT_USER);
  if (!('error' in dflt)) return dflt;
  return { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
}
