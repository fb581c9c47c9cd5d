/** Every Homebook setting: one zod schema over the environment, with defaults and fix hints. */
import { z } from "zod";
import { parseCidrList } from "./cidr.ts";
import { normalizePhoneNumber } from "../base/phone-number.ts";

/** Settings whose values are never printed, not even in error messages. */
export const SECRET_SETTINGS = new Set([
  "ELEVENLABS_API_KEY",
  "DATABASE_PASSWORD",
  "ADMIN_TOKEN",
  "MCUBE_AUTH_TOKEN",
  "MCUBE_API_TOKEN",
  "POST_CALL_WEBHOOK_SECRET",
  "REDIS_URL", // may carry a password
]);

const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;

function int(def: number, min: number, max: number) {
  const error = `expected a whole number from ${min} to ${max}`;
  return z.coerce.number({ error }).int({ error }).min(min, { error }).max(max, { error }).default(def);
}

function url(protocols: readonly string[]) {
  const error = `expected a URL starting with ${protocols.map((p) => `${p}//`).join(" or ")}`;
  return z.string().refine((v) => {
    try {
      return protocols.includes(new URL(v).protocol);
    } catch {
      return false;
    }
  }, { error });
}

function phone() {
  return z.string().refine((v) => normalizePhoneNumber(v) !== undefined, {
    error: "expected a 10-digit Indian phone number (+91, 91 or 0 prefixes are accepted)",
  });
}

const text = () => z.string();

/** Tokens Homebook checks itself must be hard to guess. */
const token = () =>
  z.string().min(16, { error: "use at least 16 characters (for example the output of `openssl rand -hex 16`)" });

