import { escapeLiteral, Pool, type PoolClient, type QueryResult } from 'pg';
import { getTableColumns, sql, type Column, type InferSelectModel } from 'drizzle-orm';
import { NodePgSession, NodePgTransaction } from 'drizzle-orm/node-postgres';
import type { PgDialect, PgTable } from 'drizzle-orm/pg-core';
import type { Executor } from './database';

/**
 * What a transaction sends alongside its own BEGIN and COMMIT, so that they cost no round trip of their own:
 * node-postgres sends a text without parameters in the simple-query protocol, which takes several statements
 * at once. So these texts hold literals only, quoted with {@link sqlLiteral}.
 */
export interface TransactionEnds {
  /**
   * Sent with BEGIN; its result (the first statement's, when it holds several) is handed to the work, and the
   * results of all its statements, in order. Each statement of the text runs on a snapshot of its own (read
   * committed), so one that follows a lock sees what the lock's last holder committed.
   */
  first?: string;
  /** Asked for once the work resolved, and sent with COMMIT; undefined for nothing. */
  last?: () => string | undefined;
}

/** A string as an SQL literal, for a statement sent without parameters (TransactionEnds). */
export function sqlLiteral(value: string): string {
  return escapeLiteral(value);
}

/** What runs transactions on one database: its pool, and a Drizzle transaction per pool connection. */
interface TransactionRunner {
  pool: Pool;
  transactionOn(client: PoolClient): Executor;
}

const runners = new WeakMap<Executor, TransactionRunner>();

/**
 * The Drizzle handle's pool and what Drizzle builds its transactions from. Drizzle keeps them internal, so
 * this fails loudly, at the first transaction, on a handle that is not `drizzle(pool)` of node-postgres.
 */
function runnerOf(db: Executor): TransactionRunner {
  const known = runners.get(db);
  if (known) return known;
  const internals = db as unknown as {
    $client?: unknown;
    dialect?: PgDialect;
    _: { schema: unknown; fullSchema: Record<string, unknown>; tableNamesMap: Record<string, string> };
  };
  const pool = internals.$client;
  const dialect = internals.dialect;
  if (!(pool instanceof Pool) || !dialect) {
    throw new Error('runInTransaction needs the Drizzle handle of a node-postgres pool (connectDatabase().db)');
  }
  const schema = internals._.schema
    ? { fullSchema: internals._.fullSchema, schema: internals._.schema, tableNamesMap: internals._.tableNamesMap }
    : undefined;
  // One Drizzle transaction object per pool connection, made once: it holds no state of its own beyond its
  // connection, and statements prepared through it (preparedStatement) stay prepared on that connection.
  const onConnection = new WeakMap<PoolClient, Executor>();
  const runner: TransactionRunner = {
    pool,
    transactionOn(client) {
      let tx = onConnection.get(client);
      if (!tx) {
        const session = new NodePgSession(client, dialect, schema as never);
        tx = new NodePgTransaction(dialect, session, schema as never) as unknown as Executor;
        onConnection.set(client, tx);
      }
      return tx;
    },
  };
  runners.set(db, runner);
  return runner;
}

/**
 * Runs `work` in a transaction on one connection of `db`'s pool, like Drizzle's `db.transaction`, but sends
 * `ends.first` with BEGIN and `ends.last` with COMMIT: two round trips fewer for a transaction whose first
 * and last statements are known apart from its work (the inbox record, the outbox rows). If any statement
 * fails, the transaction is rolled back and nothing of it is kept: PostgreSQL skips what follows a failed
 * statement in one text, COMMIT included. A connection whose rollback fails is closed, not reused.
 */
export async function runInTransaction<T>(
  db: Executor,
  work: (tx: Executor, first: QueryResult | undefined, opened: readonly QueryResult[]) => Promise<T>,
  ends: TransactionEnds = {},
): Promise<T> {
  const runner = runnerOf(db);
  const client = await runner.pool.connect();
  let broken: Error | undefined;
  try {
    let opened: QueryResult[] = [];
    // Several statements in one text: node-postgres resolves to the result of each, in order.
    if (ends.first) opened = ((await client.query(`begin; ${ends.first}`)) as unknown as QueryResult[]).slice(1);
    else await client.query('begin');
    const result = await work(runner.transactionOn(client), opened[0], opened);
    const last = ends.last?.();
    await client.query(last ? `${last}; commit` : 'commit');
    return result;
  } catch (error) {
    try {
      await client.query('rollback');
    } catch (rollbackError) {
      broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
    }
    throw error;
  } finally {
    client.release(broken);
  }
}

