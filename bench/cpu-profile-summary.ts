/**
 * Summarizes a `bun --cpu-prof` profile (e.g. from `bun bench/bridge.ts --profile`) by sample
 * counts: the hottest functions, and the samples grouped by what they were doing (frame
 * validation, metrics, base64, audio, the WebSocket send …).
 *
 *   bun bench/cpu-profile-summary.ts bench/out/profiles/homebook-ulaw_8000-100-r1/*.cpuprofile [fromS] [toS]
 *
 * fromS/toS keep only samples taken that many seconds into the profile (the measured window).
 */
export {};

const [file, fromS = "0", toS = "1e9"] = process.argv.slice(2);
if (!file) {
  console.error("usage: bun bench/cpu-profile-summary.ts <file.cpuprofile> [fromS] [toS]");
  process.exit(2);
}

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
const profile = JSON.parse(await Bun.file(file).text()) as { nodes: ProfileNode[]; startTime: number; samples: number[]; timeDeltas: number[] };
const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
const parents = new Map<number, number>();
for (const n of profile.nodes) for (const child of n.children ?? []) parents.set(child, n.id);

/** First matching group, by the innermost frame of the stack that matches one. */
const GROUPS: [string, (f: CallFrame) => boolean][] = [
  ["zod (frame validation)", (f) => f.url.includes("node_modules/zod")],
  ["src/metrics", (f) => f.url.includes("src/metrics") || f.url.includes("prom-client")],
  ["src/audio (transcoding, frame buffer)", (f) => f.url.includes("src/audio/")],
  ["src/log", (f) => f.url.includes("src/log/")],
  ["src/store (records)", (f) => f.url.includes("src/store/")],
  ["hono, src/http", (f) => f.url.includes("hono") || f.url.includes("src/http/")],
  ["@elevenlabs/elevenlabs-js", (f) => f.url.includes("elevenlabs-js")],
];
/** Native leaves by name (no URL). */
const NATIVE: Record<string, string> = {
  send: "WebSocket send (native, with its write)",
  parse: "JSON.parse",
  stringify: "JSON.stringify",
  Buffer: "Buffer / base64",
  toString: "Buffer / base64",
  "get buffer": "Buffer / base64",
  subarray: "Buffer / base64",
  heapStats: "heapStats",
  toBase64: "Buffer / base64",
  setFromBase64: "Buffer / base64",
  fromBase64: "Buffer / base64",
};

const groups = new Map<string, number>();
const hot = new Map<string, number>();
const label = (f: CallFrame) => `${f.functionName || "(anonymous)"} ${f.url.replace(/^.*\/(src|node_modules|bench)\//, "$1/")}${f.url ? `:${f.lineNumber + 1}` : ""}`;
let atUs = profile.startTime;
let counted = 0;
for (let i = 0; i < profile.samples.length; i++) {
  atUs += profile.timeDeltas[i]!;
  const seconds = (atUs - profile.startTime) / 1e6;
  if (seconds < Number(fromS) || seconds > Number(toS)) continue;
  counted++;
  const stack: CallFrame[] = [];
  for (let id: number | undefined = profile.samples[i]; id !== undefined; id = parents.get(id)) stack.push(nodes.get(id)!.callFrame);
  const leaf = stack[0]!;
  hot.set(label(leaf), (hot.get(label(leaf)) ?? 0) + 1);
  let group = leaf.url ? undefined : NATIVE[leaf.functionName];
  for (const frame of stack) {
    if (group) break;
    group = GROUPS.find(([, test]) => test(frame))?.[0];
  }
  group ??= stack.some((f) => f.url.includes("/src/")) ? "other src/ code" : `other: ${leaf.functionName || "(anonymous)"}`;
  groups.set(group, (groups.get(group) ?? 0) + 1);
}

const show = (title: string, counts: Map<string, number>, top: number) => {
  console.log(`\n${title}`);
  for (const [name, n] of [...counts].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${((n / counted) * 100).toFixed(1).padStart(6)}%  ${name}`);
};
console.log(`${counted} samples between ${fromS} s and ${toS} s`);
show("by what the code was doing", groups, 14);
show("hottest functions (self)", hot, 15);
