import { defineConfig } from 'drizzle-kit';

// Generates edge/db/migrations from edge/db/schema.ts: `npx drizzle-kit generate`.
// The relay applies them at start (edge/db/open.ts).
export default defineConfig({
  dialect: 'sqlite',
  schema: './edge/db/schema.ts',
  out: './edge/db/migrations',
});
