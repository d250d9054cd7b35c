/**
 * The shape of the code, checked like its behaviour: the import graph of lib/ and example-app/
 * has no cycle, the OAuth surface is entered only through its published seams, and lib/ carries
 * no work-history markers. The graph is read with TypeScript's own pre-processor, so every
 * `import`, `import type`, `export … from`, `require()` and `import()` counts.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

const ROOT = resolve(__dirname, '..');
const SCANNED = ['lib', 'example-app'];

/** Every .ts file under `dir`, as a path relative to the repository root with forward slashes. */
function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...tsFiles(full));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) out.push(toRepoPath(full));
  }
  return out;
}

/** A file's text, or '' when it went away between listing and reading (the tree is shared while others work). */
function source(file: string): string {
  try {
    return readFileSync(join(ROOT, file), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw error;
  }
}

function toRepoPath(full: string): string {
  return relative(ROOT, full).split(sep).join('/');
}

/** A relative specifier resolved the way the compiler does: `x.ts`, then `x/index.ts`. */
function resolveSpecifier(from: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined; // a package, not our code
  const base = resolve(ROOT, dirname(from), specifier);
  for (const candidate of [`${base}.ts`, join(base, 'index.ts'), base]) {
    if (candidate.endsWith('.ts') && existsSync(candidate)) return toRepoPath(candidate);
  }
  return undefined;
}

type Graph = Map<string, string[]>;

function importGraph(): Graph {
  const graph: Graph = new Map();
  for (const file of SCANNED.flatMap((dir) => tsFiles(join(ROOT, dir)))) {
    const info = ts.preProcessFile(source(file), true, true);
    const targets = info.importedFiles
      .map((ref) => resolveSpecifier(file, ref.fileName))
      .filter((target): target is string => target !== undefined);
    graph.set(file, [...new Set(targets)]);
  }
  return graph;
}

/** Every elementary cycle's first occurrence, found by depth-first search (Tarjan would do too). */
function findCycles(graph: Graph): string[][] {
  const cycles: string[][] = [];
  const seen = new Set<string>();
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (file: string): void => {
    state.set(file, 'open');
    stack.push(file);
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === 'open') {
        const cycle = [...stack.slice(stack.indexOf(next)), next];
        const key = [...cycle.slice(0, -1)].sort().join('|');
        if (!seen.has(key)) {
          seen.add(key);
          cycles.push(cycle);
        }
      } else if (!state.has(next)) {
        visit(next);
      }
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const file of [...graph.keys()].sort()) if (!state.has(file)) visit(file);
  return cycles;
}

/**
 * Who outside lib/oauth may import which lib/oauth module, and why. Contract types every surface
 * shares (the hooks, SurfaceDeps) live below the surfaces (lib/hooks.ts, lib/deps.ts); no other
 * surface (pay, jssdk, client, identity, store, messages, the simulator …) reaches into lib/oauth.
 */
const OAUTH_SEAMS: ReadonlyArray<{ importer: RegExp; modules: RegExp; why: string }> = [
  { importer: /^lib\/(index|wxauth)\.ts$/, modules: /./, why: 'the public entry and the router wiring' },
  {
    // The other ways to log in reuse the browser-login toolkit instead of a second copy of it:
    // the sealed pending state (nothing stored before login), the next-URL guard, the code
    // exchange and the login error pages. The OAuth routes themselves (router.ts) stay private.
    importer: /^lib\/(passport|native|follow|miniprogram)\//,
    modules: /^lib\/oauth\/(authorize-url|error-page|exchange|flow|http|next-url|sealed-cookie|state)\.ts$/,
    why: 'the other login surfaces share the browser-login toolkit',
  },
];

function crossesIntoOAuth(graph: Graph): string[] {
  const offences: string[] = [];
  for (const [importer, targets] of graph) {
    if (importer.startsWith('lib/oauth/')) continue;
    for (const target of targets) {
      if (!target.startsWith('lib/oauth/')) continue;
      if (!OAUTH_SEAMS.some((seam) => seam.importer.test(importer) && seam.modules.test(target))) {
        offences.push(`${importer} → ${target}`);
      }
    }
  }
  return offences.sort();
}

describe('the import graph of lib/ and example-app/', () => {
  const graph = importGraph();

  it('reads every module and follows its relative imports', () => {
    expect(graph.size).toBeGreaterThan(50);
    expect(graph.get('lib/index.ts')).toEqual(expect.arrayContaining(['lib/wxauth.ts', 'lib/errors.ts']));
  });

  it('has no import cycle', () => {
    const printed = findCycles(graph).map((cycle) => cycle.join(' → '));
    expect(printed).toEqual([]);
  });

  it('enters lib/oauth only through the router wiring, the public entry and its published seams', () => {
    expect(crossesIntoOAuth(graph)).toEqual([]);
  });
});

describe('the cycle finder itself', () => {
  it('prints a cycle as the path that closes it', () => {
    const graph: Graph = new Map([
      ['a.ts', ['b.ts']],
      ['b.ts', ['c.ts']],
      ['c.ts', ['a.ts', 'd.ts']],
      ['d.ts', []],
    ]);
    expect(findCycles(graph)).toEqual([['a.ts', 'b.ts', 'c.ts', 'a.ts']]);
  });

  it('finds none in a graph that only flows one way', () => {
    expect(findCycles(new Map([['a.ts', ['b.ts']], ['b.ts', []]]))).toEqual([]);
  });
});

describe('lib/ as the next reader sees it', () => {
  it('carries no work-history markers (issue numbers, "SURFACE EXPORTS")', () => {
    const markers = /\bissue\s*#?\d+|SURFACE EXPORTS/i;
    const hits = tsFiles(join(ROOT, 'lib'))
      .flatMap((file) =>
        source(file)
          .split('\n')
          .map((line, index) => ({ line, where: `${file}:${index + 1}` }))
          .filter(({ line }) => markers.test(line)),
      )
      .map(({ where, line }) => `${where}: ${line.trim()}`);
    expect(hits).toEqual([]);
  });
});

describe('installs', () => {
  // npm 11 lists every dependency whose install script is not reviewed in package.json
  // "allowScripts" on each `npm ci`; a new dependency with a script must be approved (true) or
  // denied (false) there, so a fresh clone's install stays quiet.
  it('reviews every dependency with an install script in package.json "allowScripts"', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { allowScripts?: Record<string, boolean> };
    const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string; hasInstallScript?: boolean }> };
    // An entry is `name`, `name@version` or `name@range`; a scoped name starts with its own `@`.
    const reviewed = new Set(Object.keys(pkg.allowScripts ?? {}).map((entry) => entry.replace(/(?!^)@.*$/, '')));
    const unreviewed = Object.entries(lock.packages)
      .filter(([path, entry]) => path !== '' && entry.hasInstallScript)
      .map(([path, entry]) => ({ name: path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length), version: entry.version }))
      .filter(({ name }) => !reviewed.has(name))
      .map(({ name, version }) => `${name}@${version}`);
    expect(reviewed.size).toBeGreaterThan(0);
    expect(unreviewed).toEqual([]);
  });
});
