/**
 * Script command lines as keepalived reads them. A script is given either as one (usually quoted)
 * string holding the whole command line — split on blanks, with '...' or "..." grouping an
 * argument that holds blanks — or, for vrrp_script/misc_path, as several words on the line.
 * For notify scripts the words after the command are `[username [groupname]]`.
 */
import type { Word } from './ast.js';
import type { ScriptCommand } from './types.js';

export function splitCommandLine(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inArg = false;
  let quote: '"' | "'" | undefined;
  for (const ch of text) {
    if (quote) {
      if (ch === quote) quote = undefined;
      else cur += ch;
      continue;
    }
    if (ch === '"' || ch === "'") {
      quote = ch;
      inArg = true;
      continue;
    }
    if (ch === ' ' || ch === '\t') {
      if (inArg) out.push(cur);
      cur = '';
      inArg = false;
      continue;
    }
    cur += ch;
    inArg = true;
  }
  if (inArg) out.push(cur);
  return out;
}

/** `notify_master "/path/x arg" [user [group]]` and friends. */
export function readNotifyScript(args: readonly Word[]): ScriptCommand | undefined {
  const first = args[0];
  if (!first) return undefined;
  const argv = splitCommandLine(first.text);
  if (argv.length === 0) return undefined;
  const cmd: ScriptCommand = { argv };
  if (args[1]) cmd.user = args[1].text;
  if (args[2]) cmd.group = args[2].text;
  return cmd;
}

/** `script "/path x y"` or `script /path x y`: every word is part of the command line. */
export function readWholeLineScript(args: readonly Word[]): ScriptCommand | undefined {
  const argv = args.flatMap((w) => splitCommandLine(w.text));
  return argv.length > 0 ? { argv } : undefined;
}

/** The inverse for the printer: one double-quoted command line. */
export function formatCommandLine(argv: readonly string[]): string {
  const parts = argv.map((a) => (a === '' || /[\s'"]/.test(a) ? `'${a}'` : a));
  return `"${parts.join(' ')}"`;
}
