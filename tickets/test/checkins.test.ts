import { randomBytes, randomUUID } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import request from 'supertest';
import { waitFor } from '@ticketing/common/testing';
import { PassSigner } from '../src/passes/pass-signer';
import { formatEventStart } from '../src/tickets/event-start';
import { listRevokedCodes } from '../src/checkins/revoked-codes';
import type { RevokedCodes } from '@ticketing/common/api';
import { checkinScans, checkins } from '../src/db/schema';
import { buildAccount, buildPass, listForResale, transferPass } from './pass-builders';
import { useTicketsApp } from './helpers';

const context = useTicketsApp();
const HOUR = 3_600_000;

const db = () => context.database.db;
const scan = (cookie: string | undefined, body: Record<string, unknown>) => {
  const call = request(context.app).post('/api/checkins');
  return (cookie ? call.set('Cookie', cookie) : call).send(body);
};
const nonce = () => randomUUID();

/** A pass whose issuer is a signed-in account: the issuer's cookie, the pass, its holder's account. */
async function issuedPass(options: Parameters<typeof buildPass>[2] = {}) {
  const issuer = await buildAccount(db());
  const holder = await buildAccount(db());
  const pass = await buildPass(db(), context.passSigner, {
    issuerId: issuer.user.id,
    holderId: holder.user.id,
    ...options,
  });
  return { issuer, holder, pass };
}

async function sessionsWaitingForALock(): Promise<number> {
  const waiting = await db().execute(
    sql`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`,
  );
  return (waiting.rows[0] as { n: number }).n;
}

const checkinRows = (ticketId: string) => db().select().from(checkins).where(eq(checkins.ticketId, ticketId));

