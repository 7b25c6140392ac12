/**
 * The only reader of process.env (server side). Values are read per call rather than at import, so one
 * standalone build runs in any environment: the build machine's variables do not leak into the image.
 */

const DEFAULT_API_URL = 'http://127.0.0.1:3000';

/** Internal base URL of the API (the gateway or ingress) that server components call. */
export function apiBaseUrl(): string {
  return originOf('API_URL', process.env.API_URL?.trim() || DEFAULT_API_URL);
}

/**
 * Where the server side's calls on the visitor's session (`/api/users/...`) go: auth itself, so that the web
 * app is the one hop auth trusts and its word on the visitor's scheme and address arrives as it was sent (an
 * edge in between would restate both as the web app's own). Unset: the API_URL's origin, as every other call.
 */
export function authApiBaseUrl(): string {
  const value = process.env.AUTH_API_URL?.trim();
  return value ? originOf('AUTH_API_URL', value) : apiBaseUrl();
}

function originOf(name: string, value: string): string {
  try {
    return new URL(value).origin;
  } catch {
    throw new Error(`${name} must be an absolute http(s) URL, got "${value}"`);
  }
}

/**
 * The Stripe publishable key, or undefined for local mode (test-card choice instead of Stripe Elements).
 * Read through an alias on purpose: Next inlines `process.env.NEXT_PUBLIC_*` member expressions at build time,
 * and the key is deployment configuration, not build input.
 */
export function stripePublishableKey(): string | undefined {
  const env: Record<string, string | undefined> = process.env;
  return env['NEXT_PUBLIC_STRIPE_PUBLISHABLE_KEY']?.trim() || undefined;
}

/** Dev convenience: the client proxies /api/* to API_URL so it can be used on its own port. Off by default. */
export function isApiProxyEnabled(): boolean {
  return process.env.CLIENT_PROXY_API === '1' || process.env.CLIENT_PROXY_API === 'true';
}
