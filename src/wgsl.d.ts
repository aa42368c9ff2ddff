// WGSL sources are imported as text: esbuild's text loader inlines them into the bundle,
// and the vitest config loads them the same way for Node tests.
declare module '*.wgsl' {
  const source: string;
  export default source;
}
