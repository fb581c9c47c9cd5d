/** REDIS_TLS_CA_FILE: the PEM of the CA a rediss:// server's certificate is checked against, read once at start. */
import { readFileSync } from "node:fs";

const PEM_CERTIFICATE = "-----BEGIN CERTIFICATE-----";

/**
 * The CA file's PEM text, or the problem with it (a missing or unreadable file, no certificate in it,
 * or a REDIS_URL that is not TLS). Neither names the URL: it may carry a password.
 * @example readRedisCa({ REDIS_URL: "rediss://cache:6380", REDIS_TLS_CA_FILE: "/etc/homebook/redis-ca.pem" }) // { pem: "-----BEGIN CERTIFICATE-----…" }
 */
export function readRedisCa(raw: { REDIS_URL?: string; REDIS_TLS_CA_FILE?: string }): { pem?: string; problem?: string } {
  const path = raw.REDIS_TLS_CA_FILE;
  if (path === undefined) return {};
  if (!raw.REDIS_URL?.startsWith("rediss:")) {
    return { problem: "REDIS_TLS_CA_FILE needs REDIS_URL to start with rediss:// (the CA checks Redis's TLS certificate): use rediss:// or unset REDIS_TLS_CA_FILE" };
  }
  let pem: string;
  try {
    pem = readFileSync(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? "unreadable";
    return { problem: `REDIS_TLS_CA_FILE: cannot read ${JSON.stringify(path)} (${code}): point it at the PEM file of the CA that signed Redis's certificate` };
  }
  if (!pem.includes(PEM_CERTIFICATE)) {
    return { problem: `REDIS_TLS_CA_FILE: ${JSON.stringify(path)} holds no PEM certificate (no ${PEM_CERTIFICATE} line): use the CA certificate in PEM form (openssl x509 -inform der -in ca.der -out ca.pem converts a DER one)` };
  }
  return { pem };
}
