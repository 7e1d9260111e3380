import { createHash, type Hash } from 'node:crypto';

/**
 * The digest HTTP_GET/SSL_GET compare and genhash prints: MD5 of the response body, as lower-case
 * hex. Incremental, because a body is hashed as it arrives and never held whole in memory.
 */
export class BodyDigest {
  private readonly hash: Hash = createHash('md5');
  update(chunk: Uint8Array): void {
    this.hash.update(chunk);
  }
  /** Raw 16 bytes (genhash -v dumps them). */
  digestBytes(): Buffer {
    return this.hash.digest();
  }
}

export function md5Hex(body: Uint8Array | string): string {
  return createHash('md5').update(body).digest('hex');
}

/** A configured digest compared the way keepalived does it: 32 hex digits, case-insensitive. */
export function digestMatches(configured: string, actualHex: string): boolean {
  return configured.trim().toLowerCase() === actualHex.toLowerCase();
}
