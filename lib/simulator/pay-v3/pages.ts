/** The payer's pages of the v3 host: cashier, Native QR, paid, transfer confirmation, errors. */
import { BACK_LINKS, FAVICON_LINK, esc } from '../pages';
import type { V3Order } from './ledger';
import type { V3Transfer } from './transfers';

const yuan = (fen: number) => `¥${(fen / 100).toFixed(2)}`;

/** In the JSAPI overlay, tell the merchant's page (the bridge) how it ended: `ok`, `cancel` or `fail`. */
function tellBridge(result: string, embed: boolean): string {
  return embed ? `<script>parent.postMessage({ wxsim: 'v3', result: ${JSON.stringify(result)} }, '*');</script>` : '';
}

function page(title: string, body: string, script = ''): string {
  return `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)}</title>${FAVICON_LINK}
<style>
body{font:15px/1.5 -apple-system,"PingFang SC","Helvetica Neue",Arial,sans-serif;background:#ededed;margin:0;color:#191919}
main{max-width:420px;margin:24px auto;background:#fff;border-radius:8px;padding:24px;box-shadow:0 1px 3px #0002}
h1{font-size:18px;margin:0 0 12px}.amount{font-size:32px;font-weight:600;margin:8px 0}.sim{font-size:12px;color:#888;margin-top:18px}
button,.button{display:inline-block;font-size:16px;padding:10px 18px;border-radius:6px;border:0;cursor:pointer;margin:6px 6px 0 0;background:#07c160;color:#fff;text-decoration:none}
button[disabled]{background:#ccc;cursor:default}button.secondary{background:#f2f2f2;color:#06ae56}
input{font-size:15px;padding:6px 8px;border:1px solid #ccc;border-radius:4px;width:160px}.error{color:#fa5151}.gloss{color:#555}a{color:#576b95}
#qr{display:block;margin:12px auto;width:240px;height:240px;image-rendering:pixelated}
</style></head>
<body><main>${body}<p class="sim">WeChat Pay simulator (express-wxauth) — no money moves.</p></main>${script}</body></html>`;
}

export interface CashierView {
  order: V3Order;
  merchantName: string;
  /** Whose WeChat pays: fixed for JSAPI orders (the openid's user), else editable. */
  user: string;
  userFixed: boolean;
  redirectUrl: string;
  embed: boolean;
  payable: boolean;
  status: string;
}

/** What the payer sees after `getBrandWCPayRequest`, scanning the Native code, or opening h5_url. */
export function cashierPage(v: CashierView): string {
  const o = v.order;
  const paid = o.state === 'SUCCESS' || o.state === 'REFUND';
  // A paid order: no dead Pay button but a way back (in the JSAPI overlay: close it).
  const action = paid
    ? `<p id="paid-note">已支付 · This order is paid.</p>${v.embed ? closeButton('cancel') : backLink(v.redirectUrl, v.merchantName)}`
    : `<form id="cashier" method="post" action="/sim/pay/v3/cashier">
<input type="hidden" name="prepay_id" value="${esc(o.prepayId)}">
<input type="hidden" name="redirect_url" value="${esc(v.redirectUrl)}">
<input type="hidden" name="embed" value="${v.embed ? '1' : ''}">
${v.userFixed ? `<p>Paying as <b id="payer">${esc(v.user)}</b></p>` : `<p><label>WeChat user <input id="user" name="user" value="${esc(v.user)}" autocomplete="off"></label></p>`}
<button id="pay" type="submit"${v.payable ? '' : ' disabled'}>Pay ${esc(yuan(o.total))}</button>
${v.embed ? '<button id="cancel" class="secondary" type="button" onclick="parent.postMessage({ wxsim: \'v3\', result: \'cancel\' }, \'*\')">Cancel</button>' : ''}
</form>`;
  return page(
    'WeChat Pay',
    `<h1 id="merchant">${esc(v.merchantName)}</h1>
<p id="description">${esc(o.description)}</p>
<p class="amount" id="amount">${esc(yuan(o.total))}</p>
<p>Order <code id="out-trade-no">${esc(o.outTradeNo)}</code> · <span id="state">${esc(v.status)}</span></p>
${action}`,
  );
}

