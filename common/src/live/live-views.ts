import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { ServiceUnavailableError } from '../errors';
import { EventStream } from './event-stream';
import { DEFAULT_PROCESS_STREAM_BUFFER_MB, DEFAULT_STREAM_BUFFER_KB } from './live-stream-config';
import { StreamBuffers } from './stream-buffers';
import { StreamSlots } from './stream-slots';

/** What a live view must carry: its id, and the version its owner bumps on every change. */
export interface LiveView {
  id: string;
  version: number;
}

export interface LiveViewsOptions<V extends LiveView> {
  /** The `event:` name of every update: `ticket`, `order`. */
  eventName: string;
  /** Reads the current views of `ids` in one query; an id it leaves out does not exist. */
  load(ids: readonly string[]): Promise<V[]>;
  /** Streams open at once, at most; the next one is refused with 503 (SSE_MAX_CLIENTS). */
  maxStreams: number;
  /**
   * Streams one client address holds at once, at most; its next one is refused with 429
   * (SSE_MAX_CLIENTS_PER_ADDRESS). The address is Express's `req.ip`, as seen through `trust proxy`.
   */
  maxStreamsPerAddress: number;
  /**
   * Unsent bytes a stream may hold: with more when its next write is due, it is dropped
   * (SSE_MAX_BUFFER_KB_PER_STREAM; default 64 KiB).
   */
  maxBufferedBytesPerStream?: number;
  /** Unsent bytes of all the streams together; past it, the slowest readers are dropped first (SSE_MAX_BUFFER_MB; default 16 MiB). */
  maxBufferedBytes?: number;
  /** How often an idle stream is sent a comment (SSE_HEARTBEAT_SECONDS). */
  heartbeatMs: number;
  logger: Logger;
  /**
   * The reconnection delay hinted to browsers (`retry:`): each stream is told this plus a random part of up
   * to the same again, so that the streams of a replica that stops do not all come back in the same moment.
   */
  retryMs?: number;
  /** Ids read by one query at most. */
  maxIdsPerLoad?: number;
  /**
   * The process's stream count to take from, when other streams of the service share its bounds (by default
   * one of its own, with `maxStreams` and `maxStreamsPerAddress`).
   */
  slots?: StreamSlots;
}

/** What a route serves on a request: the ids watched, and what must hold before the stream opens. */
export interface ServeOptions<V extends LiveView> {
  ids: readonly string[];
  /** Throws to refuse the stream (404 for an unknown id, 403 for someone else's order) with the envelope. */
  check?(views: ReadonlyMap<string, V>): void;
}

/** The client's address as Express sees it through `trust proxy` (`req.ip`), else the socket's peer. */
export function clientAddressOf(req: IncomingMessage): string {
  return (req as IncomingMessage & { ip?: string }).ip ?? req.socket.remoteAddress ?? 'unknown';
}

const DEFAULT_RETRY_MS = 2_000;
const DEFAULT_MAX_IDS_PER_LOAD = 100;
/** Queries in flight at once: a burst of changes must leave the pool to the requests and listeners. */
const MAX_LOADS_IN_FLIGHT = 2;
/** When loads fail (the database is away), streams keep their last view and the reads are tried again. */
const FIRST_RETRY_DELAY_MS = 1_000;
const MAX_RETRY_DELAY_MS = 30_000;

/** One id someone watches in this process. */
interface Watched<V extends LiveView> {
  streams: Set<LiveStream<V>>;
  /** The highest version a load has delivered: a change at or below it is old news. */
  version: number;
  loading: boolean;
  /** Changed again while a load was in flight, which may have read it before the change: read it again after. */
  stale: boolean;
}

/**
 * Live views as server-sent events, fanned out in memory: each process keeps the streams its clients have
 * open, by id (a ticket, an order), and when the bus says one changed ({@link changed}) reads it once,
 * however many streams watch it, and sends it to each of them. Nothing polls: a stream costs a socket and a
 * heartbeat comment every `heartbeatMs`, and a change costs one read per process (changes arriving together
 * share a read, up to `maxIdsPerLoad` ids per query).
 *
 * A stream starts by reading what it watches (the snapshot, also when it reconnects) from a read that began
 * after it started watching, so no change can fall between the snapshot and the first update. Updates carry
 * the whole view as the API shows it, only ever newer versions; a stream of one id labels them with the
 * version (`id:`), so a browser that reconnects with `Last-Event-ID` at the current version is sent nothing
 * it has. While the bus is away, streams stay open on their heartbeats; {@link refreshAll} (on reconnect)
 * reads every watched id again, so a change the bus could not report still arrives.
 */
