/** General rational-ratio polyphase FIR resampler (8 or 16 kHz ↔ 22.05/24/44.1/48 kHz, and between those). */

import { designLowpass, kaiserLength, KAISER_BETA, resamplingBand, STOPBAND_DB, toInt16 } from "./filter-design.ts";
import { BlockResampler, INITIAL_BLOCK_SAMPLES } from "./block-resampler.ts";
import { SampleBuffer } from "./sample-buffer.ts";

export interface PolyphaseTable {
  readonly inputRate: number;
  readonly outputRate: number;
  /** Interpolation factor L and decimation factor M: output rate = input rate · L / M. */
  readonly up: number;
  readonly down: number;
  /** Taps per phase. */
  readonly tapsPerPhase: number;
  /** up × tapsPerPhase coefficients, phase-major, oldest input first within a phase. */
  readonly coefficients: Float64Array;
  /** Prototype filter (for design checks), at rate inputRate · up. */
  readonly prototype: Float64Array;
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

const tables = new Map<string, PolyphaseTable>();

/** Build (once per rate pair, then cached) the polyphase coefficient table. */
export function polyphaseTable(inputRate: number, outputRate: number): PolyphaseTable {
  const key = `${inputRate}:${outputRate}`;
  const cached = tables.get(key);
  if (cached) return cached;
  const g = gcd(inputRate, outputRate);
  const up = outputRate / g;
  const down = inputRate / g;
  const prototypeRate = inputRate * up;
  const { passbandHz, stopbandHz } = resamplingBand(inputRate, outputRate);
  // Rounded up to a multiple of 4 so the inner loop can run four taps per step.
  const tapsPerPhase = 4 * Math.ceil(kaiserLength(STOPBAND_DB, stopbandHz - passbandHz, prototypeRate) / up / 4);
  const length = tapsPerPhase * up;
  const prototype = designLowpass({
    sampleRate: prototypeRate,
    cutoffHz: (passbandHz + stopbandHz) / 2,
    length,
    beta: KAISER_BETA,
    gain: up,
  });
  // Phase p holds prototype taps p, p+L, p+2L, …; stored reversed so the inner loop walks
  // coefficients and input forward together.
  const coefficients = new Float64Array(length);
  for (let p = 0; p < up; p++) {
    for (let k = 0; k < tapsPerPhase; k++) coefficients[p * tapsPerPhase + (tapsPerPhase - 1 - k)] = prototype[p + k * up]!;
  }
  const table: PolyphaseTable = { inputRate, outputRate, up, down, tapsPerPhase, coefficients, prototype };
  tables.set(key, table);
  return table;
}

export class PolyphaseResampler extends BlockResampler {
  readonly inputRate: number;
  readonly outputRate: number;
  private readonly table: PolyphaseTable;
  private readonly stepWhole: number;
  private readonly stepFraction: number;
  private readonly buffer: SampleBuffer;
  /** Buffer index of the newest input sample the next output uses. */
  private position = 0;
  /** Polyphase branch of the next output (0 … up − 1). */
  private phase = 0;

  constructor(table: PolyphaseTable) {
    super();
    this.table = table;
    this.inputRate = table.inputRate;
    this.outputRate = table.outputRate;
    this.stepWhole = Math.floor(table.down / table.up);
    this.stepFraction = table.down % table.up;
    this.buffer = new SampleBuffer(table.tapsPerPhase - 1, INITIAL_BLOCK_SAMPLES);
    this.reset();
  }

  reset(): void {
    this.buffer.clear();
    this.position = this.buffer.history;
    this.phase = 0;
  }

  protected outputCount(inputLength: number): number {
    const { up, down } = this.table;
    // Outputs n ≥ 0 whose newest input, position + ⌊(phase + n·down) / up⌋, has arrived.
    const available = this.buffer.filled + inputLength - 1 - this.position;
    return available < 0 ? 0 : Math.floor(((available + 1) * up - this.phase + down - 1) / down);
  }

  protected filterBlock(input: Int16Array, output: Int16Array, offset: number): number {
    const { up, tapsPerPhase, coefficients } = this.table;
    const count = this.outputCount(input.length);
    const buffer = this.buffer.append(input);
    const filled = this.buffer.filled;
    let position = this.position;
    let phase = this.phase;
    const stepWhole = this.stepWhole;
    const stepFraction = this.stepFraction;
    for (let n = offset; n < offset + count; n++) {
      const start = position - tapsPerPhase + 1;
      const offset = phase * tapsPerPhase;
      let sum0 = 0;
      let sum1 = 0;
      for (let k = 0, c = offset, x = start; k < tapsPerPhase; k += 4, c += 4, x += 4) {
        sum0 += coefficients[c]! * buffer[x]! + coefficients[c + 2]! * buffer[x + 2]!;
        sum1 += coefficients[c + 1]! * buffer[x + 1]! + coefficients[c + 3]! * buffer[x + 3]!;
      }
      output[n] = toInt16(sum0 + sum1);
      position += stepWhole;
      phase += stepFraction;
      if (phase >= up) {
        phase -= up;
        position++;
      }
    }
    // Keep only the history the next output needs.
    const keepFrom = Math.min(position - tapsPerPhase + 1, filled);
    this.buffer.discard(keepFrom);
    this.position = position - keepFrom;
    this.phase = phase;
    return offset + count;
  }
}
