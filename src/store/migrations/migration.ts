/** The shape of one schema migration. */

export interface Migration {
  /** Unique, sortable: "NNN-name". Never rename one that has shipped. */
  id: string;
  target: "master" | "cluster";
  /** Statements run in order, one per string. Prefer IF NOT EXISTS so a half-applied run can be repeated. */
  sqlite: string[];
  mysql: string[];
}
