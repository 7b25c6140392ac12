import { randomBytes, randomUUID } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { runMigrations } from '@ticketing/common/database';
import { adminDatabaseUrl, withAdminClient } from '@ticketing/common/testing';
import { migrationsFolder } from '../src/db/migrations-folder';

const PASSES_MIGRATION = '0010_passes_and_checkins';

/** The committed migrations up to (not including) `tag`, in a folder of their own. */
function migrationsBefore(tag: string): string {
  const folder = mkdtempSync(path.join(tmpdir(), 'tickets-migrations-'));
  cpSync(migrationsFolder, folder, { recursive: true });
  const journalPath = path.join(folder, 'meta', '_journal.json');
  const journal = JSON.parse(readFileSync(journalPath, 'utf8')) as { entries: { idx: number; tag: string }[] };
  const cut = journal.entries.findIndex((entry) => entry.tag === tag);
  if (cut < 0) throw new Error(`no migration ${tag}`);
  journal.entries = journal.entries.slice(0, cut);
  writeFileSync(journalPath, JSON.stringify(journal));
  return folder;
}

let name: string;
let url: string;
let client: Client;
let before: string;

beforeAll(async () => {
  name = `ticketing_test_backfill_${randomBytes(6).toString('hex')}`;
  await withAdminClient((admin) => admin.query(`CREATE DATABASE ${name}`));
  const target = new URL(adminDatabaseUrl());
  target.pathname = `/${name}`;
  url = target.toString();
  before = migrationsBefore(PASSES_MIGRATION);
  await runMigrations(url, before);
  client = new Client({ connectionString: url });
  await client.connect();
});
afterAll(async () => {
  await client?.end();
  rmSync(before, { recursive: true, force: true });
  await withAdminClient((admin) => admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
});

interface Row {
  id?: string;
  userId: string;
  buyerId?: string | null;
  soldAt?: string | null;
  resaleOf?: string | null;
  withdrawnAt?: string | null;
}

/** A tickets row as an older version of the service wrote it; resolves to its id. */
async function insertTicket(row: Row): Promise<string> {
  const id = row.id ?? randomUUID();
  await client.query(
    `INSERT INTO tickets (id, title, price, user_id, order_id, sold_at, buyer_id, price_paid, resale_of, withdrawn_at)
     VALUES ($1, 'Before passes', 2000, $2, $3, $4, $5, $6, $7, $8)`,
    [
      id,
      row.userId,
      row.soldAt ? randomUUID() : null,
      row.soldAt ?? null,
      row.buyerId ?? null,
      row.buyerId ? 2000 : null,
      row.resaleOf ?? null,
      row.withdrawnAt ?? null,
    ],
  );
  return id;
}

describe(`migration ${PASSES_MIGRATION}: passes for tickets sold before it`, () => {
  it('when tickets were sold and resold before the migration, then each gets one pass held by the latest buyer, and a ticket never sold gets none', async () => {
    const [seller, first, second, third, unknownBuyerSeller] = [
      randomUUID(),
      randomUUID(),
      randomUUID(),
      randomUUID(),
      randomUUID(),
    ];
    // Sold once.
    const sold = await insertTicket({ userId: seller, buyerId: first, soldAt: '2030-01-01T10:00:00Z' });
    // Sold, then its resale sold, and a resale of that listed and withdrawn, unsold.
    const resold = await insertTicket({ userId: seller, buyerId: first, soldAt: '2030-01-02T10:00:00Z' });
    const resale = await insertTicket({
      userId: first,
      buyerId: second,
      soldAt: '2030-01-03T10:00:00Z',
      resaleOf: resold,
    });
    await insertTicket({ userId: second, resaleOf: resale, withdrawnAt: '2030-01-04T10:00:00Z' });
    // Sold, and its resale still for sale: the first buyer still holds it.
    const listedAgain = await insertTicket({ userId: seller, buyerId: third, soldAt: '2030-01-05T10:00:00Z' });
    await insertTicket({ userId: third, resaleOf: listedAgain });
    // For sale, never sold; and one sold before sales recorded their buyer (its restatement will issue it).
    const forSale = await insertTicket({ userId: seller });
    const buyerUnknown = await insertTicket({ userId: unknownBuyerSeller, soldAt: '2030-01-06T10:00:00Z' });

    await runMigrations(url, migrationsFolder);

    const passes = (
      await client.query(
        `SELECT ticket_id, issuer_id, held_ticket_id, holder_id, generation, issued_at FROM passes ORDER BY issued_at`,
      )
    ).rows;
    expect(passes).toEqual([
      {
        ticket_id: sold,
        issuer_id: seller,
        held_ticket_id: sold,
        holder_id: first,
        generation: 1,
        issued_at: new Date('2030-01-01T10:00:00Z'),
      },
      {
        ticket_id: resold,
        issuer_id: seller,
        held_ticket_id: resale,
        holder_id: second,
        generation: 1,
        issued_at: new Date('2030-01-03T10:00:00Z'),
      },
      {
        ticket_id: listedAgain,
        issuer_id: seller,
        held_ticket_id: listedAgain,
        holder_id: third,
        generation: 1,
        issued_at: new Date('2030-01-05T10:00:00Z'),
      },
    ]);
    expect(passes.map((pass) => pass.ticket_id)).not.toContain(forSale);
    expect(passes.map((pass) => pass.ticket_id)).not.toContain(buyerUnknown);

    const codes = (
      await client.query(
        `SELECT ticket_id, generation, holder_id, held_ticket_id, voided_at, void_reason FROM pass_codes ORDER BY issued_at`,
      )
    ).rows;
    expect(codes).toEqual(
      passes.map((pass) => ({
        ticket_id: pass.ticket_id,
        generation: 1,
        holder_id: pass.holder_id,
        held_ticket_id: pass.held_ticket_id,
        voided_at: null,
        void_reason: null,
      })),
    );
  });
});
