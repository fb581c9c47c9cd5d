/** `homebook config`: validates the settings and prints them, secrets shown only as set/unset. */
import { describeSettings, loadConfig, wantsOfflineAgent, type Config } from "../config/index.ts";
import { parseCommandArgs } from "./args.ts";
import { describeRedisUrl } from "../cluster/redis-url.ts";

export const usage = `Usage: homebook config [--json]

Checks every setting from the environment and .env, then prints the effective values.
Secrets are shown only as "set" or "unset". Exits 2 when a setting is invalid.`;

function agentMode(config: Config): string {
  if (wantsOfflineAgent(config)) return "the built-in offline echo agent (ELEVENLABS_API_KEY and ELEVENLABS_BASE_URL are unset)";
  const how = config.elevenlabs.apiKey ? "signed URLs" : "public agents, no key";
  return `ElevenLabs at ${config.elevenlabs.baseUrl} (${how})`;
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs("config", argv, { json: { type: "boolean" }, help: { type: "boolean", short: "h" } });
  if (values.help) {
    console.log(usage);
    return 0;
  }
  const config = loadConfig();
  const settings = describeSettings();
  if (values.json) {
    console.log(JSON.stringify(settings, null, 2));
    return 0;
  }
  for (const [k, v] of Object.entries(settings)) console.log(`${k}=${v}`);
  console.log(`# calls go to: ${agentMode(config)}`);
  console.log(`# bots and call records: ${config.database.kind === "mysql" ? `MySQL at ${config.database.host}:${config.database.port}` : `SQLite file ${config.database.sqlitePath}`}`);
  const { redisUrl } = config.cluster;
  const { instanceId } = config;
  console.log(`# cluster: ${redisUrl ? `Redis at ${describeRedisUrl(redisUrl)}, this gateway is ${instanceId}` : "off (REDIS_URL unset): this gateway counts its connections alone"}`);
  return 0;
}
