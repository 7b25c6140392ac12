import { ServiceUnavailableError, TooManyRequestsError } from '../errors';

/** What a refused browser is asked to wait (EventSource cannot read it; the web app backs off by itself). */
const FULL_RETRY_AFTER_SECONDS = 5;

/** The bounds on the streams one process holds open (SSE_MAX_CLIENTS, SSE_MAX_CLIENTS_PER_ADDRESS). */
export interface StreamSlotBounds {
  /** Streams open at once, at most; the next one is refused with 503. */
  maxStreams: number;
  /** Streams one client address holds at once, at most; its next one is refused with 429. */
  maxStreamsPerAddress: number;
}

/**
 * The streams one process holds open, in all and per client address. One count for every kind of stream a
 * process serves ({@link LiveViews} and any other stream of the same service share it), so the bounds are the
 * process's, as its memory is.
 */
export class StreamSlots {
  private open = 0;
  private readonly byAddress = new Map<string, number>();

  constructor(readonly bounds: StreamSlotBounds) {}

  /** Streams open or opening. */
  get count(): number {
    return this.open;
  }

  /** Takes a slot for a stream of a client at `address`: 503 when the process is full, 429 when the address is. */
  take(address: string): void {
    if (this.open >= this.bounds.maxStreams) {
      throw new ServiceUnavailableError(
        'Too many live updates are open here; please try again shortly',
        FULL_RETRY_AFTER_SECONDS,
      );
    }
    const fromAddress = this.byAddress.get(address) ?? 0;
    if (fromAddress >= this.bounds.maxStreamsPerAddress) {
      // 429, not 503: the limit is this client's own share, not the service's; other clients still get streams.
      throw new TooManyRequestsError(
        'Too many live updates are open from your address; close some or try again shortly',
        FULL_RETRY_AFTER_SECONDS,
      );
    }
    this.open += 1;
    this.byAddress.set(address, fromAddress + 1);
  }

  /** Gives back the slot a stream of `address` took. */
  give(address: string): void {
    this.open = Math.max(0, this.open - 1);
    const fromAddress = (this.byAddress.get(address) ?? 1) - 1;
    if (fromAddress > 0) this.byAddress.set(address, fromAddress);
    else this.byAddress.delete(address);
  }
}
