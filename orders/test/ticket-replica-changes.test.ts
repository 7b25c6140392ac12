import { TicketReplicaChanges } from '../src/orders/ticket-replica-changes';

/** Longer than any test runs: a wait that ends did so because it was woken. */
const NEVER_MS = 10 * 60_000;

describe('TicketReplicaChanges', () => {
  it('when a ticket changes, then every buyer waiting on it is woken, and buyers of other tickets keep waiting', async () => {
    const changes = new TicketReplicaChanges();
    const first = changes.next('a').within(NEVER_MS);
    const second = changes.next('a').within(NEVER_MS);
    const other = changes.next('b');

    changes.changed('a');
    await Promise.all([first, second]);
    expect(changes.size).toBe(1);

    other.cancel();
    expect(changes.size).toBe(0);
  });

  it('when the ticket changes between taking the wake-up and waiting (the replica read), then the wait ends at once', async () => {
    const changes = new TicketReplicaChanges();
    const change = changes.next('a');
    changes.changed('a');
    await change.within(NEVER_MS);
    expect(changes.size).toBe(0);
  });

  it('when a wait runs out, then it leaves nothing behind', async () => {
    const changes = new TicketReplicaChanges();
    await changes.next('a').within(1);
    expect(changes.size).toBe(0);
    changes.changed('a');
  });
});
