/** `work`, or a rejection once `ms` have passed (the work itself goes on): for waits that must not hang. */
export function withTimeout<T>(work: Promise<T>, ms: number, what = "the work"): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} was not done after ${ms} ms`)), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}
