import { readApiResponse, unreachable, type ApiResult } from './envelope';

/**
 * The browser's way to the API: same-origin relative `/api/...` calls with the browser's own cookie. Used for
 * what the browser fills in on the shared pages (who is looking); forms post to server actions instead, which
 * work without JavaScript too. Never throws.
 */
export async function browserApi<T>(
  path: string,
  init: { method?: 'GET' | 'POST' | 'PUT' | 'DELETE'; body?: unknown } = {},
): Promise<ApiResult<T>> {
  try {
    const response = await fetch(path, {
      method: init.method ?? 'GET',
      headers:
        init.body === undefined
          ? { accept: 'application/json' }
          : { accept: 'application/json', 'content-type': 'application/json' },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      credentials: 'same-origin',
      cache: 'no-store',
    });
    return await readApiResponse<T>(response);
  } catch {
    return unreachable();
  }
}
