// A terminal progress bar for training: batches done, loss, accuracy and samples/s, redrawn in place on a TTY.

export interface ProgressStats {
  loss: number;
  accuracy: number;
}

/**
 * One bar per epoch. On a TTY it redraws a single line (at most every 100 ms); when output is piped to a
 * file or CI log it prints nothing until `done`, which prints one summary line.
 */
export class ProgressBar {
  private readonly start = performance.now();
  private lastDraw = 0;
  private readonly tty: boolean;

  constructor(
    private readonly label: string,
    private readonly totalBatches: number,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {
    this.tty = Boolean(stream.isTTY);
  }

  update(batch: number, samples: number, stats: ProgressStats): void {
    if (!this.tty) return;
    const now = performance.now();
    if (now - this.lastDraw < 100 && batch < this.totalBatches) return;
    this.lastDraw = now;
    const width = 24;
    const filled = Math.round((width * batch) / this.totalBatches);
    const bar = '='.repeat(Math.max(0, filled - 1)) + (filled > 0 ? '>' : '') + ' '.repeat(width - filled);
    this.stream.write(`\r${this.label} [${bar}] ${batch}/${this.totalBatches}  ${this.describe(samples, stats)}\x1b[K`);
  }

  done(samples: number, stats: ProgressStats, extra = ''): string {
    const line = `${this.label} ${this.describe(samples, stats)}${extra}`;
    if (this.tty) this.stream.write(`\r${line}\x1b[K\n`);
    else this.stream.write(`${line}\n`);
    return line;
  }

  private describe(samples: number, stats: ProgressStats): string {
    const seconds = (performance.now() - this.start) / 1000;
    const rate = seconds > 0 ? samples / seconds : 0;
    return `loss ${stats.loss.toFixed(4)}  acc ${(100 * stats.accuracy).toFixed(2)}%  ${Math.round(rate).toLocaleString('en-US')} samples/s  ${seconds.toFixed(1)}s`;
  }
}
