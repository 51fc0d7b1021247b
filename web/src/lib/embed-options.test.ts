import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CHART_KINDS } from './chart-options.js';
import { fragmentToken, parseEmbedOptions } from './embed-options.js';

test('defaults: auto theme, every chart, 5 minutes, no token', () => {
  const o = parseEmbedOptions('', '');
  assert.equal(o.theme, 'auto');
  assert.deepEqual(o.charts, CHART_KINDS);
  assert.equal(o.window.key, '5m');
  assert.equal(o.token, undefined);
});

test('query parameters', () => {
  const cases: [string, Partial<{ theme: string; charts: string[]; window: string }>][] = [
    ['?theme=dark', { theme: 'dark' }],
    ['?theme=light', { theme: 'light' }],
    ['?theme=purple', { theme: 'auto' }],
    ['?charts=mem,cpu', { charts: ['mem', 'cpu'] }],
    ['?charts=pids, NET ,pids,bogus', { charts: ['pids', 'net'] }],
    ['?charts=bogus', { charts: [...CHART_KINDS] }],
    ['?window=1', { window: '1m' }],
    ['?window=15', { window: '15m' }],
    ['?window=15m', { window: '15m' }],
    ['?window=60', { window: '5m' }],
  ];
  for (const [search, want] of cases) {
    const o = parseEmbedOptions(search, '');
    if (want.theme) assert.equal(o.theme, want.theme, search);
    if (want.charts) assert.deepEqual(o.charts, want.charts, search);
    if (want.window) assert.equal(o.window.key, want.window, search);
  }
});

test('the token comes from the fragment only, verbatim', () => {
  assert.equal(parseEmbedOptions('?token=from-query', '').token, undefined);
  assert.equal(fragmentToken('#token=dps1.abc.d-_f'), 'dps1.abc.d-_f');
  assert.equal(fragmentToken('#x=1&token=a+b%2Fc'), 'a+b/c');
  assert.equal(fragmentToken('#token='), undefined);
  assert.equal(fragmentToken('#token=%E0%A4%A'), undefined);
  assert.equal(fragmentToken(''), undefined);
});
