/** Number formatting shared by the CLI, hovers and the extension host: 1,993,970 and 1.99 M. */
export function int(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '?';
  return Math.round(n).toLocaleString('en-US');
}

export function short(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '?';
  const a = Math.abs(n);
  if (a >= 1e9) return `${(n / 1e9).toFixed(2)} G`;
  if (a >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  if (a >= 1e3) return `${(n / 1e3).toFixed(1)} k`;
  return String(Math.round(n));
}

export function pct(fraction: number, digits = 2): string {
  return `${(100 * fraction).toFixed(digits)}%`;
}
