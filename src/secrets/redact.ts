/**
 * Makes a message safe to show in stats, logs and errors: removes URL credentials, `key=value` secrets and
 * bearer tokens, and caps the length. Error text from the exporter or a driver passes through here first.
 */
const URL_CREDENTIALS = /\/\/([^/@\s:]*):[^/@\s]*@/g;
const SECRET_PAIR = /\b(password|passwd|pwd|secret|token|api[-_]?key|authorization|cookie)\b(\s*[=:]\s*)("[^"]*"|'[^']*'|\S+)/gi;
const BEARER = /\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+/gi;
const MAX_MESSAGE_LENGTH = 500;

export function redact(message: string): string {
  const cleaned = message.replace(URL_CREDENTIALS, '//$1:***@').replace(SECRET_PAIR, '$1$2***').replace(BEARER, '$1 ***');
  return cleaned.length > MAX_MESSAGE_LENGTH ? `${cleaned.slice(0, MAX_MESSAGE_LENGTH)}…` : cleaned;
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return redact(error.message || error.name);
  return redact(String(error));
}

/** Shorter configured values are not scrubbed: they cannot hold a secret, and replacing them would garble every message. */
const MIN_SECRET_LENGTH = 4;

/**
 * The values of a configured OTLP target that must never show in a message: every header value (and, for an
 * `<scheme> <token>` value such as `Bearer …` or `Basic …`, the token alone, and a Basic token's decoded
 * `user:password` and password), the endpoint's password (and the Basic token Node makes of its user info) and
 * its query-string values.
 */
export function configuredSecrets(otlp: { endpoint: string; headers: Readonly<Record<string, string>> }): string[] {
  const secrets = new Set<string>();
  const add = (value: string | undefined) => {
    const trimmed = value?.trim();
    if (trimmed !== undefined && trimmed.length >= MIN_SECRET_LENGTH) secrets.add(trimmed);
  };
  for (const value of Object.values(otlp.headers)) {
    add(value);
    const scheme = /^\s*([A-Za-z][\w.+-]*)\s+(\S+)\s*$/.exec(value);
    if (scheme === null) continue;
    add(scheme[2]);
    if (scheme[1].toLowerCase() === 'basic') {
      const decoded = Buffer.from(scheme[2], 'base64').toString('utf8');
      add(decoded);
      add(decoded.slice(decoded.indexOf(':') + 1));
    }
  }
  try {
    const url = new URL(otlp.endpoint);
    add(url.password);
    add(safeDecode(url.password));
    // Node sends a URL's user info as a Basic Authorization header, which a backend may echo too.
    if (url.password !== '') add(Buffer.from(`${safeDecode(url.username)}:${safeDecode(url.password)}`).toString('base64'));
    for (const [, value] of url.searchParams) add(value);
  } catch {
    // An endpoint that is no URL was refused when the options were checked; nothing to take from it.
  }
  // Each as written and as it would appear URL-encoded or inside a JSON string; longest first, so that a secret
  // holding another is replaced whole.
  const forms = new Set<string>();
  for (const secret of secrets) {
    forms.add(secret);
    forms.add(encodeURIComponent(secret));
    forms.add(JSON.stringify(secret).slice(1, -1));
  }
  return [...forms].filter((form) => form.length >= MIN_SECRET_LENGTH).sort((a, b) => b.length - a.length);
}

/**
 * Makes messages safe to show when they may carry what a backend echoed back: every configured secret
 * (`configuredSecrets`) is replaced with `***` wherever it appears, then `redact` applies; in that order, so that
 * redact's length cap never leaves half a secret behind.
 */
export class SecretScrubber {
  constructor(private readonly secrets: readonly string[]) {}

  scrub(message: string): string {
    let cleaned = message;
    for (const secret of this.secrets) cleaned = cleaned.split(secret).join('***');
    return redact(cleaned);
  }

  /** errorMessage(), scrubbed. */
  errorMessage(error: unknown): string {
    return this.scrub(error instanceof Error ? error.message || error.name : String(error));
  }
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
