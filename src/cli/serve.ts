/** `homebook serve`: runs the gateway until SIGTERM or SIGINT. */
import { loadConfig } from "../config/index.ts";
import { createLogger } from "../log/logger.ts";
import { startGateway } from "../gateway.ts";
import { parseCommandArgs } from "./args.ts";

export const usage = `Usage: homebook serve

Runs the gateway: Mcube connects to /ws/{session_id}. Settings come from the environment and .env
(see README). Stops cleanly on SIGTERM or SIGINT.`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs("serve", argv, { help: { type: "boolean", short: "h" } });
  if (values.help) {
    console.log(usage);
    return 0;
  }
  const config = loadConfig();
  const logger = createLogger({ level: config.log.level, file: config.log.file, maxBytes: config.log.maxBytes, files: config.log.files });
  if (!config.elevenlabs.apiKey) {
    logger.warn("ELEVENLABS_API_KEY is not set: agents are reached without a signed URL (public agents only)");
  }
  const gateway = await startGateway({ config, logger });

  return new Promise<number>((resolve) => {
    let stopping = false;
    const stop = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      logger.info("stopping", { signal });
      await gateway.stop();
      logger.info("stopped");
      logger.close();
      resolve(0);
    };
    process.on("SIGTERM", () => void stop("SIGTERM"));
    process.on("SIGINT", () => void stop("SIGINT"));
  });
}
