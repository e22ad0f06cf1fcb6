/**
 * Bytes of series state one worker may hold (its share of `maxMemoryBytes`). Stores ask before they grow; a
 * refusal sends new series to the store's overflow series, so memory stays bounded and the loss is counted.
 */
export class MemoryBudget {
  private usedBytes = 0;

  constructor(readonly limitBytes: number) {}

  get used(): number {
    return this.usedBytes;
  }

  tryReserve(bytes: number): boolean {
    if (this.usedBytes + bytes > this.limitBytes) return false;
    this.usedBytes += bytes;
    return true;
  }
}