describe('POST /api/checkins', () => {
  it('when the issuer scans a current code, then it answers 201 admitted with the holder; the same nonce again gets the same answer and admits once', async () => {
    const { issuer, holder, pass } = await issuedPass();
    const scanNonce = nonce();
    const first = await scan(issuer.cookie, { code: pass.code(), nonce: scanNonce }).expect(201);
    expect(first.body).toEqual({
      result: 'admitted',
      ticketId: pass.ticketId,
      title: pass.title,
      holderEmail: holder.user.email,
      admittedAt: expect.any(String),
      scannedAt: null,
    });
    const again = await scan(issuer.cookie, { code: pass.code(), nonce: scanNonce });
    expect([again.status, again.body]).toEqual([201, first.body]);
    expect(await checkinRows(pass.ticketId)).toHaveLength(1);
  });

  it('when the same ticket is scanned again with another nonce, then it answers 409 already-admitted with the first admission', async () => {
    const { issuer, holder, pass } = await issuedPass();
    const first = await scan(issuer.cookie, { code: pass.code(), nonce: nonce() }).expect(201);
    const second = await scan(issuer.cookie, { code: pass.code(), nonce: nonce() }).expect(409);
    expect(second.body).toEqual({
      result: 'already-admitted',
      ticketId: pass.ticketId,
      title: pass.title,
      holderEmail: holder.user.email,
      firstAdmittedAt: first.body.admittedAt,
    });
  });

  it('when the holder is not known to tickets yet, then it admits with holderEmail null', async () => {
    const issuer = await buildAccount(db());
    const pass = await buildPass(db(), context.passSigner, { issuerId: issuer.user.id, holderId: randomUUID() });
    // An online door may say scannedAt: null, as if it said nothing.
    const response = await scan(issuer.cookie, { code: pass.code(), nonce: nonce(), scannedAt: null }).expect(201);
    expect([response.body.holderEmail, response.body.scannedAt]).toEqual([null, null]);
  });

  it('when the code is of an older generation, then it answers 409 void with the reason and when, and admits nobody', async () => {
    const { issuer, pass } = await issuedPass();
    await transferPass(db(), pass.ticketId, (await buildAccount(db())).user.id);
    const response = await scan(issuer.cookie, { code: pass.code(1), nonce: nonce() }).expect(409);
    expect(response.body).toEqual({
      result: 'void',
      ticketId: pass.ticketId,
      title: pass.title,
      reason: 'transferred',
      voidedAt: expect.any(String),
    });
    expect(await checkinRows(pass.ticketId)).toEqual([]);
    // The new holder's code still admits.
    await scan(issuer.cookie, { code: pass.code(2), nonce: nonce() }).expect(201);
  });

  it('when the code is signed with another key, then it answers 404 with the envelope', async () => {
    const { issuer, pass } = await issuedPass();
    const forged = new PassSigner(randomBytes(32)).codeFor({ ticketId: pass.ticketId, generation: 1 });
    const response = await scan(issuer.cookie, { code: forged, nonce: nonce() }).expect(404);
    expect(response.body).toEqual({ errors: [{ message: 'No such pass' }] });
  });

  it('when the code names a ticket without a pass, then it answers 404', async () => {
    const issuer = await buildAccount(db());
    const code = context.passSigner.codeFor({ ticketId: randomUUID(), generation: 1 });
    await scan(issuer.cookie, { code, nonce: nonce() }).expect(404);
  });

  it('when the text is not a pass code, then it answers 400 naming code', async () => {
    const issuer = await buildAccount(db());
    const response = await scan(issuer.cookie, { code: 'HELLO', nonce: nonce() }).expect(400);
    expect(response.body).toEqual({ errors: [{ message: 'This is not a pass code', field: 'code' }] });
    const missing = await scan(issuer.cookie, { nonce: nonce() }).expect(400);
    expect(missing.body.errors).toEqual([{ message: 'Code must be a pass code', field: 'code' }]);
  });

  it('when the nonce is missing or too short, then it answers 400 naming nonce', async () => {
    const { issuer, pass } = await issuedPass();
    for (const bad of [undefined, 'short', 'x'.repeat(101), 42]) {
      const response = await scan(issuer.cookie, { code: pass.code(), nonce: bad }).expect(400);
      expect(response.body.errors.map((error: { field: string }) => error.field)).toEqual(['nonce']);
    }
  });

  it('when someone other than the issuer scans, then it answers 403 and stores nothing', async () => {
    const { pass } = await issuedPass();
    const stranger = await buildAccount(db());
    const response = await scan(stranger.cookie, { code: pass.code(), nonce: nonce() }).expect(403);
    expect(response.body).toEqual({ errors: [{ message: 'Only the ticket’s issuer can admit it' }] });
    expect(await checkinRows(pass.ticketId)).toEqual([]);
    expect(await db().select().from(checkinScans).where(eq(checkinScans.ticketId, pass.ticketId))).toEqual([]);
  });

  it('when nobody is signed in, then it answers 401', async () => {
    const { pass } = await issuedPass();
    await scan(undefined, { code: pass.code(), nonce: nonce() }).expect(401);
  });

  it('when the event started more than CHECKIN_WINDOW_HOURS ago, then it answers 409 expired with the closing time', async () => {
    const startsAt = new Date(Date.now() - 13 * HOUR);
    const { issuer, pass } = await issuedPass({ startsAt });
    const response = await scan(issuer.cookie, { code: pass.code(), nonce: nonce() }).expect(409);
    expect(response.body).toEqual({
      result: 'expired',
      ticketId: pass.ticketId,
      title: pass.title,
      closedAt: new Date(startsAt.getTime() + 12 * HOUR).toISOString(),
    });
    expect(await checkinRows(pass.ticketId)).toEqual([]);
  });

  it('when an offline door scanned before closing and uploads after, then it admits, judged at its scan time', async () => {
    const startsAt = new Date(Date.now() - 13 * HOUR);
    const { issuer, pass } = await issuedPass({ startsAt });
    const scannedAt = new Date(startsAt.getTime() + 11 * HOUR).toISOString();
    const response = await scan(issuer.cookie, { code: pass.code(), nonce: nonce(), scannedAt }).expect(201);
    expect(response.body).toMatchObject({ result: 'admitted', scannedAt });
    const [row] = await checkinRows(pass.ticketId);
    expect(row?.scannedAt?.toISOString()).toBe(scannedAt);
  });

  it('when scannedAt is more than 5 minutes ahead, or not a date, then it answers 400 naming scannedAt', async () => {
    const { issuer, pass } = await issuedPass();
    const ahead = new Date(Date.now() + 6 * 60_000).toISOString();
    const future = await scan(issuer.cookie, { code: pass.code(), nonce: nonce(), scannedAt: ahead }).expect(400);
    expect(future.body).toEqual({ errors: [{ message: 'scannedAt must not be in the future', field: 'scannedAt' }] });
    const garbled = await scan(issuer.cookie, { code: pass.code(), nonce: nonce(), scannedAt: 'yesterday' }).expect(
      400,
    );
    expect(garbled.body.errors[0].field).toBe('scannedAt');
    // A door a minute ahead is within the skew.
    const skewed = new Date(Date.now() + 60_000).toISOString();
    await scan(issuer.cookie, { code: pass.code(), nonce: nonce(), scannedAt: skewed }).expect(201);
  });

  it('when the holder lists the ticket for resale, then it answers 409 listed-for-resale until they withdraw it', async () => {
    const { issuer, holder, pass } = await issuedPass();
    const resaleId = await listForResale(db(), pass.ticketId, holder.user.id);
    const response = await scan(issuer.cookie, { code: pass.code(), nonce: nonce() }).expect(409);
    expect(response.body).toEqual({ result: 'listed-for-resale', ticketId: pass.ticketId, title: pass.title });
    await db().execute(sql`update tickets set withdrawn_at = now() where id = ${resaleId}`);
    await scan(issuer.cookie, { code: pass.code(), nonce: nonce() }).expect(201);
  });

  it('when a nonce already answered for one ticket comes with another ticket’s code, then it answers 409 naming nonce', async () => {
    const issuer = await buildAccount(db());
    const one = await buildPass(db(), context.passSigner, { issuerId: issuer.user.id });
    const other = await buildPass(db(), context.passSigner, { issuerId: issuer.user.id });
    const reused = nonce();
    await scan(issuer.cookie, { code: one.code(), nonce: reused }).expect(201);
    const response = await scan(issuer.cookie, { code: other.code(), nonce: reused }).expect(409);
    expect(response.body).toEqual({
      errors: [{ message: 'This nonce was already used for another ticket', field: 'nonce' }],
    });
    expect(await checkinRows(other.ticketId)).toEqual([]);
  });

  it('when twenty doors scan one code at the same instant, then exactly one admits and nineteen answer already-admitted', async () => {
    const { issuer, pass } = await issuedPass();
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => scan(issuer.cookie, { code: pass.code(), nonce: nonce() })),
    );
    expect(responses.map((response) => response.status).sort()).toEqual([201, ...Array(19).fill(409)]);
    for (const response of responses.filter((candidate) => candidate.status === 409)) {
      expect(response.body.result).toBe('already-admitted');
    }
    expect(await checkinRows(pass.ticketId)).toHaveLength(1);
  });

  it('when a transfer holds the pass while the door scans, then the scan waits for it and answers void: never admitted and transferred', async () => {
    const { issuer, pass } = await issuedPass();
    const newHolder = await buildAccount(db());
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let locked!: () => void;
    const isLocked = new Promise<void>((resolve) => (locked = resolve));
    const transfer = transferPass(db(), pass.ticketId, newHolder.user.id, {
      whileLocked: async () => {
        locked();
        await held;
      },
    });
    await isLocked;
    const checkIn = scan(issuer.cookie, { code: pass.code(1), nonce: nonce() }).then((response) => response);
    try {
      // The scan is waiting for the pass's row lock before the transfer decides.
      await waitFor(async () => expect(await sessionsWaitingForALock()).toBeGreaterThan(0));
    } finally {
      release();
    }
    expect(await transfer).toBe('transferred');
    const response = await checkIn;
    expect([response.status, response.body.result]).toEqual([409, 'void']);
    expect(await checkinRows(pass.ticketId)).toEqual([]);
  });

  it('when check-ins and transfers of many tickets race, then each ticket is either admitted (transfer refused) or transferred (scan void), never both', async () => {
    const issuer = await buildAccount(db());
    const races = await Promise.all(
      Array.from({ length: 10 }, async () => {
        const pass = await buildPass(db(), context.passSigner, { issuerId: issuer.user.id });
        const recipient = randomUUID();
        const [scanned, transferred] = await Promise.all([
          scan(issuer.cookie, { code: pass.code(1), nonce: nonce() }),
          transferPass(db(), pass.ticketId, recipient),
        ]);
        return { scanned: scanned.body.result as string, transferred, rows: (await checkinRows(pass.ticketId)).length };
      }),
    );
    for (const race of races) {
      expect([
        { scanned: 'admitted', transferred: 'refused-admitted', rows: 1 },
        { scanned: 'void', transferred: 'transferred', rows: 0 },
      ]).toContainEqual(race);
    }
  });
});

