import type { IncomingMessage, ServerResponse } from 'node:http';
import { EventStream, clientAddressOf, type StreamBuffers, type StreamSlots } from '@ticketing/common/live';
import { ServiceUnavailableError } from '@ticketing/common/errors';
import { parseEnvelope, type EventData } from '@ticketing/common/events';
import { type EventBus } from '@ticketing/common/bus';
import { type Logger } from '@ticketing/common/logging';
import type { OwnedChange } from '@ticketing/common/api';

const RETRY_MS = 2_000;

interface OwnedStream {
  userId: string;
  address: string;
  stream: EventStream;
}

/**
 * The "My tickets" streams this process holds (`GET /api/tickets/owned/stream`), by user: each `pass.issued`
 * on the bus is sent as `event: owned` to the streams of its new holder and of its previous one, and the page
 * reads My tickets again. The event says all there is to say, so nothing is read from the database: a change
 * costs a write per stream of those two users. Bounded together with the ticket streams of the process: the
 * same slots (SSE_MAX_CLIENTS in all, SSE_MAX_CLIENTS_PER_ADDRESS per client address) and the same unsent bytes
 * (per stream and per process), with the same heartbeat.
 *
 * No snapshot and no `id:`: a stream says only that something changed. The page reads My tickets when the
 * stream opens (and reopens), so what changed while it was away shows then; and when the bus connection comes
 * back after an outage (events published meanwhile never reached this process), every stream is ended so that
 * browsers reconnect and read again.
 */
export class LiveOwnedPasses {
  private readonly byUser = new Map<string, Set<OwnedStream>>();
  private readonly streams = new Set<OwnedStream>();
  private readonly slots: StreamSlots;
  private readonly buffers: StreamBuffers;
  private readonly heartbeat: NodeJS.Timeout;
  private closed = false;

  /** `shared`: the process's stream slots and unsent bytes, those of its live tickets (`LiveViews`). */
  constructor(shared: { slots: StreamSlots; buffers: StreamBuffers }, settings: { heartbeatMs: number }) {
    this.slots = shared.slots;
    this.buffers = shared.buffers;
    this.heartbeat = setInterval(() => {
      for (const owned of this.streams) {
        if (owned.stream.closed) this.release(owned);
        else owned.stream.comment('keep-alive');
      }
    }, settings.heartbeatMs);
    this.heartbeat.unref();
  }

  /** Streams open in this process. */
  get streamCount(): number {
    return this.streams.size;
  }

  /**
   * Serves the signed-in user's stream on this request: 503 when the process holds its most streams (or is
   * stopping), 429 when the client's address holds its share, else the stream, open until the client goes.
   */
  serve(req: IncomingMessage, res: ServerResponse, userId: string): void {
    const address = clientAddressOf(req);
    if (this.closed) throw new ServiceUnavailableError('The service is restarting; please reconnect', 1);
    this.slots.take(address);
    if (req.method === 'HEAD') {
      // Express routes HEAD to GET handlers: say what a GET would get, and hold nothing open.
      this.slots.give(address);
      res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store' }).end();
      return;
    }
    const owned: OwnedStream = {
      userId,
      address,
      stream: EventStream.open(req, res, {
        retryMs: RETRY_MS + Math.floor(Math.random() * RETRY_MS),
        buffers: this.buffers,
      }),
    };
    this.streams.add(owned);
    const ofUser = this.byUser.get(userId) ?? new Set();
    ofUser.add(owned);
    this.byUser.set(userId, ofUser);
    res.once('close', () => this.release(owned));
  }

  /** A pass was issued: its new holder and its previous one each hear of it. */
  issued(pass: EventData<'pass.issued'>): void {
    const change: OwnedChange = { ticketId: pass.ticket.id, generation: pass.generation };
    for (const userId of new Set([pass.holderId, pass.previousHolderId])) {
      if (userId === null) continue;
      for (const owned of [...(this.byUser.get(userId) ?? [])]) {
        owned.stream.send({ name: 'owned', data: change });
        if (owned.stream.closed) this.release(owned);
      }
    }
  }

  /** Ends every stream: its browser reconnects and reads My tickets again (after a bus outage; on shutdown). */
  endAll(): void {
    for (const owned of [...this.streams]) {
      owned.stream.end();
      this.release(owned);
    }
  }

  /** Ends every stream and refuses new ones: on shutdown (browsers reconnect to another replica). */
  close(): void {
    this.closed = true;
    clearInterval(this.heartbeat);
    this.endAll();
  }

  private release(owned: OwnedStream): void {
    if (!this.streams.delete(owned)) return;
    this.slots.give(owned.address);
    const ofUser = this.byUser.get(owned.userId);
    ofUser?.delete(owned);
    if (ofUser?.size === 0) this.byUser.delete(owned.userId);
  }
}

/**
 * Feeds {@link LiveOwnedPasses} from the bus: a plain NATS subscription per process on `pass.issued`, not a
 * JetStream consumer (every replica has its own streams; a durable consumer would hand each event to one).
 */
export function startOwnedPassFeed(bus: EventBus, live: LiveOwnedPasses, logger: Logger): { stop(): void } {
  const subject = `${bus.options.subjectPrefix}.pass.issued`;
  const subscription = bus.connection.subscribe(subject, {
    callback: (error, message) => {
      if (error) {
        logger.warn({ err: error }, 'owned passes feed subscription error');
        return;
      }
      try {
        live.issued(parseEnvelope('pass.issued', message.json()).data);
      } catch (failure) {
        // Tickets' own relay published it; here a bad one only means one update fewer.
        logger.debug({ err: failure }, 'owned passes feed ignored an event it cannot read');
      }
    },
  });
  const status = bus.connection.status();
  void (async () => {
    for await (const change of status) {
      if (change.type === 'reconnect') {
        logger.info({ streams: live.streamCount }, 'owned passes feed: NATS is back; ending streams to be read again');
        live.endAll();
      }
    }
  })();
  return {
    stop() {
      subscription.unsubscribe();
      (status as { stop?: () => void }).stop?.();
    },
  };
}
