/**
 * fast-check arbitraries that break JSON frames the ways a peer might: fields of the wrong type,
 * missing or extra fields, huge numbers, giant strings, deep nesting, text that is not JSON at all.
 */
import fc from "fast-check";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Nested arrays and objects `depth` levels deep (JSON.parse and the parsers must survive them). */
export function nested(depth: number, leaf: Json = 0): Json {
  let value: Json = leaf;
  for (let i = 0; i < depth; i++) value = i % 2 === 0 ? [value] : { k: value };
  return value;
}

/** A string of `length` ASCII characters (within MCUBE_MAX_FRAME_BYTES when length is). */
export const giantString = (maxLength: number): fc.Arbitrary<string> =>
  fc.tuple(fc.integer({ min: 1000, max: maxLength }), fc.constantFrom("x", "A", "0", " ", "\u0000", '"')).map(([n, ch]) => ch.repeat(Math.floor(n / ch.length)));

/** Values of every JSON kind, biased to the ones parsers get wrong; none over a few kilobytes. */
export const smallJunkValue: fc.Arbitrary<Json> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom<Json>(null, true, false, 0, -1, 1e308, -1e308, 2 ** 53 + 1, 4.2, "", "0", "12", "NaN", "Infinity", "1e400", "-", [], {}, [[]], { "": null }) },
  { weight: 2, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.double({ noNaN: true, noDefaultInfinity: true }) },
  { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 24 }) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json> },
  { weight: 1, arbitrary: fc.integer({ min: 50, max: 3000 }).map((depth) => nested(depth)) },
);

/** `smallJunkValue`, or now and then a giant string. */
export const junkValue: fc.Arbitrary<Json> = fc.oneof({ weight: 9, arbitrary: smallJunkValue }, { weight: 1, arbitrary: giantString(20_000) });

/** Every path (keys from the root) to a value inside `value`. */
function pathsOf(value: Json, prefix: (string | number)[] = [], out: (string | number)[][] = [], depth = 0): (string | number)[][] {
  if (depth > 8 || value === null || typeof value !== "object") return out;
  const keys: (string | number)[] = Array.isArray(value) ? value.map((_, i) => i) : Object.keys(value);
  for (const key of keys) {
    const path = [...prefix, key];
    out.push(path);
    pathsOf((value as Record<string | number, Json>)[key]!, path, out, depth + 1);
  }
  return out;
}

type MutationKind = "delete" | "replace" | "wrap" | "stringify" | "add";

interface Mutation {
  kind: MutationKind;
  pathIndex: number;
  key: string;
  value: Json;
}

function apply(frame: Json, mutation: Mutation): Json {
  const paths = pathsOf(frame);
  if (mutation.kind === "add" || paths.length === 0) {
    if (frame !== null && typeof frame === "object" && !Array.isArray(frame)) setOwn(frame, mutation.key, mutation.value);
    return frame;
  }
  const path = paths[mutation.pathIndex % paths.length]!;
  let parent = frame as Record<string | number, Json>;
  for (const key of path.slice(0, -1)) parent = parent[key] as Record<string | number, Json>;
  const last = path.at(-1)!;
  const old = parent[last]!;
  if (mutation.kind === "delete") {
    if (Array.isArray(parent)) parent.splice(last as number, 1);
    else delete parent[last];
  } else setOwn(parent, last, mutation.kind === "replace" ? mutation.value : mutation.kind === "wrap" ? [old] : JSON.stringify(old));
  return frame;
}

/** An own, enumerable property even for keys like "__proto__" (plain assignment would change the prototype). */
function setOwn(target: object, key: string | number, value: Json): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

const mutation: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.constantFrom<MutationKind>("delete", "replace", "replace", "replace", "wrap", "stringify", "add"),
  pathIndex: fc.nat(),
  key: fc.oneof(fc.constantFrom("event", "type", "media", "payload", "__proto__", "constructor", ""), fc.string({ maxLength: 8 })),
  value: junkValue,
});

/** `frame` with one to three mutations (a fresh copy each time). */
export function mutated(frame: object): fc.Arbitrary<Json> {
  return fc.array(mutation, { minLength: 1, maxLength: 3 }).map((mutations) => mutations.reduce(apply, structuredClone(frame) as Json));
}

/** Text that is not one JSON object: random text, broken JSON, JSON of another kind, deep nesting, binary-as-text. */
export const notAnObject: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: "binary", maxLength: 200 }),
  fc.string({ unit: "grapheme", maxLength: 200 }),
  fc.constantFrom("", " ", "{", "}", "{}}", '{"event":', "null", "[]", "0", '"start"', "true", "\uFEFF{}", "{\u0000}"),
  fc.jsonValue({ maxDepth: 2 }).filter((v) => v === null || typeof v !== "object" || Array.isArray(v)).map((v) => JSON.stringify(v)),
  fc.integer({ min: 100, max: 100_000 }).map((depth) => "[".repeat(depth) + "]".repeat(depth)),
  fc.integer({ min: 100, max: 100_000 }).map((depth) => '{"a":'.repeat(depth) + "0" + "}".repeat(depth)),
  fc.uint8Array({ maxLength: 200 }).map((bytes) => new TextDecoder().decode(bytes)),
);
