import type { IncomingMessage, ServerResponse } from 'node:http';
import { leaveAdmission } from '../http/admission';

/**
 * Bytes a stream may have queued for a client that does not read them (a stalled phone, a dead link that
 * TCP has not noticed yet) before it is dropped. Dropped, a live browser reconnects and gets a snapshot;
 * kept, ten thousand stalled clients would hold every change in memory.
 */
export const MAX_UNSENT_BYTES = 256 * 1024;

/** One event of a stream: `event:` name, optional `id:`, and `data:` (JSON on one line). */
export interface StreamEvent {
  name: string;
  /** What the browser sends back as `Last-Event-ID` when it reconnects. */
  id?: string;
  data: unknown;
}

/**
 * One `text/event-stream` response (server-sent events, as `EventSource` reads them). Opening it sends the
 * headers at once, with what every proxy on the way needs to pass it through as it comes: no caching
 * (`no-store`), no buffering (`X-Accel-Buffering: no`, which nginx honours per response), and gives the
 * request's admission slot back (see {@link leaveAdmission}).
 */
export class EventStream {
  private constructor(private readonly res: ServerResponse) {}

  /** Sends the headers and the reconnection delay the browser should use (`retry:`). */
  static open(req: IncomingMessage, res: ServerResponse, { retryMs }: { retryMs: number }): EventStream {
    res.statusCode = 200;
    res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('X-Accel-Buffering', 'no');
    // Each event is a few hundred bytes that must leave now, not when Nagle's algorithm would send them.
    req.socket.setNoDelay(true);
    // TCP keepalives let the kernel notice a peer that vanished without a word, where no write is pending.
    req.socket.setKeepAlive(true, 30_000);
    res.flushHeaders();
    const stream = new EventStream(res);
    stream.write(`retry: ${Math.round(retryMs)}\n\n`);
    leaveAdmission(res);
    return stream;
  }

  /** The client went away, or the stream was ended or dropped. */
  get closed(): boolean {
    return this.res.destroyed || this.res.writableEnded;
  }

  send(event: StreamEvent): void {
    const id = event.id === undefined ? '' : `id: ${event.id}\n`;
    // JSON.stringify escapes line breaks inside strings, so the data is always one `data:` line.
    this.write(`event: ${event.name}\n${id}data: ${JSON.stringify(event.data)}\n\n`);
  }

  /** A comment line: EventSource ignores it, proxies see traffic. */
  comment(text: string): void {
    this.write(`: ${text}\n\n`);
  }

  end(): void {
    if (!this.closed) this.res.end();
  }

  private write(chunk: string): void {
    if (this.closed) return;
    if (this.res.writableLength > MAX_UNSENT_BYTES) {
      this.res.destroy();
      return;
    }
    this.res.write(chunk);
  }
}
