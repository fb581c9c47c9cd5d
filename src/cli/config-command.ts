/** `homebook config`: validates the settings and prints them, secrets shown only as set/unset. */
import { describeSettings, loadConfig } from "../config/index.ts";
import { parseCommandArgs } from "./args.ts";

export const usage = `Usage: homebook config [--json]

Checks every setting from the environment and .env, then prints the effective values.
Secrets are shown only as "set" or "unset". Exits 2 when a setting is invalid.`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs("config", argv, { json: { type: "boolean" }, help: { type: "boolean", short: "h" } });
  if (values.help) {
    console.log(usage);
    return 0;
  }
  loadConfig();
  const settings = describeSettings();
  if (values.json) console.log(JSON.stringify(settings, null, 2));
  else for (const [k, v] of Object.entries(settings)) console.log(`${k}=${v}`);
  return 0;
}
