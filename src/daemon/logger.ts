/**
 * The daemon's log lines, in keepalived's words ("(VI_1) Entering MASTER STATE"), so what users grep
 * for keeps working. keepalived logs to syslog and, with -l, to the console as well; we write to
 * stderr with -l (or when asked) and nowhere else: syslog is not required of this first cut.
 */
export interface DaemonLogger {
  info(message: string): void;
  /** Only with -D (keepalived's detailed log). */
  detail(message: string): void;
  error(message: string): void;
}

export interface LoggerOptions {
  /** Program tag as keepalived prints it: Keepalived, Keepalived_vrrp, ... */
  tag: string;
  console: boolean;
  detailed: boolean;
  write?: (line: string) => void;
}

function stamp(d: Date): string {
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

export function createLogger(opts: LoggerOptions): DaemonLogger {
  const write = opts.write ?? ((line: string) => void process.stderr.write(line));
  const emit = (message: string): void => {
    if (!opts.console) return;
    write(`${stamp(new Date())} ${opts.tag}[${process.pid}]: ${message}\n`);
  };
  return {
    info: emit,
    detail: (m) => {
      if (opts.detailed) emit(m);
    },
    error: emit,
  };
}
