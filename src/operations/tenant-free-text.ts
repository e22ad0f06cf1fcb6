/**
 * Keeps tenant ids out of the free text of GET /health and /metrics/health, bodies meant for probes anyone may
 * call. Their reasons and errors quote text ringmeter did not write: a backend's refusal message (which often
 * echoes a series with its labels) and the message of an exception thrown by the application's tenant resolver
 * (which may name the tenant). Two passes, each writing `<tenant>` instead:
 *
 * - the value of a `tenant_id` label, in the notations backends use (`tenant_id="acme"`, `tenant_id=acme`,
 *   `"tenant_id":"acme"`, `tenant_id: acme`), whether or not the collector knows the tenant;
 * - every id of a tenant the collector holds now, where it stands as a token of its own (not inside a longer word:
 *   a tenant `a` leaves "data" alone). Pseudo-tenant names are not tenants and stay ("unknown error").
 *
 * The cost does not depend on the number of tenants: one Map lookup per candidate substring, candidates starting
 * and ending at token edges, as long as some live id is (so at most TENANT_SLOT_UNITS per start); and only when
 * there is text (a healthy body has none).
 */
import { isPseudoTenant, TENANT_SLOT_UNITS } from '../contract/strings-layout.js';
import type { KnownIds } from '../strings/tenant-slots.js';

const PLACEHOLDER = '<tenant>';
const TENANT_LABEL = /(tenant_id\\?"?\s*[=:]\s*)(\\?"(?:[^"\\]|\\[^"])*\\?"|'[^']*'|[^\s,;)}\]]+)/g;
const WORD = /[\p{L}\p{N}_]/u;

/** `text` with every tenant id it names replaced by `<tenant>`. */
export function withoutTenantIds(text: string, tenants: KnownIds): string {
  return withoutKnownIds(text.replace(TENANT_LABEL, `$1${PLACEHOLDER}`), tenants);
}

function withoutKnownIds(text: string, tenants: KnownIds): string {
  const n = text.length;
  const word = new Uint8Array(n);
  for (let i = 0; i < n; i++) word[i] = WORD.test(text[i] as string) ? 1 : 0;
  // A token edge: the text's ends, or any position next to a character that is not a letter, digit or '_'.
  const edge = (p: number) => p === 0 || p === n || word[p - 1] === 0 || word[p] === 0;
  let out = '';
  let copied = 0;
  for (let start = 0; start < n; start++) {
    if (!edge(start)) continue;
    // The longest id first, so that `acme-eu` is replaced whole when both it and `acme` are tenants.
    for (let end = Math.min(n, start + TENANT_SLOT_UNITS); end > start; end--) {
      if (!edge(end) || !tenants.hasIdOfLength(end - start)) continue;
      const candidate = text.slice(start, end);
      if (isPseudoTenant(candidate) || !tenants.has(candidate)) continue;
      out += text.slice(copied, start) + PLACEHOLDER;
      copied = end;
      start = end - 1;
      break;
    }
  }
  return copied === 0 ? text : out + text.slice(copied);
}
