/**
 * Lines appended while the previous write is under way, written and fsynced together. Every
 * append in the group waits on the same promise: one per fsync, not one per row (less garbage
 * at 50k rows/s).
 */
export class WriteGroup {
  readonly lines: string[] = [];
  rows = 0;
  bytes = 0;
  /** True once the lines are fsynced, false if the write failed; never rejects. */
  readonly durable: Promise<boolean>;
  #resolve: (ok: boolean) => void = () => {};

  constructor() {
    this.durable = new Promise<boolean>((resolve) => (this.#resolve = resolve));
  }

  add(line: string, bytes: number): void {
    this.lines.push(line);
    this.rows++;
    this.bytes += bytes;
  }

  settle(ok: boolean): void {
    this.#resolve(ok);
  }
}
