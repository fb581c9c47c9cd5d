/** Builds dist/homebook: one executable with the runtime, the code and the assets inside. */
import { rmSync } from "node:fs";

rmSync("dist", { recursive: true, force: true });
const result = await Bun.build({
  entrypoints: ["src/main.ts"],
  compile: { outfile: "dist/homebook" },
  // Each dynamic import() becomes its own chunk inside the binary, loaded when first imported: a configuration
  // that needs no MySQL, ElevenLabs SDK, cluster, webhook or offline agent does not hold their code in memory.
  splitting: true,
  format: "esm",
  minify: true,
  bytecode: true,
  sourcemap: "linked",
  target: "bun",
});
if (!result.success) {
  for (const log of result.logs) console.error(log);
  process.exit(1);
}
console.log("built dist/homebook");
