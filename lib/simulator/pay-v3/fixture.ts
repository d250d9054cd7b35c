/**
 * The simulator's WeChat Pay keys: fixtures, public on purpose. They sign the simulator's answers
 * and notifies and nothing else: no real WeChat Pay merchant trusts them.
 *
 * - The "WeChat Pay public key" pair (public-key mode, merchants registered since about 2024-10),
 *   identified by `PUB_KEY_ID_` + digits, as WeChat's `pub_key.pem` is.
 * - A self-signed "platform certificate" on a second key pair (legacy certificate mode), with a
 *   40-hex serial like WeChat's; valid 2020-01-01 to 2049-12-31 so an injected clock stays inside.
 *
 * Generated once with OpenSSL (RSA-2048, PKCS#8 private keys, SPKI public key).
 */

/** The id WeChat gives its public key; answers and notifies carry it in `Wechatpay-Serial`. */
export const SIM_PUBLIC_KEY_ID = 'PUB_KEY_ID_0119000001092024110100000000';

/** The WeChat Pay public key (SPKI PEM): what a public-key-mode merchant verifies with. */
export const SIM_PUBLIC_KEY = `-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAnEnXAJvA9d6CeRCuPeAU
PZUcCBBBiRvjwCi/LwqB4fxzicYHONhFi1pP1dzFtpSCaUYqmqf1yr/48SmeU/7M
YI+kncSTohwlb4xUIsEzvR3ReML1P7/XOB8XetjUM5YJDcaxojcasoc2TiSeN1Z5
wAt7GPEqrr034tgiCYkObPHDQgnCjuvMseVi/4fDH0TlQAIRSXlQordSO3RuAfra
CbZ06f3bqJiTxPd6rIMTf0RCrkMAECOFVS4y90tkgv5JE1yXbdR5XtXcxslT4R6X
8YgAZ8B6lxiHPhK2yCdMrgNgIYG+cpo2OSv6JAH9lhKCuiT2aEXg5lAGx+D3IzJ7
TQIDAQAB
-----END PUBLIC KEY-----
`;

/** Its private half: signs in public-key mode, decrypts `user_name` encrypted under the public key. */
export const SIM_PUBLIC_KEY_PRIVATE = `-----BEGIN PRIVATE KEY-----
MIIEvwIBADANBgkqhkiG9w0BAQEFAASCBKkwggSlAgEAAoIBAQCcSdcAm8D13oJ5
EK494BQ9lRwIEEGJG+PAKL8vCoHh/HOJxgc42EWLWk/V3MW2lIJpRiqap/XKv/jx
KZ5T/sxgj6SdxJOiHCVvjFQiwTO9HdF4wvU/v9c4Hxd62NQzlgkNxrGiNxqyhzZO
JJ43VnnAC3sY8SquvTfi2CIJiQ5s8cNCCcKO68yx5WL/h8MfROVAAhFJeVCit1I7
dG4B+toJtnTp/duomJPE93qsgxN/REKuQwAQI4VVLjL3S2SC/kkTXJdt1Hle1dzG
yVPhHpfxiABnwHqXGIc+ErbIJ0yuA2Ahgb5ymjY5K/okAf2WEoK6JPZoReDmUAbH
4PcjMntNAgMBAAECggEAF4EqZuLFySRq8mquDcu0t5NEiTjqpkRtwvFN2XUG1hYZ
yTthTC0Ifn35WkRO7tfUaiE9mI9Qkaq/9YMJFwBPu+j2fKy6+Esr3SQZZjWwwo0o
uvT1Hd6L71qLtTPFbDGxEGOUxPztFLLtmaB7s/5bJqUDYRuqC+gUrtbK/ayhYQRZ
5d6gT4E/DKZICE0IaxAeogeGfO6Q4xHC2qaAGvgAz7bhjJ61Bn3f8zA31xwOvH9R
IKyacyCRoxTmV8AhSrQ0v42qVPEIfLyaAsY8SvG68nUrWxq2r8GhTqOT0cYIP7va
r0ebp3eZKdduJP5jOPq6c8oy8tU9mNgWJkVETaXVEQKBgQDNYANDW27UL+v5uYys
nVYEsun1P5fLeaK+Ksq/qdhFK70DGGEPOrwCf+sRhkT6kJLKFDPCcN2yzRS0oPHM
aE5akGsAWVZxq9b42r5FbixagLwCfKPGih0Q7DJekD8La7yo9xzjeTZiKiGQFq5W
qsIbdkoMeCaU1Yr6JdcwWDp0cQKBgQDC0EP1SsjosVCrpxSe29bEzsbWoeN/s9os
OdJG+kIN0BsqB0RNsy48WSDF6vEIK/GM9xPAF+fTDBURJ4OjL6rSmlXAwGTgcJ/6
KjrieK+OY2KTymWYtUFoJPVaBVqby45H3cIo8BJq/dZe2LXbs1YUkL0mDXD3OKdP
XLynN8synQKBgQCURObWMCJ5SgehCJZI4GYDim9hwYGDQtN9W0N4z9P1TDhvDaC0
8ABgBZ3dzwPpqYpwHdmoXPeRaIG0TiWDHyLCO1UksVq5Qgg3LSUE1x9qT1psqTNL
2NZXK07J+nWpdySDD7RpfU8H28bTUayXoTv1u5aGHhAsj2aAZeVPX8MD4QKBgQCV
7wIOnDMKW8WRhrLpHJsrt1TzRX84/qvQU+QRenQx+1OcwiEAiAHyskn16T7+ogtz
CYnq0rs6A9eG71lx07LuCZgsFCbPUf7d43iUanv642SwCBqvL/kZ9S/by7kTpNNp
XjQbm8EhFSHSt4kngNukUk0xJzElJDYob2BGdjtuRQKBgQC20lawL1Wx18y+LSEl
WlhPF2IfLjy3TcRsNTtztsKy1EkD12yIudLeWxuEfMDCcBfLw8/hK1vOUb7V6on8
/kVZviDRaQgVasP/0eXIKZY77EQGs10zNT//SrsRaALKr0TA++YNn+oc66cRvv9/
WxHe/3WR02KxKJf5tP9Od1RivQ==
-----END PRIVATE KEY-----
`;

