/** The streaming resampler contract every kernel implements. */

/** One direction of one call: filter state carries across `process` calls. */
export interface StreamResampler {
  readonly inputRate: number;
  readonly outputRate: number;
  /**
   * Convert the next piece of the stream. Any chunk size works; feeding 20 ms pieces gives the
   * same samples as feeding one buffer. The returned array belongs to the caller, or is a view of
   * `into` when `into` has room (a per-call scratch: no allocation on the per-frame path).
   */
  process(input: Int16Array, into?: Int16Array): Int16Array;
  /** Forget filter history (barge-in only: never on a timer, it cuts words). */
  reset(): void;
}
