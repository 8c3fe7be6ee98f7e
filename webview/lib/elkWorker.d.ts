/** elkjs' worker script as text (scripts/build.mjs), started as a blob: Web Worker. */
declare module 'virtual:elk-worker' {
  const source: string;
  export default source;
}
