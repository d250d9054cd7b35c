import { defaultRandomHex } from '../../lib/context';
import { createNonceSource } from '../../lib/jssdk/nonce';

test('pooled nonces: 16 hex characters, no repeats over several pool refills', () => {
  const next = createNonceSource(defaultRandomHex);
  const seen = new Set<string>();
  for (let i = 0; i < 5000; i++) {
    const nonce = next();
    expect(nonce).toMatch(/^[0-9a-f]{16}$/);
    seen.add(nonce);
  }
  expect(seen.size).toBe(5000);
});

test('an injected random source is used as it is (test seam)', () => {
  const next = createNonceSource((bytes) => 'ab'.repeat(bytes));
  expect(next()).toBe('abababababababab');
});