/** Something Drizzle can prepare: a built select, insert, update or delete. */
interface Preparable<R> {
  prepare(name: string): { execute(placeholders?: Record<string, unknown>): Promise<R> };
}

const preparedOn = new WeakMap<
  Executor,
  Map<string, { execute(placeholders?: Record<string, unknown>): Promise<unknown> }>
>();

/**
 * A hot statement built by Drizzle once per connection instead of at every call, and parsed and planned by
 * PostgreSQL once per connection (a named prepared statement), for paths that run once per event or request.
 * `build` writes the query with `sql.placeholder(name)` where the values go; the returned function runs it on
 * a transaction of {@link runInTransaction} (one per connection, so built once each) or on the pool handle.
 * `name` must be unique in the process: PostgreSQL knows the statement by it (node-postgres rejects a name
 * sent again with another text).
 */
export function preparedStatement<R, P extends Record<string, unknown> = Record<string, unknown>>(
  name: string,
  build: (db: Executor) => Preparable<R>,
): (db: Executor, placeholders: P) => Promise<R> {
  return (db, placeholders) => {
    let prepared = preparedOn.get(db);
    if (!prepared) preparedOn.set(db, (prepared = new Map()));
    let statement = prepared.get(name);
    if (!statement) prepared.set(name, (statement = build(db).prepare(name)));
    return statement.execute(placeholders) as Promise<R>;
  };
}

/**
 * Each column of `table` as `"column" AS "key"`, for a statement of literals (one sent with BEGIN, or with
 * {@link runStatements}) whose rows {@link rowOf} reads. `qualifier` names the table where the statement joins.
 */
export function selectListOf(table: PgTable, qualifier?: string): string {
  const prefix = qualifier === undefined ? '' : `"${qualifier}".`;
  return Object.entries(getTableColumns(table))
    .map(([key, column]) => `${prefix}"${column.name}" AS "${key}"`)
    .join(', ');
}

/**
 * A row of a statement of literals as Drizzle would have returned it: each value through its column's
 * `mapFromDriverValue` (node-postgres parses some types, Drizzle others: a timestamp comes as a string through
 * Drizzle and as a Date through a bare connection; the columns take either).
 */
export function rowOf<TTable extends PgTable>(table: TTable, raw: Record<string, unknown>): InferSelectModel<TTable> {
  const row: Record<string, unknown> = {};
  for (const [key, column] of Object.entries(getTableColumns(table))) {
    const value = raw[key];
    row[key] = value === null || value === undefined ? null : column.mapFromDriverValue(value);
  }
  return row as InferSelectModel<TTable>;
}

/** A value as the SQL literal of `column`'s driver value, for a statement of literals. */
export function literalOf(column: Column, value: unknown): string {
  if (value === null || value === undefined) return 'null';
  const driverValue: unknown = column.mapToDriverValue(value);
  return sqlLiteral(typeof driverValue === 'string' ? driverValue : JSON.stringify(driverValue));
}

/**
 * A statement for {@link runStatements} planned once per connection: the first time a connection runs it, it is
 * prepared (SQL `PREPARE name AS text`, in the same text as its first use), and from then on sent as
 * `EXECUTE name(arguments)`, so PostgreSQL parses and plans it once per connection, as a named statement of the
 * extended protocol, yet it travels with the others in one simple-query text. `text` takes `$1`, `$2`… where
 * the arguments go; each argument is an SQL literal ({@link sqlLiteral}, {@link literalOf}, or a number). `name`
 * must be unique in the process: PostgreSQL knows the statement by it on each connection.
 */
export interface PreparedText {
  readonly name: string;
  readonly text: string;
}

/** A {@link PreparedText}; `name` is checked (an SQL identifier: lower case, digits, underscores). */
export function preparedText(name: string, text: string): PreparedText {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`a prepared text's name must be an SQL identifier: ${name}`);
  return { name, text };
}

