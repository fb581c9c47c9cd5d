/** Checks a conversation_initiation_client_data frame the way the service does: overrides and dynamic variables. */
import { overridePaths } from "../agent/elevenlabs-protocol.ts";

export interface InitRules {
  /** Enabled override paths ("agent.first_message", "tts.voice_id" …); undefined = everything allowed. */
  allowedOverrides?: string[];
  requiredDynamicVariables?: string[];
}

export type InitVerdict = { ok: true } | { ok: false; errorType: "override_error" | "missing_dynamic_variable"; message: string };


function isAllowed(path: string, allowed: readonly string[]): boolean {
  return allowed.some((a) => path === a || path.startsWith(`${a}.`));
}

/** The first rule the init frame breaks, or ok. A null init (client sent none) only fails required variables. */
export function validateInit(init: any, rules: InitRules): InitVerdict {
  const overrides = overridePaths(init?.conversation_config_override);
  if (rules.allowedOverrides) {
    const refused = overrides.find((p) => !isAllowed(p, rules.allowedOverrides!));
    if (refused) return { ok: false, errorType: "override_error", message: `Override for field '${refused}' is not allowed by config.` };
  }
  const variables: Record<string, unknown> = init?.dynamic_variables ?? {};
  const missing = (rules.requiredDynamicVariables ?? []).filter((name) => variables[name] === undefined);
  if (missing.length > 0) {
    return { ok: false, errorType: "missing_dynamic_variable", message: `Missing required dynamic variables: ${missing.join(", ")}` };
  }
  return { ok: true };
}

/** The first_message override: a string when the client set one ("" = the agent waits for the user). */
export function firstMessageOverride(init: any): string | undefined {
  const value = init?.conversation_config_override?.agent?.first_message;
  return typeof value === "string" ? value : undefined;
}
