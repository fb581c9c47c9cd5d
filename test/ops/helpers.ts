/** Test helpers for operations: real SQLite and MariaDB stores, a TCP proxy to cut the store off, sample calls. */
import mysql from "mysql2/promise";
import type { Socket, TCPSocketListener } from "bun";
import type { Config } from "../../src/config/index.ts";
import { END_REASONS, type CallRecord, type EndReason, type TranscriptTurn } from "../../src/call/call-record.ts";
import { silentLogger } from "../../src/log/logger.ts";
import { openDatabases } from "../../src/store/open-databases.ts";
import { type Databases } from "../../src/store/sql.ts";
import { ensureMysqlDatabases } from "../../src/store/mysql-database.ts";
import { migrate } from "../../src/store/migrations/index.ts";
import { testConfig } from "../helpers/env.ts";

export const MARIADB_PORT = 3306;

/** A migrated store of one dialect, with its own files or its own MariaDB databases (dropped by close). */
export interface TestStore {
  config: Config;
  dbs: Databases;
  close(): Promise<void>;
}

export async function sqliteStore(env: Record<string, string> = {}): Promise<TestStore> {
  const config = testConfig(env);
  const dbs = await openDatabases(config, silentLogger);
  return { config, dbs, close: () => dbs.close() };
}

/** Fresh uniquely named MariaDB databases on 127.0.0.1 (root, no password), migrated; dropped on close. */
export async function mysqlStore(env: Record<string, string> = {}): Promise<TestStore> {
  const name = `homebook_ops_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const config = testConfig({
    DATABASE_HOST: "127.0.0.1",
    DATABASE_PORT: String(MARIADB_PORT),
    DATABASE_USER: "root",
    DATABASE_NAME: name,
    DATABASE_MASTER_NAME: `${name}_m`,
    DATABASE_CONNECT_TIMEOUT_MS: "500",
    ...env,
  });
  await ensureMysqlDatabases(config.database);
  const dbs = await openDatabases(config, silentLogger);
  await migrate(dbs, silentLogger);
  return {
    config,
    dbs,
    async close() {
      await dbs.close();
      await dropMysqlDatabases(name, `${name}_m`);
    },
  };
}

/** The same MySQL databases reached through another port (a StoreProxy, or a closed port for an outage). */
export function openMysqlVia(config: Config, port: number): Promise<Databases> {
  return openDatabases({ ...config, database: { ...config.database, port } }, silentLogger);
}

/**
 * The store's MySQL databases reached through a StoreProxy of their own, for outage tests; the proxy is
 * cut and the databases closed by `cleanups` (run in reverse order).
 */
export async function mysqlBehindProxy(config: Config, cleanups: (() => Promise<void> | void)[]): Promise<{ proxy: StoreProxy; viaProxy: Databases }> {
  const proxy = new StoreProxy();
  await proxy.start();
  cleanups.push(() => proxy.cut());
  const viaProxy = await openMysqlVia(config, proxy.port);
  cleanups.push(() => viaProxy.close());
  return { proxy, viaProxy };
}

export async function dropMysqlDatabases(...names: string[]): Promise<void> {
  const conn = await mysql.createConnection({ host: "127.0.0.1", port: MARIADB_PORT, user: "root" });
  try {
    for (const n of names) await conn.query(`DROP DATABASE IF EXISTS \`${n}\``);
  } finally {
    await conn.end();
  }
}

/**
 * A loopback TCP proxy to MariaDB that a test can cut (outage: connections refused) and restore on the
 * same port, or hang (connections accepted, nothing answered either way) and heal. It counts what
 * clients sent, so a test can tell that nothing reached the store.
 */
export class StoreProxy {
  private listener: TCPSocketListener<{ peer?: Socket<unknown>; pending: Uint8Array[] }> | undefined;
  private readonly sockets = new Set<Socket<unknown>>();
  private hung = false;
  port = 0;
  /** Connections accepted and bytes received from clients, hung or not. */
  readonly seen = { connections: 0, bytes: 0 };

  async start(): Promise<void> {
    const sockets = this.sockets;
    const proxy = this;
    this.listener = Bun.listen<{ peer?: Socket<unknown>; pending: Uint8Array[] }>({
      hostname: "127.0.0.1",
      port: this.port,
      socket: {
        open(client) {
          client.data = { pending: [] };
          sockets.add(client as Socket<unknown>);
          proxy.seen.connections++;
          if (proxy.hung) return;
          void Bun.connect({
            hostname: "127.0.0.1",
            port: MARIADB_PORT,
            socket: {
              open(server) {
                sockets.add(server as Socket<unknown>);
                client.data.peer = server as Socket<unknown>;
                for (const chunk of client.data.pending.splice(0)) server.write(chunk);
              },
              data: (_server, chunk) => void (proxy.hung ? undefined : client.write(chunk)),
              close: () => void client.end(),
              error: () => void client.end(),
            },
          }).catch(() => void client.end());
        },
        data(client, chunk) {
          proxy.seen.bytes += chunk.byteLength;
          if (proxy.hung) return;
          if (client.data.peer) client.data.peer.write(chunk);
          else client.data.pending.push(new Uint8Array(chunk));
        },
        close(client) {
          client.data.peer?.end();
          sockets.delete(client as Socket<unknown>);
        },
      },
    });
    this.port = this.listener.port;
  }

  /** Refuses new connections and cuts every open one. */
  cut(): void {
    this.listener?.stop(true);
    this.listener = undefined;
    this.dropAll();
  }

  /** From now on connections are accepted and kept open, and nothing is forwarded either way: a hung store. */
  hang(): void {
    this.hung = true;
  }

  /** Forwards again; the connections that hung are closed, as a restarted server would. */
  heal(): void {
    this.hung = false;
    this.dropAll();
  }

  private dropAll(): void {
    for (const s of this.sockets) s.terminate();
    this.sockets.clear();
  }
}

/** A finished call with a two-turn transcript, unique per `n`. */
export function sampleCall(n: number, endReason: EndReason = END_REASONS[n % END_REASONS.length]!, endedAt = 1_750_000_000_000 + n * 1000): {
  record: CallRecord;
  transcript: TranscriptTurn[];
} {
  const record: CallRecord = {
    sessionId: `sess-${n}`,
    callId: `call-${n}`,
    streamId: `stream-${n}`,
    did: "+91 80 4000 1234",
    botId: "bot-7",
    businessId: "biz-3",
    agentId: "agent_abc",
    conversationId: `conv-${n}`,
    customerNumber: "098765 43210",
    startedAt: endedAt - 30_000,
    agentConnectedAt: endedAt - 29_500,
    firstAgentAudioAt: endedAt - 29_000,
    endedAt,
    durationMs: 30_000,
    endReason,
    transferTo: endReason === "transfer" || endReason === "fallback_transfer" || endReason === "drain" ? "7780787875" : undefined,
    framesIn: 1500,
    framesOut: 1400,
    interruptions: n % 3,
    errorDetail: endReason === "upstream_error" || endReason === "internal_error" ? "agent closed with 1011" : undefined,
  };
  const transcript: TranscriptTurn[] = [
    { role: "agent", text: `Hello, caller ${n}`, offsetMs: 600, eventId: 1 },
    { role: "user", text: "I would like to book a table", offsetMs: 4200 },
  ];
  return { record, transcript };
}

export { until } from "../helpers/wait.ts";
