import { ReplicaChanges } from '../src/versions/replica-changes';

/** Longer than any test runs: a wait that ends did so because it was woken. */
const NEVER_MS = 10 * 60_000;

describe('ReplicaChanges', () => {
  it('when an entity changes, then every request waiting on it is woken, and requests waiting on others keep waiting', async () => {
    const changes = new ReplicaChanges();
    const first = changes.next('a').within(NEVER_MS);
    const second = changes.next('a').within(NEVER_MS);
    const other = changes.next('b');

    changes.changed('a');
    await Promise.all([first, second]);
    expect(changes.size).toBe(1);

    other.cancel();
    expect(changes.size).toBe(0);
  });

  it('when the entity changes between taking the wake-up and waiting (the replica read), then the wait ends at once', async () => {
    const changes = new ReplicaChanges();
    const change = changes.next('a');
    changes.changed('a');
    await change.within(NEVER_MS);
    expect(changes.size).toBe(0);
  });

  it('when a wait runs out, then it leaves nothing behind', async () => {
    const changes = new ReplicaChanges();
    await changes.next('a').within(1);
    expect(changes.size).toBe(0);
    changes.changed('a');
  });
});
