import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'drizzle-orm';
import { Client } from 'pg';
import { adminDatabaseUrl, createTestDatabase, type TestDatabase } from '../src/testing';
import * as schema from './fixtures/schema';

const migrations = path.join(__dirname, 'fixtures', 'migrations');

let database: TestDatabase<typeof schema>;

beforeAll(async () => {
  database = await createTestDatabase(migrations, schema);
});

afterAll(async () => {
  await database.drop();
});

describe('a connection lost while a transaction holds it', () => {
  it('fails that transaction, not the process, and the pool goes on serving', async () => {
    const admin = new Client({ connectionString: adminDatabaseUrl() });
    await admin.connect();
    try {
      const transaction = database.db.transaction(async (tx) => {
        const { rows } = await tx.execute<{ pid: number }>(sql`select pg_backend_pid() as pid`);
        await admin.query('select pg_terminate_backend($1)', [rows[0]?.pid]);
        // No statement is running while the server ends the session: the client hears of it as an 'error'
        // event, which nobody but the pool's 'connect' hook listens to.
        await sleep(300);
        await tx.execute(sql`select 1`);
      });
      await expect(transaction).rejects.toThrow();
      expect(await database.isReachable()).toBe(true);
    } finally {
      await admin.end();
    }
  });
});