/** One statement of {@link runStatements}: a text of literals, or a prepared text with its arguments. */
export type Statement = string | { readonly prepared: PreparedText; readonly args: readonly string[] };

/** A prepared text run with `args` (SQL literals), as one statement of {@link runStatements}. */
export function execute(prepared: PreparedText, ...args: readonly (string | number)[]): Statement {
  return { prepared, args: args.map((arg) => (typeof arg === 'number' ? String(Math.trunc(arg)) : arg)) };
}

/** What each connection has prepared of the texts (by name, with the text), or that it must be asked again. */
const preparedTexts = new WeakMap<object, Map<string, string | null> | 'ask'>();

/**
 * Sends `statements` as one text on the transaction's connection: one round trip for all, in the simple-query
 * protocol. Resolves to each statement's result, in order. Each statement runs on a snapshot of its own (read
 * committed), so one that follows a lock sees what the lock's last holder committed; a failed one fails the
 * call, and the transaction with it. Prepared texts are prepared on the connection where needed; on the pool
 * handle (no one connection), their arguments are written into the text instead.
 */
export async function runStatements(tx: Executor, statements: readonly Statement[]): Promise<QueryResult[]> {
  const connection = (tx as unknown as { session?: { client?: unknown } }).session?.client;
  if (typeof connection !== 'object' || connection === null || connection instanceof Pool) {
    return send(
      tx,
      statements.map((statement) => (typeof statement === 'string' ? statement : inlined(statement))),
    );
  }
  let known = preparedTexts.get(connection);
  if (known === 'ask' || known === undefined) {
    // A text that failed after its PREPAREs ran (they outlive a rollback): ask what the connection holds.
    known = known === 'ask' ? await statementsHeldBy(tx) : new Map<string, string | null>();
    preparedTexts.set(connection, known);
  }
  const preparing = new Map<string, string>();
  for (const statement of statements) {
    if (typeof statement === 'string') continue;
    const { name, text } = statement.prepared;
    if (!known.has(name) && !preparing.has(name)) preparing.set(name, text);
    // A connection that was asked knows the name only (null): the text it holds is the one of this name.
    const held = known.get(name) ?? preparing.get(name);
    if (held !== null && held !== undefined && held !== text) {
      throw new Error(`prepared text ${name} was prepared with another text`);
    }
  }
  const texts = [
    ...[...preparing].map(([name, text]) => `PREPARE ${name} AS ${text}`),
    ...statements.map((statement) =>
      typeof statement === 'string' ? statement : `EXECUTE ${statement.prepared.name}(${statement.args.join(', ')})`,
    ),
  ];
  try {
    const results = await send(tx, texts);
    for (const [name, text] of preparing) known.set(name, text);
    return results.slice(preparing.size);
  } catch (error) {
    if (preparing.size > 0) preparedTexts.set(connection, 'ask');
    throw error;
  }
}

async function send(tx: Executor, texts: readonly string[]): Promise<QueryResult[]> {
  const result = (await tx.execute(sql.raw(texts.join('; ')))) as unknown as QueryResult | QueryResult[];
  return Array.isArray(result) ? result : [result];
}

/** The text of a prepared statement with its arguments written in (`$1`… replaced in one pass). */
function inlined({ prepared, args }: Exclude<Statement, string>): string {
  return prepared.text.replace(/\$(\d+)/g, (placeholder, index: string) => {
    const arg = args[Number(index) - 1];
    if (arg === undefined) throw new Error(`prepared text ${prepared.name} has no argument for ${placeholder}`);
    return arg;
  });
}

/** The statements the connection holds (SQL PREPAREs and the extended protocol's named ones alike). */
async function statementsHeldBy(tx: Executor): Promise<Map<string, string | null>> {
  const result = (await tx.execute(sql.raw('SELECT name FROM pg_prepared_statements'))) as unknown as {
    rows: { name: string }[];
  };
  // Held, its text not known here (PostgreSQL keeps the whole PREPARE): only the name matters for EXECUTE.
  return new Map(result.rows.map((row) => [row.name, null]));
}
