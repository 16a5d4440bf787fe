// Lines read and candidate lines of one jail, summed per source and handed to Metrics once per
// burst instead of once per line: a label lookup in the registry costs more than matching a line
// that the literal gate turns away. Sources deliver a chunk of lines synchronously, mostly from
// one file, so a run of the same source is one pair of increments. The sums reach Metrics in a
// microtask, before any scrape (an HTTP request) can be served.

import type { Metrics } from '../metrics/metrics.js';

export class LineTally {
  private source: string | null = null;
  private lines = 0;
  private candidates = 0;
  private scheduled = false;

  constructor(private readonly metrics: Metrics) {}

  add(source: string, candidate: boolean): void {
    this.addMany(source, 1, candidate ? 1 : 0);
  }

  /** `lines` lines of `source`, `candidates` of them past the pre-check (lines a byte screen skipped: none). */
  addMany(source: string, lines: number, candidates = 0): void {
    if (source !== this.source) {
      this.emit();
      this.source = source;
    }
    this.lines += lines;
    this.candidates += candidates;
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(this.flush);
    }
  }

  /** Hands the sums over now (also run by the microtask). */
  readonly flush = (): void => {
    this.scheduled = false;
    this.emit();
  };

  private emit(): void {
    const source = this.source;
    if (source === null) return;
    if (this.lines > 0) this.metrics.linesRead(source, this.lines);
    if (this.candidates > 0) this.metrics.candidateLines(source, this.candidates);
    this.lines = 0;
    this.candidates = 0;
  }
}