describe('GET /api/checkins', () => {
  it('when the issuer lists by ticket, by event or all, then each shows only their own admissions, newest first', async () => {
    const issuer = await buildAccount(db());
    const startsAt = new Date(Date.now() + 2 * HOUR);
    const event = { title: `Gala ${randomUUID()}`, venue: 'Olympia', startsAt };
    const first = await buildPass(db(), context.passSigner, { issuerId: issuer.user.id, ...event });
    const second = await buildPass(db(), context.passSigner, { issuerId: issuer.user.id, ...event });
    const elsewhere = await buildPass(db(), context.passSigner, { issuerId: issuer.user.id });
    const notAdmitted = await buildPass(db(), context.passSigner, { issuerId: issuer.user.id, ...event });
    for (const pass of [first, second, elsewhere]) {
      await scan(issuer.cookie, { code: pass.code(), nonce: nonce() }).expect(201);
    }
    const other = await buildAccount(db());
    const theirs = await buildPass(db(), context.passSigner, { issuerId: other.user.id, ...event });
    await scan(other.cookie, { code: theirs.code(), nonce: nonce() }).expect(201);

    const list = async (query: string, cookie = issuer.cookie) =>
      (await request(context.app).get(`/api/checkins${query}`).set('Cookie', cookie).expect(200)).body.checkins as {
        ticketId: string;
      }[];

    const [byTicket] = await list(`?ticketId=${first.ticketId}`);
    expect(byTicket).toEqual({
      ticketId: first.ticketId,
      title: event.title,
      venue: 'Olympia',
      startsAt: formatEventStart({ at: startsAt, offsetMinutes: 0 }),
      holderEmail: expect.any(String),
      admittedAt: expect.any(String),
      scannedAt: null,
    });
    expect((await list(`?event=${notAdmitted.ticketId}`)).map((row) => row.ticketId)).toEqual([
      second.ticketId,
      first.ticketId,
    ]);
    expect((await list('')).map((row) => row.ticketId)).toEqual([elsewhere.ticketId, second.ticketId, first.ticketId]);
    expect(await list(`?ticketId=${theirs.ticketId}`)).toEqual([]);
    expect(await list(`?event=${theirs.ticketId}`)).toEqual([]);
    expect((await list('', other.cookie)).map((row) => row.ticketId)).toEqual([theirs.ticketId]);
  });

  it('when the filter is not a ticket id, or both are given, then it answers 400; signed out 401', async () => {
    const issuer = await buildAccount(db());
    const bad = await request(context.app).get('/api/checkins?event=nope').set('Cookie', issuer.cookie).expect(400);
    expect(bad.body.errors).toEqual([{ message: 'event must be a ticket id', field: 'event' }]);
    const both = await request(context.app)
      .get(`/api/checkins?ticketId=${randomUUID()}&event=${randomUUID()}`)
      .set('Cookie', issuer.cookie)
      .expect(400);
    expect(both.body.errors).toEqual([{ message: 'Give ticketId or event, not both', field: 'event' }]);
    await request(context.app).get('/api/checkins').expect(401);
  });
});

