import { defineConfig } from 'drizzle-kit';

// Migrations for common's own tests (outbox, processed_events and a sample table).
export default defineConfig({
  dialect: 'postgresql',
  schema: './test/fixtures/schema.ts',
  out: './test/fixtures/migrations',
});
