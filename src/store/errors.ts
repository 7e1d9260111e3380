/**
 * Typed errors of the event log. Every refusal names the directory and the problem in words a
 * user can act on; callers switch on `code`.
 */
export type EventLogErrorCode =
  /** Another process holds the directory's lock (LevelDB LOCK). */
  | 'LOCKED'
  /** The directory is not a keepalived-ts event log (other files, or a foreign LevelDB). */
  | 'NOT_A_LOG'
  /** The log was written by a newer schema version than this program reads. */
  | 'NEWER_SCHEMA'
  /** LevelDB found corrupted data (garbled table, manifest or record). */
  | 'CORRUPTED'
  /** Files of the log are missing (truncated copy, partial delete). */
  | 'DAMAGED'
  /** The operating system refused (permissions, I/O error, no space). */
  | 'IO'
  /** The log was used after close(). */
  | 'CLOSED';

export class EventLogError extends Error {
  override readonly name = 'EventLogError';
  constructor(
    readonly code: EventLogErrorCode,
    readonly dir: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The innermost message of a chain of `cause`s (LevelDB puts the useful text at the bottom). */
export function rootMessage(err: unknown): string {
  let e: unknown = err;
  let text = e instanceof Error ? e.message : String(e);
  for (let i = 0; i < 8 && e instanceof Error && e.cause !== undefined; i++) {
    e = e.cause;
    if (e instanceof Error && e.message) text = e.message;
  }
  return text;
}

/** LevelDB / abstract-level error codes along the cause chain. */
export function levelCodes(err: unknown): string[] {
  const codes: string[] = [];
  let e: unknown = err;
  for (let i = 0; i < 8 && e instanceof Error; i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') codes.push(code);
    e = e.cause;
  }
  return codes;
}

/** Map an error thrown by LevelDB on `dir` to a typed EventLogError. */
export function classifyLevelError(err: unknown, dir: string, doing: string): EventLogError {
  if (err instanceof EventLogError) return err;
  const codes = levelCodes(err);
  const msg = rootMessage(err);
  if (codes.includes('LEVEL_LOCKED') || /lock/i.test(msg) && /resource temporarily unavailable|already held/i.test(msg)) {
    return new EventLogError('LOCKED', dir, `event log ${dir} is in use by another keepalived-ts process`, { cause: err });
  }
  if (codes.includes('LEVEL_CORRUPTION') || /corrupt/i.test(msg)) {
    return new EventLogError('CORRUPTED', dir, `event log ${dir} is corrupted (${doing}): ${msg}`, { cause: err });
  }
  if (/No such file or directory|does not exist/i.test(msg)) {
    return new EventLogError('DAMAGED', dir, `event log ${dir} is damaged (${doing}): a file of the log is missing: ${msg}`, { cause: err });
  }
  const file = /(\d+\.(?:ldb|sst|log)|MANIFEST-\d+)/.exec(msg)?.[1];
  if (file !== undefined && !/permission denied|no space|read-only/i.test(msg)) {
    return new EventLogError('DAMAGED', dir, `event log ${dir} is damaged (${doing}): its file ${file} is truncated or unreadable: ${msg}`, { cause: err });
  }
  return new EventLogError('IO', dir, `event log ${dir}: ${doing} failed: ${msg}`, { cause: err });
}
