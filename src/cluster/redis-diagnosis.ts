/**
 * Why a Redis connection failed. Bun's client reports every failed connection (refused, an untrusted
 * certificate, a wrong password) as "Connection closed"; one probe connection of our own tells them apart.
 */
import net from "node:net";
import tls from "node:tls";
import { systemClock, type Clock } from "../base/clock.ts";
import { withTimeout } from "../base/with-timeout.ts";

/** What went wrong, and what the operator can do about it. Neither ever holds the password. */
export interface RedisProblem {
  reason: string;
  fix: string;
}

export interface DiagnosisOptions {
  /** REDIS_URL (redis:// or rediss://, maybe with user:password@). */
  url: string;
  /** REDIS_TLS_CA_FILE's PEM; without it the system's CAs (and NODE_EXTRA_CA_CERTS). */
  tlsCa?: string;
  timeoutMs: number;
  clock?: Clock;
}

/** The socket's error code, or the first line Redis answered. */
type Outcome = { error: string } | { reply: string } | { closed: true };

const UNTRUSTED = new Set([
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_UNTRUSTED",
]);
const OUT_OF_DATE = new Set(["CERT_HAS_EXPIRED", "CERT_NOT_YET_VALID"]);
const TIMED_OUT = { error: "timeout" } as const;

/** A percent-decoded URL part; a malformed escape is kept as written. */
function decoded(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

/** A RESP command as bytes. */
function resp(args: string[]): string {
  return `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join("")}`;
}

/** Connects as Bun's client does (TLS for rediss://, HELLO 3 with the URL's credentials) and returns what happened first. */
function probe(url: URL, tlsCa: string | undefined): { outcome: Promise<Outcome>; stop: () => void } {
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  const secure = url.protocol === "rediss:";
  const port = Number(url.port || 6379);
  const socket = secure ? tls.connect({ host, port, ...(tlsCa ? { ca: tlsCa } : {}) }) : net.connect({ host, port });
  const password = decoded(url.password);
  const hello = password ? ["HELLO", "3", "AUTH", decoded(url.username) || "default", password] : ["HELLO", "3"];
  const outcome = new Promise<Outcome>((resolve) => {
    let received = "";
    socket.once(secure ? "secureConnect" : "connect", () => socket.write(resp(hello)));
    socket.on("data", (chunk: Buffer) => {
      received += chunk.toString("latin1");
      const end = received.indexOf("\r\n");
      if (end >= 0) resolve({ reply: received.slice(0, end) });
    });
    socket.once("error", (err: NodeJS.ErrnoException) => resolve({ error: err.code ?? err.message }));
    socket.once("close", () => resolve({ closed: true }));
  });
  return { outcome, stop: () => socket.destroy() };
}

function explainOutcome(outcome: Outcome, url: URL, timeoutMs: number, password: string): RedisProblem | undefined {
  const secure = url.protocol === "rediss:";
  const where = `${url.hostname}:${url.port || 6379}`;
  const wrongPort = secure
    ? "check that REDIS_URL's port is Redis's TLS port (tls-port), or use redis:// for a plain one"
    : "if Redis expects TLS on this port, use rediss://; else check REDIS_URL's port";
  if ("reply" in outcome) {
    const reply = outcome.reply;
    if (!reply.startsWith("-")) return undefined; // Redis let the probe in: nothing to add
    if (reply.startsWith("-WRONGPASS")) return { reason: "redis refused the user and password in REDIS_URL (WRONGPASS)", fix: "check the password (and user) in REDIS_URL: rediss://:PASSWORD@host:port/0, or rediss://USER:PASSWORD@… for an ACL user" };
    if (reply.startsWith("-NOAUTH")) return { reason: "redis needs a password and REDIS_URL has none (NOAUTH)", fix: "put it in REDIS_URL: rediss://:PASSWORD@host:port/0" };
    if (/^-ERR unknown command/i.test(reply)) return { reason: "redis does not know HELLO: it is older than version 6", fix: "use Redis 6 or later, or Valkey (Bun's client speaks RESP3)" };
    const text = password ? reply.slice(1).split(password).join("***") : reply.slice(1);
    return { reason: `redis refused the connection: ${text.slice(0, 160)}`, fix: "check REDIS_URL's user, password and database" };
  }
  if ("closed" in outcome) return { reason: `redis at ${where} closed the connection without answering`, fix: wrongPort };
  const code = outcome.error;
  if (code === "timeout") return { reason: `redis at ${where} did not answer within REDIS_COMMAND_TIMEOUT_MS (${timeoutMs} ms)`, fix: secure ? `${wrongPort} (a plain port waits silently for a TLS client); check the network to Redis` : "check Redis's load and the network to it" };
  if (code === "ECONNREFUSED") return { reason: `nothing accepts connections at ${where}`, fix: "check REDIS_URL's host and port and that Redis runs" };
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return { reason: `the host name ${url.hostname} does not resolve (${code})`, fix: "check REDIS_URL's host and this machine's DNS" };
  if (UNTRUSTED.has(code)) return { reason: `redis's TLS certificate is not trusted (${code})`, fix: "set REDIS_TLS_CA_FILE to the PEM file of the CA that signed it, or add that CA with NODE_EXTRA_CA_CERTS" };
  if (OUT_OF_DATE.has(code)) return { reason: `redis's TLS certificate is out of date (${code})`, fix: "renew Redis's certificate (tls-cert-file), or check this machine's clock" };
  if (code === "ERR_TLS_CERT_ALTNAME_INVALID") return { reason: `redis's TLS certificate does not name ${url.hostname}`, fix: "use in REDIS_URL a host name the certificate lists (subjectAltName), or reissue the certificate for this one" };
  if (code === "ECONNRESET" || code === "EPIPE") return { reason: `redis at ${where} reset the connection without answering (${code})`, fix: wrongPort };
  return { reason: `connecting to redis at ${where} failed (${code})`, fix: secure ? wrongPort : "check REDIS_URL and the network to Redis" };
}

/**
 * Opens one connection the way the gateway's client does and says what stopped it; undefined when
 * the probe got in (the failure was elsewhere, or passed).
 * @example const problem = await diagnoseRedis({ url: "rediss://:pw@cache:6380/0", timeoutMs: 1000 });
 * // { reason: "redis's TLS certificate is not trusted (SELF_SIGNED_CERT_IN_CHAIN)", fix: "set REDIS_TLS_CA_FILE …" }
 */
export async function diagnoseRedis({ url: raw, tlsCa, timeoutMs, clock = systemClock }: DiagnosisOptions): Promise<RedisProblem | undefined> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { reason: "REDIS_URL is not a URL", fix: "use redis://host:port/0 or rediss://:password@host:port/0" };
  }
  let attempt: ReturnType<typeof probe> | undefined;
  try {
    attempt = probe(url, tlsCa);
    return explainOutcome(await withTimeout(attempt.outcome, timeoutMs, TIMED_OUT, clock), url, timeoutMs, decoded(url.password));
  } catch (err) {
    return { reason: `connecting to redis failed: ${(err as Error)?.message ?? String(err)}`, fix: "check REDIS_URL and REDIS_TLS_CA_FILE" };
  } finally {
    attempt?.stop();
  }
}
