import { BodyDigest } from './digest.js';

/** The header block of an HTTP response (everything up to and including the blank line). */
export interface HttpResponseHead {
  raw: Buffer;
  /** 0 when the status line is not `HTTP/x.y NNN ...` (keepalived treats that as a failure). */
  statusCode: number;
  /** undefined when absent or unreadable: the body then runs to the end of the connection. */
  contentLength?: number;
}

export type PushResult = 'more' | 'complete' | 'header-too-large';

const HEADER_END = Buffer.from('\r\n\r\n');

/**
 * Incremental reader of one HTTP response as keepalived reads it: the header ends at the first
 * CRLF CRLF; the body is hashed as it arrives, up to Content-Length when one is given, else up to
 * the close. No chunked decoding: keepalived hashes the bytes on the wire, so the digests genhash
 * prints and HTTP_GET compares stay the same. Total on any bytes.
 */
export class HttpResponseReader {
  private pending: Buffer[] = [];
  private pendingLen = 0;
  head: HttpResponseHead | undefined;
  bodyBytes = 0;
  /** Absent when nobody will ask for the digest (an HTTP_GET url without `digest`): MD5 per body is not free. */
  private readonly digest: BodyDigest | undefined;
  private readonly keepBody: number;
  private kept: Buffer[] = [];
  private keptLen = 0;
  /** Each slice of body hashed, in arrival order (genhash -v dumps them as read). */
  onBody: ((slice: Buffer) => void) | undefined;
  /** Called once the header is complete, before any body byte is taken. */
  onHead: ((head: HttpResponseHead) => void) | undefined;

  constructor(opts: { keepBodyBytes?: number; maxHeaderBytes?: number; digest?: boolean } = {}) {
    this.keepBody = opts.keepBodyBytes ?? 0;
    this.digest = opts.digest === false ? undefined : new BodyDigest();
    this.maxHeader = opts.maxHeaderBytes ?? 65536;
  }
  private readonly maxHeader: number;

  get complete(): boolean {
    return this.head?.contentLength !== undefined && this.bodyBytes >= this.head.contentLength;
  }

  push(chunk: Buffer): PushResult {
    if (this.head) {
      this.takeBody(chunk);
      return this.complete ? 'complete' : 'more';
    }
    this.pending.push(chunk);
    this.pendingLen += chunk.length;
    const buf = Buffer.concat(this.pending, this.pendingLen);
    const at = buf.indexOf(HEADER_END);
    if (at < 0) {
      this.pending = [buf];
      return this.pendingLen > this.maxHeader ? 'header-too-large' : 'more';
    }
    this.pending = [];
    this.pendingLen = 0;
    const raw = buf.subarray(0, at + HEADER_END.length);
    this.head = parseHead(raw);
    this.onHead?.(this.head);
    const rest = buf.subarray(at + HEADER_END.length);
    if (rest.length > 0) this.takeBody(rest);
    return this.complete ? 'complete' : 'more';
  }

  private takeBody(chunk: Buffer): void {
    const limit = this.head?.contentLength;
    const slice = limit === undefined ? chunk : chunk.subarray(0, Math.max(0, limit - this.bodyBytes));
    if (slice.length === 0) return;
    this.bodyBytes += slice.length;
    this.digest?.update(slice);
    if (this.keptLen < this.keepBody) {
      const take = slice.subarray(0, this.keepBody - this.keptLen);
      this.kept.push(Buffer.from(take));
      this.keptLen += take.length;
    }
    this.onBody?.(slice);
  }

  /** The MD5 of the body read so far (call once, at the end; not on a reader made with `digest: false`). */
  digestBytes(): Buffer {
    if (this.digest === undefined) throw new Error('HttpResponseReader: made without a digest');
    return this.digest.digestBytes();
  }

  body(): Buffer {
    return Buffer.concat(this.kept, this.keptLen);
  }
}

/** keepalived's extract_status_code: the token after the first space must be exactly 3 digits. */
export function parseStatusCode(raw: Buffer): number {
  const lineEnd = raw.indexOf('\r\n');
  const line = raw.subarray(0, lineEnd < 0 ? raw.length : lineEnd).toString('latin1');
  const m = /^HTTP\/\d+\.\d+ (\d{3})(?: |$)/.exec(line);
  return m ? Number(m[1]) : 0;
}

export function parseHead(raw: Buffer): HttpResponseHead {
  const head: HttpResponseHead = { raw, statusCode: parseStatusCode(raw) };
  const text = raw.toString('latin1');
  const m = /\r\ncontent-length:[ \t]*(\d{1,15})[ \t]*\r\n/i.exec(text);
  if (m) head.contentLength = Number(m[1]);
  return head;
}

/** status_code ranges, inclusive; an empty list means keepalived's default 200-299. */
export function statusAccepted(code: number, ranges: ReadonlyArray<readonly [number, number]>): boolean {
  const rs = ranges.length > 0 ? ranges : [[200, 299] as const];
  return rs.some(([lo, hi]) => code >= lo && code <= hi);
}
