import { createSign } from 'node:crypto';
import vm from 'node:vm';
import QRCode from 'qrcode';
import { APPID, MCHID, jsapiOrder, startReceiver, startV3Sim, type V3Sim } from './pay-v3-client';

type Receiver = Awaited<ReturnType<typeof startReceiver>>;

describe('simulator v3 cashier pages', () => {
  let h: V3Sim;
  let app: Receiver;
  let t = 1_750_000_000_000;
  beforeEach(async () => {
    t = Date.now();
    h = await startV3Sim({ name: 'Demo Shop', now: () => t });
    app = await startReceiver();
  });
  afterEach(async () => {
    await h.close();
    await app.close();
  });

  const get = (path: string) => fetch(`${h.url}${path}`, { redirect: 'manual' });
  const post = (path: string, form: Record<string, string>) => fetch(`${h.url}${path}`, { method: 'POST', body: new URLSearchParams(form), redirect: 'manual' });
  const nativeOrder = async (no: string) => {
    const res = await h.call('POST', '/v3/pay/transactions/native', { appid: APPID, mchid: MCHID, description: 'Poster', out_trade_no: no, notify_url: `${app.url}/n`, amount: { total: 990 } });
    return String(res.json.code_url);
  };
  const paySign = (appId: string, timeStamp: string, nonceStr: string, pkg: string) => createSign('RSA-SHA256').update(`${appId}\n${timeStamp}\n${nonceStr}\n${pkg}\n`).sign(h.keys.privateKey, 'base64');

  it('Native: the QR image is a real PNG that qrcode made from the order’s code_url', async () => {
    const codeUrl = await nativeOrder('native0001');
    const pr = codeUrl.split('pr=')[1]!;
    const res = await get(`/sim/pay/v3/qr/${pr}.png`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    const png = Buffer.from(await res.arrayBuffer());
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    // Byte for byte what qrcode encodes for this code_url (and not for another text).
    const expected = await QRCode.toBuffer(codeUrl, { type: 'png', errorCorrectionLevel: 'M', margin: 2, width: 240 });
    expect(png.equals(expected)).toBe(true);
    expect(png.equals(await QRCode.toBuffer(`${codeUrl}x`, { type: 'png', errorCorrectionLevel: 'M', margin: 2, width: 240 }))).toBe(false);
    expect((await get('/sim/pay/v3/qr/nothing.png')).status).toBe(404);
  });

  it('Native page: merchant name (not the mch_id), amount and the QR image; scanning leads to the cashier', async () => {
    await nativeOrder('native0002');
    const html = await (await get(h.sim.payV3.nativePath('native0002'))).text();
    expect(html).toContain('<h1 id="merchant">Demo Shop</h1>');
    expect(html).not.toContain(MCHID);
    expect(html).toContain('¥9.90');
    expect(html).toMatch(/<img id="qr" src="\/sim\/pay\/v3\/qr\/\w{7}\.png"/);
    const scan = /id="scan" class="button" href="([^"]+)"/.exec(html)![1]!.replace(/&#38;/g, '&');
    const cashier = await (await get(scan)).text();
    expect(cashier).toContain('id="pay"');
  });

  it('JSAPI: getBrandWCPayRequest with a valid paySign opens the cashier; a bad one fails and tells the bridge', async () => {
    const res = await h.call('POST', '/v3/pay/transactions/jsapi', jsapiOrder('jsapi00001', `${app.url}/n`, h.sim));
    const pkg = `prepay_id=${res.json.prepay_id}`;
    const ts = String(Math.floor(Date.now() / 1000));
    const params = { appId: APPID, timeStamp: ts, nonceStr: 'n0nce', package: pkg, signType: 'RSA', paySign: paySign(APPID, ts, 'n0nce', pkg), embed: '1' };
    const ok = await get(`/sim/pay/v3/jsapi?${new URLSearchParams(params)}`);
    expect(ok.status).toBe(200);
    const html = await ok.text();
    expect(html).toContain('<h1 id="merchant">Demo Shop</h1>');
    expect(html).toContain('Paying as <b id="payer">alice</b>');
    expect(html).not.toContain(MCHID);

    const forged = await get(`/sim/pay/v3/jsapi?${new URLSearchParams({ ...params, paySign: paySign(APPID, ts, 'other', pkg) })}`);
    expect(forged.status).toBe(400);
    const text = await forged.text();
    expect(text).toContain('支付验证签名失败');
    expect(text).toContain("result: \"fail\"");
    const md5 = await get(`/sim/pay/v3/jsapi?${new URLSearchParams({ ...params, signType: 'MD5' })}`);
    expect(md5.status).toBe(400);
  });

  it('paying on the cashier: the order is paid, its notify delivered, and the paid page links back', async () => {
    await h.call('POST', '/v3/pay/transactions/jsapi', jsapiOrder('jsapi00002', `${app.url}/n`, h.sim));
    const page = await (await get(h.sim.payV3.cashierPath('jsapi00002', { redirectUrl: 'https://shop.example/orders/jsapi00002' }))).text();
    const prepayId = /name="prepay_id" value="([^"]+)"/.exec(page)![1]!;
    const paid = await post('/sim/pay/v3/cashier', { prepay_id: prepayId, redirect_url: 'https://shop.example/orders/jsapi00002' });
    expect(paid.status).toBe(200);
    const html = await paid.text();
    expect(html).toContain('id="paid"');
    expect(html).toContain('The merchant confirmed the notify.');
    expect(html).toContain('<a id="back" class="button" href="https://shop.example/orders/jsapi00002">Back to Demo Shop</a>');
    expect(h.sim.payV3.order('jsapi00002')!.state).toBe('SUCCESS');
    expect(app.received).toHaveLength(1);
    // Paying twice is refused.
    expect((await post('/sim/pay/v3/cashier', { prepay_id: prepayId })).status).toBe(409);
    // A javascript: redirect is never linked.
    await h.call('POST', '/v3/pay/transactions/jsapi', jsapiOrder('jsapi00003', `${app.url}/n`, h.sim));
    const other = h.sim.payV3.order('jsapi00003')!.prepayId;
    const refused = await (await post('/sim/pay/v3/cashier', { prepay_id: other, redirect_url: 'javascript:alert(1)' })).text();
    expect(refused).not.toContain('javascript:alert');
    expect(refused).toContain('<a id="back" class="button" href="/">Simulator home</a>');
  });

  it('H5: h5_url opens the cashier (the payer can be chosen) for 5 minutes', async () => {
    const res = await h.call('POST', '/v3/pay/transactions/h5', {
      appid: APPID,
      mchid: MCHID,
      description: 'Mug',
      out_trade_no: 'h5order002',
      notify_url: `${app.url}/n`,
      amount: { total: 1500 },
      scene_info: { payer_client_ip: '203.0.113.7', h5_info: { type: 'Wap' } },
    });
    const h5Url = `${res.json.h5_url}&redirect_url=${encodeURIComponent('https://shop.example/back')}`;
    const page = await (await fetch(h5Url)).text();
    expect(page).toContain('Demo Shop');
    expect(page).toContain('id="user"');
    expect(page).toContain('value="https://shop.example/back"');
    t += 5 * 60_000 + 1000;
    expect((await fetch(h5Url)).status).toBe(410);
  });

  it('transfer confirmation page: the user receives, the bill is SUCCESS', async () => {
    await h.call('POST', '/v3/fund-app/mch-transfer/transfer-bills', {
      appid: APPID,
      out_bill_no: 'bill00009',
      transfer_scene_id: '1000',
      openid: h.sim.openidOf(APPID, 'bob'),
      transfer_amount: 300,
      transfer_remark: 'Refund of deposit',
      notify_url: `${app.url}/t`,
      transfer_scene_report_infos: [{ info_type: '活动名称', info_content: '押金退还' }],
    });
    const page = await (await get(h.sim.payV3.transferPath('bill00009'))).text();
    expect(page).toContain('Demo Shop');
    expect(page).toContain('¥3.00');
    const pkg = /name="package" value="([^"]+)"/.exec(page)![1]!.replace(/&#43;/g, '+').replace(/&#61;/g, '=').replace(/&#47;/g, '/');
    const done = await post('/sim/pay/v3/transfer', { package: pkg });
    expect(await done.text()).toContain('id="received"');
    expect(h.sim.payV3.transfer('bill00009')!.state).toBe('SUCCESS');
    expect(app.received.map((r) => r.path)).toEqual(['/t']);
  });

  it('/sim/weixin-jsbridge.js: getBrandWCPayRequest opens the cashier overlay on the simulator and calls back with :ok', async () => {
    const res = await get('/sim/weixin-jsbridge.js');
    expect(res.headers.get('content-type')).toMatch(/javascript/);
    const js = await res.text();

    // A tiny DOM, enough for the bridge: elements, body.appendChild, message events, timers.
    const listeners: Array<(e: unknown) => void> = [];
    const appended: Array<{ id?: string; src?: string; contentWindow?: object; children: unknown[] }> = [];
    const el = () => ({ children: [] as unknown[], contentWindow: {}, setAttribute() {}, appendChild(c: unknown) { this.children.push(c); }, remove() {} });
    const events: string[] = [];
    const window: Record<string, unknown> = {
      addEventListener: (type: string, fn: (e: unknown) => void) => type === 'message' && listeners.push(fn),
      removeEventListener: () => undefined,
    };
    const context = {
      window,
      document: {
        currentScript: { src: `${h.url}/sim/weixin-jsbridge.js` },
        createElement: el,
        body: { appendChild: (x: (typeof appended)[number]) => appended.push(x) },
        dispatchEvent: (e: { type: string }) => events.push(e.type),
      },
      location: { href: 'http://shop.example/checkout', origin: 'http://shop.example' },
      URL,
      URLSearchParams,
      Event: class {
        constructor(readonly type: string) {}
      },
      setTimeout: (fn: () => void) => setImmediate(fn),
    };
    vm.runInNewContext(js, context);
    await new Promise((r) => setImmediate(r));
    expect(events).toEqual(['WeixinJSBridgeReady']);

    const bridge = window.WeixinJSBridge as { invoke(name: string, params: object, cb: (r: { err_msg: string }) => void): void };
    const result = new Promise<string>((resolve) => bridge.invoke('getBrandWCPayRequest', { appId: APPID, timeStamp: '1', nonceStr: 'n', package: 'prepay_id=wx1', signType: 'RSA', paySign: 'sig' }, (r) => resolve(r.err_msg)));
    const frame = appended[0]!.children[0] as { src: string; contentWindow: object };
    const src = new URL(frame.src);
    expect(src.origin).toBe(h.url);
    expect(src.pathname).toBe('/sim/pay/v3/jsapi');
    expect(Object.fromEntries(src.searchParams)).toEqual({ appId: APPID, timeStamp: '1', nonceStr: 'n', package: 'prepay_id=wx1', signType: 'RSA', paySign: 'sig', embed: '1' });
    // A message from elsewhere is ignored; the cashier's own ends the call.
    for (const fn of listeners) fn({ origin: 'http://evil.example', source: frame.contentWindow, data: { wxsim: 'v3', result: 'ok' } });
    for (const fn of listeners) fn({ origin: h.url, source: frame.contentWindow, data: { wxsim: 'v3', result: 'ok' } });
    expect(await result).toBe('get_brand_wcpay_request:ok');
  });

  it('/sim/weixin-jsbridge.js fires WeixinJSBridgeReady after the page’s own scripts (on DOMContentLoaded while loading)', async () => {
    const js = await (await get('/sim/weixin-jsbridge.js')).text();
    const events: string[] = [];
    const onLoad: Array<() => void> = [];
    const document = {
      readyState: 'loading',
      currentScript: { src: `${h.url}/sim/weixin-jsbridge.js` },
      addEventListener: (type: string, fn: () => void) => type === 'DOMContentLoaded' && onLoad.push(fn),
      dispatchEvent: (e: { type: string }) => events.push(e.type),
    };
    const timers: Array<() => void> = [];
    vm.runInNewContext(js, { window: {}, document, location: { href: 'http://shop.example/' }, URL, Event: class { constructor(readonly type: string) {} }, setTimeout: (fn: () => void) => timers.push(fn) });
    timers.splice(0).forEach((fn) => fn());
    expect(events).toEqual([]); // the page's later <script> has not run yet: not ready
    onLoad.forEach((fn) => fn());
    timers.splice(0).forEach((fn) => fn());
    expect(events).toEqual(['WeixinJSBridgeReady']);
  });
});
