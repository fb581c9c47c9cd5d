/** GET /calls/{id}/recording: a call's stereo WAV for operators (bearer token or console session), with Range requests for seeking. */
import type { RecordingFiles } from "../recording/recordings.ts";
import { headerForLength, WAV_HEADER_BYTES } from "../recording/stereo-wav.ts";
import type { RouteMount } from "../http/app.ts";
import { isOperator, type ConsoleSessions } from "./console-session.ts";

export interface RecordingRouteOptions {
  files: RecordingFiles;
  /** ADMIN_TOKEN; unset answers 503 as the rest of the admin API does. */
  adminToken?: string;
  sessions?: ConsoleSessions;
}

/** A satisfiable byte range [start, end] (inclusive), "none" for a whole answer, or "unsatisfiable" (416). */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | "none" | "unsatisfiable" {
  const match = /^bytes=(\d*)-(\d*)$/.exec(header?.trim() ?? "");
  if (!match || (match[1] === "" && match[2] === "")) return "none"; // absent, multiple ranges or malformed: the whole file
  if (match[1] === "") {
    const suffix = Number(match[2]);
    return suffix === 0 || size === 0 ? "unsatisfiable" : { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(match[1]);
  const end = match[2] === "" ? size - 1 : Math.min(Number(match[2]), size - 1);
  return start >= size || end < start ? "unsatisfiable" : { start, end };
}

/** The bytes [start, end] of a recording, its header rewritten for the samples actually in the file. */
function recordingBody(path: string, size: number, start: number, end: number): ReadableStream<Uint8Array> {
  const file = Bun.file(path);
  return new ReadableStream<Uint8Array>({
    async start(controller) {
      try {
        if (start < WAV_HEADER_BYTES) {
          const header = headerForLength(await file.slice(0, WAV_HEADER_BYTES).bytes(), size);
          controller.enqueue(header.subarray(start, Math.min(end + 1, WAV_HEADER_BYTES)));
        }
        if (end >= WAV_HEADER_BYTES) {
          for await (const chunk of file.slice(Math.max(start, WAV_HEADER_BYTES), end + 1).stream()) controller.enqueue(chunk);
        }
        controller.close();
      } catch (err) {
        controller.error(err);
      }
    },
  });
}

/** Mounts GET /calls/:sessionId/recording. Customer audio: never cached, never logged. */
export function recordingRoute({ files, adminToken, sessions }: RecordingRouteOptions): RouteMount {
  return (app) => {
    app.get("/calls/:sessionId/recording", async (c) => {
      if (!adminToken || !sessions) {
        return c.json({ error: "the admin API is off: set ADMIN_TOKEN (16+ characters, e.g. `openssl rand -hex 16`) and restart" }, 503);
      }
      if (!isOperator(c, adminToken, sessions)) {
        c.header("WWW-Authenticate", 'Bearer realm="homebook"');
        return c.json({ error: "unauthorized: send Authorization: Bearer <ADMIN_TOKEN>, or sign in to /console" }, 401);
      }
      const sessionId = c.req.param("sessionId");
      const found = await files.find(sessionId);
      if (!found) return c.json({ error: "no recording for this call (not recorded, or deleted after RECORDING_RETENTION_DAYS)" }, 404);
      const { path, bytes: size } = found;
      const headers: Record<string, string> = {
        "content-type": "audio/wav",
        "accept-ranges": "bytes",
        "cache-control": "private, no-store",
        "content-disposition": `inline; filename="${sessionId}.wav"`,
      };
      const range = parseRange(c.req.header("range"), size);
      if (range === "unsatisfiable") return c.body(null, 416, { ...headers, "content-range": `bytes */${size}` });
      const { start, end } = range === "none" ? { start: 0, end: size - 1 } : range;
      headers["content-length"] = String(end - start + 1);
      if (range !== "none") headers["content-range"] = `bytes ${start}-${end}/${size}`;
      return c.body(recordingBody(path, size, start, end), range === "none" ? 200 : 206, headers);
    });
  };
}
