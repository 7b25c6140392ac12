import type { IncomingMessage, ServerResponse } from 'node:http';
import { leaveAdmission } from '../http/admission';
import type { BufferedStream, StreamBuffers } from './stream-buffers';

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
 * request's admission slot back (see {@link leaveAdmission}). What its client has not read counts against
 * the process's {@link StreamBuffers}: too much, and the stream is dropped.
 */
export class EventStream implements BufferedStream {
  private constructor(
    private readonly res: ServerResponse,
    private readonly buffers: StreamBuffers,
  ) {}

  /** Sends the headers and the reconnection delay the browser should use (`retry:`). */
  static open(
    req: IncomingMessage,
    res: ServerResponse,
    { retryMs, buffers }: { retryMs: number; buffers: StreamBuffers },
  ): EventStream {
    res.statusCode = 200;
    res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('X-Accel-Buffering', 'no');
    // Each event is a few hundred bytes that must leave now, not when Nagle's algorithm would send them.
    req.socket.setNoDelay(true);
    // TCP keepalives let the kernel notice a peer that vanished without a word, where no write is pending.
    req.socket.setKeepAlive(true, 30_000);
    res.flushHeaders();
    const stream = new EventStream(res, buffers);
    res.on('drain', () => buffers.drained(stream));
    res.once('close', () => buffers.forget(stream));
    stream.write(`retry: ${Math.round(retryMs)}\n\n`);
    leaveAdmission(res);
    return stream;
  }

  /** The client went away, or the stream was ended or dropped. */
  get closed(): boolean {
    return this.res.destroyed || this.res.writableEnded;
  }

  /** Bytes written that the client's socket has not taken yet (the response's buffer and the socket's). */
  get unsentBytes(): number {
    return this.res.writableLength;
  }

  /** Sends `events` in one write: a snapshot counts against the bound as one piece, never cut in the middle. */
  send(...events: StreamEvent[]): void {
    if (events.length === 0) return;
    this.write(events.map(formatEvent).join(''));
  }

  /** A comment line: EventSource ignores it, proxies see traffic. */
  comment(text: string): void {
    this.write(`: ${text}\n\n`);
  }

  end(): void {
    if (!this.closed) this.res.end();
  }

  /** Ends the response at once, unsent bytes and all: the browser reconnects and gets a snapshot. */
  drop(): void {
    this.res.destroy();
  }

  private write(chunk: string): void {
    if (this.closed || !this.buffers.admits(this)) return;
    this.res.write(chunk);
    this.buffers.wrote(this);
  }
}

function formatEvent(event: StreamEvent): string {
  const id = event.id === undefined ? '' : `id: ${event.id}\n`;
  // JSON.stringify escapes line breaks inside strings, so the data is always one `data:` line.
  return `event: ${event.name}\n${id}data: ${JSON.stringify(event.data)}\n\n`;
}
