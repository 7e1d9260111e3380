/** http_protocol: 1.0 (default), 1.0C (1.0 plus "Connection: close"), 1.1 (always "Connection: close"). */
export type HttpProtocol = '1.0' | '1.0C' | '1.1';

export function parseHttpProtocol(text: string | undefined): HttpProtocol | undefined {
  if (text === undefined) return '1.0';
  const t = text.trim().toUpperCase();
  if (t === '1.0' || t === '1.0C' || t === '1.1') return t;
  return undefined;
}

export interface HttpRequestSpec {
  path: string;
  protocol: HttpProtocol;
  /** The resolved virtualhost, if any: it becomes the Host header as is (no port). */
  virtualhost?: string;
  /** The address and port connected to: the Host header when there is no virtualhost. */
  host: string;
  port: number;
  family: 4 | 6;
}

/**
 * The GET request byte for byte as keepalived's check_http sends it (and genhash: the same code):
 * a fixed User-Agent, "Connection: close" for 1.0C and 1.1, and a Host header that is the
 * virtualhost, or else the address with its port (IPv6 literal in brackets, RFC 2732).
 */
export function buildHttpRequest(spec: HttpRequestSpec): string {
  const minor = spec.protocol === '1.1' ? 1 : 0;
  const close = spec.protocol === '1.0' ? '' : 'Connection: close\r\n';
  let hostHeader: string;
  if (spec.virtualhost) hostHeader = spec.virtualhost;
  else {
    const bare = spec.host.split('%')[0] ?? spec.host;
    hostHeader = spec.family === 6 ? `[${bare}]:${spec.port}` : `${bare}:${spec.port}`;
  }
  return `GET ${spec.path} HTTP/1.${minor}\r\nUser-Agent: KeepAliveClient\r\n${close}Host: ${hostHeader}\r\n\r\n`;
}