/** The platform certificate's serial (40 hex, upper case, as WeChat writes them). */
export const SIM_PLATFORM_SERIAL = '311BE8E752F74C92E05EF29ACD11745E4A0191C6';

/** The platform certificate (PEM), what `GET /v3/certificates` hands out in certificate mode. */
export const SIM_PLATFORM_CERTIFICATE = `-----BEGIN CERTIFICATE-----
MIID3TCCAsWgAwIBAgIUMRvo51L3TJLgXvKazRF0XkoBkcYwDQYJKoZIhvcNAQEL
BQAwgYcxCzAJBgNVBAYTAkNOMR0wGwYDVQQKDBRXZUNoYXQgUGF5IFNpbXVsYXRv
cjEjMCEGA1UECwwaZXhwcmVzcy13eGF1dGggKHRlc3Qgb25seSkxNDAyBgNVBAMM
K1RlbnBheS5jb20gcGxhdGZvcm0gY2VydGlmaWNhdGUgKHNpbXVsYXRvcikwHhcN
MjAwMTAxMDAwMDAwWhcNNDkxMjMxMjM1OTU5WjCBhzELMAkGA1UEBhMCQ04xHTAb
BgNVBAoMFFdlQ2hhdCBQYXkgU2ltdWxhdG9yMSMwIQYDVQQLDBpleHByZXNzLXd4
YXV0aCAodGVzdCBvbmx5KTE0MDIGA1UEAwwrVGVucGF5LmNvbSBwbGF0Zm9ybSBj
ZXJ0aWZpY2F0ZSAoc2ltdWxhdG9yKTCCASIwDQYJKoZIhvcNAQEBBQADggEPADCC
AQoCggEBALH8ItjR513LL1uQI/Hitr9E2BxSbkIioI4XFTDi4KcFbBSeo+woiaNJ
aKeww9tMOqRyVRavA3eCQP2Y4ZyUWXwdVpinQ5x5q4cpueH076ZF2Xqq10up8Lxi
0BpGT9oivXK2kuEWfvKtu5mx2ms7/xUPmehK76WLWVhegz75XGUfClCdg8J8qdO0
psOQKkKLLg7ICF3Jy43R8lksR27tCjD/rxeGrJ9ClDjHQ8qxIkzgNYNT0/jHNt4Y
9Huh1oBh6SpUetYT5LdAMxt+GWaTTE618i7NENG9AMbRHznmOjyM7pBlaoXb92y1
6rOcGl73jfiKdld0PaJhtGh1QbYGmf0CAwEAAaM/MD0wDAYDVR0TAQH/BAIwADAO
BgNVHQ8BAf8EBAMCBaAwHQYDVR0OBBYEFP+SPvCISbgrpDwKK367qeQ+4Wj1MA0G
CSqGSIb3DQEBCwUAA4IBAQCsn1h/mAfc7L+jK1RX6bwo27ScALxSV6NRxecK6UYN
7KjYS8NMeh9qUYGHIiZ/DDNMxzqY3Z/xFkmT01JABV9s08SDaRCUwB+HJAj1FNMM
dA3cM87wToQl6hhwkm9VhznpnQQPO/cfv29qj5LmUtKG5xsEWTnIF3sMw5PdLIXw
Qk5d6uLAlwX2WPsaz6vN7lhUPn9GBOun6BjqLmIHH1qY+Ykmnoh3AuZsXyCmdECc
6GDfs0nttGWl5C8zNfoxwgeVTGSxY6quvhDI794Kth4Yy0AknjYmlrXremQmYRQZ
sgWjIYxW8ic22FpGZTayIWf6Mv7l38rJqgGB1i16hJSO
-----END CERTIFICATE-----
`;

