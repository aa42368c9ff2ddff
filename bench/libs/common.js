// Helpers the library adapters share.

/** The fields of a GPUAdapterInfo (a plain object survives the trip to Node; the interface does not). */
export function describeAdapter(info) {
  const { vendor = '', architecture = '', device = '', description = '' } = info ?? {};
  return { vendor, architecture, device, description };
}

/** Loads a classic script (a UMD bundle that defines a global) and resolves once it has run. */
export function loadScript(src) {
  return new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.src = src;
    script.onload = () => resolve();
    script.onerror = () => reject(new Error(`could not load ${src}`));
    document.head.append(script);
  });
}
