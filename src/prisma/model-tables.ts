import type { CollectorInternals } from '../internal.js';

/** The data model Prisma's generated client carries at run time (`@@map` as `dbName`). */
interface RuntimeDataModel {
  models?: Record<string, { dbName?: unknown } | undefined>;
}

/**
 * The table label id of each model: its `@@map` name when the schema sets one, else the model's name, as Prisma
 * names the table. Read from the client's runtime data model (`_runtimeDataModel`, which Prisma's generated client
 * carries but does not document: when a later Prisma drops it, the model names stand) once per model, then kept.
 */
export class ModelTables {
  private readonly ids = new Map<string, number>();
  private readonly dataModel: RuntimeDataModel | undefined;

  constructor(
    private readonly hooks: CollectorInternals,
    client: object,
  ) {
    const dataModel = (client as { _runtimeDataModel?: unknown })._runtimeDataModel;
    this.dataModel = typeof dataModel === 'object' && dataModel !== null ? (dataModel as RuntimeDataModel) : undefined;
  }

  of(model: string): number {
    let id = this.ids.get(model);
    if (id === undefined) {
      const mapped = this.dataModel?.models?.[model]?.dbName;
      id = this.hooks.labels.labelId(typeof mapped === 'string' && mapped !== '' ? mapped : model);
      this.ids.set(model, id);
    }
    return id;
  }
}
