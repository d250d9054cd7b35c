import { BACK_LINKS, FAVICON_LINK, esc } from './pages';
import type { SimOrder } from './pay-state';

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)}</title>${FAVICON_LINK}
<style>
body{font:15px/1.5 -apple-system,"PingFang SC","Helvetica Neue",Arial,sans-serif;background:#ededed;margin:0;color:#191919}
main{max-width:420px;margin:24px auto;background:#fff;border-radius:8px;padding:24px;box-shadow:0 1px 3px #0002}
h1{font-size:18px;margin:0 0 12px}.amount{font-size:32px;font-weight:600;margin:8px 0}.sim{font-size:12px;color:#888;margin-top:18px}
button{font-size:16px;padding:10px 18px;border-radius:6px;border:0;cursor:pointer;margin:6px 6px 0 0;background:#07c160;color:#fff}
button[disabled]{background:#ccc;cursor:default}input{font-size:15px;padding:6px 8px;border:1px solid #ccc;border-radius:4px;width:160px}
.error{color:#fa5151}.gloss{color:#555}a{color:#576b95}
a.button{display:inline-block;font-size:16px;padding:10px 18px;border-radius:6px;margin:6px 6px 0 0;background:#07c160;color:#fff;text-decoration:none}
</style></head>
<body><main>${body}<p class="sim">WeChat Pay simulator (express-wxauth) — no money moves.</p></main></body></html>`;
}

export function yuan(fen: number): string {
  return `¥${(fen / 100).toFixed(2)}`;
}

/** The cashier: what the payer sees after `getBrandWCPayRequest` / scanning the NATIVE code. */
export function cashierPage(order: SimOrder, merchantName: string, redirectUrl: string, user: string, expired: boolean): string {
  const payable = order.state === 'NOTPAY' && !expired;
  const status = expired && order.state === 'NOTPAY' ? 'EXPIRED' : order.state;
  const paid = order.state === 'SUCCESS' || order.state === 'REFUND';
  // A paid order: no dead button, a way back to the shop (or, without redirect_url, the simulator's home).
  const action = paid
    ? `<p id="paid-note">已支付 · This order is paid.</p><a id="back-to-shop" class="button" href="${esc(redirectUrl || '/')}">${redirectUrl ? '返回商家 Back to the shop' : 'Simulator home'}</a>`
    : `<form id="cashier" method="post" action="/sim/pay/cashier">
<input type="hidden" name="prepay_id" value="${esc(order.prepayId)}">
<input type="hidden" name="redirect_url" value="${esc(redirectUrl)}">
${order.openid ? '' : `<p><label>WeChat user <input id="user" name="user" value="${esc(user)}" autocomplete="off"></label></p>`}
<button id="pay" type="submit"${payable ? '' : ' disabled'}>Pay ${esc(yuan(order.totalFee))}</button>
</form>`;
  return page(
    'WeChat Pay',
    `<h1 id="merchant">${esc(merchantName)}</h1>
<p id="body">${esc(order.body)}</p>
<p class="amount" id="amount">${esc(yuan(order.totalFee))}</p>
<p>Order <code id="out-trade-no">${esc(order.outTradeNo)}</code> · <span id="state">${esc(status)}</span></p>
${action}`,
  );
}

export function paidPage(order: SimOrder, notified: string): string {
  return page(
    'Payment complete',
    `<h1 id="paid">Payment complete</h1><p class="amount">${esc(yuan(order.totalFee))}</p>
<p>Transaction <code id="transaction-id">${esc(order.transactionId)}</code></p><p id="notify-status">${esc(notified)}</p>
<a id="back-to-shop" class="button" href="/">Simulator home</a>`,
  );
}

/** English for the cashier's refusals (WeChat's err_code_des stays as WeChat words it). */
const PAY_GLOSS: Record<string, string> = {
  ORDERPAID: 'The order is already paid.',
  ORDERCLOSED: 'The order is closed or its prepay_id expired: place a new order.',
  ORDERNOTEXIST: 'No such order.',
};

/** An error on the cashier: WeChat's Chinese text, an English gloss, and a way back. */
export function errorPage(message: string, errCode?: string): string {
  const gloss = errCode ? (PAY_GLOSS[errCode] ?? 'WeChat Pay refused the payment.') : '';
  return page(
    'WeChat Pay',
    `<h1>支付失败 · Payment failed</h1><p class="error" id="error">${esc(message)}</p>${gloss ? `<p class="gloss" id="gloss">${esc(gloss)}</p>` : ''}${BACK_LINKS}`,
  );
}
