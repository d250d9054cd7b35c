/**
 * `/shop/shop.js`, the order page's script: pays through `WeixinJSBridge` (JSAPI, in WeChat — or
 * the simulator's stand-in), and keeps the page current while a payment or a refund is under way
 * by polling the order's status (the notify updates the order on the server; this only redraws).
 *
 * WeChat's own advice: `get_brand_wcpay_request:ok` is not proof of payment. The order is paid
 * when the verified notify (or an order query) says so, so the page waits for the server.
 */
export const SHOP_JS = `(function () {
  'use strict';
  var order = document.getElementById('order');
  if (!order) return;
  var statusUrl = order.getAttribute('data-status-url');
  var shown = order.getAttribute('data-state') + '/' + order.getAttribute('data-refund');
  var message = document.getElementById('pay-message');
  var timer, polls = 0;
  function say(text) { if (message) message.textContent = text; }
  function poll() {
    if (++polls > 300) return; // 10 minutes: then "Paid? Check status" is the way
    fetch(statusUrl, { credentials: 'same-origin', cache: 'no-store', headers: { Accept: 'application/json' } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (s) {
        if (s && s.state + '/' + (s.refundStatus || '') !== shown) return location.reload();
        schedule(2000);
      }, function () { schedule(4000); });
  }
  function schedule(ms) { clearTimeout(timer); timer = setTimeout(poll, ms); }
  var waiting = order.getAttribute('data-state') === 'NOTPAY' || order.getAttribute('data-refund') === 'PROCESSING';
  if (waiting) schedule(2000);

  var button = document.getElementById('pay-button');
  var params = document.getElementById('jsapi-params');
  if (!button || !params || button.tagName !== 'BUTTON') return;
  var request = JSON.parse(params.textContent);
  function ready() { button.disabled = false; }
  if (window.WeixinJSBridge) ready(); else document.addEventListener('WeixinJSBridgeReady', ready);
  button.addEventListener('click', function () {
    button.disabled = true;
    window.WeixinJSBridge.invoke('getBrandWCPayRequest', request, function (res) {
      var result = String(res && res.err_msg);
      if (result === 'get_brand_wcpay_request:ok') {
        say('Paid. Waiting for WeChat Pay to confirm…');
        schedule(0);
      } else {
        button.disabled = false;
        say(result === 'get_brand_wcpay_request:cancel' ? 'Payment cancelled.' : 'Payment failed (' + result + ').');
      }
    });
  });
})();
`;
