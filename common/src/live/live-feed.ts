import type { Subscription } from '@nats-io/transport-node';
import type { Logger } from 'pino';
import type { AnyEnvelope, EventBus } from '../bus';
import { parseEnvelope, subjects as catalogSubjects, type Subject } from '../events';
import type { LiveView, LiveViews } from './live-views';

export interface LiveFeedOptions<S extends Subject> {
  bus: EventBus;
  /** The subjects that change the views (`ticket.created`, `ticket.updated`). */
  subjects: readonly S[];
  /** Which view an event changes, and to what version (an event without one reads the view regardless). */
  changeOf(event: AnyEnvelope<S>): { id: string; version?: number };
  views: Pick<LiveViews<LiveView>, 'changed' | 'refreshAll' | 'watchedIds'>;
  logger: Logger;
  /** Called when the connection comes back after an outage: events published meanwhile were missed. */
  onReconnect?: () => void;
}

export interface LiveFeed {
  stop(): void;
}

/**
 * Tells {@link LiveViews} what changed, from the bus: a plain NATS subscription per process on the stream's
 * subjects, not a JetStream consumer. A durable consumer shared by the replicas would hand each event to one
 * of them, and every replica has its own streams to update; and a missed event costs nothing lasting here,
 * since the views are read from the database, not from the event. So when the connection comes back after
 * an outage (the client resubscribes by itself), every watched view is read again, which covers whatever
 * was published meanwhile, by this replica's relay or another's.
 */
export function startLiveFeed<S extends Subject>(options: LiveFeedOptions<S>): LiveFeed {
  const { bus, views, logger } = options;
  const wanted = new Set<string>(options.subjects);
  const prefix = `${bus.options.subjectPrefix}.`;

  const onMessage = (wireSubject: string, payload: () => unknown) => {
    const subject = wireSubject.slice(prefix.length);
    if (!wireSubject.startsWith(prefix) || !wanted.has(subject)) return;
    try {
      const event = parseEnvelope(subject as S, payload()) as AnyEnvelope<S>;
      const change = options.changeOf(event);
      views.changed(change.id, change.version);
    } catch (error) {
      // The listeners that own this event dead-letter it; here it only means one update fewer.
      logger.debug({ err: error, subject: wireSubject }, 'live feed ignored an event it cannot read');
    }
  };

  const subscriptions: Subscription[] = filtersOf(options.subjects).map((filter) =>
    bus.connection.subscribe(`${prefix}${filter}`, {
      callback: (error, message) => {
        if (error) {
          logger.warn({ err: error }, 'live feed subscription error');
          return;
        }
        onMessage(message.subject, () => message.json());
      },
    }),
  );

  const status = bus.connection.status();
  void (async () => {
    for await (const change of status) {
      if (change.type === 'disconnect') {
        logger.warn('live feed: NATS connection lost; streams stay open and catch up when it returns');
      } else if (change.type === 'reconnect') {
        logger.info(
          { watched: views.watchedIds().length },
          'live feed: NATS is back; reading every watched view again',
        );
        views.refreshAll();
        options.onReconnect?.();
      }
    }
  })();

  return {
    stop() {
      for (const subscription of subscriptions) subscription.unsubscribe();
      (status as { stop?: () => void }).stop?.();
    },
  };
}

/**
 * The subscription filters for `subjects`: one wildcard for subjects that differ only in their last token
 * (`ticket.*` for ticket.created and ticket.updated; an event of a sibling subject is skipped on arrival).
 */
function filtersOf(subjects: readonly Subject[]): string[] {
  const parents = new Map<string, Subject[]>();
  for (const subject of subjects) {
    if (!catalogSubjects.includes(subject)) throw new Error(`unknown subject ${subject}`);
    const parent = subject.slice(0, subject.lastIndexOf('.'));
    parents.set(parent, [...(parents.get(parent) ?? []), subject]);
  }
  return [...parents].map(([parent, members]) => (members.length > 1 ? `${parent}.*` : members[0]!));
}
