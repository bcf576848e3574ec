import middy from '@middy/core';
describe('jest ESM set-up', () => {
  it('loads ESM-only middy', () => {
    expect(typeof middy).toBe('function');
  });
});
