/** Reads the environment once into a frozen, typed Config; bad settings list every problem at once. */
import { SECRET_SETTINGS, settingsSchema, type LogLevel, type Settings } from "./schema.ts";
import { parseCidrList, type Cidr } from "./cidr.ts";
import { readRedisCa } from "./redis-ca.ts";
import { normalizePhoneNumber } from "../base/phone-number.ts";
import { hostname } from "node:os";

export type { LogLevel } from "./schema.ts";

export const DEFAULT_ELEVENLABS_BASE_URL = "https://api.elevenlabs.io";

export interface Config {
  host: string;
  port: number;
  companyName: string;
  /** 10-digit number callers reach when the agent transfers with no number or the gateway falls back. */
  agentPhoneNumber: string;
  mcube: {
    /** What Homebook sends and expects when `start` does not name a media format. */
    audioFormat: "audio/x-mulaw" | "audio/x-l16";
    sampleRate: 8000 | 16000;
    websocketUrl?: string;
    websocketBaseUrl?: string;
    authToken?: string;
    allowedIps?: readonly Cidr[];
    maxFrameBytes: number;
    startTimeoutMs: number;
    playChunkMs: number;
    /** A peer that has not read what was sent this long: the call ends (Mcube) or the agent counts as lost. */
    sendStallTimeoutMs: number;
    /** Unsent bytes a socket may hold before audio for it is dropped (counted). */
    maxSendBufferBytes: number;
    dtmfMessageTemplate: string;
    transferEvent: string;
    transferNumberField: string;
    terminateEvent: string;
    apiUrl: string;
    outboundPath: string;
    apiToken?: string;
    refUrl?: string;
    publicWsBaseUrl?: string;
  };
  elevenlabs: {
    apiKey?: string;
    agentId?: string;
    voiceId?: string;
    modelId: string;
    /** REST base URL; the WebSocket host is derived from it (https → wss). */
    baseUrl: string;
    /** False when ELEVENLABS_BASE_URL was left unset (the offline agent may take over). */
    baseUrlExplicit: boolean;
    maxConnections: number;
    queueTimeoutMs: number;
    signedUrlReuseMs: number;
    /** One deadline for agent setup (signed URL + open + metadata + the one retry); past it the caller is transferred. */
    connectTimeoutMs: number;
    /** A live agent connection that sends nothing (no frame, no pong) this long is dead; 0 disables. */
    idleTimeoutMs: number;
    /** Mid-call agent losses answered with a new conversation, per call; then the fallback transfer. */
    reconnects: number;
    reconnectTimeoutMs: number;
    /** The new conversation's first message, when the bot overrides first messages. */
    reconnectMessage: string;
    /** What an MCP tool that asks for approval gets (bots may say otherwise). */
    mcpToolApproval: "reject" | "approve";
  };
  calls: { maxConcurrent: number; drainTimeoutMs: number };
  database: {
    /** "mysql" when DATABASE_HOST is set, else the embedded SQLite store. */
    kind: "mysql" | "sqlite";
    host?: string;
    port: number;
    name: string;
    masterName: string;
    user: string;
    password?: string;
    charset: string;
    poolSize: number;
    connectTimeoutMs: number;
    queryTimeoutMs: number;
    sqlitePath: string;
    didQuery?: string;
    botConfigQuery?: string;
    botCacheTtlMs: number;
    botLookupTimeoutMs: number;
    outboxPath: string;
  };
  adminToken?: string;
  /** INSTANCE_ID: names this gateway in shared stores (its journal of live calls) and a cluster; default hostname:PORT (hostname:pid-N when PORT is 0). */
  instanceId: string;
  /** Signed POST after each call; absent when POST_CALL_WEBHOOK_URL is unset. */
  webhook?: { url: string; secret: string };
  /** PUBLIC_BASE_URL without a trailing slash: how others reach this gateway's HTTP (recording links). */
  publicBaseUrl?: string;
  /** RECORDING, RECORDINGS_PATH, RECORDING_RETENTION_DAYS: stereo WAV per call (bots may override `enabled`). */
  recording: { enabled: boolean; path: string; retentionDays: number };
  log: { level: LogLevel; file: string; maxBytes: number; files: number };
  /** Gateways sharing one Redis act as one (REDIS_URL); without it every gateway counts alone. */
  cluster: {
    redisUrl?: string;
    keyPrefix: string;
    /** A slot or registry entry not renewed by its gateway for this long is gone (kill -9). */
    leaseTtlMs: number;
    commandTimeoutMs: number;
    /** REDIS_TLS_CA_FILE's PEM: the CA a rediss:// server's certificate must chain to (else the system's CAs). */
    tlsCa?: string;
  };
}

