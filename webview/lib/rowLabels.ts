/**
 * Short row labels for names that share a long prefix or suffix: only the part that differs
 * ("expanded_conv_3_squeeze_excite" → "conv_3"), cut at separators. Pure (a unit test runs it).
 */
const SEP = /([/_.:\-])/;

/** The differing middle of each name; a name that has none (the shortest, "multiply") keeps its last part. */
export function distinctParts(names: readonly string[]): string[] {
  if (names.length < 2) return names.map((n) => n);
  const toks = names.map((n) => n.split(SEP).filter((t) => t !== ''));
  const minLen = Math.min(...toks.map((t) => t.length));
  let pre = 0;
  while (pre < minLen && toks.every((t) => t[pre] === toks[0][pre])) pre++;
  let suf = 0;
  while (suf < minLen - pre && toks.every((t) => t[t.length - 1 - suf] === toks[0][toks[0].length - 1 - suf])) suf++;
  const trim = (s: string) => s.replace(/^[/_.:\-]+|[/_.:\-]+$/g, '');
  const parts = toks.map((t) => trim(t.slice(pre, t.length - suf).join('')));
  // all equal after all (duplicates): nothing to shorten
  if (new Set(parts).size < names.length && parts.every((p) => p === parts[0])) return names.map((n) => n);
  // a bare number reads better with the word before it ("conv_3"); an empty middle (the block
  // without a number) is that word alone
  const lastWord = toks[0].slice(0, pre).filter((t) => !SEP.test(t)).pop();
  const sep = toks[0][pre - 1] && SEP.test(toks[0][pre - 1]) ? toks[0][pre - 1] : '_';
  return parts.map((p, i) => (!p ? lastWord || names[i] : /^\d+$/.test(p) && lastWord ? `${lastWord}${sep}${p}` : p));
}
