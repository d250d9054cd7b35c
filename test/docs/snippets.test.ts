import path from 'node:path';
import { anchorsOf, extractSnippets, linksOf, programOf, typecheckSnippets } from './snippets';

const CACHE = path.resolve(__dirname, '../../node_modules/.cache/express-wxauth/snippets/self-test');
const fence = '```';

const guide = [
  '# Guide', // 1
  '', // 2
  '<!-- snippet: run name=base -->', // 3
  `${fence}ts`, // 4
  "import { a } from './a';", // 5
  'const app = a();', // 6
  fence, // 7
  '', // 8
  '<!-- snippet: typecheck extends=base -->', // 9
  '', // 10
  `${fence}ts`, // 11
  "import { a } from './a';", // 12
  'app.go();', // 13
  fence, // 14
  '<!-- snippet: skip (client-side: a browser) -->', // 15
  `${fence}js`, // 16
  'WeixinJSBridge.invoke();', // 17
  fence, // 18
  `${fence}bash`, // 19
  'npm test', // 20
  fence, // 21
].join('\n');

test('markers give each ts/js block its mode, name, continuation and first code line; other languages are ignored', () => {
  const snippets = extractSnippets(guide, 'g.md');
  expect(snippets.map(({ mode, name, extends: ext, reason, line, lang }) => ({ mode, name, ext, reason, line, lang }))).toEqual([
    { mode: 'run', name: 'base', ext: undefined, reason: undefined, line: 5, lang: 'ts' },
    { mode: 'typecheck', name: undefined, ext: 'base', reason: undefined, line: 12, lang: 'ts' },
    { mode: 'skip', name: undefined, ext: undefined, reason: 'client-side: a browser', line: 17, lang: 'js' },
  ]);
});

test('a continuation is its base then itself, identical imports once, each line traced to the guide', () => {
  const snippets = extractSnippets(guide, 'g.md');
  const program = programOf(snippets[1]!, snippets);
  expect(program.code).toBe("import { a } from './a';\nconst app = a();\napp.go();\n");
  expect(program.origin).toEqual(['g.md:5', 'g.md:6', 'g.md:13']);
  expect(programOf([snippets[0]!, snippets[1]!], snippets).code).toBe(program.code);
});

test.each([
  ['an unmarked ts block', `${fence}ts\nx;\n${fence}`, /g\.md:1: a `ts` block without a <!-- snippet/],
  ['a skip without its reason', `<!-- snippet: skip -->\n${fence}js\nx;\n${fence}`, /needs its reason/],
  ['an unknown mode', `<!-- snippet: maybe -->\n${fence}ts\nx;\n${fence}`, /unknown snippet marker "maybe"/],
  ['an unknown option', `<!-- snippet: run nmae=x -->\n${fence}ts\nx;\n${fence}`, /unknown snippet option "nmae=x"/],
  ['a js block to run', `<!-- snippet: run -->\n${fence}js\nx;\n${fence}`, /only ts blocks can be "run"/],
  ['extends of a name not defined before', `<!-- snippet: run extends=later -->\n${fence}ts\nx;\n${fence}`, /extends "later", which is not a snippet named before it/],
  ['a name used twice', `<!-- snippet: run name=a -->\n${fence}ts\nx;\n${fence}\n<!-- snippet: run name=a -->\n${fence}ts\ny;\n${fence}`, /a second snippet named "a"/],
])('%s is an error naming the guide line', (_name, markdown, message) => {
  expect(() => extractSnippets(markdown, 'g.md')).toThrow(message);
});

test('a type error is reported at its line in the guide, under strict', () => {
  const markdown = ['<!-- snippet: typecheck -->', `${fence}ts`, 'export function f(x) {', '  return x;', '}', fence].join('\n');
  expect(typecheckSnippets(extractSnippets(markdown, 'g.md'), { dir: CACHE, paths: {} })).toEqual([
    "g.md:3: TS7006 Parameter 'x' implicitly has an 'any' type.",
  ]);
}, 60_000);

test('anchors are GitHub\'s: punctuation dropped, CJK kept, repeats numbered; links outside code and inline code', () => {
  const markdown = ['## Options (`pay.v3`)', '### Transfers (商家转账)', "### JSAPI in WeChat's browser", '## Errors', '## Errors', `${fence}md`, '## not a heading', fence].join('\n');
  expect([...anchorsOf(markdown)]).toEqual(['options-payv3', 'transfers-商家转账', 'jsapi-in-wechats-browser', 'errors', 'errors-1']);
  const links = ['See [a](#x) and `[b](#not)`.', `${fence}md`, '[c](#no)', fence, '[d](../README.md#y)'].join('\n');
  expect(linksOf(links)).toEqual([{ target: '#x', line: 1 }, { target: '../README.md#y', line: 5 }]);
});
