import { createPayV3Api, type PayV3Api } from '../../../lib/pay/v3/pay';
import { MemoryStore } from '../../../lib/store';
import { testLogger, v3Ctx, v3Options, type KeyMode, type TestLogger } from './harness';
import { APPID } from './keys';
import { makeNotify, refundNotice, transaction, transferNotice } from './notify-helpers';

const MINI = 'wxmini00000000001';
let logger: TestLogger;
const make = (mode: KeyMode = 'publicKey') => {
  logger = testLogger();
  return createPayV3Api(v3Ctx({ store: new MemoryStore(), logger }), { appid: APPID, mchid: '1900000109', v3: { ...v3Options(mode), appids: [MINI] } });
};

describe('payment notifies', () => {
  let api: PayV3Api;
  let seen: Array<[string, string]>;
  beforeEach(() => {
    api = make();
    seen = [];
    api.onNotify((t, type) => void seen.push([t.transaction_id, type]), { amountOf: () => 100 });
  });

  test('a good notify: the handler gets the decrypted transaction and its type, 204 empty', async () => {
    const reply = await api.handleNotify(makeNotify(transaction()), 'vip');
    expect(reply).toMatchObject({ status: 204, ok: true, body: '' });
    expect(seen).toEqual([['4200000000000000000000000001', 'vip']]);
  });

  test('the body as a Buffer works the same', async () => {
    const n = makeNotify(transaction());
    expect((await api.handleNotify({ headers: n.headers, body: Buffer.from(n.body) })).status).toBe(204);
  });

  test('the same notify twice: the handler once, both acknowledged', async () => {
    const n = makeNotify(transaction());
    expect((await api.handleNotify(n)).status).toBe(204);
    expect((await api.handleNotify(makeNotify(transaction()))).status).toBe(204);
    expect(seen).toHaveLength(1);
  });

  test("a mini program's payment (its appid listed) is ours", async () => {
    expect((await api.handleNotify(makeNotify(transaction({ appid: MINI })))).status).toBe(204);
  });

  test.each([
    ['a probe signature', { fault: 'probe' as const }, 401],
    ['a stale timestamp', { fault: 'stale' as const }, 401],
    ['a future timestamp', { fault: 'future' as const }, 401],
    ['a foreign key', { fault: 'foreign' as const }, 401],
    ['an unknown serial', { fault: 'unknown-serial' as const }, 401],
    ['a platform certificate we do not have', { fault: 'platform' as const }, 401],
    ['a tampered body', { tamper: 'body' as const }, 401],
    ['a tampered ciphertext (re-signed)', { tamper: 'ciphertext' as const }, 400],
    ['another APIv3 key', { apiV3Key: 'W'.repeat(32) }, 400],
  ])('%s: refused with a non-2xx FAIL, handler never called', async (_name, options, status) => {
    const reply = await api.handleNotify(makeNotify(transaction(), options));
    expect(reply.status).toBe(status);
    expect(reply.ok).toBe(false);
    expect(JSON.parse(reply.body)).toMatchObject({ code: 'FAIL' });
    expect(seen).toHaveLength(0);
  });

  test.each([
    ['another mchid', { mchid: '1900000999' }, 'mchid mismatch'],
    ['another appid', { appid: 'wxother0000000001' }, 'appid mismatch'],
    ['another amount', { amount: { total: 1 } }, 'amount mismatch'],
    ['no transaction_id', { transaction_id: undefined }, 'transaction_id'],
  ])('%s: 400, handler never called', async (_name, over, reason) => {
    const reply = await api.handleNotify(makeNotify(transaction(over)));
    expect(reply.status).toBe(400);
    expect(JSON.parse(reply.body).message).toContain(reason);
    expect(seen).toHaveLength(0);
  });

  test('an amount mismatch is logged as an error, with the amounts', async () => {
    await api.handleNotify(makeNotify(transaction({ amount: { total: 1 } })));
    expect(logger.lines.find((l) => l.level === 'error' && /amount/.test(l.message))?.meta).toMatchObject({ orderTotal: 100, total: 1 });
  });

  test('after an amount mismatch, a correct delivery still runs the handler (the lock was released)', async () => {
    await api.handleNotify(makeNotify(transaction({ amount: { total: 1 } })));
    expect((await api.handleNotify(makeNotify(transaction()))).status).toBe(204);
    expect(seen).toHaveLength(1);
  });

  test('a throwing handler: 500, then processed once on redelivery', async () => {
    let calls = 0;
    api.onNotify(() => {
      calls++;
      if (calls === 1) throw new Error('db down');
    });
    const first = await api.handleNotify(makeNotify(transaction()));
    expect(first.status).toBe(500);
    expect(JSON.parse(first.body)).toEqual({ code: 'FAIL', message: 'handler failed' });
    expect((await api.handleNotify(makeNotify(transaction()))).status).toBe(204);
    expect((await api.handleNotify(makeNotify(transaction()))).status).toBe(204);
    expect(calls).toBe(2);
  });

  test('no handler registered: 500 so WeChat retries', async () => {
    const bare = make();
    expect((await bare.handleNotify(makeNotify(transaction()))).status).toBe(500);
  });

  test('a payment notify on the refund or transfer path is refused', async () => {
    expect((await api.handleNotify(makeNotify(transaction()), 'refund')).status).toBe(400);
    expect((await api.handleNotify(makeNotify(transaction()), 'transfer')).status).toBe(400);
    expect(seen).toHaveLength(0);
  });

  test('a malformed type is a 404', async () => {
    expect((await api.handleNotify(makeNotify(transaction()), '../x')).status).toBe(404);
  });

  test('garbage and oversize bodies are refused without throwing', async () => {
    expect((await api.handleNotify({ headers: {}, body: 'nope' })).status).toBe(401);
    expect((await api.handleNotify({ headers: {}, body: 'x'.repeat(70_000) })).status).toBe(413);
    expect((await api.handleNotify({ headers: {}, body: { a: 1 } as never })).status).toBe(400);
  });

  test('logs never carry the body, the signature or the key', async () => {
    const n = makeNotify(transaction(), { fault: 'probe' });
    await api.handleNotify(n);
    const text = JSON.stringify(logger.lines);
    expect(text).not.toContain(n.headers['Wechatpay-Signature']!.slice(20, 60));
    expect(text).not.toContain('ciphertext');
  });
});

