import vm from 'node:vm';
import fc from 'fast-check';
import { createScriptRenderer, scriptJson } from '../../lib/jssdk/script';

/** Run a /weixin-config.js body with a fake `wx` and console; return what it did. */
function run(script: string, withWx = true) {
  const configs: unknown[] = [];
  const errors: unknown[] = [];
  const sandbox: Record<string, unknown> = { console: { error: (m: unknown) => errors.push(m) } };
  if (withWx) sandbox.wx = { config: (c: unknown) => configs.push(c) };
  vm.runInNewContext(script, sandbox);
  return { configs, errors };
}

describe('scriptJson', () => {
  test('escapes what could end a <script> element or break a JS string', () => {
    const out = scriptJson({ a: '</script><!--', b: '\u2028\u2029', c: 'a&b' });
    expect(out).not.toMatch(/[<>&\u2028\u2029]/);
    expect(JSON.parse(out)).toEqual({ a: '</script><!--', b: '\u2028\u2029', c: 'a&b' });
  });

  test('property: round-trips any JSON value and contains no unsafe character', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const out = scriptJson(value);
        expect(out).not.toMatch(/[<>&\u2028\u2029]/);
        expect(JSON.parse(out)).toEqual(JSON.parse(JSON.stringify(value)));
        // Also valid as a JavaScript expression.
        expect(vm.runInNewContext(`(${out})`)).toEqual(JSON.parse(JSON.stringify(value)));
      }),
    );
  });
});

describe('createScriptRenderer', () => {
  const render = createScriptRenderer({ appId: 'wx1234567890abcdef', jsApiList: ['chooseImage', 'updateAppMessageShareData'], openTagList: ['wx-open-launch-app'] });

  test('the config script calls wx.config with every field', () => {
    const { configs, errors } = run(render.config(true, 1414587457, 'abc123', 'f'.repeat(40)));
    expect(errors).toEqual([]);
    expect(configs).toEqual([
      {
        debug: true,
        appId: 'wx1234567890abcdef',
        timestamp: 1414587457,
        nonceStr: 'abc123',
        signature: 'f'.repeat(40),
        jsApiList: ['chooseImage', 'updateAppMessageShareData'],
        openTagList: ['wx-open-launch-app'],
      },
    ]);
  });

  test('without jweixin loaded it logs a clear error instead of throwing', () => {
    const { configs, errors } = run(render.config(false, 1, 'n', 's'), false);
    expect(configs).toEqual([]);
    expect(String(errors[0])).toMatch(/load jweixin/);
  });

  test('the error script logs the message, configures nothing, and cannot be broken out of', () => {
    const script = render.error('bad </script><script>alert(1)</script> \u2028 url');
    expect(script).not.toMatch(/<\/script/i);
    const { configs, errors } = run(script);
    expect(configs).toEqual([]);
    expect(errors).toEqual(['express-wxauth: /weixin-config.js: bad </script><script>alert(1)</script> \u2028 url']);
  });
});
