import { withoutTsx } from './container.ts';

describe('Function: withoutTsx', () => {
  it.each([
    ['--import tsx', undefined],
    ['--import file:///repo/node_modules/tsx/dist/loader.mjs', undefined],
    [
      '--max-old-space-size=512 --import tsx --enable-source-maps',
      '--max-old-space-size=512 --enable-source-maps',
    ],
    [
      '--import=tsx --require /x/node_modules/tsx/dist/cjs/index.cjs -r ./other.cjs',
      '-r ./other.cjs',
    ],
    ['--loader tsx/esm', undefined],
    ['--import ./mytsxhelper.mjs', '--import ./mytsxhelper.mjs'],
    ['', undefined],
    [undefined, undefined],
  ])('turns NODE_OPTIONS %p into %p', (input, expected) => {
    // Act
    const out = withoutTsx(input);

    // Assess
    expect(out).toBe(expected);
  });
});