export class LiveViews<V extends LiveView> {
  private readonly watched = new Map<string, Watched<V>>();
  private readonly streams = new Set<LiveStream<V>>();
  /** Streams open or opening in the process, in all and per client address: each address gets its share. */
  readonly slots: StreamSlots;
  /** What this process holds for clients that have not read it, bounded per stream and in all. */
  readonly buffers: StreamBuffers;
  private readonly due = new Set<string>();
  private readonly retrying = new Set<string>();
  private readonly heartbeat: NodeJS.Timeout;
  private flushScheduled = false;
  private loadsInFlight = 0;
  private loadsStarted = 0;
  private retryDelayMs = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly options: LiveViewsOptions<V>) {
    this.slots =
      options.slots ??
      new StreamSlots({ maxStreams: options.maxStreams, maxStreamsPerAddress: options.maxStreamsPerAddress });
    this.buffers = new StreamBuffers(
      {
        maxBytesPerStream: options.maxBufferedBytesPerStream ?? DEFAULT_STREAM_BUFFER_KB * 1024,
        maxBytesPerProcess: options.maxBufferedBytes ?? DEFAULT_PROCESS_STREAM_BUFFER_MB * 1024 * 1024,
      },
      options.logger,
    );
    this.heartbeat = setInterval(() => {
      for (const stream of this.streams) stream.beat();
    }, options.heartbeatMs);
    this.heartbeat.unref();
  }

  /** Streams open or opening in this process. */
  get streamCount(): number {
    return this.streams.size;
  }

  /**
   * Bytes this process holds for its streams' clients that have not read them yet, as last counted (at most
   * an overstatement): bounded by `maxBufferedBytes`.
   */
  get unsentBytes(): number {
    return this.buffers.countedBytes;
  }

  /** Ids watched by at least one stream of this process. */
  watchedIds(): string[] {
    return [...this.watched.keys()];
  }

  /**
   * Serves a stream of `ids` on this request: 503 when the process holds its most streams already, 429 when
   * its client's address holds its share of them, the snapshot read and `check` passed (its errors answer with
   * the envelope, headers not sent yet), then the stream, open until the client goes (or reads too slowly:
   * see {@link StreamBuffers}) or the process stops.
   */
  async serve(req: IncomingMessage, res: ServerResponse, { ids, check }: ServeOptions<V>): Promise<void> {
    const stream = this.watch(ids, clientAddressOf(req));
    res.once('close', () => stream.cancel());
    let views: ReadonlyMap<string, V>;
    try {
      views = await stream.ready();
      check?.(views);
    } catch (error) {
      stream.cancel();
      // The client went away meanwhile: nobody to answer.
      if (res.destroyed) return;
      throw error;
    }
    if (res.destroyed) return;
    if (req.method === 'HEAD') {
      // Express routes HEAD to GET handlers: say what a GET would get, and hold nothing open.
      stream.cancel();
      res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store' }).end();
      return;
    }
    const lastEventId = req.headers['last-event-id'];
    stream.open(req, res, {
      retryMs: this.retryHint(),
      buffers: this.buffers,
      lastEventId: typeof lastEventId === 'string' ? lastEventId : undefined,
    });
  }

  /** The bus says `id` changed (to `version`, when it says): read it again if anyone here watches it. */
  changed(id: string, version?: number): void {
    const entry = this.watched.get(id);
    if (!entry) return;
    if (version !== undefined && version <= entry.version) return;
    this.requestLoad([id]);
  }

  /** Reads every watched id again: after the bus reconnects, a change it could not report shows anyway. */
  refreshAll(): void {
    this.requestLoad([...this.watched.keys()]);
  }

  /** Ends every stream (browsers reconnect, to another replica) and refuses new ones: on shutdown. */
  close(): void {
    this.closed = true;
    clearInterval(this.heartbeat);
    clearTimeout(this.retryTimer);
    for (const stream of [...this.streams]) stream.cancel();
  }

  /**
   * Starts watching `ids` for a new stream of a client at `address`; 503 when the process is full or closing,
   * 429 when that address holds its share of the streams.
   */
  watch(ids: readonly string[], address = ''): LiveStream<V> {
    if (this.closed) throw new ServiceUnavailableError('The service is restarting; please reconnect', 1);
    this.slots.take(address);
    const unique = [...new Set(ids)];
    const stream = new LiveStream<V>(this, this.options.eventName, unique, this.loadsStarted, address);
    this.streams.add(stream);
    for (const id of unique) {
      let entry = this.watched.get(id);
      if (!entry) {
        entry = { streams: new Set(), version: -1, loading: false, stale: false };
        this.watched.set(id, entry);
      }
      entry.streams.add(stream);
    }
    this.requestLoad(unique);
    return stream;
  }

  /** @internal A stream ended: forget it, and the ids nobody watches any more. */
  release(stream: LiveStream<V>): void {
    if (!this.streams.delete(stream)) return;
    this.slots.give(stream.address);
    for (const id of stream.ids) {
      const entry = this.watched.get(id);
      if (!entry) continue;
      entry.streams.delete(stream);
      if (entry.streams.size === 0) {
        this.watched.delete(id);
        this.due.delete(id);
        this.retrying.delete(id);
      }
    }
  }

  private retryHint(): number {
    const base = this.options.retryMs ?? DEFAULT_RETRY_MS;
    return base + Math.floor(Math.random() * base);
  }

  private requestLoad(ids: Iterable<string>): void {
    for (const id of ids) {
      const entry = this.watched.get(id);
      if (!entry) continue;
      if (entry.loading) entry.stale = true;
      else this.due.add(id);
    }
    this.scheduleFlush();
  }

  /** Loads what is due on the next turn of the event loop, so that changes arriving together share a read. */
  private scheduleFlush(): void {
    if (this.flushScheduled || this.closed) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    const perLoad = this.options.maxIdsPerLoad ?? DEFAULT_MAX_IDS_PER_LOAD;
    while (this.due.size > 0 && this.loadsInFlight < MAX_LOADS_IN_FLIGHT) {
      const batch: string[] = [];
      for (const id of this.due) {
        this.due.delete(id);
        const entry = this.watched.get(id);
        if (!entry) continue;
        if (entry.loading) {
          entry.stale = true;
          continue;
        }
        batch.push(id);
        if (batch.length >= perLoad) break;
      }
      if (batch.length > 0) void this.load(batch);
    }
  }

  private async load(ids: string[]): Promise<void> {
    this.loadsInFlight += 1;
    this.loadsStarted += 1;
    const generation = this.loadsStarted;
    for (const id of ids) {
      const entry = this.watched.get(id);
      if (entry) {
        entry.loading = true;
        entry.stale = false;
      }
    }
    let views: Map<string, V> | undefined;
    let failure: unknown;
    try {
      views = new Map((await this.options.load(ids)).map((view) => [view.id, view]));
      this.retryDelayMs = 0;
    } catch (error) {
      failure = error;
    }
    this.loadsInFlight -= 1;

    const failed: string[] = [];
    for (const id of ids) {
      const entry = this.watched.get(id);
      if (!entry) continue;
      entry.loading = false;
      if (views) {
        const view = views.get(id);
        if (view && view.version > entry.version) entry.version = view.version;
        for (const stream of [...entry.streams]) stream.loaded(id, view, generation);
      } else {
        for (const stream of [...entry.streams]) stream.loadFailed(id, failure, generation);
        failed.push(id);
      }
      if (entry.stale) {
        entry.stale = false;
        this.due.add(id);
      }
    }
    if (failed.length > 0) this.retryLater(failed, failure);
    this.scheduleFlush();
  }

  /** Reads that failed are tried again with backoff while someone still watches: streams stay open meanwhile. */
  private retryLater(ids: string[], failure: unknown): void {
    for (const id of ids) this.retrying.add(id);
    if (this.retryTimer !== undefined || this.closed) return;
    this.retryDelayMs = Math.min(MAX_RETRY_DELAY_MS, Math.max(FIRST_RETRY_DELAY_MS, this.retryDelayMs * 2));
    this.options.logger.warn(
      { err: failure, ids: this.retrying.size, retryInMs: this.retryDelayMs },
      `could not read ${this.options.eventName} views for live updates; trying again`,
    );
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      const again = [...this.retrying];
      this.retrying.clear();
      this.requestLoad(again);
    }, this.retryDelayMs);
    this.retryTimer.unref();
  }
}

