/**
 * `npm run bench:pipeline [-- --repo DIR] [--rounds N]`: the CPU a service process spends on one request in
 * the shared HTTP pipeline (`createServiceApp`: the early answers, admission, the JSON reader, the session,
 * the request line and the metric), without a database or the bus, so that a change to it is measured apart
 * from the noise of the whole stack (±10–20 % a run on this kind of machine). Each case is a server in a child
 * process of its own, built from a checkout's `common/dist`, driven by autocannon from this process (50
 * connections, a warm-up, then the measured requests); its CPU comes from the child's own `process.cpuUsage`.
 * A bare `node:http` server answering the same 409 runs in every round, as the anchor that says how fast the
 * machine is just then. With `--repo`, the other checkout's cases run in the same rounds, alternated.
 */
import { fork, type ChildProcess } from 'node:child_process';
import * as http from 'node:http';
import * as path from 'node:path';
import autocannon from 'autocannon';

const BENCH_ROOT = path.resolve(__dirname, '..');

/** What a case's server answers, and how the load asks it. */
const CASES = {
  /** A bare node:http server: reads the body, answers 409. The anchor. */
  bare: 'bare node:http, 409',
  /** A losing buyer: an early answer from memory (409), every request with a session of its own. */
  refusal: 'refusal from memory (409), a new session each',
  /** A signed-in request the whole way to its route (201), the same session each time (a visitor's clicks). */
  routed: 'routed, signed in (201), one session',
} as const;
type CaseName = keyof typeof CASES;

const JWT_KEY = 'pipeline-bench-key-that-is-long-enough';
const CONNECTIONS = 50;
const WARM_UP_REQUESTS = 5_000;
const MEASURED_REQUESTS = 20_000;
const BODY = JSON.stringify({ ticketId: '0b7c6f3e-9f3a-4a57-9a8b-0a7a1f4a2b11', ticketVersion: 1 });

/** The server side, in the child: `--serve <case> <repo>`; tells the parent its port, answers `cpu` with its CPU. */
async function serve(name: CaseName, repo: string): Promise<void> {
  const server = http.createServer(name === 'bare' ? bareHandler : serviceApp(name, repo));
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  process.on('message', (message) => {
    if (message === 'cpu') process.send?.(process.cpuUsage());
    if (message === 'stop') server.close(() => process.exit(0));
  });
  process.send?.((server.address() as { port: number }).port);
}

function bareHandler(req: http.IncomingMessage, res: http.ServerResponse): void {
  req.resume();
  req.once('end', () => {
    res.statusCode = 409;
    res.setHeader('content-type', 'application/json; charset=utf-8');
    res.end('{"errors":[{"message":"This ticket is already reserved"}]}');
  });
}

/** The checkout's own service app, as a service builds it, with one route and (for a refusal) one early answer. */
function serviceApp(name: CaseName, repo: string): http.RequestListener {
  /* eslint-disable @typescript-eslint/no-require-imports -- another checkout's build, chosen at run time */
  const common = require(path.join(repo, 'common/dist')) as typeof import('@ticketing/common');
  const express = require(path.join(repo, 'node_modules/express')) as typeof import('express');
  const pino = require(path.join(repo, 'node_modules/pino')) as typeof import('pino');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const refusal = { status: 409, body: { errors: [{ message: 'This ticket is already reserved' }] } };
  return common.createServiceApp({
    // Lines written as a service writes them, to nowhere: the pipe to a log collector is not the pipeline.
    logger: common.createLogger({ service: 'pipeline', destination: pino.destination({ dest: '/dev/null' }) }),
    session: {
      jwtKey: JWT_KEY,
      cookieSecure: false,
      maxAgeMs: 3_600_000,
      versions: { minimumVersion: () => undefined },
    },
    readiness: async () => ({ checks: {} }),
    admission: { maxInFlight: 256, queueTimeoutMs: 2_000 },
    earlyAnswers: name === 'refusal' ? [{ method: 'POST', path: '/api/orders', answer: () => refusal }] : [],
    routes: express.Router().post('/api/orders', common.requireAuth, (req, res) => {
      res.status(201).json({ id: common.signedInUser(req).id, ticketId: (req.body as { ticketId: string }).ticketId });
    }),
  }) as unknown as http.RequestListener;
}

/** A session cookie as the stack writes it, for a user of its own. */
function sessionCookie(common: typeof import('@ticketing/common'), index: number): string {
  const id = `7d9f2c1e-3b4a-4c5d-8e6f-${index.toString(16).padStart(12, '0')}`;
  const jwt = common.signUserToken({ id, email: `buyer${index}@example.com` }, JWT_KEY, 3_600);
  return `session=${Buffer.from(JSON.stringify({ jwt })).toString('base64')}`;
}

