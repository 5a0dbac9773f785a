/** Collects a subscription's messages; `waitFor(n)` resolves once `n` have arrived (no sleeps). */
export function collector<T = unknown>() {
  const got: { data: T; offset: number }[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  return {
    got,
    data: () => got.map((m) => m.data),
    handler: (data: T, meta: { offset: number }) => {
      got.push({ data, offset: meta.offset });
      for (const w of waiters) if (got.length >= w.n) w.resolve();
    },
    waitFor(n: number): Promise<void> {
      if (got.length >= n) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ n, resolve }));
    },
  };
}
