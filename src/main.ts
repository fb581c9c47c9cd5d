#!/usr/bin/env bun
/** Homebook's command-line entry: dispatches each subcommand to its own module. */
import { ConfigError } from "./config/index.ts";
import { HomebookError, UsageError } from "./base/errors.ts";
import { VERSION } from "./base/version.ts";

interface Command {
  summary: string;
  load: () => Promise<{ run(argv: string[]): Promise<number> }>;
}

/** One line per subcommand; each lives in src/cli/. */
const COMMANDS: Record<string, Command> = {
  serve: { summary: "run the gateway (the default)", load: () => import("./cli/serve.ts") },
  config: { summary: "check the settings and print them (secrets hidden)", load: () => import("./cli/config-command.ts") },
  bots: { summary: "add, update, list or remove the bots that answer DIDs", load: () => import("./cli/bots.ts") },
  did: { summary: "assign, list or remove the DIDs each bot answers", load: () => import("./cli/did.ts") },
  db: { summary: "create and migrate the bot store (db migrate)", load: () => import("./cli/db.ts") },
  outbound: { summary: "place outbound calls from a CSV through Mcube (resumable)", load: () => import("./cli/outbound.ts") },
  call: { summary: "place one simulated Mcube call and print its timeline", load: () => import("./cli/call.ts") },
  "check-agent": { summary: "check each ElevenLabs agent is set up as Homebook needs (REST)", load: () => import("./cli/check-agent.ts") },
  agent: { summary: "run the fake ElevenLabs agent server (echo or scripted)", load: () => import("./cli/agent.ts") },
  webhook: { summary: "send a signed sample post-call webhook and show the answer (webhook test)", load: () => import("./cli/webhook.ts") },
};

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return `Homebook ${VERSION}: Mcube phone calls answered by ElevenLabs Agents.

Usage: homebook [command] [options]

Commands:
${lines.join("\n")}

Options:
  -h, --help     show this help (or 'homebook <command> --help')
  -v, --version  print the version`;
}

async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === "--help" || first === "-h" || first === "help") {
    console.log(usage());
    return 0;
  }
  if (first === "--version" || first === "-v" || first === "version") {
    console.log(VERSION);
    return 0;
  }
  const name = first === undefined || first.startsWith("-") ? "serve" : first;
  const command = COMMANDS[name];
  if (!command) {
    console.error(`homebook: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  const args = name === first ? rest : argv;
  try {
    return await (await command.load()).run(args);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      return 2;
    }
    if (err instanceof UsageError || (err instanceof HomebookError && err.code === "config")) {
      console.error(`homebook: ${err.message}${err.fix ? `\n${err.fix}` : ""}`);
      return 2;
    }
    console.error(`homebook: ${(err as Error).message ?? String(err)}`);
    return 1;
  }
}

// Commands end when their work is done (serve when it has stopped); do not wait on idle handles.
void main(process.argv.slice(2)).then((code) => process.exit(code));
