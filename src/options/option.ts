/**
 * What a row of the options table (table.ts) says about one option, and the types derived from the table: the
 * options createCollector takes, the options resolved, what configure() may change, what a worker receives.
 */

/** Reads an option resolved before (resolving it first if need be), by its path (`otlp.timeoutMillis`). */
export type Earlier = (path: string) => unknown;

/**
 * What a change of a live option asks of whoever acts on it (change.ts): `target`, OTLP requests go elsewhere or look
 * different to the backend; `sender`, the OTLP sender is made again; `interval`, the export timer restarts;
 * `exporters`, `families`, what is exported changes; `sampler`, the runtime sampler restarts; `main`, only the main
 * thread's part changes (caps, hang bound, shutdown deadline).
 */
export type Effect = 'target' | 'sender' | 'interval' | 'exporters' | 'families' | 'sampler' | 'main';

/** An environment variable an option is read from, parsed (a parse error names the variable). */
export interface Variable<T> {
  readonly name: string;
  readonly parse: (name: string, value: string) => T;
}

/** One option. */
export interface Option<T> {
  readonly kind: 'option';
  /** Checks a value given as the option, read from a variable, inherited or defaulted; `name` is whom to blame. */
  readonly check: (name: string, value: unknown, earlier: Earlier) => T;
  /** The value when nothing gives one; a function computes it (from options resolved before it, or afresh). */
  readonly default: T | ((earlier: Earlier) => T);
  /** Variables read when the option is not given, the first set one winning. */
  readonly variables?: readonly Variable<unknown>[];
  /** Below the variables, above the default: a value another option carries (service.name in the resource attributes). */
  readonly inherit?: (earlier: Earlier) => unknown;
  /** With a variable set, the option's value is merged over the variable's (resource attributes) instead of replacing it. */
  readonly merge?: (fromVariable: T, given: T) => T;
  /** Applied to a value given as the option only (an endpoint given as a base URL gets the metrics path). */
  readonly given?: (value: T) => T;
  /** Present when configure() may change the option on a running collector: what a change asks for. */
  readonly live?: readonly Effect[];
  /** A live option that may not grow past its value at creation on a running collector, and why (a size fixed then). */
  readonly fixedCeiling?: string;
  /** Whether a shard worker receives the option in its config (contract/worker-config.ts). */
  readonly worker?: true;
}

/**
 * Options given together: `otlp.*` and `metrics.*` as nested objects; the activity thresholds (`flat`) at the top
 * level, each by its own name, and resolved together under the group's name.
 */
export interface Group<R extends Rows> {
  readonly kind: 'group';
  readonly rows: R;
  readonly flat?: true;
  readonly live?: true;
  readonly worker?: true;
}

/** A row as the table holds it: an option (its value's type left open), or a group of rows. */
export type Row = { readonly kind: 'option' } | Group<Rows>;
export type Rows = Readonly<Record<string, Row>>;

/** What a row of the table is written as; `option()` keeps its flags' and its default's own types for the derived types. */
interface OptionInput {
  readonly check: (name: string, value: unknown, earlier: Earlier) => unknown;
  readonly default: string | number | boolean | readonly unknown[] | object | ((earlier: Earlier) => unknown);
  readonly variables?: readonly Variable<unknown>[];
  readonly inherit?: (earlier: Earlier) => unknown;
  readonly merge?: (fromVariable: never, given: never) => unknown;
  readonly given?: (value: never) => unknown;
  readonly live?: readonly Effect[];
  readonly fixedCeiling?: string;
  readonly worker?: true;
}

/** A row of the table: its value's type is what its check returns. */
export function option<const R extends OptionInput>(row: R): Omit<Option<CheckedBy<R>>, 'default'> & Omit<R, 'check'> {
  return { kind: 'option', ...row } as unknown as Omit<Option<CheckedBy<R>>, 'default'> & Omit<R, 'check'>;
}
type CheckedBy<R extends OptionInput> = R['check'] extends (...args: never[]) => infer T ? T : never;

export function group<R extends Rows, const F extends { flat?: true; live?: true; worker?: true }>(rows: R, flags: F): Group<R> & F {
  return { kind: 'group', rows, ...flags } as Group<R> & F;
}

type Simplify<T> = { [K in keyof T]: T[K] } & {};
type UnionToIntersection<U> = (U extends unknown ? (u: U) => void : never) extends (i: infer I) => void ? I : never;

/** The value of an option once resolved. */
type ValueOf<R> = R extends Option<infer T> ? T : never;

/** Options resolved: every option filled in, groups as objects (flat ones too, under their name). */
export type ResolvedOf<R extends Rows> = Simplify<{
  -readonly [K in keyof R]: R[K] extends Group<infer G> ? ResolvedOf<G> : ValueOf<R[K]>;
}>;

/** Options as given: every one optional, nested groups as objects, flat groups' options at this level. */
export type GivenOf<R extends Rows> = Simplify<
  {
    -readonly [K in keyof R as R[K] extends { flat: true } ? never : K]?: R[K] extends Group<infer G> ? GivenOf<G> : ValueOf<R[K]>;
  } & FlatGiven<R>
>;
type FlatGiven<R extends Rows> = [FlatGroups<R>] extends [never] ? unknown : UnionToIntersection<FlatGroups<R>>;
type FlatGroups<R extends Rows> = { [K in keyof R]: R[K] extends Group<infer G> & { flat: true } ? GivenOf<G> : never }[keyof R];

/** The names of the rows marked `live` (options configure() may change), or `worker` (options a worker receives). */
export type LiveNames<R extends Rows> = {
  [K in keyof R]: R[K] extends { live: true } | { live: readonly Effect[] }
    ? K
    : R[K] extends Group<infer G> & { flat: true }
      ? LiveNames<G>
      : never;
}[keyof R];

/**
 * The defaults DEFAULT_OPTIONS shows, as the options are given: the plain ones (a string, number, boolean or list);
 * a default computed afresh or from another option, or an empty object, is left out.
 */
export type DefaultsOf<R extends Rows> = Simplify<
  {
    readonly [K in keyof R as R[K] extends { flat: true }
      ? never
      : R[K] extends Group<Rows>
        ? K
        : IsPlain<R[K]> extends true
          ? K
          : never]: R[K] extends Group<infer G> ? DefaultsOf<G> : ValueOf<R[K]>;
  } & FlatDefaults<R>
>;
type FlatDefaults<R extends Rows> = [FlatDefaultGroups<R>] extends [never] ? unknown : UnionToIntersection<FlatDefaultGroups<R>>;
type FlatDefaultGroups<R extends Rows> = { [K in keyof R]: R[K] extends Group<infer G> & { flat: true } ? DefaultsOf<G> : never }[keyof R];
type IsPlain<R> = R extends { default: infer D }
  ? [D] extends [(...args: never[]) => unknown]
    ? false
    : [D] extends [readonly unknown[]]
      ? true
      : [D] extends [object]
        ? false
        : true
  : false;

export type WorkerNames<R extends Rows> = { [K in keyof R]: R[K] extends { worker: true } ? K : never }[keyof R];
