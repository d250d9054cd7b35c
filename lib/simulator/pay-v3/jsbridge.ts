/**
 * `/sim/weixin-jsbridge.js`: a stand-in for the `WeixinJSBridge` that WeChat's browser injects.
 * A merchant page includes it (outside WeChat, in development) and calls, as in WeChat:
 *
 *   WeixinJSBridge.invoke('getBrandWCPayRequest', { appId, timeStamp, nonceStr, package, signType: 'RSA', paySign }, (res) => {
 *     if (res.err_msg === 'get_brand_wcpay_request:ok') { … }   // or :cancel / :fail
 *   });
 *
 * The simulator verifies `paySign` (over `appId\ntimeStamp\nnonceStr\npackage\n`, with the
 * merchant's public key) and opens its cashier in an overlay; the callback gets the outcome.
 * `requestMerchantTransfer` ({ mchId, appId, package }) opens the transfer confirmation likewise.
 */
export const WEIXIN_JSBRIDGE_JS = `(function () {
  'use strict';
  if (window.WeixinJSBridge && !window.WeixinJSBridge.__wxsim) return;
  var script = document.currentScript;
  var sim = script ? new URL(script.src, location.href).origin : location.origin;
  function overlay(path, done) {
    var shade = document.createElement('div');
    shade.id = 'wxsim-overlay';
    shade.setAttribute('style', 'position:fixed;inset:0;background:rgba(0,0,0,.5);z-index:2147483647;display:flex;align-items:center;justify-content:center');
    var frame = document.createElement('iframe');
    frame.id = 'wxsim-cashier';
    frame.title = 'WeChat Pay';
    frame.setAttribute('style', 'width:min(460px,100vw);height:min(560px,100vh);border:0;border-radius:8px;background:#ededed');
    frame.src = sim + path;
    shade.appendChild(frame);
    function onMessage(event) {
      if (event.origin !== sim || event.source !== frame.contentWindow || !event.data || event.data.wxsim !== 'v3') return;
      window.removeEventListener('message', onMessage);
      // Let the paid page show for a moment, as WeChat's does.
      setTimeout(function () { shade.remove(); done(String(event.data.result)); }, event.data.result === 'ok' ? 300 : 0);
    }
    window.addEventListener('message', onMessage);
    document.body.appendChild(shade);
  }
  function query(params, names) {
    var q = new URLSearchParams();
    names.forEach(function (n) { if (params[n] !== undefined && params[n] !== null) q.set(n, String(params[n])); });
    q.set('embed', '1');
    return q.toString();
  }
  var bridge = {
    __wxsim: true,
    invoke: function (name, params, callback) {
      var cb = typeof callback === 'function' ? callback : function () {};
      params = params || {};
      if (name === 'getBrandWCPayRequest') {
        overlay('/sim/pay/v3/jsapi?' + query(params, ['appId', 'timeStamp', 'nonceStr', 'package', 'signType', 'paySign']), function (result) {
          cb({ err_msg: 'get_brand_wcpay_request:' + result });
        });
      } else if (name === 'requestMerchantTransfer') {
        overlay('/sim/pay/v3/transfer?' + query(params, ['mchId', 'appId', 'package']), function (result) {
          cb({ err_msg: 'requestMerchantTransfer:' + result });
        });
      } else {
        setTimeout(function () { cb({ err_msg: name + ':fail not supported by the simulator' }); });
      }
    },
    on: function () {},
    call: function () {},
  };
  window.WeixinJSBridge = bridge;
  // Pages wait for this event (WeChat fires it once the bridge is in): after the page's own scripts.
  function ready() { document.dispatchEvent(new Event('WeixinJSBridgeReady')); }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', function () { setTimeout(ready); });
  else setTimeout(ready);
})();
`;