/** Thrown with every problem found; `problems` never contain a secret's value. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(
      `Homebook cannot start: ${problems.length} configuration problem${problems.length === 1 ? "" : "s"}:\n` +
        problems.map((p) => `  - ${p}`).join("\n") +
        "\nSet these in .env or the environment, then start again.",
    );
    this.name = "ConfigError";
  }
}

function describeValue(name: string, value: unknown): string {
  if (SECRET_SETTINGS.has(name)) return "(value hidden)";
  if (value === undefined) return "unset";
  const shown = String(value);
  return JSON.stringify(shown.length > 80 ? `${shown.slice(0, 77)}...` : shown);
}

/** Empty strings count as unset, as they do in most .env tooling. */
function presentEntries(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(settingsSchema.shape)) {
    const value = env[key];
    if (value !== undefined && value.trim() !== "") out[key] = value.trim();
  }
  return out;
}

function crossChecks(s: Partial<Record<keyof Settings, unknown>>): string[] {
  const problems: string[] = [];
  if (s.ELEVENLABS_API_KEY && !s.ELEVENLABS_AGENT_ID) {
    problems.push(
      "ELEVENLABS_AGENT_ID is required when ELEVENLABS_API_KEY is set: it is the agent that answers DIDs with no bot of their own",
    );
  }
  if (s.MCUBE_SAMPLE_RATE !== undefined && Number(s.MCUBE_SAMPLE_RATE) === 16_000 && s.MCUBE_AUDIO_FORMAT !== "audio/x-l16") {
    problems.push("MCUBE_SAMPLE_RATE=16000 needs MCUBE_AUDIO_FORMAT=audio/x-l16: μ-law is 8000 Hz only");
  }
  if ((s.BOT_DID_QUERY || s.BOT_CONFIG_QUERY) && !s.DATABASE_HOST) {
    problems.push("BOT_DID_QUERY and BOT_CONFIG_QUERY need DATABASE_HOST: custom queries run against MySQL only");
  }
  if (s.POST_CALL_WEBHOOK_URL && !s.POST_CALL_WEBHOOK_SECRET) {
    problems.push("POST_CALL_WEBHOOK_SECRET is required when POST_CALL_WEBHOOK_URL is set: every delivery is signed with it (16+ characters, e.g. `openssl rand -hex 32`)");
  }
  const ttl = settingsSchema.shape.REDIS_LEASE_TTL_MS.safeParse(s.REDIS_LEASE_TTL_MS);
  const command = settingsSchema.shape.REDIS_COMMAND_TIMEOUT_MS.safeParse(s.REDIS_COMMAND_TIMEOUT_MS);
  if (ttl.success && command.success && command.data * 3 >= ttl.data) {
    problems.push(
      `REDIS_COMMAND_TIMEOUT_MS (${command.data}) must be under a third of REDIS_LEASE_TTL_MS (${ttl.data}): leases are renewed every third of the TTL, and a renewal must fail before its lease lapses`,
    );
  }
  return problems;
}

