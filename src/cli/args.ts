/** Strict option parsing for subcommands: unknown or malformed options become a UsageError. */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { UsageError } from "../base/errors.ts";

type Options = NonNullable<ParseArgsConfig["options"]>;

/**
 * Parses `argv` against `options`; `command` names the subcommand in error messages.
 * @example parseCommandArgs("bots add", argv, { did: { type: "string" } })
 */
export function parseCommandArgs<O extends Options>(command: string, argv: string[], options: O, allowPositionals = false) {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals });
  } catch (err) {
    throw new UsageError(`${command}: ${oneLine((err as Error).message)}`, `run 'homebook ${command} --help' for the options`);
  }
}

/** node:util's messages in one short line: "--port needs a value" instead of three lines about ambiguity. */
function oneLine(message: string): string {
  const valueless = /^Option '(?:-\w, )?(--?[^ ',]+)[^']*' argument (missing|is ambiguous)/.exec(message);
  if (valueless) {
    const [, option, kind] = valueless;
    return kind === "missing" ? `${option} needs a value` : `${option} needs a value (for one that starts with '-', write ${option}=-VALUE)`;
  }
  return message.replace(/\. To specify a positional argument.*$/s, "").replace(/\n.*$/s, "");
}

/** Reads a required string option or throws a UsageError naming it. */
export function requireOption(command: string, values: Record<string, unknown>, name: string): string {
  const value = values[name];
  if (typeof value !== "string" || value.trim() === "") {
    throw new UsageError(`${command}: --${name} is required`, `run 'homebook ${command} --help' for the options`);
  }
  return value.trim();
}
