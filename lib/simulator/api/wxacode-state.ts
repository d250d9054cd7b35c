import { randomId } from '../ids';

/** A mini-program code the simulator drew (`getwxacodeunlimit` / `getwxacode`). */
export interface SimWxacode {
  appid: string;
  kind: 'unlimited' | 'path';
  /** `getwxacodeunlimit`: the scene and page; `getwxacode`: the path with its query. */
  scene?: string;
  page?: string;
  path?: string;
  /** What the QR image encodes: `wxacode:<appid>:<page>?scene=<encodeURIComponent(scene)>`. */
  text: string;
  time: number;
}

/** A URL Link, URL Scheme or Short Link the simulator generated. */
export interface SimLink {
  appid: string;
  kind: 'urllink' | 'scheme' | 'shortlink';
  /** `https://wxaurl.cn/…`, `weixin://dl/business/?t=…` or `#小程序://…`. */
  link: string;
  path: string;
  query: string;
  envVersion: string;
  /** When it stops working (ms), undefined for a permanent short link. */
  expiresAt?: number;
  time: number;
}

/** What getwxacode allows per mini program over its life (WeChat: 100 000). */
export const WXACODE_PATH_LIMIT = 100_000;

/**
 * Mini-program codes and links on the simulator (`sim.wxacodes`): the published pages of each
 * mini program (when a test sets them, `check_path` and the link calls refuse others with
 * WeChat's errcodes), and every code and link made. No HTTP here.
 */
export class SimWxacodes {
  readonly codes: SimWxacode[] = [];
  readonly links: SimLink[] = [];
  private pages = new Map<string, ReadonlySet<string>>();
  private unpublished = new Set<string>();
  private pathCodes = new Map<string, number>();
  /** getwxacode's lifetime cap (lower it in a test to see 45029). */
  pathLimit = WXACODE_PATH_LIMIT;

  constructor(private readonly now: () => number) {}

  /** The pages of `appid`'s published version; `undefined`: any page exists (the default). */
  setPages(appid: string, pages: readonly string[] | undefined): void {
    if (pages) this.pages.set(appid, new Set(pages));
    else this.pages.delete(appid);
  }

  /** A mini program with no published version: codes with `check_path` answer 41030, links 85079. */
  setPublished(appid: string, published: boolean): void {
    if (published) this.unpublished.delete(appid);
    else this.unpublished.add(appid);
  }

  published(appid: string): boolean {
    return !this.unpublished.has(appid);
  }

  /** Whether `page` is in the published version (always, unless `setPages` named the pages). */
  hasPage(appid: string, page: string): boolean {
    const known = this.pages.get(appid);
    return !known || known.has(page);
  }

  /** Count one getwxacode code; false once the lifetime cap is reached. */
  takePathCode(appid: string): boolean {
    const used = this.pathCodes.get(appid) ?? 0;
    if (used >= this.pathLimit) return false;
    this.pathCodes.set(appid, used + 1);
    return true;
  }

  recordCode(code: Omit<SimWxacode, 'time'>): SimWxacode {
    const entry = { ...code, time: this.now() };
    this.codes.push(entry);
    return entry;
  }

  recordLink(link: Omit<SimLink, 'time' | 'link'>): SimLink {
    const id = randomId(link.kind === 'shortlink' ? 8 : 12);
    const text = link.kind === 'urllink' ? `https://wxaurl.cn/${id}` : link.kind === 'scheme' ? `weixin://dl/business/?t=${id}` : `#小程序://${link.appid}/${id}`;
    const entry = { ...link, link: text, time: this.now() };
    this.links.push(entry);
    return entry;
  }

  reset(): void {
    this.codes.length = 0;
    this.links.length = 0;
    this.pathCodes.clear();
  }
}
