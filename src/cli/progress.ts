/**
 * A one-line progress report on stderr for work that takes over a second. Silent when the
 * user asked for --json or --quiet, or when stderr is not a terminal-like stream worth
 * writing to.
 */
export class Progress {
  /** The reports still able to print; main ends them before it writes a command's output. */
  private static readonly open = new Set<Progress>();
  private readonly enabled: boolean;
  private readonly started = performance.now();
  private timer: NodeJS.Timeout | undefined;
  private label = "";

  constructor(enabled: boolean) {
    this.enabled = enabled;
    Progress.open.add(this);
  }

  /** Ends every report, so that no line lands after (or inside) a command's output or error. */
  static endAll(): void {
    for (const p of Progress.open) p.done();
  }

  /**
   * Starts a phase. Its line appears if the phase is still running after a second; a phase
   * that runs synchronously (the event loop cannot fire the timer) says `expectLong` when its
   * size predicts more than a second, and prints at once.
   */
  phase(label: string, expectLong = false): void {
    this.label = label;
    if (!this.enabled || !Progress.open.has(this)) return;
    clearTimeout(this.timer);
    if (expectLong) {
      this.print();
      return;
    }
    this.timer = setTimeout(() => this.print(), 1000);
    this.timer.unref();
  }

  private print(): void {
    const seconds = ((performance.now() - this.started) / 1000).toFixed(1);
    process.stderr.write(`absorb: ${this.label}… (${seconds} s)\n`);
  }

  done(): void {
    clearTimeout(this.timer);
    Progress.open.delete(this);
  }
}
