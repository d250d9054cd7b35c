import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { brokenLinks, extractSnippets, linksOf, typecheckSnippets, type Snippet } from './snippets';

// README.md and every guide in docs/: links land, no work history, the README stays a front door,
// every ts/js block is marked, and the `typecheck` / `run` ones type-check under strict.
// (A guide with test/docs/<guide>.test.ts also runs its snippets there, against the simulator.)
const ROOT = path.resolve(__dirname, '../..');
const GUIDES = ['README.md', ...readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];
const CACHE = path.join(ROOT, 'node_modules/.cache/express-wxauth/snippets/guides');
const LIB = {
  'express-wxauth': path.join(ROOT, 'lib/index.ts'),
  'express-wxauth/simulator': path.join(ROOT, 'lib/simulator/index.ts'),
  'express-wxauth/passport': path.join(ROOT, 'lib/passport/index.ts'),
};
/** Work history has no place in user docs: sessions and issue numbers, the date of a run. */
const HISTORY = /\b[Ss]ession [0-9]+\b|\b[Ii]ssue #?[0-9]+\b|\b(?:measured|run|ran) on \d{4}-\d{2}-\d{2}\b|, \d{4}-\d{2}-\d{2}\. /;
// A guide with its own test (test/docs/<guide>.test.ts) has its snippets type-checked there, with
// the fixtures its programs import; this file type-checks the rest.
const OWN_TEST = new Set(GUIDES.filter((file) => existsSync(path.join(ROOT, 'test', file.replace(/\.md$/, '.test.ts')))));

const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');

describe('README and docs/', () => {
  test('the guides include the README and the surface guides it maps', () => {
    expect(GUIDES).toEqual(expect.arrayContaining(['README.md', 'docs/login.md', 'docs/jssdk.md', 'docs/pay.md', 'docs/pay-v2.md', 'docs/native-and-miniprogram.md', 'docs/simulator.md', 'docs/security.md', 'docs/failure-modes.md', 'docs/benchmarks.md', 'docs/passport.md']));
  });

  test('the README is a front door: at most 450 lines, opening with clone and the two commands, linking every guide', () => {
    const readme = read('README.md');
    expect(readme.split('\n').length).toBeLessThanOrEqual(450);
    const first = /```bash\n([\s\S]*?)```/.exec(readme)![1]!;
    expect(first).toMatch(/^git clone /);
    expect(first).toMatch(/npm install && npm start/);
    expect(first).toMatch(/npm install && npm test/);
    const linked = new Set(linksOf(readme).map((l) => l.target.split('#')[0]));
    for (const guide of GUIDES.filter((g) => g.startsWith('docs/'))) expect([guide, linked.has(guide)]).toEqual([guide, true]);
  });

  test('every relative link lands on a file, and on a heading when it names one', () => {
    const broken: string[] = [];
    let count = 0;
    for (const guide of GUIDES) {
      const result = brokenLinks(read(guide), guide, ROOT);
      broken.push(...result.broken);
      count += result.checked;
    }
    expect(count).toBeGreaterThan(50);
    expect(broken).toEqual([]);
  });

  test('no work history: sessions, issue numbers, dates of runs', () => {
    const hits: string[] = [];
    for (const guide of GUIDES) read(guide).split('\n').forEach((text, i) => HISTORY.test(text) && hits.push(`${guide}:${i + 1}: ${text.trim()}`));
    expect(hits).toEqual([]);
  });

  test('figures come from one place: req/s and ops/s only in docs/benchmarks.md', () => {
    const hits: string[] = [];
    for (const guide of GUIDES.filter((g) => g !== 'docs/benchmarks.md')) read(guide).split('\n').forEach((text, i) => /\d[\d ]* (req|ops|notify|round trips)\/s\b/.test(text) && hits.push(`${guide}:${i + 1}`));
    expect(hits).toEqual([]);
  });

  const snippets: Snippet[] = [];
  test('every ts/js block is marked, and a skipped one says why', () => {
    for (const guide of GUIDES) snippets.push(...extractSnippets(read(guide), guide));
    for (const s of snippets.filter((o) => o.mode === 'skip')) expect([s.file, s.line, s.reason!.length > 3]).toEqual([s.file, s.line, true]);
    // The README's quick start is a complete program, run by test/docs/readme.test.ts.
    expect(snippets.find((s) => s.file === 'README.md' && s.name === 'quickstart')?.mode).toBe('run');
  });

  test('the typecheck snippets type-check under strict', () => {
    const own = snippets.filter((s) => !OWN_TEST.has(s.file));
    expect(own.filter((s) => s.mode !== 'skip').length).toBeGreaterThan(0);
    expect(typecheckSnippets(own, { dir: path.join(CACHE, 'typecheck'), paths: LIB })).toEqual([]);
  }, 180_000);
});
