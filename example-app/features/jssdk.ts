// STUB — the jssdk part of the example app (filled in by its surface).
import type { Express } from 'express';
import type { WxAuthRouter } from '../../lib';

export function register(_app: Express, _router: WxAuthRouter): void {}
