import type { Checker, RealServer, VirtualServer } from '../../config/types.js';
import type { CheckerSettings } from './contract.js';

/**
 * How long past its own timeout a probe may stay silent before the checker gives up on it. The
 * probes time themselves out (connect_timeout, misc_timeout); this margin only matters when one
 * does not report at all.
 */
export const PROBE_TIMEOUT_MARGIN_MS = 1000;

/**
 * keepalived's inheritance of the checker timings (check_data.c validate_check_config):
 * checker → real_server → virtual_server for delay_loop and alpha; warmup defaults to the
 * checker's delay_loop. retry and delay_before_retry come from the checker, where the config layer
 * already resolved them: the checker block's own value, else its real_server's, else the per-type
 * default (retry 1, DNS 3, MISC 0; delay_before_retry 1 s, HTTP/SSL 3 s, DNS: delay_loop).
 */
export function resolveCheckerSettings(vs: VirtualServer, rs: RealServer, checker: Checker): CheckerSettings {
  const delayLoopMs = checker.delayLoopMs ?? rs.delayLoopMs ?? vs.delayLoopMs;
  const warmupMs = checker.warmupMs ?? rs.warmupMs ?? delayLoopMs;
  const alpha = checker.alpha ?? rs.alpha ?? vs.alpha;
  return {
    delayLoopMs,
    retry: checker.retry,
    delayBeforeRetryMs: checker.delayBeforeRetryMs,
    warmupMs,
    alpha,
    probeTimeoutMs: probeBudgetMs(checker, delayLoopMs) + PROBE_TIMEOUT_MARGIN_MS,
  };
}

/** The longest a probe of this checker may legitimately take. */
export function probeBudgetMs(checker: Checker, delayLoopMs: number): number {
  switch (checker.type) {
    case 'MISC_CHECK':
      // keepalived: misc_timeout defaults to delay_loop.
      return checker.miscTimeoutMs ?? delayLoopMs;
    case 'HTTP_GET':
    case 'SSL_GET':
      // One attempt walks every url, each with its own connection.
      return checker.connectTimeoutMs * Math.max(1, checker.urls.length);
    case 'SMTP_CHECK':
      // Connect, banner, HELO, QUIT: each step has connect_timeout.
      return checker.connectTimeoutMs * 4;
    default:
      return checker.connectTimeoutMs;
  }
}
