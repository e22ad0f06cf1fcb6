/**
 * Worker-local small ids for labels that arrive under several string ids (a route interned by two middlewares
 * with different category rules): series are keyed by these, so one label set is one series.
 */
export class LabelRegistry {
  private readonly ids = new Map<string, number>();
  private readonly names: string[] = [];

  idOf(name: string): number {
    let id = this.ids.get(name);
    if (id === undefined) {
      id = this.names.length;
      this.names.push(name);
      this.ids.set(name, id);
    }
    return id;
  }

  name(id: number): string {
    return this.names[id];
  }
}
