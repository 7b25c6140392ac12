import request from 'supertest';
import { eventSchemas } from '@ticketing/common/events';
import { buildCredentials, recordedPayloads, signUp, useAuthApp } from './helpers';

/**
 * An event schema can never be stricter than the route that produced it: every edge value a route accepts
 * goes through the route (2xx) and the event it published parses with the catalog's schema. A value one
 * accepts and the other refuses was a 500 inside the transaction: the use case
 * recorded an event its own schema refused, after the route had said yes.
 */
const context = useAuthApp();

/** A label of `length` letters; four of them make a long domain. */
const label = (length: number) => 'd'.repeat(length);

/** Addresses the routes accept, each spelled for a domain so that every test can use a fresh one. */
const ACCEPTED_EMAILS: ReadonlyArray<[string, (domain: string) => string]> = [
  ['an exclamation mark', (domain) => `a!b@${domain}`],
  ['an equals sign', (domain) => `a=b@${domain}`],
  ['every atext symbol', (domain) => `!#$%&'*+/=?^_\`{|}~-@${domain}`],
  ['dots between atoms', (domain) => `first.middle.last@${domain}`],
  ['an accented local part', (domain) => `josé@${domain}`],
  ['an accent typed as a combining mark', (domain) => `jose\u0301+nfd@${domain}`],
  ['capitals, stored lower-cased', (domain) => `JOSÉ.Upper@${domain.toUpperCase()}`],
  ['a non-Latin local part', (domain) => `用户@${domain}`],
  ['digits from another script', (domain) => `٣٤٥@${domain}`],
  ['a 64-octet ASCII local part', (domain) => `${'a'.repeat(64)}@${domain}`],
  ['a 64-octet accented local part', (domain) => `${'é'.repeat(32)}@${domain}`],
  ['a punycode domain', (domain) => `idn@xn--bcher-kva.${domain}`],
  ['a hyphen and digits in the domain', (domain) => `hyphen@mail-1.${domain}`],
  ['a 63-letter label', (domain) => `label@${label(63)}.${domain}`],
  [
    '254 octets in all',
    (domain) => {
      const head = `long@${domain}.`;
      return `${head}${label(63)}.${label(63)}.${label(63)}.${label(254 - head.length - 3 * 64)}`;
    },
  ],
];

/** Addresses the routes refuse with 400 (never 500). */
const REFUSED_EMAILS: ReadonlyArray<[string, string]> = [
  ['no domain dot', 'a@localhost'],
  ['a leading dot', '.a@example.com'],
  ['two dots in a row', 'a..b@example.com'],
  ['a quoted local part', '"a b"@example.com'],
  ['an IP literal', 'a@[127.0.0.1]'],
  ['an all-digit top-level label', 'a@1.2.3.4'],
  ['a Unicode domain (browsers send it as punycode)', 'a@bücher.de'],
  ['a 65-octet local part', `${'a'.repeat(65)}@example.com`],
  ['an accented 66-octet local part', `${'é'.repeat(33)}@example.com`],
  ['a local part that lower-cases past 64 octets', `${'İ'.repeat(32)}@example.com`],
  ['a label of 64', `a@${label(64)}.com`],
  ['255 octets', `a@${label(63)}.${label(63)}.${label(63)}.${label(57)}.com`],
];

let domains = 0;
const freshDomain = () => `edge${(domains += 1)}.example.com`;

describe('the user events accept every email the routes accept', () => {
  it.each(ACCEPTED_EMAILS)(
    'when someone signs up with %s, then it answers 201 and user.created parses',
    async (_name, spell) => {
      const email = spell(freshDomain());
      const response = await request(context.app).post('/api/users/signup').send(buildCredentials({ email }));

      expect(response.status).toBe(201);
      const [published] = (await recordedPayloads(context.database, 'user.created')).filter(
        (payload) => (payload as { id: string }).id === response.body.id,
      );
      expect(eventSchemas['user.created'].safeParse(published).error).toBeUndefined();
      // The account answers to the address as typed, in any case.
      await request(context.app)
        .post('/api/users/signin')
        .send({ email: email.toUpperCase(), password: 'correct horse battery' })
        .expect(200);
    },
  );

  it.each(ACCEPTED_EMAILS)(
    'when someone changes their email to %s, then it answers 200 and user.updated parses',
    async (_name, spell) => {
      const { cookie, user, credentials } = await signUp(context.app);
      const response = await request(context.app)
        .patch('/api/users/currentuser')
        .set('Cookie', cookie)
        .send({ currentPassword: credentials.password, email: spell(freshDomain()) });

      expect(response.status).toBe(200);
      const [published] = (await recordedPayloads(context.database, 'user.updated')).filter(
        (payload) => (payload as { id: string }).id === user.id,
      );
      expect(eventSchemas['user.updated'].safeParse(published).error).toBeUndefined();
    },
  );

  it.each(REFUSED_EMAILS)(
    'when someone signs up with %s, then it answers 400 naming the email',
    async (_name, email) => {
      const response = await request(context.app).post('/api/users/signup').send(buildCredentials({ email }));

      expect(response.status).toBe(400);
      expect(response.body).toEqual({ errors: [{ message: 'Email must be valid', field: 'email' }] });
    },
  );

  it.each(REFUSED_EMAILS)('when someone changes their email to %s, then it answers 400', async (_name, email) => {
    const { cookie, credentials } = await signUp(context.app);
    const response = await request(context.app)
      .patch('/api/users/currentuser')
      .set('Cookie', cookie)
      .send({ currentPassword: credentials.password, email });

    expect(response.status).toBe(400);
    expect(response.body).toEqual({ errors: [{ message: 'Email must be valid', field: 'email' }] });
  });
});
