import { readFileSync } from 'node:fs';
import path from 'node:path';

/** Test-only key material (see fixtures/README.md). */
const read = (name: string) => readFileSync(path.join(__dirname, 'fixtures', name), 'utf8');

export const MERCHANT_KEY = read('merchant-key.pem');
export const MERCHANT_PUB = read('merchant-pub.pem');
export const WECHATPAY_KEY = read('wechatpay-key.pem');
export const WECHATPAY_PUB = read('wechatpay-pub.pem');
export const PLATFORM_KEY = read('platform-key.pem');
export const PLATFORM_CERT = read('platform-cert.pem');
export const PLATFORM_SERIAL = '7A1C2B3D4E5F60718293A4B5C6D7E8F901234567';
export const FOREIGN_KEY = read('foreign-key.pem');
export const FOREIGN_PUB = read('foreign-pub.pem');

export const APPID = 'wxmp000000000001';
export const MCHID = '1900000109';
export const API_V3_KEY = 'v3key0123456789abcdefghijklmnopq'; // 32 bytes, test only
export const SERIAL_NO = '3775B6A45ACD588826D15E583A95F5DD00000001';
export const PUBLIC_KEY_ID = 'PUB_KEY_ID_0119000001234567890123456789';