/** One case on one checkout: its server's CPU per request (µs) over the measured requests. */
async function measure(name: CaseName, repo: string, cookies: readonly string[]): Promise<number> {
  const child: ChildProcess = fork(__filename, ['--serve', name, repo], { stdio: 'inherit' });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      child.once('message', (message) => resolve(message as number));
      child.once('exit', (code) => reject(new Error(`the ${name} server exited (${code}) before listening`)));
    });
    const cpu = () =>
      new Promise<NodeJS.CpuUsage>((resolve) => {
        child.once('message', (message) => resolve(message as NodeJS.CpuUsage));
        child.send('cpu');
      });
    let sent = 0;
    const run = (amount: number) =>
      autocannon({
        url: `http://127.0.0.1:${port}/api/orders`,
        connections: CONNECTIONS,
        amount,
        requests: [
          {
            method: 'POST',
            body: BODY,
            setupRequest: (request) => ({
              ...request,
              headers: {
                'content-type': 'application/json',
                cookie: name === 'routed' ? cookies[0]! : cookies[(sent += 1) % cookies.length]!,
              },
            }),
          },
        ],
      });
    await run(WARM_UP_REQUESTS);
    const before = await cpu();
    const result = await run(MEASURED_REQUESTS);
    const after = await cpu();
    const expected = name === 'routed' ? '201' : '409';
    const answered = result.statusCodeStats?.[expected as keyof typeof result.statusCodeStats]?.count ?? 0;
    if (answered !== result.requests.total || result.errors > 0) {
      throw new Error(`${name}: ${answered} of ${result.requests.total} answered ${expected}, ${result.errors} errors`);
    }
    return (after.user + after.system - before.user - before.system) / result.requests.total;
  } finally {
    child.send('stop');
  }
}

function parseOptions(argv: readonly string[]): { repos: string[]; rounds: number } {
  const repos = [path.resolve(BENCH_ROOT, '..')];
  let rounds = 3;
  for (let index = 0; index < argv.length; index += 1) {
    const argument = argv[index];
    if (argument === '--repo') repos.push(path.resolve(argv[(index += 1)] ?? '.'));
    else if (argument === '--rounds') rounds = Number(argv[(index += 1)]);
    else throw new Error(`usage: npm run bench:pipeline [-- --repo DIR] [--rounds N]; not "${argument}"`);
  }
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error('--rounds needs a whole number from 1');
  return { repos, rounds };
}

/** One line to the terminal. */
const say = (line: string) => process.stdout.write(`${line}\n`);

const median = (values: readonly number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function main(): Promise<void> {
  const { repos, rounds } = parseOptions(process.argv.slice(2));
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the cookies are minted the same for every checkout
  const common = require(path.join(repos[0]!, 'common/dist')) as typeof import('@ticketing/common');
  const cookies = Array.from({ length: WARM_UP_REQUESTS + MEASURED_REQUESTS }, (_, index) =>
    sessionCookie(common, index),
  );
  const figures = new Map<string, number[]>();
  for (let round = 1; round <= rounds; round += 1) {
    const line: string[] = [];
    for (const name of Object.keys(CASES) as CaseName[]) {
      // The bare anchor belongs to no checkout; each checkout's cases alternate within the round.
      for (const repo of name === 'bare' ? [repos[0]!] : repos) {
        const key = name === 'bare' ? name : `${name} ${repo}`;
        const us = await measure(name, repo, cookies);
        figures.set(key, [...(figures.get(key) ?? []), us]);
        line.push(`${key}: ${us.toFixed(0)} µs`);
      }
    }
    say(`round ${round}: ${line.join(', ')}`);
  }
  say(
    `\nserver CPU per request, median of ${rounds} rounds (${MEASURED_REQUESTS} requests each, ${CONNECTIONS} connections)`,
  );
  const bare = median(figures.get('bare')!);
  say(`${CASES.bare.padEnd(70)} ${bare.toFixed(0).padStart(5)} µs`);
  for (const name of ['refusal', 'routed'] as const) {
    for (const repo of repos) {
      const us = median(figures.get(`${name} ${repo}`)!);
      say(
        `${`${CASES[name]}, ${repo === repos[0] ? 'this checkout' : repo}`.padEnd(70)} ${us.toFixed(0).padStart(5)} µs  ${(us / bare).toFixed(2)}× bare`,
      );
    }
  }
}

if (process.argv[2] === '--serve') {
  void serve(process.argv[3] as CaseName, process.argv[4] as string);
} else {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