describe('GET /api/checkins/revoked', () => {
  const revoked = async (cookie: string, since?: string) =>
    (
      await request(context.app)
        .get('/api/checkins/revoked')
        .query(since ? { since } : {})
        .set('Cookie', cookie)
        .expect(200)
    ).body as { asOf: string; revoked: { ticketId: string; generation: number; reason: string; voidedAt: string }[] };

  it('when a code is voided, then the issuer’s list has it, and not another issuer’s', async () => {
    const { issuer, pass } = await issuedPass();
    await transferPass(db(), pass.ticketId, randomUUID());
    const answer = await revoked(issuer.cookie);
    expect(answer.revoked).toEqual([
      { ticketId: pass.ticketId, generation: 1, reason: 'transferred', voidedAt: expect.any(String) },
    ]);
    expect(Date.parse(answer.asOf)).toBeLessThanOrEqual(Date.now());
    expect((await revoked((await buildAccount(db())).cookie)).revoked).toEqual([]);
  });

  it('when a void commits between two polls, its transaction having begun before the first, then the second poll (since = asOf) has it', async () => {
    const { issuer, pass } = await issuedPass();
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let stamped!: () => void;
    const isStamped = new Promise<void>((resolve) => (stamped = resolve));
    // The transfer stamps the void with its transaction's now(), then takes its time to commit.
    const transfer = db().transaction(async (tx) => {
      await tx.execute(
        sql`update pass_codes set voided_at = now(), void_reason = 'transferred' where ticket_id = ${pass.ticketId}`,
      );
      stamped();
      await held;
    });
    await isStamped;
    let first: Awaited<ReturnType<typeof revoked>>;
    try {
      first = await revoked(issuer.cookie);
      expect(first.revoked).toEqual([]);
    } finally {
      release();
    }
    await transfer;
    const second = await revoked(issuer.cookie, first.asOf);
    expect(second.revoked.map((code) => code.ticketId)).toEqual([pass.ticketId]);
    // Polling on from there: nothing new, and asOf never goes back past a code it already covered.
    expect(Date.parse(second.asOf)).toBeGreaterThanOrEqual(Date.parse(first.asOf));
  });

  it('when the void’s transaction began before the read, however long ago, then asOf is before it (the margin aside)', async () => {
    // Without the margin, only the oldest open transaction keeps asOf early enough: a plain "now" would be after
    // this void's stamp, and the code lost for good once the door polls since it.
    const { issuer, pass } = await issuedPass();
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let stamped!: () => void;
    const isStamped = new Promise<void>((resolve) => (stamped = resolve));
    const transfer = db().transaction(async (tx) => {
      await tx.execute(
        sql`update pass_codes set voided_at = now(), void_reason = 'transferred' where ticket_id = ${pass.ticketId}`,
      );
      stamped();
      await held;
    });
    await isStamped;
    let first: RevokedCodes;
    try {
      first = await listRevokedCodes(db(), issuer.user.id, undefined, 0);
      expect(first.revoked).toEqual([]);
    } finally {
      release();
    }
    await transfer;
    const second = await listRevokedCodes(db(), issuer.user.id, new Date(first.asOf), 0);
    expect(second.revoked.map((code) => code.ticketId)).toEqual([pass.ticketId]);
  });

  it('when since is not a date and time, then it answers 400 naming since', async () => {
    const issuer = await buildAccount(db());
    const response = await request(context.app)
      .get('/api/checkins/revoked?since=last-week')
      .set('Cookie', issuer.cookie)
      .expect(400);
    expect(response.body.errors[0].field).toBe('since');
    await request(context.app).get('/api/checkins/revoked').expect(401);
  });
});

