// Copies the committed SQL migrations next to the compiled code (dist/db/migrations),
// where migrate() looks for them at run time.
import { cp, rm } from 'node:fs/promises';

const from = new URL('../src/db/migrations/', import.meta.url);
const to = new URL('../dist/db/migrations/', import.meta.url);
await rm(to, { recursive: true, force: true });
await cp(from, to, { recursive: true });
