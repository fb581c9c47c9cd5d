/** `homebook agent`: runs the fake ElevenLabs Agents server standalone (echo or scripted persona). */
import { AGENT_AUDIO_FORMATS, parseAgentAudioFormat, type AgentAudioFormat } from "../audio/agent-format.ts";
import { UsageError } from "../base/errors.ts";
import { createLogger } from "../log/logger.ts";
import { startFakeAgentServer } from "../sim/fake-agent-server.ts";
import { parseCommandArgs } from "./args.ts";

export const usage = `Usage: homebook agent [--port 7901] [--input-format pcm_16000] [--output-format pcm_16000]
                      [--persona echo|scripted] [--api-key KEY] [--log-level info|debug]

Runs a fake ElevenLabs Agents server on 127.0.0.1, speaking the same WebSocket protocol and
signed-URL REST endpoint as the real service (and answering GET agent for 'homebook check-agent'), as strictly: a conversation starts only on the client's
conversation_initiation_client_data (none within 5 s: error 1008), a bad signature is refused at the
upgrade (401/403). Point Homebook (or any client) at it:
  ELEVENLABS_BASE_URL=http://127.0.0.1:7901 [ELEVENLABS_API_KEY=KEY] homebook serve

  --port            listen port (0 picks a free one; the URL is printed)      default 7901
  --input-format    user_input_audio_format it announces                      default pcm_16000
  --output-format   agent_output_audio_format it announces                    default pcm_16000
  --persona         echo: greets, repeats the caller, # ends, 0 transfers     default echo
                    scripted: says a 1.5 s tone greeting, then stays quiet
  --api-key         require this xi-api-key for signed URLs (private agent)
Formats: ${AGENT_AUDIO_FORMATS.join(", ")}. Stops on SIGINT or SIGTERM.`;

function format(name: string | undefined, option: string): AgentAudioFormat {
  if (name === undefined) return "pcm_16000";
  const info = parseAgentAudioFormat(name);
  if (!info) throw new UsageError(`agent: --${option} ${name} is not an agent audio format`, `use one of ${AGENT_AUDIO_FORMATS.join(", ")}`);
  return info.format;
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs("agent", argv, {
    port: { type: "string" },
    "input-format": { type: "string" },
    "output-format": { type: "string" },
    persona: { type: "string" },
    "api-key": { type: "string" },
    "log-level": { type: "string" },
    help: { type: "boolean", short: "h" },
  });
  if (values.help) {
    console.log(usage);
    return 0;
  }
  const port = Number(values.port ?? "7901");
  if (!/^\d+$/.test(values.port ?? "7901") || port > 65535) throw new UsageError(`agent: --port ${JSON.stringify(values.port)} is not a port number`, "use 0–65535");
  const persona = values.persona ?? "echo";
  if (persona !== "echo" && persona !== "scripted") throw new UsageError(`agent: --persona ${persona} is unknown`, "use echo or scripted");
  const level = values["log-level"] ?? "info";
  if (level !== "info" && level !== "debug") throw new UsageError(`agent: --log-level ${level} is unknown`, "use info or debug");
  const logger = createLogger({ level, stdout: "pretty" });
  const server = await startFakeAgentServer({
    port,
    persona,
    inputFormat: format(values["input-format"], "input-format"),
    outputFormat: format(values["output-format"], "output-format"),
    apiKey: values["api-key"],
    logger,
  });
  console.log(`agent listening on ${server.baseUrl}`);
  console.log(`use it: ELEVENLABS_BASE_URL=${server.baseUrl}${values["api-key"] ? " ELEVENLABS_API_KEY=<the key>" : ""} homebook serve`);

  return new Promise<number>((resolve) => {
    const stop = async () => {
      await server.stop();
      logger.close();
      resolve(0);
    };
    process.once("SIGINT", () => void stop());
    process.once("SIGTERM", () => void stop());
  });
}