describe('GET /api/checkins/tickets', () => {
  it('when an issuer has passes, then it lists each with its generation, closing time and admission, and nobody else’s', async () => {
    const issuer = await buildAccount(db());
    const startsAt = new Date(Date.now() + HOUR);
    const admitted = await buildPass(db(), context.passSigner, { issuerId: issuer.user.id, startsAt });
    const transferred = await buildPass(db(), context.passSigner, {
      issuerId: issuer.user.id,
      startsAt: new Date(startsAt.getTime() + HOUR),
      generation: 2,
    });
    const undated = await buildPass(db(), context.passSigner, { issuerId: issuer.user.id });
    await buildPass(db(), context.passSigner);
    const admission = await scan(issuer.cookie, { code: admitted.code(), nonce: nonce() }).expect(201);

    const response = await request(context.app).get('/api/checkins/tickets').set('Cookie', issuer.cookie).expect(200);
    expect(response.body).toEqual({
      asOf: expect.any(String),
      tickets: [
        expect.objectContaining({
          ticketId: admitted.ticketId,
          generation: 1,
          closesAt: new Date(startsAt.getTime() + 12 * HOUR).toISOString(),
          admittedAt: admission.body.admittedAt,
        }),
        expect.objectContaining({
          ticketId: transferred.ticketId,
          generation: 2,
          closesAt: new Date(startsAt.getTime() + 13 * HOUR).toISOString(),
          admittedAt: null,
        }),
        {
          ticketId: undated.ticketId,
          title: undated.title,
          venue: null,
          startsAt: null,
          timeZone: null,
          generation: 1,
          closesAt: null,
          admittedAt: null,
        },
      ],
    });
  });
});

describe('GET /api/checkins/key', () => {
  it('when anyone asks, then it answers the public key, cacheable for an hour', async () => {
    const response = await request(context.app).get('/api/checkins/key').expect(200);
    expect(response.body).toEqual(context.passSigner.published);
    expect(response.body.publicKey).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(response.headers['cache-control']).toBe('public, max-age=3600, s-maxage=1');
  });
});
