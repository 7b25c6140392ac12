import type { Logger } from 'pino';

/** What {@link StreamBuffers} needs of a stream: the bytes its client has not taken yet, and a way to end it. */
export interface BufferedStream {
  /** Bytes written and not yet taken by the client's socket: what the process holds for this client. */
  readonly unsentBytes: number;
  /** Ends the stream at once, unsent bytes and all (the browser reconnects and gets a snapshot). */
  drop(): void;
}

/** The bounds on what a process holds for clients that do not read (SSE_MAX_BUFFER_KB_PER_STREAM, SSE_MAX_BUFFER_MB). */
export interface StreamBufferBounds {
  /** A stream with more than this unsent when it is next written to is dropped. */
  maxBytesPerStream: number;
  /** The process's streams together; past it, the streams with the most unsent are dropped first. */
  maxBytesPerProcess: number;
}

/**
 * Once over its bound, the process drops readers until it holds at most this share of it: a margin, so that
 * the next events (each written to every stream) do not put it over again at once.
 */
const SHED_TO_SHARE = 0.75;

/**
 * The bytes one process holds for its live streams' clients that have not read them yet (a stalled phone, a
 * dead link TCP has not noticed, a client that never reads on purpose), bounded per stream and in all. A
 * dropped browser reconnects (EventSource does, with `Last-Event-ID`) and gets the snapshot: nothing is lost
 * but the bytes it was not reading. Kept, 2,000 such clients at 256 kB each would take twice the memory a
 * pod may use.
 *
 * Each stream's count is taken after each write (and is zero after a `drain`); a socket that sent part of
 * its backlog since counts as it was, so the total only ever overstates, and it is counted again exactly
 * before anyone is dropped. Per process, by design: each replica bounds its own memory.
 */
export class StreamBuffers {
  private readonly unsent = new Map<BufferedStream, number>();
  private counted = 0;

  constructor(
    readonly bounds: StreamBufferBounds,
    private readonly logger?: Logger,
  ) {}

  /** The unsent bytes of every stream, as last counted (an overstatement at most). */
  get countedBytes(): number {
    return this.counted;
  }

  /**
   * Before a write: whether `stream` may be written to. One whose client has left more than its bound unsent
   * is dropped instead. Its last write may take it past the bound (a snapshot is one write), never the next.
   */
  admits(stream: BufferedStream): boolean {
    if (stream.unsentBytes <= this.bounds.maxBytesPerStream) return true;
    this.logger?.debug(
      { unsentBytes: stream.unsentBytes, maxBytesPerStream: this.bounds.maxBytesPerStream },
      'dropped a live stream whose client does not read it',
    );
    this.forget(stream);
    stream.drop();
    return false;
  }

  /** After a write: counts what `stream` has unsent; past the process's bound, drops the slowest readers. */
  wrote(stream: BufferedStream): void {
    this.count(stream, stream.unsentBytes);
    if (this.counted > this.bounds.maxBytesPerProcess) this.shed();
  }

  /** Its client has taken everything written so far. */
  drained(stream: BufferedStream): void {
    if (this.unsent.has(stream)) this.count(stream, 0);
  }

  /** The stream ended: it holds nothing any more. */
  forget(stream: BufferedStream): void {
    this.counted -= this.unsent.get(stream) ?? 0;
    this.unsent.delete(stream);
  }

  private count(stream: BufferedStream, bytes: number): void {
    this.counted += bytes - (this.unsent.get(stream) ?? 0);
    this.unsent.set(stream, bytes);
  }

  /** Counts every stream again, and drops those with the most unsent until the process is well under its bound. */
  private shed(): void {
    for (const stream of this.unsent.keys()) this.count(stream, stream.unsentBytes);
    const { maxBytesPerProcess } = this.bounds;
    if (this.counted <= maxBytesPerProcess) return;
    const before = this.counted;
    const slowestFirst = [...this.unsent].sort(([, a], [, b]) => b - a);
    let dropped = 0;
    for (const [stream] of slowestFirst) {
      if (this.counted <= maxBytesPerProcess * SHED_TO_SHARE) break;
      this.forget(stream);
      stream.drop();
      dropped += 1;
    }
    this.logger?.warn(
      { dropped, unsentBytes: before, maxBytesPerProcess },
      'dropped the live streams of the slowest readers: the process held too many bytes they had not read',
    );
  }
}
