/** 16-bit little-endian PCM bytes ⇄ Int16Array samples, independent of host byte order. */

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** View (little-endian host) or copy samples as PCM16LE bytes. The bytes share the samples' memory when possible. */
export function pcm16ToBytes(samples: Int16Array): Uint8Array {
  if (LITTLE_ENDIAN_HOST) return new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength);
  const bytes = new Uint8Array(samples.length * 2);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < samples.length; i++) view.setInt16(i * 2, samples[i]!, true);
  return bytes;
}

/**
 * Read `count` PCM16LE samples from `bytes` starting at `byteOffset` into `output`
 * (any alignment; no allocation).
 */
export function bytesToPcm16(bytes: Uint8Array, byteOffset: number, count: number, output: Int16Array): Int16Array {
  for (let i = 0, b = byteOffset; i < count; i++, b += 2) output[i] = ((bytes[b]! | (bytes[b + 1]! << 8)) << 16) >> 16;
  return output;
}
