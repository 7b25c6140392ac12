import * as http from 'node:http';

/** One server-sent event as a browser's EventSource would see it. */
export interface ReceivedEvent {
  /** `event:`; `message` when the server named none. */
  name: string;
  /** `id:` of this event, if it had one. */
  id?: string;
  data: string;
  /** When it arrived (ms since the epoch). */
  receivedAt: number;
}

/** A `text/event-stream` response read as it arrives: what a browser's EventSource gets, kept for assertions. */
export interface EventStreamReader {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** Every event so far, in order. */
  readonly events: ReceivedEvent[];
  /** Every comment line so far (heartbeats), without the colon. */
  readonly comments: string[];
  /** The last `retry:` hint, in ms. */
  retryMs?: number;
  /** The body, for an answer that is not a stream (an error envelope): complete once `ended` resolves. */
  readonly text: () => string;
  /** Resolves when the server ends the response (or the connection drops). */
  readonly ended: Promise<void>;
  /**
   * Resolves to the first event, from position `after` on (default: any so far), that `matches`; rejects
   * after `timeoutMs`.
   */
  nextEvent(
    matches?: (event: ReceivedEvent) => boolean,
    options?: { after?: number; timeoutMs?: number },
  ): Promise<ReceivedEvent>;
  /** Resolves once `count` comments have arrived in total; rejects after `timeoutMs`. */
  nextComment(count: number, timeoutMs?: number): Promise<void>;
  close(): void;
}

/**
 * Opens `url` with `Accept: text/event-stream` (and `headers`), resolving once the response's headers have
 * arrived. The parser follows the WHATWG rules EventSource applies: fields per line, an event per blank line.
 */
export function readEventStream(url: string, headers: http.OutgoingHttpHeaders = {}): Promise<EventStreamReader> {
  return new Promise((resolve, reject) => {
    const request = http.get(url, { headers: { accept: 'text/event-stream', ...headers } }, (response) => {
      const events: ReceivedEvent[] = [];
      const comments: string[] = [];
      const listeners = new Set<() => void>();
      const notify = () => {
        for (const listener of [...listeners]) listener();
      };
      let raw = '';
      let buffer = '';
      let pending: { name?: string; id?: string; data: string[] } = { data: [] };

      const reader: EventStreamReader = {
        status: response.statusCode ?? 0,
        headers: response.headers,
        events,
        comments,
        text: () => raw,
        ended: new Promise((done) => {
          response.on('close', () => {
            notify();
            done();
          });
        }),
        nextEvent(matches = () => true, { after = 0, timeoutMs = 10_000 } = {}) {
          return waitUntil(listeners, timeoutMs, () => events.slice(after).find(matches), 'an event');
        },
        nextComment(count, timeoutMs = 10_000) {
          return waitUntil(
            listeners,
            timeoutMs,
            () => (comments.length >= count ? true : undefined),
            `${count} comments`,
          ).then(() => undefined);
        },
        close: () => request.destroy(),
      };

      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        raw += chunk;
        buffer += chunk;
        let newline: number;
        while ((newline = buffer.search(/\r\n|\r|\n/)) !== -1) {
          const line = buffer.slice(0, newline);
          buffer = buffer.slice(newline + (buffer.startsWith('\r\n', newline) ? 2 : 1));
          if (line === '') {
            if (pending.data.length > 0) {
              events.push({
                name: pending.name ?? 'message',
                id: pending.id,
                data: pending.data.join('\n'),
                receivedAt: Date.now(),
              });
            }
            pending = { data: [] };
            continue;
          }
          if (line.startsWith(':')) {
            comments.push(line.slice(1).trim());
            continue;
          }
          const colon = line.indexOf(':');
          const field = colon === -1 ? line : line.slice(0, colon);
          const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
          if (field === 'event') pending.name = value;
          else if (field === 'id') pending.id = value;
          else if (field === 'data') pending.data.push(value);
          else if (field === 'retry' && /^\d+$/.test(value)) reader.retryMs = Number(value);
        }
        notify();
      });
      resolve(reader);
    });
    request.on('error', reject);
  });
}

function waitUntil<T>(
  listeners: Set<() => void>,
  timeoutMs: number,
  find: () => T | undefined,
  what: string,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const found = find();
      if (found === undefined) return false;
      listeners.delete(check);
      clearTimeout(timer);
      resolve(found);
      return true;
    };
    const timer = setTimeout(() => {
      listeners.delete(check);
      reject(new Error(`no ${what} within ${timeoutMs} ms`));
    }, timeoutMs);
    if (!check()) listeners.add(check);
  });
}
