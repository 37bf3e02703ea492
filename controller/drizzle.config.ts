import { defineConfig } from 'drizzle-kit';

// `pnpm --filter @wofleet/controller db:generate` after changing src/db/schema/: writes the
// next SQL migration into src/db/migrations/ (committed; applied on start by migrate()).
// Generation needs no database: drizzle-kit diffs the schema against the last snapshot.
export default defineConfig({
  dialect: 'postgresql',
  schema: './src/db/schema/index.ts',
  out: './src/db/migrations',
  strict: true,
  verbose: true,
});
