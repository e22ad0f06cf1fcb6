import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const root = fileURLToPath(new URL('../..', import.meta.url));
const schema = fileURLToPath(new URL('../fixtures/prisma/schema.prisma', import.meta.url));
/** Where `prisma generate` writes the client of test/fixtures/prisma/schema.prisma (gitignored). */
const generatedClient = fileURLToPath(new URL('../fixtures/prisma/generated/client.ts', import.meta.url));

/**
 * Generates the Prisma client of the test schema, as an application's build does, and imports it. Prisma 7 with a
 * driver adapter needs no engine binary at run time; `prisma generate` only wants a schema engine to exist, which
 * it would otherwise try to download: any executable will do (it is never asked anything for `generate`).
 */
export async function generatePrismaClient(): Promise<{ PrismaClient: new (options: { adapter: unknown }) => unknown }> {
  await promisify(execFile)(fileURLToPath(new URL('node_modules/.bin/prisma', `file://${root}/`)), ['generate', '--schema', schema], {
    cwd: root,
    env: { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: '/bin/true', PRISMA_HIDE_UPDATE_MESSAGE: '1' },
  });
  // A path only known at run time: the client does not exist until the line above made it.
  return (await import(generatedClient)) as { PrismaClient: new (options: { adapter: unknown }) => unknown };
}
