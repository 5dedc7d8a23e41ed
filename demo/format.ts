/** How the page writes numbers. */

/** 0.9812 → "98.1%". */
export const percent = (fraction: number) => `${(100 * fraction).toFixed(1)}%`;

/** 54000 → "54,000". */
export const formatCount = (n: number) => n.toLocaleString('en-US');

/** Seconds as "m:ss", or "s s" under a minute. */
export function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}:${String(s % 60).padStart(2, '0')}` : `${s} s`;
}
