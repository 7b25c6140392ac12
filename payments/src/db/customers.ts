import { and, eq } from 'drizzle-orm';
import type { Executor } from '@ticketing/common/database';
import { customers, type Customer } from './schema';

export async function findCustomer(db: Executor, id: string): Promise<Customer | undefined> {
  const [customer] = await db.select().from(customers).where(eq(customers.id, id));
  return customer;
}

/** Reads a customer and locks the row (when there is one) until the transaction ends. */
export async function lockCustomer(tx: Executor, id: string): Promise<Customer | undefined> {
  const [customer] = await tx.select().from(customers).where(eq(customers.id, id)).for('update');
  return customer;
}

/** Applies version `customer.version` of a user on top of `previous` (none for the first one). */
export async function saveCustomerVersion(
  tx: Executor,
  previous: Customer | undefined,
  customer: Customer,
): Promise<void> {
  if (!previous) {
    await tx.insert(customers).values(customer).onConflictDoNothing({ target: customers.id });
    return;
  }
  await tx
    .update(customers)
    .set({ email: customer.email, version: customer.version })
    .where(and(eq(customers.id, customer.id), eq(customers.version, previous.version)));
}
