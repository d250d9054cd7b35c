import type { SimulatorOptions } from './types';

/**
 * The demo apps the CLI (and an example app running offline) use. The secrets are public on
 * purpose: they only open this simulator.
 */
export const DEMO_APPS = {
  mp: { appid: 'wxmp000000000001', secret: 'demo-mp-secret', type: 'mp', name: 'Demo official account' },
  qrcode: { appid: 'wxqr000000000001', secret: 'demo-qrcode-secret', type: 'qrcode', name: 'Demo website' },
} as const;

/**
 * The demo merchant's WeChat Pay v3 keys, the library side of its `v3` block: public on purpose
 * (they only sign requests to this simulator). With the simulator's public key they make `pay.v3`:
 *
 *   pay: { appid, mchid: DEMO_MERCHANT.mchid, v3: { apiV3Key, serialNo, privateKey,
 *     publicKeyId: sim.payV3.publicKeyId, publicKey: sim.payV3.publicKey } }
 */
export const DEMO_MERCHANT_V3 = {
  /** The APIv3 key: 32 characters. */
  apiV3Key: 'demoapiv3key00000000000000000000',
  /** The merchant API certificate serial (40 hex). */
  serialNo: '3D1E9086650871724273085835BD92C64B69B23B',
  /** apiclient_key.pem (PKCS#8). */
  privateKey: `-----BEGIN PRIVATE KEY-----
MIIEvwIBADANBgkqhkiG9w0BAQEFAASCBKkwggSlAgEAAoIBAQC5av+pAC1zpVkF
7rYHX02AhypgmNzI+wniD/g2q3EukF7Tc08aTIgRm/HPpCsLeSt2sOn9CaOjPcQa
F1wL8jYhE22Mvjy5mhEq2OgkPyhOZBK9A/lXEMaBMixgAvWABeWyRwvq/CDtlWEg
jJeLBtz8WU11D7RJyPhoHursibGqugk0bEWCgn2wY85WdLzNssbZ/qCbsh2mMw+n
BTV9H0YuX12mdVx4A51MhFzx+oNpzbHI+FSWsc3eMjTkX+/pMW1CBSQy1FDFXC5u
LQzPPLWNJiimaso5DqJkojlCbaGMRamhSqTnFYoatg125tDHSHYAk8ymqsGF24w/
uyllvtFfAgMBAAECggEAOnROF0R0D9Jf52vjPR3BfDSgmoV2jXH/IqKwOOQBsZFY
I8dld8AK4apNKI3z+BECL9AEZH6GdS9CxIr6vNVmVTUfw1AyKr00jlKFlO/IUDZi
Ze57zAQA4LglnzsvlGXHjVWynylPZDdEwJMyL2VBg9jPf4ks6FoQXhrpKxsZxN2K
G/d0Oo3Mc+QJWzyO5fJv6khX40g5omcPQ06QgkHSxjzDkIIn+FTav3q5ZSCRmT+2
EIBC/laYRgvaUxB6U1kCrJ1hz8XfhdaZwarpNPV/VIMDRdQccJdETm4vf5w9Oo6H
undt+Z5/qQU20LE8XgPy+mDEZPzNFE/Hx1oxQFrXCQKBgQDgltQ1FViO0bKtZleK
t4vu+N8t5yRX5++gWAMv2xQveRUuf3QrnaBP9hxJwPxxKNHR/GuocOUeUm18TDk5
/mk7LG6FY8JWwdpEot06LMjqJzWlvogV1bCcg3Fx7y3fC3kLgzGMo3PeGacA3HVc
2gK+QcNU6ewJ7ZoucCYwbuAOgwKBgQDTWa/mq5yOtguG0lQPIG6C+IZ5EPXwuv8B
mUD+Jr3L4Zdt0fKG5iYODh1THaOTFH+IHwqXRk4PR4Ug4tsfrz3UqiZR7Ia9sB4v
68qaDH5sB0jFgbVzg+VdmIB2d6SoVkDZbk/npK4uzdzh1RyNbGHrKXAMNzKkTSVZ
tT12nzf69QKBgQCgqsY9A3xLD7EnY2OVFSHCX8ApcoYJbR98Mfp1reCO5axFi2Bs
I2OgUIyEJs9xlKYl9tJ9ueXu/0Db/xuhZWOatXqLaoaI0j13hJuHFqrU+B/k5p0s
IacrEM2DmHvUaLy7g6ta1UP6y5cxgoVjW4NC4IEAqif2Ikh+mDR5yZf4SQKBgQCq
7RvPR/cDi8LitHN7EFWP4oKOouLkX7cgidsAMEDLBJU9IdAsvTEFqPCaaZwCtU82
vTQJh7hVrxfBsvZYN5efyEPZeZq3Cho/00g1MemEYJe/89jVpVP4T/+Ez9oAslEc
B5Tj2FFuVNtQYNQIpCDE2OxfVLzGGAYe+O7OYpIZiQKBgQCj10ycYs1v4aFepLdJ
1XrZYoQV59dLgXC+BZf3ESYUlebeuOeNRZ4i5OAzMNXnsiGP5yDueP+se1WMhfQ9
5z8hyPxc/6QiSmYbF53W0R+iFxl0RX983qP7Y7AkOyLFAbQD9AQd0DEc9IAqJbjl
IR0wfYAXHmYbsNVoUb6lijtjFg==
-----END PRIVATE KEY-----
`,
  /** Its public half (SPKI), what the simulator verifies request signatures and paySign with. */
  publicKey: `-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAuWr/qQAtc6VZBe62B19N
gIcqYJjcyPsJ4g/4NqtxLpBe03NPGkyIEZvxz6QrC3krdrDp/Qmjoz3EGhdcC/I2
IRNtjL48uZoRKtjoJD8oTmQSvQP5VxDGgTIsYAL1gAXlskcL6vwg7ZVhIIyXiwbc
/FlNdQ+0Scj4aB7q7ImxqroJNGxFgoJ9sGPOVnS8zbLG2f6gm7IdpjMPpwU1fR9G
Ll9dpnVceAOdTIRc8fqDac2xyPhUlrHN3jI05F/v6TFtQgUkMtRQxVwubi0Mzzy1
jSYopmrKOQ6iZKI5Qm2hjEWpoUqk5xWKGrYNdubQx0h2AJPMpqrBhduMP7spZb7R
XwIDAQAB
-----END PUBLIC KEY-----
`,
} as const;

/** v2 (`key`) and v3 (`v3`, public-key mode): the demo merchant takes both. */
export const DEMO_MERCHANT = {
  mchid: '1900000109',
  key: 'demo0000000000000000000000000key',
  appid: DEMO_APPS.mp.appid,
  name: 'Demo shop',
  v3: { apiV3Key: DEMO_MERCHANT_V3.apiV3Key, serialNo: DEMO_MERCHANT_V3.serialNo, merchantPublicKey: DEMO_MERCHANT_V3.publicKey },
};

export function demoOptions(): SimulatorOptions {
  return { apps: [{ ...DEMO_APPS.mp }, { ...DEMO_APPS.qrcode }], merchants: [{ ...DEMO_MERCHANT, v3: { ...DEMO_MERCHANT.v3 } }] };
}
