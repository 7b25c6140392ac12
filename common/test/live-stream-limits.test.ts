import * as http from 'node:http';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { LiveViews, StreamBuffers, errorHandler, type BufferedStream } from '../src';
import { createTestLogger, readEventStream, waitFor, type EventStreamReader } from '../src/testing';

interface Note {
  id: string;
  version: number;
  text: string;
}

/** Each update carries this much text: a client that does not read falls behind by about this per update. */
const UPDATE_BYTES = 64 * 1024;
/**
 * Updates a test may push before it gives up waiting for the server to act: far more than a loopback
 * connection's kernel buffers (a few MB) plus any bound below.
 */
const MAX_UPDATES = 1_500;

interface Limits {
  maxStreamsPerAddress?: number;
  maxBufferedBytesPerStream?: number;
  maxBufferedBytes?: number;
}

/**
 * A client that sends its request and never reads the answer: the server's writes pile up in the kernel's
 * buffers, then in the process's. `serverSide` is the server's socket for it.
 */
interface StalledClient {
  serverSide(): net.Socket;
  /** Starts reading at last, and resolves once the server has ended the connection. */
  readToEnd(): Promise<void>;
}

/** LiveViews over an in-memory store, served at `/notes/stream?ids=` behind `trust proxy` (one hop). */
async function startNotes(limits: Limits) {
  const store = new Map<string, Note>();
  const views = new LiveViews<Note>({
    eventName: 'note',
    load: async (ids) => ids.flatMap((id) => (store.has(id) ? [{ ...store.get(id)! }] : [])),
    maxStreams: 1_000,
    maxStreamsPerAddress: limits.maxStreamsPerAddress ?? 1_000,
    maxBufferedBytesPerStream: limits.maxBufferedBytesPerStream,
    maxBufferedBytes: limits.maxBufferedBytes,
    heartbeatMs: 60_000,
    logger: createTestLogger(),
  });
  const app = express();
  app.set('trust proxy', 1);
  app.get('/notes/stream', async (req, res) => {
    await views.serve(req, res, { ids: String(req.query.ids).split(',') });
  });
  app.use(errorHandler);
  const server = http.createServer(app);
  const serverSockets = new Map<number, net.Socket>();
  server.on('connection', (socket) => serverSockets.set(socket.remotePort!, socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const base = `http://127.0.0.1:${port}`;
  const opened: { close(): void }[] = [];

  const notes = {
    views,
    write(id: string, text: string) {
      const version = (store.get(id)?.version ?? -1) + 1;
      store.set(id, { id, version, text });
      return version;
    },
    open: async (ids: string[], headers: http.OutgoingHttpHeaders = {}) => {
      const reader = await readEventStream(`${base}/notes/stream?ids=${ids.join(',')}`, headers);
      opened.push(reader);
      return reader;
    },
    async openStalled(ids: string[]): Promise<StalledClient> {
      const before = views.streamCount;
      const socket = net.connect(port, '127.0.0.1');
      opened.push({ close: () => socket.destroy() });
      await new Promise<void>((resolve) => socket.once('connect', resolve));
      socket.pause();
      socket.write(
        `GET /notes/stream?ids=${ids.join(',')} HTTP/1.1\r\nHost: notes\r\nAccept: text/event-stream\r\n\r\n`,
      );
      await waitFor(() => expect(views.streamCount).toBe(before + 1));
      const localPort = socket.localPort!;
      return {
        serverSide: () => serverSockets.get(localPort)!,
        readToEnd: () =>
          new Promise<void>((resolve) => {
            socket.once('close', () => resolve());
            socket.on('data', () => undefined);
            socket.on('error', () => undefined);
            socket.resume();
          }),
      };
    },
    /**
     * Changes note `id` and waits until `reader` has the change: by then the process has written it to every
     * stream of the note, read or not.
     */
    async update(id: string, reader: EventStreamReader): Promise<void> {
      const version = this.write(id, '.'.repeat(UPDATE_BYTES));
      views.changed(id, version);
      await reader.nextEvent((event) => (JSON.parse(event.data) as Note).version === version, { timeoutMs: 5_000 });
    },
    /** Updates note `id` until `done` holds; fails past MAX_UPDATES. */
    async updateUntil(id: string, reader: EventStreamReader, done: () => boolean): Promise<void> {
      for (let updates = 0; !done(); updates += 1) {
        if (updates >= MAX_UPDATES) throw new Error(`still not done after ${MAX_UPDATES} updates`);
        await this.update(id, reader);
      }
    },
    close: async () => {
      for (const open of opened) open.close();
      views.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
  return notes;
}

const lastVersionOf = (reader: EventStreamReader) => (JSON.parse(reader.events.at(-1)!.data) as Note).version;

type Notes = Awaited<ReturnType<typeof startNotes>>;
let notes: Notes | undefined;
afterEach(async () => {
  await notes?.close();
  notes = undefined;
});

describe('live streams and clients that do not read', () => {
  it('when a client never reads, then its stream is kept up to its own bound, then closed; a reading client gets every update', async () => {
    const bound = 1024 * 1024;
    notes = await startNotes({ maxBufferedBytesPerStream: bound, maxBufferedBytes: 64 * bound });
    notes.write('a', 'first');
    const reader = await notes.open(['a']);
    await reader.nextEvent();
    const stalled = await notes.openStalled(['a']);

    // More than half its bound unsent (more than the 256 kB that used to be the fixed limit): still open.
    await notes.updateUntil('a', reader, () => notes!.views.unsentBytes > bound / 2);
    expect(notes.views.streamCount).toBe(2);
    expect(stalled.serverSide().destroyed).toBe(false);

    // Past its bound, the next update closes it.
    await notes.updateUntil('a', reader, () => notes!.views.streamCount === 1);
    expect(stalled.serverSide().destroyed).toBe(true);
    await stalled.readToEnd();

    const before = reader.events.length;
    await notes.update('a', reader);
    expect(reader.events.map((event) => (JSON.parse(event.data) as Note).version)).toEqual(
      Array.from({ length: before + 1 }, (_, version) => version),
    );
  });

  it('when the process holds more than its bound for clients that do not read, then the slowest reader goes first, and readers are served', async () => {
    // Room for the kernel's buffers of a second client (a few MB on loopback) on top of the first's head start.
    const bound = 16 * 1024 * 1024;
    // Each stream alone may hold far more: only the process's bound can close them here.
    notes = await startNotes({ maxBufferedBytesPerStream: 4 * bound, maxBufferedBytes: bound });
    notes.write('a', 'first');
    const reader = await notes.open(['a']);
    await reader.nextEvent();
    const slowest = await notes.openStalled(['a']);
    await notes.updateUntil('a', reader, () => notes!.views.unsentBytes > bound / 2);
    expect(notes.views.streamCount).toBe(2);

    // A second client that does not read, behind by less since it came later: both fall further behind with
    // every update, and the one whose write takes the process over its bound may be either.
    const slow = await notes.openStalled(['a']);
    await notes.updateUntil('a', reader, () => notes!.views.streamCount < 3);
    expect(slowest.serverSide().destroyed).toBe(true);
    expect(slow.serverSide().destroyed).toBe(false);
    await slowest.readToEnd();

    await notes.update('a', reader);
    expect(notes.views.streamCount).toBe(2);
    expect(slow.serverSide().destroyed).toBe(false);
    expect(lastVersionOf(reader)).toBe(reader.events.length - 1);
    // Some 20 MB go through loopback sockets: room for a busy machine.
  }, 120_000);

  it('when one address holds its share of the streams, then its next is refused 429 with Retry-After and the envelope; other addresses still get theirs', async () => {
    notes = await startNotes({ maxStreamsPerAddress: 2 });
    notes.write('a', 'first');
    const [first] = [await notes.open(['a']), await notes.open(['a'])];

    const refused = await notes.open(['a']);
    expect(refused.status).toBe(429);
    await refused.ended;
    expect(refused.headers['retry-after']).toBe('5');
    expect(JSON.parse(refused.text())).toEqual({
      errors: [{ message: 'Too many live updates are open from your address; close some or try again shortly' }],
    });

    // Another client, as the proxy in front (one trusted hop) names it.
    const elsewhere = await notes.open(['a'], { 'x-forwarded-for': '203.0.113.9' });
    expect(elsewhere.status).toBe(200);

    first!.close();
    await waitFor(() => expect(notes!.views.streamCount).toBe(2));
    expect((await notes.open(['a'])).status).toBe(200);
  });
});

describe('StreamBuffers', () => {
  /** A stream with a given number of unsent bytes, that records being dropped. */
  const streamWith = (unsentBytes: number) => {
    const stream = { unsentBytes, dropped: false, drop: () => (stream.dropped = true) };
    return stream satisfies BufferedStream;
  };

  it('when the process goes over its bound, then the streams with the most unsent go first, until well under it', () => {
    const buffers = new StreamBuffers({ maxBytesPerStream: 10_000, maxBytesPerProcess: 1_000 });
    const streams = [streamWith(100), streamWith(500), streamWith(300), streamWith(50)];
    for (const stream of streams.slice(0, 3)) buffers.wrote(stream);
    expect(streams.map((stream) => stream.dropped)).toEqual([false, false, false, false]);

    // 950 with the last: still within 1,000. Then the smallest grows to 250: 1,150 in all.
    buffers.wrote(streams[3]!);
    streams[3]!.unsentBytes = 250;
    buffers.wrote(streams[3]!);
    // Not the one just written to: the slowest (500), leaving 650, under three quarters of the bound.
    expect(streams.map((stream) => stream.dropped)).toEqual([false, true, false, false]);
    expect(buffers.countedBytes).toBe(650);
  });

  it('when a stream has more than its own bound unsent, then it is dropped rather than written to', () => {
    const buffers = new StreamBuffers({ maxBytesPerStream: 1_000, maxBytesPerProcess: 1_000_000 });
    const stream = streamWith(1_000);
    expect(buffers.admits(stream)).toBe(true);
    buffers.wrote(stream);
    stream.unsentBytes = 1_001;
    expect(buffers.admits(stream)).toBe(false);
    expect(stream.dropped).toBe(true);
    expect(buffers.countedBytes).toBe(0);
  });

  it('counts a stream whose client has since read part of its backlog as it is now, before dropping anyone', () => {
    const buffers = new StreamBuffers({ maxBytesPerStream: 10_000, maxBytesPerProcess: 1_000 });
    const draining = streamWith(900);
    buffers.wrote(draining);
    // Its socket sent most of it since, without a `drain` event (that comes only once it is all gone).
    draining.unsentBytes = 100;
    const other = streamWith(800);
    buffers.wrote(other);
    expect([draining.dropped, other.dropped]).toEqual([false, false]);
    expect(buffers.countedBytes).toBe(900);
  });
});