/**
 * One client's stream: opening (waiting for its snapshot) and then open. Each update it writes is the
 * newest version of its view, never one it has already sent.
 */
export class LiveStream<V extends LiveView> {
  private readonly views = new Map<string, V>();
  private readonly sent = new Map<string, number>();
  /** Ids read by a load that began after this stream started watching: its snapshot of them is current. */
  private readonly settled = new Set<string>();
  private readonly readiness: Promise<ReadonlyMap<string, V>>;
  private resolveReady!: (views: ReadonlyMap<string, V>) => void;
  private rejectReady!: (error: unknown) => void;
  private stream: EventStream | undefined;
  private done = false;

  constructor(
    private readonly hub: LiveViews<V>,
    private readonly eventName: string,
    readonly ids: readonly string[],
    /** Loads started before this stream watched: those may have read a view before a change it must see. */
    private readonly loadsStartedBefore: number,
    /** Its client's address: what its share of the streams is counted by. */
    readonly address: string,
  ) {
    this.readiness = new Promise((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
    // Handled where the route awaits it; a stream cancelled before anyone asked must not crash the process.
    this.readiness.catch(() => undefined);
  }

  /** Resolves once every id has been read since this stream started: the views of the ids that exist. */
  ready(): Promise<ReadonlyMap<string, V>> {
    return this.readiness;
  }

  /**
   * Sends the headers and the snapshot: every view it has, except (for a stream of one view) the version the
   * browser says it has already (`Last-Event-ID`). Then each newer version as it is read.
   */
  open(
    req: IncomingMessage,
    res: ServerResponse,
    options: { retryMs: number; buffers: StreamBuffers; lastEventId?: string },
  ): void {
    if (this.done) return;
    const [only] = this.ids;
    if (this.ids.length === 1 && only !== undefined && options.lastEventId !== undefined) {
      const view = this.views.get(only);
      // Only the version it has exactly: an id from elsewhere (or the future) gets the snapshot.
      if (view && options.lastEventId === String(view.version)) this.sent.set(only, view.version);
    }
    this.stream = EventStream.open(req, res, { retryMs: options.retryMs, buffers: options.buffers });
    // The snapshot in one write: counted against the stream's bound as a whole, never cut in the middle.
    this.write([...this.views.values()]);
  }

  /** Stops watching and ends the response, if any. Safe to call more than once. */
  cancel(): void {
    if (this.done) return;
    this.done = true;
    this.hub.release(this);
    this.rejectReady(new ServiceUnavailableError('The live update was closed; please reconnect', 1));
    this.stream?.end();
  }

  /** @internal A load read `id` (absent when `view` is undefined). */
  loaded(id: string, view: V | undefined, generation: number): void {
    if (this.done) return;
    if (view && view.version > (this.views.get(id)?.version ?? -1)) {
      this.views.set(id, view);
      if (this.stream) this.write([view]);
    }
    if (generation > this.loadsStartedBefore) this.settled.add(id);
    if (!this.stream && this.ids.every((watched) => this.settled.has(watched))) this.resolveReady(this.views);
  }

  /** @internal A load of `id` failed: a stream still waiting for its snapshot fails with it; an open one waits. */
  loadFailed(_id: string, error: unknown, generation: number): void {
    if (!this.stream && generation > this.loadsStartedBefore) this.rejectReady(error);
  }

  /** @internal The heartbeat: a comment, and the end of a stream whose client has gone. */
  beat(): void {
    if (!this.stream) return;
    if (this.stream.closed) {
      this.cancel();
      return;
    }
    this.stream.comment('keep-alive');
  }

  /** Sends those of `views` newer than what this stream has sent, in one write. */
  private write(views: readonly V[]): void {
    if (!this.stream) return;
    const newer = views.filter((view) => view.version > (this.sent.get(view.id) ?? -1));
    for (const view of newer) this.sent.set(view.id, view.version);
    this.stream.send(
      ...newer.map((view) => ({
        name: this.eventName,
        // A stream of several views has no one position to resume from: it reconnects to a fresh snapshot.
        id: this.ids.length === 1 ? String(view.version) : undefined,
        data: view,
      })),
    );
    if (this.stream.closed) this.cancel();
  }
}
