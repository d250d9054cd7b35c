/**
 * An echo bot on the official account's message server (`mp.messages`, configured with the
 * follow login in `follow-login.ts`): a text comes back echoed, a menu click and a follow get an
 * answer, anything else is acknowledged. Offline, `/echo-bot` connects the simulated account to
 * this app and links to the simulator's phone console, where you write to the account as a user.
 */
import type { Express, Request } from 'express';
import type { WxAuthRouter } from '../../lib';
import { esc, page, type NavLink } from '../layout';
import type { ExampleContext } from '../context';
import { exampleMessages, SIM_MESSAGES } from './follow-login';

export const nav: NavLink[] = [{ href: '/echo-bot', label: 'Echo bot' }];

export function register(app: Express, router: WxAuthRouter, context: ExampleContext): void {
  const messages = exampleMessages(context);
  if (messages) {
    router
      .onMessage((message) => (message.msgType === 'text' ? { type: 'text', content: `你说：${String(message.content)}` } : { type: 'text', content: `收到一条 ${message.msgType} 消息` }))
      .onEvent('CLICK', (event) => ({ type: 'text', content: `你点了菜单 ${event.eventKey}` }))
      // The follow login answers its own QR codes first; every other follow gets the welcome.
      .onEvent('subscribe', () => ({ type: 'text', content: '欢迎关注 Example Shop！发一句话试试。' }));
  }

  let connected = false;
  app.get('/echo-bot', (req: Request, res) => {
    const mp = context.credentials.mp;
    const render = (body: string) => page('Echo bot', body, { nav: context.nav, loggedIn: !!req.wxauth });
    if (!mp || !messages) {
      return void res.type('html').send(render('<h1>Echo bot</h1><p id="echo-off">Set WX_MP_MESSAGE_TOKEN (and the account\'s message server) to run the bot.</p>'));
    }
    // Offline: the simulated account posts its users' messages to this app (known once it listens).
    if (context.simulator && context.baseUrl && !connected) {
      context.simulator.connectMessages(mp.appid, { url: `${context.baseUrl}/wechat/message`, ...SIM_MESSAGES });
      connected = true;
    }
    const phone = context.simulatorUrl
      ? `<p>Write to it as a user: <a id="echo-console" href="${esc(context.simulatorUrl)}/sim/phone/console?appid=${encodeURIComponent(mp.appid)}" target="_blank" rel="noopener">open the phone console</a>.</p>`
      : '<p>Write to the official account from WeChat: it answers every text with the same text.</p>';
    res.type('html').send(render(`<h1>Echo bot</h1><p>The official account's message server answers at <code>/wechat/message</code> (${esc(messages.mode)} mode).</p>${phone}`));
  });
}
