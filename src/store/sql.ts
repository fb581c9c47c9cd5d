/** The SQL seam of the store: one small interface over bun:sqlite and mysql2 pools. */

export interface SqlDatabase {
  readonly dialect: "sqlite" | "mysql";
  /** '?' placeholders in both dialects. */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  execute(sql: string, params?: unknown[]): Promise<{ affectedRows: number; insertId?: number }>;
  close(): Promise<void>;
}

/** The master database (DIDs, businesses) and the cluster database (bots). SQLite: master === cluster (one file). */
export interface Databases {
  master: SqlDatabase;
  cluster: SqlDatabase;
  close(): Promise<void>;
}
