/** The bench's big configuration: `servers` virtual servers × `reals` real servers with HTTP_GET. */
export function bigConfigText(servers?: number, reals?: number): string;
