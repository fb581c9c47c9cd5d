/** The recording file format: a canonical 44-byte header for stereo 16-bit PCM, and a reader that trusts the file's length over a stale header. */
import { HomebookError } from "../base/errors.ts";

export const WAV_HEADER_BYTES = 44;
export const RECORDING_CHANNELS = 2;
const BYTES_PER_FRAME = RECORDING_CHANNELS * 2;

/** The 44-byte header of a stereo 16-bit PCM WAV whose data chunk holds `dataBytes`. */
export function stereoWavHeader(dataBytes: number, sampleRate: number): Uint8Array {
  const out = new Uint8Array(WAV_HEADER_BYTES);
  const view = new DataView(out.buffer);
  const id = (offset: number, text: string) => {
    for (let i = 0; i < 4; i++) out[offset + i] = text.charCodeAt(i);
  };
  id(0, "RIFF");
  view.setUint32(4, 36 + dataBytes, true);
  id(8, "WAVE");
  id(12, "fmt ");
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true); // PCM
  view.setUint16(22, RECORDING_CHANNELS, true);
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * BYTES_PER_FRAME, true);
  view.setUint16(32, BYTES_PER_FRAME, true);
  view.setUint16(34, 16, true);
  id(36, "data");
  view.setUint32(40, dataBytes, true);
  return out;
}

/** Whether `header` is the header this module writes (the only one `headerForLength` rewrites). */
function isOurHeader(header: Uint8Array): boolean {
  if (header.length < WAV_HEADER_BYTES) return false;
  const text = (offset: number) => String.fromCharCode(...header.subarray(offset, offset + 4));
  const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
  return (
    text(0) === "RIFF" && text(8) === "WAVE" && text(12) === "fmt " && text(36) === "data" &&
    view.getUint16(20, true) === 1 && view.getUint16(22, true) === RECORDING_CHANNELS && view.getUint16(34, true) === 16
  );
}

/**
 * The header a recording of `fileBytes` should carry. A file cut short by a crash (or still being
 * written) has sizes from its last patch; the samples actually there are what counts. Headers this
 * module did not write are returned unchanged.
 */
export function headerForLength(header: Uint8Array, fileBytes: number): Uint8Array {
  if (!isOurHeader(header)) return header;
  const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
  const available = Math.max(0, fileBytes - WAV_HEADER_BYTES);
  const dataBytes = available - (available % BYTES_PER_FRAME);
  return stereoWavHeader(dataBytes, view.getUint32(24, true));
}

export interface StereoRecording {
  sampleRate: number;
  left: Int16Array;
  right: Int16Array;
  /** The data size the header declared (stale after a crash). */
  declaredBytes: number;
}

/** Reads a recording, taking every whole frame present even when the header declares fewer or more. */
export function readStereoWav(bytes: Uint8Array): StereoRecording {
  if (!isOurHeader(bytes)) {
    throw new HomebookError("invalid_input", "not a Homebook recording: expected a 44-byte stereo 16-bit PCM WAV header");
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const frames = Math.floor((bytes.length - WAV_HEADER_BYTES) / BYTES_PER_FRAME);
  const left = new Int16Array(frames);
  const right = new Int16Array(frames);
  for (let i = 0, offset = WAV_HEADER_BYTES; i < frames; i++, offset += BYTES_PER_FRAME) {
    left[i] = view.getInt16(offset, true);
    right[i] = view.getInt16(offset + 2, true);
  }
  return { sampleRate: view.getUint32(24, true), left, right, declaredBytes: view.getUint32(40, true) };
}
