/**
 * A small getopt for keepalived-style command lines: short flags that may be grouped (`-nlD`),
 * short options with a value attached or separate (`-fFILE`, `-f FILE`), long options with `=` or a
 * separate value (`--use-file=FILE`, `--use-file FILE`), optional values for long options only
 * (`--config-test[=LOG]`, as getopt_long does), and `--` ending the options. Never throws: an unknown
 * option or a missing value is returned as an error message for a usage error (exit 2).
 */

export interface OptionSpec {
  /** Canonical name the result is keyed by. */
  name: string;
  short?: string;
  long?: string;
  /** 'none': a flag; 'required': takes a value; 'optional': value only as --long=VALUE. */
  value: 'none' | 'required' | 'optional';
  /** May be given several times (values collected). */
  multiple?: boolean;
}

export interface ParsedArgs {
  /** Flags seen (name -> count) and values (name -> values in order; '' for an optional without one). */
  flags: Map<string, number>;
  values: Map<string, string[]>;
  positionals: string[];
}

export type ArgsResult = { ok: true; args: ParsedArgs } | { ok: false; error: string };

export function parseArgs(argv: readonly string[], specs: readonly OptionSpec[]): ArgsResult {
  const byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short!, s]));
  const byLong = new Map(specs.filter((s) => s.long).map((s) => [s.long!, s]));
  const flags = new Map<string, number>();
  const values = new Map<string, string[]>();
  const positionals: string[] = [];
  const record = (spec: OptionSpec, value?: string): string | undefined => {
    flags.set(spec.name, (flags.get(spec.name) ?? 0) + 1);
    if (value !== undefined || spec.value === 'optional') {
      const list = values.get(spec.name) ?? [];
      if (list.length > 0 && !spec.multiple && spec.value === 'required') {
        // keepalived takes the last one; so do we.
        list.length = 0;
      }
      list.push(value ?? '');
      values.set(spec.name, list);
    }
    return undefined;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
      const spec = byLong.get(name);
      if (!spec) return { ok: false, error: `unrecognized option '--${name}'` };
      if (spec.value === 'none') {
        if (eq >= 0) return { ok: false, error: `option '--${name}' doesn't allow an argument` };
        record(spec);
      } else if (spec.value === 'optional') {
        record(spec, eq >= 0 ? a.slice(eq + 1) : undefined);
      } else if (eq >= 0) {
        record(spec, a.slice(eq + 1));
      } else {
        const v = argv[i + 1];
        if (v === undefined) return { ok: false, error: `option '--${name}' requires an argument` };
        record(spec, v);
        i++;
      }
      continue;
    }
    if (a.startsWith('-') && a.length > 1) {
      for (let j = 1; j < a.length; j++) {
        const ch = a[j]!;
        const spec = byShort.get(ch);
        if (!spec) return { ok: false, error: `invalid option -- '${ch}'` };
        if (spec.value === 'none' || spec.value === 'optional') {
          record(spec);
          continue;
        }
        const rest = a.slice(j + 1);
        if (rest.length > 0) record(spec, rest);
        else {
          const v = argv[i + 1];
          if (v === undefined) return { ok: false, error: `option requires an argument -- '${ch}'` };
          record(spec, v);
          i++;
        }
        break;
      }
      continue;
    }
    positionals.push(a);
  }
  return { ok: true, args: { flags, values, positionals } };
}

export function lastValue(args: ParsedArgs, name: string): string | undefined {
  const v = args.values.get(name);
  return v && v.length > 0 ? v[v.length - 1] : undefined;
}