/** The platform certificate's private key: signs in certificate mode. */
export const SIM_PLATFORM_PRIVATE = `-----BEGIN PRIVATE KEY-----
MIIEuwIBADANBgkqhkiG9w0BAQEFAASCBKUwggShAgEAAoIBAQCx/CLY0eddyy9b
kCPx4ra/RNgcUm5CIqCOFxUw4uCnBWwUnqPsKImjSWinsMPbTDqkclUWrwN3gkD9
mOGclFl8HVaYp0OceauHKbnh9O+mRdl6qtdLqfC8YtAaRk/aIr1ytpLhFn7yrbuZ
sdprO/8VD5noSu+li1lYXoM++VxlHwpQnYPCfKnTtKbDkCpCiy4OyAhdycuN0fJZ
LEdu7Qow/68XhqyfQpQ4x0PKsSJM4DWDU9P4xzbeGPR7odaAYekqVHrWE+S3QDMb
fhlmk0xOtfIuzRDRvQDG0R855jo8jO6QZWqF2/dsteqznBpe9434inZXdD2iYbRo
dUG2Bpn9AgMBAAECggEACJby+PscwXE0VaTdvm2spQuPd3YMXEfVO+fflEnawczF
JACc+u4UG57uSVHo8RNoE1AkpmqnWu22SvB4iojUgb6QhsXJwX2gum4lCnatvlzj
UeRFVC49Kay5WNwSvGPa60D/uS1Pm2qPId8ZIkqiTqCl+TWgN642nC+hgcxHuhlV
PLNFwY4X9VGbwvPXkl8ZMACHXNAs1rQ7TMgj2aa6sznaGVsWYC0PFqrKNdlCGhZQ
S6vbGYBxfFaVAZXez9IPCy0mc3nL11DWFMLs80R355ZRb2P74FGkiQ4kkImCgdE+
0BHpz9a6ZjdfjFEkSmfYlXyqKJaE8GJbb8ctrn65+QKBgQD2KGlF1+cyl6pYdLfs
lCJ6nBm/pmmurmNmOuwdNuz34iCisgFm7z7JvQ+TEfDC1oso3wsG7v1bAOfJWC1P
2w8JAjWx1PkgFumT18HAtryRBGzIYbuWdO84ZC9KfzUHuH1xvoAhz6KjpMN3/vTY
xGS1PsidwhgHJdRQLhH7IihTmQKBgQC5Ge35PJ/TMGdhR4PriulI97+SUtAd701t
L5zuasy3FrLxP6+7CW4aoKsR0V0bw8IB+JdMbr7AOorZoHXVVxHRt+G42ce+K6AO
DQpLX3O6fQmDu36m7oSZzwhIZMbcfbHD3hQ4776YaxddDRKZCwpUnw8zTvkLG0yw
0o2aML+4BQJ/BrsUJdTBfaCoB8MpRE7IopGiIptqSFx8W09BJYta72w/eDNl1mq0
TM/enSbgbnNvWq6+nnHqe5KKw/alRom234gv76zjIv19ZY2AvsRAY7a7Qr9pYbPQ
1rnmkSLpUEy7IWEUH9iNmevnbGCMUWENX+dXlPi5r3hZVdfspfFJKQKBgGnRcwRb
LhtzvoYUdkw/u6HlUHV8NlIGrkLPR23dTG8W4PGeMP5CI9nBJEspX4sx3EV4MjaV
0SLf1OUZIIP4JM25y6b7iX8kPXoK5mm0hdqFBN10YLFaBiBQBTItuqnuiaOp3/G0
zUchYdfmU01+zEcYL35rlWBOGQe1NxKA7/lpAoGBAKAAwZb6DI6fWFhIktN2QzZN
0RPaJBLuZrhH3OaoT/JG7REj2oK9HWPeYYzgixsxLeHdsyruwFaL7ZpPSio+Zgea
WeN6J7PIdd8gPkb+bqGehQ0pDUGNtDBO+uj8WnyCOfGdvpppSae22dwf7Fw0Yily
mgSoIDk8HnlXrNOCCxbr
-----END PRIVATE KEY-----
`;
