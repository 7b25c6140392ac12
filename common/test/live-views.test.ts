import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { LiveViews, errorHandler } from '../src';
import { createTestLogger, readEventStream, waitFor, type EventStreamReader } from '../src/testing';

interface Note {
  id: string;
  version: number;
  text: string;
}

/**
 * LiveViews over an in-memory store whose reads the test counts and can make fail, served at `/notes/stream?ids=`.
 */
async function startNotes(options: { maxStreams?: number } = {}) {
  const store = new Map<string, Note>();
  const reads: string[][] = [];
  let failing = false;
  let gate: Promise<void> | undefined;
  const views = new LiveViews<Note>({
    eventName: 'note',
    load: async (ids) => {
      reads.push([...ids]);
      if (failing) throw new Error('store unreachable');
      // Read now, answered when the gate opens: a read that is slow to come back.
      const found = ids.flatMap((id) => (store.has(id) ? [{ ...store.get(id)! }] : []));
      await gate;
      return found;
    },
    maxStreams: options.maxStreams ?? 1_000,
    maxStreamsPerAddress: 1_000,
    heartbeatMs: 60_000,
    logger: createTestLogger(),
  });
  const app = express();
  app.get('/notes/stream', async (req, res) => {
    await views.serve(req, res, { ids: String(req.query.ids).split(',') });
  });
  app.use(errorHandler);
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const readers: EventStreamReader[] = [];
  return {
    url: base,
    store,
    reads,
    views,
    setFailing: (value: boolean) => {
      failing = value;
    },
    /** Holds every read's answer until the returned function is called. */
    holdReads(): () => void {
      let release!: () => void;
      gate = new Promise((resolve) => (release = resolve));
      return () => {
        gate = undefined;
        release();
      };
    },
    write(id: string, text: string) {
      const version = (store.get(id)?.version ?? -1) + 1;
      store.set(id, { id, version, text });
      return version;
    },
    open: async (ids: string[]) => {
      const reader = await readEventStream(`${base}/notes/stream?ids=${ids.join(',')}`);
      readers.push(reader);
      return reader;
    },
    close: async () => {
      for (const reader of readers) reader.close();
      views.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

type Notes = Awaited<ReturnType<typeof startNotes>>;
let notes: Notes;
afterEach(() => notes?.close());

const textsOf = (reader: EventStreamReader) => reader.events.map((event) => (JSON.parse(event.data) as Note).text);

describe('LiveViews', () => {
  it('when a hundred streams watch one view and it changes, then it is read once and each stream gets it', async () => {
    notes = await startNotes();
    notes.write('a', 'first');
    const streams = await Promise.all(Array.from({ length: 100 }, () => notes.open(['a'])));
    await Promise.all(streams.map((stream) => stream.nextEvent()));
    const readsBefore = notes.reads.length;

    const version = notes.write('a', 'second');
    notes.views.changed('a', version);
    await Promise.all(streams.map((stream) => stream.nextEvent(undefined, { after: 1 })));

    expect(notes.reads.length - readsBefore).toBe(1);
    for (const stream of streams) expect(textsOf(stream)).toEqual(['first', 'second']);
  });

  it('when changes to many views arrive together, then they share a read; a change already seen reads nothing', async () => {
    notes = await startNotes();
    const ids = Array.from({ length: 20 }, (_, index) => `n${index}`);
    for (const id of ids) notes.write(id, 'v0');
    const stream = await notes.open(ids);
    await waitFor(() => expect(stream.events).toHaveLength(20));
    const readsBefore = notes.reads.length;

    for (const id of ids) notes.views.changed(id, notes.write(id, 'v1'));
    await waitFor(() => expect(stream.events).toHaveLength(40));
    expect(notes.reads.length - readsBefore).toBe(1);

    // The same versions again (a redelivery, a restatement): old news.
    for (const id of ids) notes.views.changed(id, 1);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(notes.reads.length - readsBefore).toBe(1);
    // Nobody watches `elsewhere`: nothing to read.
    notes.views.changed('elsewhere', 3);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(notes.reads.length - readsBefore).toBe(1);
  });

  it('when the store cannot be read, then open streams stay open and get the change once it can', async () => {
    notes = await startNotes();
    notes.write('a', 'first');
    const stream = await notes.open(['a']);
    await stream.nextEvent();

    notes.setFailing(true);
    notes.views.changed('a', notes.write('a', 'second'));
    await waitFor(() => expect(notes.reads.length).toBeGreaterThanOrEqual(3));
    notes.setFailing(false);

    const update = await stream.nextEvent(undefined, { after: 1, timeoutMs: 5_000 });
    expect(JSON.parse(update.data)).toMatchObject({ text: 'second', version: 1 });
  });

  it('when a stream starts while an older read is under way, then its snapshot comes from a read that began after it', async () => {
    notes = await startNotes();
    notes.write('a', 'first');
    const release = notes.holdReads();
    const first = notes.open(['a']);
    await waitFor(() => expect(notes.reads).toHaveLength(1));
    // A change whose event never came (the bus was away): only a new read can show it.
    notes.write('a', 'second');
    const second = notes.open(['a']);
    await waitFor(() => expect(notes.views.streamCount).toBe(2));
    release();

    const [early, late] = await Promise.all([first, second]);
    await late.nextEvent();
    expect(textsOf(late)).toEqual(['second']);
    await early.nextEvent(undefined, { after: 1 });
    expect(textsOf(early)).toEqual(['first', 'second']);
  });

  it('when asked with HEAD, then it answers what a GET would get and holds nothing open', async () => {
    notes = await startNotes();
    notes.write('a', 'first');
    const answer = await fetch(`${notes.url}/notes/stream?ids=a`, { method: 'HEAD' });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    await waitFor(() => expect(notes.views.streamCount).toBe(0));
  });

  it('when the process holds its most streams, then the next is refused 503 with Retry-After and the envelope', async () => {
    notes = await startNotes({ maxStreams: 1 });
    notes.write('a', 'first');
    await (await notes.open(['a'])).nextEvent();
    const refused = await notes.open(['a']);
    await refused.ended;
    expect(refused.status).toBe(503);
    expect(refused.headers['retry-after']).toBe('5');
    expect(JSON.parse(refused.text())).toEqual({
      errors: [{ message: 'Too many live updates are open here; please try again shortly' }],
    });
  });
});