/** Back to the shop (the order's redirect URL) or, when the simulator does not know it, its home page. */
function backLink(redirectUrl: string, merchantName: string): string {
  return redirectUrl
    ? `<p><a id="back" class="button" href="${esc(redirectUrl)}">Back to ${esc(merchantName)}</a></p>`
    : '<p><a id="back" class="button" href="/">Simulator home</a></p>';
}

/** In the JSAPI overlay the way back is closing it: the merchant's page gets `result`. */
function closeButton(result: 'ok' | 'cancel'): string {
  return `<button id="close" class="secondary" type="button" onclick="parent.postMessage({ wxsim: 'v3', result: '${result}' }, '*')">关闭 Close</button>`;
}

export function paidPage(order: V3Order, merchantName: string, notified: string, redirectUrl: string, embed: boolean): string {
  return page(
    'Payment complete',
    `<h1 id="paid">Payment complete</h1><p>${esc(merchantName)}</p><p class="amount">${esc(yuan(order.total))}</p>
<p>Transaction <code id="transaction-id">${esc(order.transactionId)}</code></p><p id="notify-status">${esc(notified)}</p>
${embed ? '' : backLink(redirectUrl, merchantName)}`,
    tellBridge('ok', embed),
  );
}

/** The Native page: the order and a real QR code of its `code_url`, plus a "scan" for the simulator. */
export function nativePage(order: V3Order, merchantName: string, qrSrc: string, cashierHref: string): string {
  return page(
    'WeChat Pay — scan to pay',
    `<h1 id="merchant">${esc(merchantName)}</h1><p id="description">${esc(order.description)}</p>
<p class="amount" id="amount">${esc(yuan(order.total))}</p>
<img id="qr" src="${esc(qrSrc)}" alt="QR code of ${esc(order.codeUrl)}" width="240" height="240">
<p>Scan with WeChat, or <a id="scan" class="button" href="${esc(cashierHref)}">Scan with the simulator</a></p>
<p><code id="code-url">${esc(order.codeUrl)}</code> · <span id="state">${esc(order.state)}</span></p>`,
  );
}

/** The user's side of `wx.requestMerchantTransfer`: accept the payout. */
export function transferPage(bill: V3Transfer, merchantName: string, embed: boolean): string {
  const open = bill.state === 'WAIT_USER_CONFIRM';
  return page(
    'WeChat Pay — receive money',
    `<h1 id="merchant">${esc(merchantName)}</h1><p id="remark">${esc(bill.remark)}</p>
<p class="amount" id="amount">${esc(yuan(bill.amount))}</p><p>State <span id="state">${esc(bill.state)}</span></p>
<form id="transfer" method="post" action="/sim/pay/v3/transfer">
<input type="hidden" name="package" value="${esc(bill.packageInfo)}"><input type="hidden" name="embed" value="${embed ? '1' : ''}">
<button id="confirm" type="submit"${open ? '' : ' disabled'}>Receive ${esc(yuan(bill.amount))}</button>
${embed ? '<button id="cancel" class="secondary" type="button" onclick="parent.postMessage({ wxsim: \'v3\', result: \'cancel\' }, \'*\')">Cancel</button>' : ''}
</form>`,
  );
}

export function receivedPage(bill: V3Transfer, merchantName: string, embed: boolean): string {
  return page(
    'Received',
    `<h1 id="received">Received</h1><p>${esc(merchantName)}</p><p class="amount">${esc(yuan(bill.amount))}</p><p>State <span id="state">${esc(bill.state)}</span></p>${embed ? '' : backLink('', merchantName)}`,
    tellBridge('ok', embed),
  );
}

/**
 * An error on the payer's pages: WeChat's Chinese text as WeChat words it, an English gloss (what
 * went wrong and what to check), and a way back. In the JSAPI overlay the bridge closes it and
 * the merchant's page gets `fail`, so no links there.
 */
export function errorPage(message: string, gloss: string, embed = false): string {
  return page(
    'WeChat Pay',
    `<h1>微信支付 · WeChat Pay</h1><p class="error" id="error">${esc(message)}</p><p class="gloss" id="gloss">${esc(gloss)}</p>${embed ? '' : BACK_LINKS}`,
    tellBridge('fail', embed),
  );
}