describe('certificate modes', () => {
  test('legacy mode verifies certificate-signed notifies and refuses public-key ones', async () => {
    const api = make('certificates');
    const seen: string[] = [];
    api.onNotify((t) => void seen.push(t.transaction_id));
    expect((await api.handleNotify(makeNotify(transaction(), { fault: 'platform' }))).status).toBe(204);
    expect((await api.handleNotify(makeNotify(transaction({ transaction_id: '4200000000000000000000000002' })))).status).toBe(401);
    expect(seen).toHaveLength(1);
  });

  test('during a switch both kinds verify, each by its serial', async () => {
    const api = make('switch');
    const seen: string[] = [];
    api.onNotify((t) => void seen.push(t.transaction_id));
    expect((await api.handleNotify(makeNotify(transaction(), { fault: 'platform' }))).status).toBe(204);
    expect((await api.handleNotify(makeNotify(transaction({ transaction_id: '4200000000000000000000000002' })))).status).toBe(204);
    expect(seen).toHaveLength(2);
  });
});

describe('refund notifies', () => {
  test('REFUND.SUCCESS on /refund: the handler once per refund_id', async () => {
    const api = make();
    const seen: Array<[string, string]> = [];
    api.onRefundNotify((r, type) => void seen.push([r.refund_status, type]));
    const n = () => makeNotify(refundNotice(), { event: 'REFUND.SUCCESS' });
    expect((await api.handleNotify(n(), 'refund')).status).toBe(204);
    expect((await api.handleNotify(n(), 'refund')).status).toBe(204);
    expect(seen).toEqual([['SUCCESS', 'refund']]);
  });

  test('ABNORMAL then SUCCESS: both reach the handler (ABNORMAL is not final)', async () => {
    const api = make();
    const seen: string[] = [];
    api.onRefundNotify((r) => void seen.push(r.refund_status));
    await api.handleNotify(makeNotify(refundNotice({ refund_status: 'ABNORMAL' }), { event: 'REFUND.ABNORMAL' }), 'refund');
    await api.handleNotify(makeNotify(refundNotice({ refund_status: 'ABNORMAL' }), { event: 'REFUND.ABNORMAL' }), 'refund');
    await api.handleNotify(makeNotify(refundNotice(), { event: 'REFUND.SUCCESS' }), 'refund');
    expect(seen).toEqual(['ABNORMAL', 'SUCCESS']);
  });

  test("another merchant's refund is refused", async () => {
    const api = make();
    api.onRefundNotify(() => undefined);
    expect((await api.handleNotify(makeNotify(refundNotice({ mchid: '1900000999' }), { event: 'REFUND.SUCCESS' }), 'refund')).status).toBe(400);
  });

  test('a refund made with an order type arrives on that path, with the type', async () => {
    const api = make();
    const seen: string[] = [];
    api.onRefundNotify((_r, type) => void seen.push(type));
    expect((await api.handleNotify(makeNotify(refundNotice(), { event: 'REFUND.SUCCESS' }), 'vip')).status).toBe(204);
    expect(seen).toEqual(['vip']);
  });
});

describe('transfer notifies', () => {
  test('MCHTRANSFER.BILL.FINISHED on /transfer: the handler once per out_bill_no', async () => {
    const api = make();
    const seen: string[] = [];
    api.onTransferNotify((b) => void seen.push(`${b.out_bill_no}:${b.state}`));
    const n = () => makeNotify(transferNotice(), { event: 'MCHTRANSFER.BILL.FINISHED' });
    expect((await api.handleNotify(n(), 'transfer')).status).toBe(204);
    expect((await api.handleNotify(n(), 'transfer')).status).toBe(204);
    expect(seen).toEqual(['BILL0001:SUCCESS']);
  });

  test("another merchant's bill, or a transfer notify on the payment path, is refused", async () => {
    const api = make();
    api.onTransferNotify(() => undefined);
    expect((await api.handleNotify(makeNotify(transferNotice({ mch_id: '1900000999' }), { event: 'MCHTRANSFER.BILL.FINISHED' }), 'transfer')).status).toBe(400);
    expect((await api.handleNotify(makeNotify(transferNotice(), { event: 'MCHTRANSFER.BILL.FINISHED' }), 'pay')).status).toBe(400);
  });
});
