import express from 'express';
import fc from 'fast-check';
import request from 'supertest';
import { wantsJson } from '../../lib/oauth/http';

/**
 * `wantsJson` skips content negotiation when the Accept header cannot prefer JSON. The shortcut
 * must never change the answer: checked against Express's own `req.accepts` over real requests.
 */
const app = express();
app.get('/', (req, res) => {
  const negotiated = req.xhr || /^Bearer\s/i.test(req.headers.authorization ?? '') || (!!req.headers.accept && req.accepts(['html', 'json']) === 'json');
  res.json({ ours: wantsJson(req), negotiated });
});

const mediaRange = fc.constantFrom('text/html', 'application/json', 'application/xhtml+xml', 'application/xml', '*/*', 'text/*', 'application/*', 'image/webp', 'application/problem+json', 'text/plain');
const weight = fc.option(fc.constantFrom('0', '0.0', '0.1', '0.5', '0.9', '1'), { nil: undefined });
const accept = fc.array(fc.tuple(mediaRange, weight).map(([m, q]) => (q === undefined ? m : `${m};q=${q}`)), { minLength: 1, maxLength: 5 }).map((parts) => parts.join(', '));

test('property: the same answer as Express negotiation for any Accept header', async () => {
  await fc.assert(
    fc.asyncProperty(accept, fc.boolean(), async (header, xhr) => {
      const res = await request(app).get('/').set('Accept', header).set(xhr ? { 'X-Requested-With': 'XMLHttpRequest' } : {});
      expect(res.body.ours).toBe(res.body.negotiated);
    }),
    { numRuns: 1000 },
  );
});

test.each([
  ['a browser navigation', 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8', false],
  ['fetch() with JSON', 'application/json', true],
  ['HTML refused, anything else welcome', 'text/html;q=0, */*', true],
  ['any application type', 'application/*', true],
  ['HTML at a lower weight than a wildcard', 'text/html;q=0.05, */*;q=0.1', true],
])('%s', async (_name, header, expected) => {
  const res = await request(app).get('/').set('Accept', header);
  expect(res.body).toEqual({ ours: expected, negotiated: expected });
});
