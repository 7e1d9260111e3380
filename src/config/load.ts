/**
 * keepalived.conf text or file -> typed, validated KeepalivedConfig: parse (parser.ts), build the
 * typed model (build.ts), check across blocks (validate.ts). The config is returned only when no
 * diagnostic is an error: the daemon refuses to start on an error.
 */
import type { Diagnostic } from './diagnostics.js';
import { hasErrors } from './diagnostics.js';
import { parseConfigFile, parseConfigText, type ParseOptions, type ParseResult } from './parser.js';
import type { KeepalivedConfig } from './types.js';
import { buildConfig } from './build.js';
import { validateConfig } from './validate.js';
import { Reporter } from './values.js';

export interface LoadOptions {
  configId?: string;
  readFile?: (p: string) => string;
  glob?: (pattern: string, cwd: string) => string[];
  /** Interfaces this host has; when given, a missing one is a warning. check-config never requires them. */
  hostInterfaces?: string[];
}

export interface LoadResult {
  /** Undefined iff a diagnostic is an error. */
  config?: KeepalivedConfig;
  diagnostics: Diagnostic[];
}

function parseOptions(opts: LoadOptions): ParseOptions {
  const p: ParseOptions = {};
  if (opts.configId !== undefined) p.configId = opts.configId;
  if (opts.readFile) p.readFile = opts.readFile;
  if (opts.glob) p.glob = opts.glob;
  return p;
}

function finish(parsed: ParseResult, opts: LoadOptions): LoadResult {
  const built = buildConfig(parsed.parsed);
  const r = new Reporter();
  validateConfig(built, r, opts.hostInterfaces ? { hostInterfaces: opts.hostInterfaces } : {});
  const diagnostics = [...parsed.diagnostics, ...built.diagnostics, ...r.diagnostics];
  diagnostics.sort((a, b) => {
    // Stable order for users and tests: by file (in read order), line, column.
    const files = built.config.files;
    const fa = files.indexOf(a.pos.file);
    const fb = files.indexOf(b.pos.file);
    if (fa !== fb) return (fa < 0 ? Infinity : fa) - (fb < 0 ? Infinity : fb);
    return a.pos.line - b.pos.line || a.pos.column - b.pos.column;
  });
  return hasErrors(diagnostics) ? { diagnostics } : { config: built.config, diagnostics };
}

function guarded(run: () => LoadResult, file: string): LoadResult {
  // The parser and builder are written never to throw; this is the last line of that promise, so
  // a bug shows up as a diagnostic rather than a crash of the daemon or check-config.
  try {
    return run();
  } catch (e) {
    return {
      diagnostics: [
        {
          severity: 'error',
          pos: { file, line: 1, column: 1 },
          code: 'internal',
          message: `internal error while reading the configuration: ${e instanceof Error ? e.message : String(e)}`,
        },
      ],
    };
  }
}

export function loadConfigText(text: string, file: string, opts: LoadOptions = {}): LoadResult {
  return guarded(() => finish(parseConfigText(text, file, parseOptions(opts)), opts), file);
}

export function loadConfigFile(path: string, opts: LoadOptions = {}): LoadResult {
  return guarded(() => finish(parseConfigFile(path, parseOptions(opts)), opts), path);
}
