import { COUNT, ENDPOINT_SEPARATOR, tableViews, type TableViews } from '../src/contract/strings-layout.js';

/**
 * The worker's read side of the shared string table: turns string ids back into labels, decoding each entry once.
 */
export class Dictionary {
  private readonly views: TableViews;
  private readonly decoder = new TextDecoder();
  private readonly labels: string[] = [];

  constructor(buffer: SharedArrayBuffer, maxEntries: number) {
    this.views = tableViews(buffer, maxEntries);
  }

  label(id: number): string {
    if (id >= this.labels.length) this.sync();
    const value = this.labels[id];
    if (value === undefined) throw new RangeError(`string id ${id} is not in the table (${this.labels.length} entries)`);
    return value;
  }

  /** Splits an endpoint entry (`route \u001f category`) into its two labels. */
  endpoint(id: number): { route: string; category: string } {
    const value = this.label(id);
    const cut = value.lastIndexOf(ENDPOINT_SEPARATOR);
    if (cut < 0) return { route: value, category: 'other' };
    return { route: value.slice(0, cut), category: value.slice(cut + 1) };
  }

  private sync(): void {
    const { header, offsets, bytes } = this.views;
    const count = Atomics.load(header, COUNT);
    for (let id = this.labels.length; id < count; id++) {
      // TextDecoder refuses views of shared memory: copy the entry out first (once per string, never per record).
      this.labels.push(this.decoder.decode(bytes.slice(offsets[id], offsets[id + 1])));
    }
  }
}
