import path from 'node:path';

/** Committed drizzle-kit migrations; the same path from `src/db` (tests) and `dist/db` (running). */
export const migrationsFolder = path.resolve(__dirname, '..', '..', 'src', 'db', 'migrations');