/** One entry per environment variable. Keys are the variable names operators set. */
export const settingsSchema = z.object({
  // HTTP server
  HOST: text().default("0.0.0.0"),
  PORT: int(7900, 0, 65535), // 0 picks a free port (tests)

  // Original service settings (names and defaults kept)
  COMPANY_NAME: text().default("Mcube Telecom pvt Limited"),
  MCUBE_AUDIO_FORMAT: z.enum(["audio/x-mulaw", "audio/x-l16"], { error: 'expected "audio/x-mulaw" or "audio/x-l16"' }).default("audio/x-mulaw"),
  MCUBE_SAMPLE_RATE: z.coerce.number().refine((v) => v === 8000 || v === 16_000, { error: "expected 8000 or 16000 (16000 with audio/x-l16 only)" }).default(8000),
  AGENT_PHONE_NUMBER: phone().default("7780787875"),
  MCUBE_WEBSOCKET_URL: url(["ws:", "wss:"]).optional(),
  MCUBE_WEBSOCKET_BASE_URL: url(["ws:", "wss:"]).optional(),

  // ElevenLabs
  ELEVENLABS_API_KEY: text().optional(),
  ELEVENLABS_AGENT_ID: text().optional(),
  ELEVENLABS_VOICE_ID: text().optional(),
  ELEVENLABS_MODEL_ID: text().default("eleven_turbo_v2"),
  ELEVENLABS_BASE_URL: url(["http:", "https:"]).optional(),
  ELEVENLABS_MAX_CONNECTIONS: int(30, 1, 100_000),
  ELEVENLABS_QUEUE_TIMEOUT_MS: int(5000, 0, 600_000),
  SIGNED_URL_REUSE_MS: int(600_000, 0, 900_000),
  AGENT_CONNECT_TIMEOUT_MS: int(5000, 100, 60_000),
  AGENT_IDLE_TIMEOUT_MS: int(20_000, 0, 600_000),
  AGENT_RECONNECTS: int(2, 0, 10),
  AGENT_RECONNECT_TIMEOUT_MS: int(1500, 100, 60_000),
  AGENT_RECONNECT_MESSAGE: text().default("Sorry, the line dropped for a moment. Please go on."),
  MCP_TOOL_APPROVAL: z.enum(["reject", "approve"], { error: 'expected "reject" or "approve"' }).default("reject"),

  // Calls
  MAX_CONCURRENT_CALLS: int(50, 1, 100_000),
  MCUBE_AUTH_TOKEN: token().optional(),
  MCUBE_ALLOWED_IPS: text()
    .refine((v) => parseCidrList(v).ok, { error: "expected comma-separated IP addresses or CIDR ranges, like 10.0.0.0/8,192.168.1.7" })
    .optional(),
  MCUBE_MAX_FRAME_BYTES: int(65_536, 1024, 16 * 1024 * 1024),
  START_TIMEOUT_MS: int(10_000, 100, 120_000),
  PLAY_CHUNK_MS: int(500, 20, 1000),
  SEND_STALL_TIMEOUT_MS: int(5000, 100, 600_000),
  MAX_SEND_BUFFER_BYTES: int(262_144, 4096, 64 * 1024 * 1024),
  DTMF_MESSAGE_TEMPLATE: text().default("The caller pressed {digit}"),
  MCUBE_TRANSFER_EVENT: text().min(1).default("transfer"),
  MCUBE_TRANSFER_NUMBER_FIELD: text().min(1).default("number"),
  MCUBE_TERMINATE_EVENT: text().min(1).default("terminate"),

  // Bot store
  DATABASE_HOST: text().optional(),
  DATABASE_PORT: int(3306, 1, 65535),
  DATABASE_NAME: text().default("mainvoicebot_cluster"),
  DATABASE_MASTER_NAME: text().default("mainvoicebot_master"),
  DATABASE_USER: text().default("admin"),
  DATABASE_PASSWORD: text().optional(),
  DATABASE_CHARSET: text().default("utf8mb4"),
  DATABASE_POOL_SIZE: int(10, 1, 1000),
  DATABASE_CONNECT_TIMEOUT_MS: int(2000, 100, 60_000),
  DATABASE_QUERY_TIMEOUT_MS: int(2000, 100, 60_000),
  HOMEBOOK_DB_PATH: text().default("./data/homebook.db"),
  BOT_DID_QUERY: text().optional(),
  BOT_CONFIG_QUERY: text().optional(),
  BOT_CACHE_TTL_MS: int(60_000, 0, 86_400_000),
  BOT_LOOKUP_TIMEOUT_MS: int(1000, 50, 60_000),

  // Operations
  ADMIN_TOKEN: token().optional(),
  LOG_LEVEL: z.enum(LOG_LEVELS, { error: `expected one of ${LOG_LEVELS.join(", ")}` }).default("info"),
  LOG_FILE: text().default("logs/voicebot.log"),
  LOG_MAX_BYTES: int(10 * 1024 * 1024, 0, 1024 ** 4),
  LOG_FILES: int(5, 1, 100),
  DRAIN_TIMEOUT_MS: int(600_000, 0, 86_400_000),
  OUTBOX_PATH: text().default("./data/outbox.jsonl"),
  // Names this gateway in a shared store and a cluster; default hostname:PORT (config/index.ts)
  INSTANCE_ID: z.string().regex(/^\S{1,128}$/, { error: "use 1-128 characters without spaces, like gw-1 or host:7900" }).optional(),

  // Post-call webhook
  POST_CALL_WEBHOOK_URL: url(["http:", "https:"]).optional(),
  POST_CALL_WEBHOOK_SECRET: token().optional(),
  PUBLIC_BASE_URL: url(["http:", "https:"]).optional(),

  // Call recording
  RECORDING: z.enum(["off", "on"], { error: 'expected "on" or "off" (bots may override it: homebook bots update --recording)' }).default("off"),
  RECORDINGS_PATH: text().default("./data/recordings"),
  RECORDING_RETENTION_DAYS: int(30, 0, 36_500), // 0 keeps recordings forever

  // Outbound calls
  MCUBE_API_URL: url(["http:", "https:"]).default("https://config.mcube.com/Restmcube-api"),
  MCUBE_OUTBOUND_PATH: text().min(1).default("outbound-calls-superdash"),
  MCUBE_API_TOKEN: text().optional(),
  MCUBE_REFURL: url(["http:", "https:"]).optional(),
  PUBLIC_WS_BASE_URL: url(["ws:", "wss:"]).optional(),

  // Cluster: gateways sharing one Redis count connections and list calls together
  REDIS_URL: url(["redis:", "rediss:"]).optional(),
  REDIS_KEY_PREFIX: z.string().regex(/^[A-Za-z0-9:_.{}-]{1,64}$/, { error: "use 1-64 letters, digits or : _ . { } -, like homebook:" }).default("homebook:"),
  REDIS_LEASE_TTL_MS: int(10_000, 300, 600_000),
  REDIS_COMMAND_TIMEOUT_MS: int(1000, 20, 60_000),
  // PEM file of the CA that signed a rediss:// server's certificate (read in config/index.ts)
  REDIS_TLS_CA_FILE: text().optional(),
});

export type Settings = z.infer<typeof settingsSchema>;
export type SettingName = keyof Settings;
export type LogLevel = (typeof LOG_LEVELS)[number];
