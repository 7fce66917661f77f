/** At most `max` tasks run at once; the others wait their turn, first come first served. */
export class ConcurrencyLimit {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly max: number) {}

  /** Nothing running and nothing waiting. */
  get idle(): boolean {
    return this.running === 0 && this.waiting.length === 0;
  }

  /** `waited`: whether the task had to wait for its turn. */
  async run<T>(task: (waited: boolean) => Promise<T>): Promise<T> {
    const waited = this.running >= this.max;
    // A finishing task hands its place straight to the next, so `running` stays put.
    if (waited) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    try {
      return await task(waited);
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}
