/** `homebook serve`: runs the gateway until SIGTERM or SIGINT. */
import { loadConfig } from "../config/index.ts";
import { createLogger } from "../log/logger.ts";
import { startService } from "../service.ts";
import { createShutdown } from "../drain.ts";
import { HomebookError } from "../base/errors.ts";
import { parseCommandArgs } from "./args.ts";
import { explainStartError } from "./start-errors.ts";

export const usage = `Usage: homebook serve

Runs the gateway: Mcube connects to /ws/{session_id}. Settings come from the environment and .env
(see README). On SIGTERM or SIGINT it drains: new calls are refused, live calls finish (or are
transferred to AGENT_PHONE_NUMBER after DRAIN_TIMEOUT_MS), records are saved, then it exits 0.
A second signal saves unsent call records to OUTBOX_PATH and exits at once.`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs("serve", argv, { help: { type: "boolean", short: "h" } });
  if (values.help) {
    console.log(usage);
    return 0;
  }
  const config = loadConfig();
  const logger = createLogger({ level: config.log.level, file: config.log.file, maxBytes: config.log.maxBytes, files: config.log.files });
  const service = await startService({ config, logger }).catch((err: unknown) => {
    const explained = explainStartError(err, config);
    // The log file says why too (without a stack trace: the cause is an operating-system error, not a bug).
    logger.error("cannot start", { reason: (explained as Error).message, fix: explained instanceof HomebookError ? explained.fix : undefined });
    logger.close();
    throw explained;
  });

  const shutdown = createShutdown({ config, logger, gateway: service });
  process.on("SIGTERM", () => shutdown.onSignal("SIGTERM"));
  process.on("SIGINT", () => shutdown.onSignal("SIGINT"));
  const code = await shutdown.done;
  logger.close();
  return code;
}
