// Latency histograms (HDR, microseconds, 3 significant digits) and their transport between
// threads as compressed base64.
import type { Histogram } from 'hdr-histogram-js';
import { build, decodeFromCompressedBase64, encodeIntoCompressedBase64 } from 'hdr-histogram-js';

/** A fresh latency histogram in microseconds. */
export function newHistogram(): Histogram {
  return build({ lowestDiscernibleValue: 1, numberOfSignificantValueDigits: 3, autoResize: true });
}

/** Serialises a histogram to post it to another thread. */
export function encodeHistogram(h: Histogram): string {
  return encodeIntoCompressedBase64(h);
}

/** Adds an encoded histogram into `into`. */
export function mergeHistogram(into: Histogram, encoded: string): void {
  if (encoded === '') return;
  into.add(decodeFromCompressedBase64(encoded));
}

/** Percentiles of a histogram, in milliseconds (undefined when it is empty). */
export interface LatencySummary {
  count: number;
  min: number;
  mean: number;
  p50: number;
  p99: number;
  p999: number;
  max: number;
}

/** Summary in milliseconds. */
export function summarize(h: Histogram): LatencySummary | undefined {
  if (h.totalCount === 0) return undefined;
  const ms = (us: number): number => Math.round(us) / 1000;
  return {
    count: h.totalCount,
    min: ms(h.minNonZeroValue),
    mean: ms(h.mean),
    p50: ms(h.getValueAtPercentile(50)),
    p99: ms(h.getValueAtPercentile(99)),
    p999: ms(h.getValueAtPercentile(99.9)),
    max: ms(h.maxValue),
  };
}

/**
 * Records latency samples into a histogram, collapsing runs of equal values: messages of one
 * batch read in one chunk share a latency, so most samples cost one comparison.
 */
export class RunRecorder {
  readonly histogram: Histogram = newHistogram();
  private value = -1;
  private count = 0;

  /** Adds one sample (µs). */
  record(us: number): void {
    if (us === this.value) this.count++;
    else {
      if (this.count > 0) this.histogram.recordValueWithCount(this.value, this.count);
      this.value = us;
      this.count = 1;
    }
  }

  /** Adds the pending run; returns the histogram's encoding, '' when it is empty. */
  encode(): string {
    if (this.count > 0) this.histogram.recordValueWithCount(this.value, this.count);
    this.count = 0;
    this.value = -1;
    return this.histogram.totalCount > 0 ? encodeHistogram(this.histogram) : '';
  }
}