/**
 * Parses settings from an environment (Bun has already merged .env into process.env).
 * @throws ConfigError listing every invalid setting.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const raw = presentEntries(env);
  const parsed = settingsSchema.safeParse(raw);
  const problems = parsed.success
    ? []
    : parsed.error.issues.map((issue) => {
        const name = String(issue.path[0] ?? "configuration");
        return `${name}: ${issue.message}, got ${describeValue(name, raw[name])}`;
      });
  problems.push(...crossChecks(raw));
  const redisCa = readRedisCa(raw);
  if (redisCa.problem) problems.push(redisCa.problem);
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);
  const s = parsed.data;

  const config: Config = {
    host: s.HOST,
    port: s.PORT,
    companyName: s.COMPANY_NAME,
    agentPhoneNumber: normalizePhoneNumber(s.AGENT_PHONE_NUMBER)!,
    mcube: {
      audioFormat: s.MCUBE_AUDIO_FORMAT,
      sampleRate: s.MCUBE_SAMPLE_RATE === 16_000 ? 16_000 : 8000,
      websocketUrl: s.MCUBE_WEBSOCKET_URL,
      websocketBaseUrl: s.MCUBE_WEBSOCKET_BASE_URL,
      authToken: s.MCUBE_AUTH_TOKEN,
      allowedIps: s.MCUBE_ALLOWED_IPS ? parseCidrList(s.MCUBE_ALLOWED_IPS).cidrs : undefined,
      maxFrameBytes: s.MCUBE_MAX_FRAME_BYTES,
      startTimeoutMs: s.START_TIMEOUT_MS,
      playChunkMs: s.PLAY_CHUNK_MS,
      sendStallTimeoutMs: s.SEND_STALL_TIMEOUT_MS,
      maxSendBufferBytes: s.MAX_SEND_BUFFER_BYTES,
      dtmfMessageTemplate: s.DTMF_MESSAGE_TEMPLATE,
      transferEvent: s.MCUBE_TRANSFER_EVENT,
      transferNumberField: s.MCUBE_TRANSFER_NUMBER_FIELD,
      terminateEvent: s.MCUBE_TERMINATE_EVENT,
      apiUrl: s.MCUBE_API_URL.replace(/\/+$/, ""),
      outboundPath: s.MCUBE_OUTBOUND_PATH.replace(/^\/+/, ""),
      apiToken: s.MCUBE_API_TOKEN,
      refUrl: s.MCUBE_REFURL,
      publicWsBaseUrl: s.PUBLIC_WS_BASE_URL?.replace(/\/+$/, ""),
    },
    elevenlabs: {
      apiKey: s.ELEVENLABS_API_KEY,
      agentId: s.ELEVENLABS_AGENT_ID,
      voiceId: s.ELEVENLABS_VOICE_ID,
      modelId: s.ELEVENLABS_MODEL_ID,
      baseUrl: (s.ELEVENLABS_BASE_URL ?? DEFAULT_ELEVENLABS_BASE_URL).replace(/\/+$/, ""),
      baseUrlExplicit: s.ELEVENLABS_BASE_URL !== undefined,
      maxConnections: s.ELEVENLABS_MAX_CONNECTIONS,
      queueTimeoutMs: s.ELEVENLABS_QUEUE_TIMEOUT_MS,
      signedUrlReuseMs: s.SIGNED_URL_REUSE_MS,
      connectTimeoutMs: s.AGENT_CONNECT_TIMEOUT_MS,
      idleTimeoutMs: s.AGENT_IDLE_TIMEOUT_MS,
      reconnects: s.AGENT_RECONNECTS,
      reconnectTimeoutMs: s.AGENT_RECONNECT_TIMEOUT_MS,
      reconnectMessage: s.AGENT_RECONNECT_MESSAGE,
      mcpToolApproval: s.MCP_TOOL_APPROVAL,
    },
    calls: { maxConcurrent: s.MAX_CONCURRENT_CALLS, drainTimeoutMs: s.DRAIN_TIMEOUT_MS },
    database: {
      kind: s.DATABASE_HOST ? "mysql" : "sqlite",
      host: s.DATABASE_HOST,
      port: s.DATABASE_PORT,
      name: s.DATABASE_NAME,
      masterName: s.DATABASE_MASTER_NAME,
      user: s.DATABASE_USER,
      password: s.DATABASE_PASSWORD,
      charset: s.DATABASE_CHARSET,
      poolSize: s.DATABASE_POOL_SIZE,
      connectTimeoutMs: s.DATABASE_CONNECT_TIMEOUT_MS,
      queryTimeoutMs: s.DATABASE_QUERY_TIMEOUT_MS,
      sqlitePath: s.HOMEBOOK_DB_PATH,
      didQuery: s.BOT_DID_QUERY,
      botConfigQuery: s.BOT_CONFIG_QUERY,
      botCacheTtlMs: s.BOT_CACHE_TTL_MS,
      botLookupTimeoutMs: s.BOT_LOOKUP_TIMEOUT_MS,
      outboxPath: s.OUTBOX_PATH,
    },
    adminToken: s.ADMIN_TOKEN,
    instanceId: s.INSTANCE_ID ?? `${hostname()}:${s.PORT === 0 ? `pid-${process.pid}` : s.PORT}`,
    webhook: s.POST_CALL_WEBHOOK_URL && s.POST_CALL_WEBHOOK_SECRET ? { url: s.POST_CALL_WEBHOOK_URL, secret: s.POST_CALL_WEBHOOK_SECRET } : undefined,
    publicBaseUrl: s.PUBLIC_BASE_URL?.replace(/\/+$/, ""),
    recording: { enabled: s.RECORDING === "on", path: s.RECORDINGS_PATH, retentionDays: s.RECORDING_RETENTION_DAYS },
    log: { level: s.LOG_LEVEL, file: s.LOG_FILE, maxBytes: s.LOG_MAX_BYTES, files: s.LOG_FILES },
    cluster: {
      redisUrl: s.REDIS_URL,
      keyPrefix: s.REDIS_KEY_PREFIX,
      leaseTtlMs: s.REDIS_LEASE_TTL_MS,
      commandTimeoutMs: s.REDIS_COMMAND_TIMEOUT_MS,
      tlsCa: redisCa.pem,
    },
  };
  return deepFreeze(config);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === "object" && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/** True when calls should go to the built-in offline agent: no key and no explicit ELEVENLABS_BASE_URL. */
export function wantsOfflineAgent(config: Config): boolean {
  return !config.elevenlabs.apiKey && !config.elevenlabs.baseUrlExplicit;
}

/** The effective settings with secrets reduced to "set"/"unset", for `homebook config`. */
export function describeSettings(env: Record<string, string | undefined> = process.env): Record<string, string> {
  const raw = presentEntries(env);
  const parsed = settingsSchema.safeParse(raw);
  const values: Record<string, unknown> = parsed.success ? parsed.data : raw;
  const out: Record<string, string> = {};
  for (const key of Object.keys(settingsSchema.shape)) {
    const value = values[key];
    out[key] = SECRET_SETTINGS.has(key) ? (value === undefined ? "unset" : "set") : value === undefined ? "" : String(value);
  }
  return out;
}
