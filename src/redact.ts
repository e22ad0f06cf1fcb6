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
