/** What the Live table shows of each call, on one gateway and across a cluster. */
import { expect, test } from "bun:test";
import type { LiveCall } from "../../src/call/call-record.ts";
import { liveSnapshot } from "../../src/console/live-page.tsx";

const NOW = Date.UTC(2026, 0, 15, 10, 0, 0);

function live(sessionId: string, fields: Partial<LiveCall> = {}): LiveCall {
  return { sessionId, startedAt: NOW - 65_000, framesIn: 0, framesOut: 0, interruptions: 0, state: "live", transcript: [], ...fields };
}

test("each call's row: DID in its 10 digits, duration, the latest line shortened, whether the agent speaks, added latency", () => {
  const snapshot = liveSnapshot(
    [
      live("b", { startedAt: NOW - 5000 }),
      live("a", {
        did: "+91 80 4000 1234",
        botId: "sales",
        agentSpeaking: true,
        addedLatencyMs: { uplink: 0.42, downlink: 3.1 },
        transcript: [{ role: "user", text: "x".repeat(200), offsetMs: 1000 }],
      }),
    ],
    NOW,
    false,
  );
  expect(snapshot.rows.map((r) => r.sessionId)).toEqual(["a", "b"]); // oldest call first
  expect(snapshot.rows[0]!.cells).toEqual(["a", "8040001234", "sales", "live", "1:05", `Caller: ${"x".repeat(119)}…`, "Speaking", "up 0.4 ms, down 3.1 ms"]);
  expect(snapshot.rows[1]!.cells.slice(4)).toEqual(["0:05", "", "", ""]); // nothing measured yet: empty, not made up
  expect(snapshot.summary).toBe("2 live calls");
});

test("across a cluster every call shows the gateway instance that holds it", () => {
  const snapshot = liveSnapshot([live("a", { instance: "gw-1:7900" }), live("b", { instance: "gw-2:7900", agentSpeaking: false })], NOW, true);
  expect(snapshot.columns.at(-1)).toBe("Instance");
  expect(snapshot.rows.map((r) => [r.cells.at(-1), r.cells[6]])).toEqual([
    ["gw-1:7900", ""],
    ["gw-2:7900", "Listening"],
  ]);
});
