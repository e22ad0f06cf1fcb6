import { readFileSync } from 'node:fs';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';

// PGlite exports no ./package.json: read it where npm installs it.
const { version } = JSON.parse(readFileSync(new URL('../../node_modules/@electric-sql/pglite/package.json', import.meta.url), 'utf8')) as {
  version: string;
};

/**
 * The data directory of a PGlite that has just run initdb and nothing else, kept across test files and runs.
 * Keyed by the PGlite version: another version may not read this one's directory.
 */
const DUMP = fileURLToPath(new URL(`../../node_modules/.cache/ringmeter-test/pglite-${version}-initdb.tar`, import.meta.url));

let pristine: Promise<Blob> | undefined;

async function pristineDataDir(): Promise<Blob> {
  try {
    return new Blob([await readFile(DUMP)]);
  } catch {
    const first = new PGlite();
    await first.waitReady;
    const dump = await first.dumpDataDir('none');
    await first.close();
    await mkdir(dirname(DUMP), { recursive: true });
    // Written aside, then renamed: a run interrupted midway, or another process, never reads half a file.
    const partial = `${DUMP}.${process.pid}`;
    await writeFile(partial, Buffer.from(await dump.arrayBuffer()));
    await rename(partial, DUMP);
    return dump;
  }
}

/**
 * A new, empty, in-memory PGlite of its own. Starting one runs initdb in WebAssembly, seconds on a busy machine;
 * loading the data directory of one that has just done so skips that and gives the same empty database.
 */
export async function freshPglite(): Promise<PGlite> {
  pristine ??= pristineDataDir();
  const pglite = new PGlite({ loadDataDir: await pristine });
  await pglite.waitReady;
  return pglite;
}
