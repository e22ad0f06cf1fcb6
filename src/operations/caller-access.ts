/**
 * What the caller of one request may see, as the application decides, asked a bounded number of times whatever the
 * number of tenants. Two forms (docs/operations.md, "Analytics API"):
 *
 * - `authorize(c, tenant)`, per tenant, `'*'` standing for every tenant. Asked about `'*'` and about the tenants the
 *   request names, never about every tenant known: a list for a caller not allowed `'*'` holds the tenants it names
 *   (`?tenant=`, at most MAX_NAMED_TENANTS), since asking about each of 10,000 tenants made one request cost
 *   10,001 calls.
 * - `authorizeTenants(c)`, once per request: `'*'`, or the ids of the tenants the caller may see.
 *
 * Every answer is kept for the rest of the request, so no question is asked twice. Generic over the request
 * context, so that this file stays free of any framework.
 */
import { isPseudoTenant } from '../contract/strings-layout.js';

/** The caller may see `tenant` (or, for '*', every tenant). May be async; only `true` grants; a throw answers 500. */
export type Authorize<C> = (c: C, tenant: string) => boolean | Promise<boolean>;

/** `'*'` (every tenant) or the ids of the tenants the caller may see. May be async; a throw answers 500. */
export type AuthorizeTenants<C> = (c: C) => '*' | readonly string[] | Promise<'*' | readonly string[]>;

/** The application's answer to "who may see what": exactly one of the two forms. */
export type AccessPolicy<C> = { authorize: Authorize<C> } | { authorizeTenants: AuthorizeTenants<C> };

/** Every tenant, for `authorize(c, '*')`. */
export const ALL_TENANTS = '*';

/** How many tenants one list request may name (`?tenant=`): each may cost one `authorize` call. */
export const MAX_NAMED_TENANTS = 20;

/** Thrown (wrapped) when the application's function throws, rejects or answers nonsense: the route answers 500. */
export class AuthorizeFailed extends Error {
  constructor(cause: unknown) {
    super('ringmeter: authorize threw', { cause });
  }
}

/** Which tenants a list shows one caller. */
export interface Listing {
  /** Every tenant known (`'*'`), or only these ids (those the request named, or the caller's own). */
  tenants: '*' | readonly string[];
  /** The caller may see every tenant: pseudo-tenants and the figures that span tenants too. */
  everyTenant: boolean;
}

export class CallerAccess<C> {
  private readonly answers = new Map<string, Promise<boolean>>();
  private own: Promise<'*' | ReadonlySet<string>> | undefined;

  constructor(
    private readonly policy: AccessPolicy<C>,
    private readonly c: C,
  ) {}

  /** Whether the caller may see every tenant ('*'). */
  seesEveryTenant(): Promise<boolean> {
    return this.sees(ALL_TENANTS);
  }

  /** Whether the caller may see `tenant` (`'*'`: every tenant). */
  async sees(tenant: string): Promise<boolean> {
    if ('authorize' in this.policy) return this.ask(this.policy.authorize, tenant);
    const own = await this.ownTenants();
    // A tenant literally named '*' is shown only to a caller allowed every tenant, as with `authorize`.
    return own === ALL_TENANTS || (tenant !== ALL_TENANTS && own.has(tenant));
  }

  /**
   * The tenants a list shows this caller: with `named` (the request's `?tenant=` ids), those it may see; without,
   * every tenant for a `'*'` caller, the caller's own with `authorizeTenants`, and undefined with `authorize`
   * alone (which tenants are the caller's cannot be asked without asking about every one). Pseudo-tenants are
   * never asked about: only a `'*'` caller sees them.
   */
  async listing(named: readonly string[] | undefined): Promise<Listing | undefined> {
    if (await this.seesEveryTenant()) return { tenants: named ?? ALL_TENANTS, everyTenant: true };
    let candidates: readonly string[];
    if (named !== undefined) candidates = named;
    else if ('authorizeTenants' in this.policy) candidates = [...((await this.ownTenants()) as ReadonlySet<string>)];
    else return undefined;
    const allowed: string[] = [];
    // One at a time, never concurrently: an authorize that looks something up is not flooded.
    for (const tenant of candidates)
      if (tenant !== ALL_TENANTS && !isPseudoTenant(tenant) && (await this.sees(tenant))) allowed.push(tenant);
    return { tenants: allowed, everyTenant: false };
  }

  private ask(authorize: Authorize<C>, tenant: string): Promise<boolean> {
    let answer = this.answers.get(tenant);
    if (answer === undefined) {
      answer = askOnce(authorize, this.c, tenant);
      this.answers.set(tenant, answer);
    }
    return answer;
  }

  private ownTenants(): Promise<'*' | ReadonlySet<string>> {
    if (!('authorizeTenants' in this.policy)) throw new Error('ringmeter: ownTenants without authorizeTenants');
    this.own ??= readOwnTenants(this.policy.authorizeTenants, this.c);
    return this.own;
  }
}

async function askOnce<C>(authorize: Authorize<C>, c: C, tenant: string): Promise<boolean> {
  try {
    // Only `true` grants: a truthy non-boolean (a forgotten `await` on a promise of false) must not.
    return (await authorize(c, tenant)) === true;
  } catch (error) {
    throw new AuthorizeFailed(error);
  }
}

async function readOwnTenants<C>(authorizeTenants: AuthorizeTenants<C>, c: C): Promise<'*' | ReadonlySet<string>> {
  let answer: unknown;
  try {
    answer = await authorizeTenants(c);
  } catch (error) {
    throw new AuthorizeFailed(error);
  }
  if (answer === ALL_TENANTS) return ALL_TENANTS;
  // Anything else than '*' or an array of strings grants nothing: a 500, never a guess.
  if (!Array.isArray(answer) || !answer.every((tenant) => typeof tenant === 'string')) {
    throw new AuthorizeFailed(new TypeError("authorizeTenants must return '*' or an array of tenant ids"));
  }
  return new Set(answer as string[]);
}
