/** A clock tests move by hand. */
export function clock(start = '2026-01-05T03:00:00.000Z') {
  let t = Date.parse(start);
  const now = () => new Date(t);
  return Object.assign(now, {
    advance(ms: number) {
      t += ms;
    },
    set(iso: string) {
      t = Date.parse(iso);
    },
  });
}
