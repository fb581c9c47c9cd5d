/** BOT_DID_QUERY and BOT_CONFIG_QUERY against an existing, differently shaped MariaDB schema. */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { silentLogger } from "../../src/log/logger.ts";
import { createBotResolver } from "../../src/store/bot-resolver.ts";
import { compileNamedQuery } from "../../src/store/named-parameters.ts";
import { openDatabases } from "../../src/store/open-databases.ts";
import { type Databases } from "../../src/store/sql.ts";
import { capturingLogger, configFor, mysqlAdmin, mysqlTarget } from "./stores.ts";

const target = mysqlTarget("custom");
const master = target.env.DATABASE_MASTER_NAME!;
const cluster = target.env.DATABASE_NAME!;

/** A legacy layout: numbers kept as dialled, integer ids, a status enum instead of an active flag. */
const LEGACY_SCHEMA = [
  `CREATE DATABASE \`${master}\``,
  `CREATE DATABASE \`${cluster}\``,
  `CREATE TABLE \`${master}\`.phone_lines (line_id INT AUTO_INCREMENT PRIMARY KEY, msisdn VARCHAR(32) NOT NULL, assistant_id INT NOT NULL, client_id INT NULL)`,
  `CREATE TABLE \`${master}\`.clients (id INT PRIMARY KEY, client_name VARCHAR(100) NOT NULL)`,
  `CREATE TABLE \`${cluster}\`.assistants (id INT PRIMARY KEY, title VARCHAR(100), el_agent VARCHAR(100) NULL, opening_line TEXT, extra TEXT, status ENUM('live','paused') NOT NULL, transfer_to VARCHAR(32) NULL)`,
  `INSERT INTO \`${master}\`.clients VALUES (3, 'Sunrise Motors')`,
  `INSERT INTO \`${master}\`.phone_lines (msisdn, assistant_id, client_id) VALUES ('+91-80-6000-1000', 7, 3), ('080 6000 2000', 8, NULL), ('918060003000', 9, 3)`,
  `INSERT INTO \`${cluster}\`.assistants VALUES
     (7, 'Service desk', 'agent_service', 'Welcome to Sunrise', '{"branch":"Baner","slots":4}', 'live', '+91 98765 43210'),
     (8, 'Paused line', 'agent_paused', NULL, NULL, 'paused', NULL),
     (9, 'Broken line', NULL, NULL, NULL, 'live', NULL)`,
];

const CUSTOM = {
  BOT_DID_QUERY:
    "SELECT assistant_id AS bot_id, client_id AS business_id FROM phone_lines " +
    "WHERE RIGHT(REPLACE(REPLACE(REPLACE(msisdn, '-', ''), ' ', ''), '+', ''), 10) = :did",
  BOT_CONFIG_QUERY:
    "SELECT a.id AS bot_id, a.title AS name, a.el_agent AS agent_id, a.opening_line AS first_message, a.extra AS dynamic_variables, " +
    `a.status = 'live' AS active, a.transfer_to AS transfer_number, c.client_name AS business_name FROM assistants a ` +
    `LEFT JOIN \`${master}\`.clients c ON c.id = :business_id WHERE a.id = :bot_id`,
};

let dbs: Databases;

beforeAll(async () => {
  await mysqlAdmin(...LEGACY_SCHEMA);
  dbs = await openDatabases(configFor(target, CUSTOM), silentLogger);
});
afterAll(async () => {
  await dbs?.close();
  await target.destroy();
});

describe("custom lookup queries", () => {
  test("a legacy schema is read without changes: ids, numbers and JSON are converted", async () => {
    const resolver = createBotResolver({ dbs, config: configFor(target, CUSTOM), logger: silentLogger });
    const { bot, source } = await resolver.resolve("+91 80 6000 1000");
    expect(source).toBe("store");
    expect(bot).toEqual({
      botId: "7",
      name: "Service desk",
      agentId: "agent_service",
      companyName: "Sunrise Motors",
      businessId: "3",
      businessName: "Sunrise Motors",
      firstMessage: "Welcome to Sunrise",
      prompt: undefined,
      language: undefined,
      voiceId: undefined,
      transferNumber: "9876543210",
      fallbackNumber: undefined,
      dynamicVariables: { branch: "Baner", slots: "4" },
    });
  });

  test("a paused assistant, and a row without an agent, get the default agent; the bad row is logged with its column", async () => {
    const logger = capturingLogger();
    const resolver = createBotResolver({ dbs, config: configFor(target, CUSTOM), logger });
    expect(await resolver.resolve("8060002000")).toMatchObject({ source: "default", bot: { botId: "default" } });
    expect(logger.lines.filter((l) => l.level === "error")).toEqual([]);
    expect(await resolver.resolve("8060003000")).toMatchObject({ source: "default", bot: { agentId: "agent_default" } });
    const error = logger.lines.find((l) => l.level === "error");
    expect(String(error?.msg)).toContain("bot row is invalid");
    expect(JSON.stringify(error)).toContain("agent_id");
  });

  test("a query naming a parameter Homebook does not supply is refused when the resolver is built", () => {
    const config = configFor(target, { BOT_DID_QUERY: "SELECT bot_id FROM did_numbers WHERE did = :number" });
    expect(() => createBotResolver({ dbs, config, logger: silentLogger })).toThrow(/BOT_DID_QUERY uses :number.*/);
  });

  test("a query that fails in the database is an error, not a crash: the default agent answers", async () => {
    const config = configFor(target, { BOT_DID_QUERY: "SELECT bot_id FROM no_such_table WHERE did = :did" });
    const logger = capturingLogger();
    const resolver = createBotResolver({ dbs, config, logger });
    expect(await resolver.resolve("8060001000")).toMatchObject({ source: "default" });
    expect(JSON.stringify(logger.lines.find((l) => l.msg === "bot lookup failed"))).toContain("no_such_table");
  });
});

describe("named parameters", () => {
  test("become '?' in order, repeated names included, leaving quotes, comments, '::' and ':=' alone", () => {
    const q = compileNamedQuery(
      "SELECT ':did' AS a, `x:did` , @v := 1, b::text -- :comment\n FROM t WHERE d = :did OR e = :bot_id /* :gone */ OR f = :did",
      ["did", "bot_id"],
      "BOT_CONFIG_QUERY",
    );
    expect(q.sql).toBe("SELECT ':did' AS a, `x:did` , @v := 1, b::text \n FROM t WHERE d = ? OR e = ?  OR f = ?");
    expect(q.names).toEqual(["did", "bot_id", "did"]);
    expect(q.bind({ did: "8060001000", bot_id: "7" })).toEqual(["8060001000", "7", "8060001000"]);
  });
});
