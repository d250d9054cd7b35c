/**
 * The "codes and links" page (`/mini-program/codes`): a mini-program code for a scene
 * (`client.wxacode`) and the links that open the mini program from outside WeChat
 * (`client.urlLink`, `client.shortLink`). Server-rendered: the image is a route of its own.
 * On the simulator the code is a QR image of what a scan would open (WeChat draws "sun codes").
 */
import express, { type Express, type Request, type Response } from 'express';
import { isWxAuthError, type WxAuthRouter } from '../../lib';
import type { ExampleContext } from '../context';
import { esc, page, type NavLink } from '../layout';

export const nav: NavLink[] = [{ href: '/mini-program/codes', label: 'Codes & links' }];

/** The page every code and link opens in the mini program. */
const PAGE = 'pages/index/index';
const DEFAULT_SCENE = 'table=12';

function explain(error: unknown): string {
  if (isWxAuthError(error)) return `${error.code}${error.errcode === undefined ? '' : ` (errcode ${error.errcode})`}: ${error.message}`;
  return 'unexpected error';
}

export function register(app: Express, router: WxAuthRouter, context?: ExampleContext): void {
  const mini = context?.credentials.miniprogram;
  const render = (req: Request, body: string) => page('Codes & links', body, { nav: context?.nav ?? nav, loggedIn: !!req.wxauth });
  const sceneOf = (req: Request) => (typeof req.query.scene === 'string' ? req.query.scene : DEFAULT_SCENE);

  app.get('/mini-program/codes', (req, res) => {
    if (!mini) {
      res.type('html').send(render(req, '<p>Configure a mini program (WX_MINIPROGRAM_APPID / WX_MINIPROGRAM_SECRET), or start the example offline.</p>'));
      return;
    }
    const scene = sceneOf(req);
    const body = `<h1>Codes &amp; links</h1>
<p>A mini-program code carries a <code>scene</code> (at most 32 characters) that the page <code>${esc(PAGE)}</code>
receives when someone scans it. ${context?.simulator ? 'On the simulator the code is a QR image of what a scan would open.' : ''}</p>
<form method="get" action="/mini-program/codes">
  <label>scene <input id="scene" name="scene" value="${esc(scene)}" maxlength="64"></label>
  <button id="make-code" type="submit">Make the code</button>
</form>
<p><img id="wxacode" alt="mini-program code for ${esc(scene)}" width="280" height="280" src="/mini-program/codes/code.png?scene=${encodeURIComponent(scene)}"></p>
<p>Links open the mini program from outside it: a URL Link (valid 7 days) and a Short Link.</p>
<form method="post" action="/mini-program/codes/link">
  <button id="make-link" type="submit">Make the links</button>
</form>`;
    res.set('Cache-Control', 'no-store').type('html').send(render(req, body));
  });

  app.get('/mini-program/codes/code.png', async (req: Request, res: Response) => {
    if (!mini) return void res.sendStatus(404);
    try {
      const png = await router.client.wxacode({ scene: sceneOf(req), page: PAGE, width: 280, checkPath: false });
      res.set('Cache-Control', 'no-store').type('png').send(png);
    } catch (error) {
      // A scene WeChat would refuse is refused before any call: say why, as text.
      res.status(isWxAuthError(error) ? error.status : 500).type('text/plain').send(explain(error));
    }
  });

  app.post('/mini-program/codes/link', express.urlencoded({ extended: false }), async (req: Request, res: Response) => {
    if (!mini) return void res.sendStatus(404);
    let body: string;
    try {
      const { urlLink } = await router.client.urlLink({ path: PAGE, query: 'from=link', expireInterval: 7 });
      const { link } = await router.client.shortLink({ pageUrl: `${PAGE}?from=chat`, pageTitle: 'Example Shop' });
      body = `<p>URL Link (opens the mini program from a browser, SMS or email): <code id="url-link">${esc(urlLink)}</code></p>
<p>Short Link (paste it into a WeChat chat): <code id="short-link">${esc(link)}</code></p>`;
    } catch (error) {
      body = `<p class="error" id="link-error">${esc(explain(error))}</p>`;
    }
    res.set('Cache-Control', 'no-store').type('html').send(render(req, `<h1>Codes &amp; links</h1>${body}<p><a href="/mini-program/codes">Back</a></p>`));
  });
}
