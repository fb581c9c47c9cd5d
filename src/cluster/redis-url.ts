/** REDIS_URL as operators may see it: scheme, host, port and database, never the user's password. */

/**
 * The URL without its credentials, for logs and `homebook config`.
 * @example describeRedisUrl("redis://:s3cret@cache.internal:6380/2") // "redis://***@cache.internal:6380/2"
 */
export function describeRedisUrl(raw: string): string {
  try {
    const url = new URL(raw);
    const credentials = url.username || url.password ? "***@" : "";
    const port = url.port ? `:${url.port}` : "";
    return `${url.protocol}//${credentials}${url.hostname}${port}${url.pathname === "/" ? "" : url.pathname}`;
  } catch {
    return "(unparsable REDIS_URL)";
  }
}
