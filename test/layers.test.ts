import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The source tree's layers (docs/architecture.md, "Source map"): read by its imports, type imports included, each
 * folder of src/ and of workers/ stands above what it imports, so that there is no circle and no import running back
 * up; the contract stands on nothing above it; the worker never imports the main thread's folders.
 */
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

const FILES = [...sources('src'), ...sources('workers')];
const IMPORT = /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+'(\.{1,2}\/[^']+)'/g;

/** Every relative import of a file, as the path of the file it names. */
function importsOf(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  return [...text.matchAll(IMPORT)].map((match) => normalize(join(dirname(file), match[1])).replace(/\.js$/, '.ts'));
}

/** A room: a top-level folder or file of src/ or workers/ (`src/engine`, `src/collector.ts`). */
function roomOf(file: string): string {
  const [tree, first] = file.split('/');
  return `${tree}/${first}`;
}

const EDGES = FILES.flatMap((file) => importsOf(file).map((target) => ({ from: file, to: target })));

/** The circles of rooms within one tree: each as the rooms it ties, with one import that ties them. */
function circles(tree: 'src' | 'workers'): string[] {
  const arrows = new Map<string, Map<string, string>>();
  for (const { from, to } of EDGES) {
    if (!from.startsWith(`${tree}/`) || !to.startsWith(`${tree}/`) || roomOf(from) === roomOf(to)) continue;
    const out = arrows.get(roomOf(from)) ?? new Map<string, string>();
    out.set(roomOf(to), `${from} -> ${relative(ROOT, join(ROOT, to))}`);
    arrows.set(roomOf(from), out);
  }
  // Tarjan's strongly connected components: a component of more than one room is a circle.
  const found: string[] = [];
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const visit = (room: string) => {
    index.set(room, index.size);
    low.set(room, index.get(room) as number);
    stack.push(room);
    onStack.add(room);
    for (const next of arrows.get(room)?.keys() ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(room, Math.min(low.get(room) as number, low.get(next) as number));
      } else if (onStack.has(next)) low.set(room, Math.min(low.get(room) as number, index.get(next) as number));
    }
    if (low.get(room) !== index.get(room)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop() as string;
      onStack.delete(member);
      component.push(member);
    } while (member !== room);
    if (component.length > 1) {
      const ties = component.flatMap((a) => component.flatMap((b) => (arrows.get(a)?.get(b) === undefined ? [] : [arrows.get(a)?.get(b)])));
      found.push(`${component.sort().join(', ')} (${ties.join('; ')})`);
    }
  };
  for (const room of arrows.keys()) if (!index.has(room)) visit(room);
  return found;
}

describe('the layers of the source tree', () => {
  it('src/: no two folders (or top-level files) import each other, even through others', () => {
    expect(circles('src')).toEqual([]);
  });

  it('workers/: the same', () => {
    expect(circles('workers')).toEqual([]);
  });

  it('the contract imports nothing of ringmeter but itself and the option types it derives a worker config from', () => {
    const outside = EDGES.filter(({ from, to }) => from.startsWith('src/contract/') && !to.startsWith('src/contract/'));
    expect(outside.map(({ from, to }) => `${from} -> ${to}`)).toEqual([
      'src/contract/worker-config.ts -> src/options/table.ts',
      'src/contract/worker-config.ts -> src/options/change.ts',
    ]);
  });

  it('the worker stands on the contract and the shared code, never on the main thread folders (options, engine, supervisor…)', () => {
    const shared = ['src/contract/', 'src/ring/', 'src/sketch/', 'src/secrets/', 'src/runtime/thread-cpu.ts'];
    const outside = EDGES.filter(
      ({ from, to }) => from.startsWith('workers/') && to.startsWith('src/') && !shared.some((s) => to.startsWith(s)),
    );
    expect(outside.map(({ from, to }) => `${from} -> ${to}`)).toEqual([]);
  });

  it('the main thread never imports the worker', () => {
    expect(EDGES.filter(({ from, to }) => from.startsWith('src/') && to.startsWith('workers/'))).toEqual([]);
  });

  it('no source file of src/ or workers/ is above 400 lines', () => {
    const long = FILES.map((file) => ({ file, lines: readFileSync(join(ROOT, file), 'utf8').split('\n').length - 1 })).filter(
      ({ lines }) => lines > 400,
    );
    expect(long).toEqual([]);
  });
});
