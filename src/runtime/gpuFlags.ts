// The WebGPU flag constants webgrad uses, with the values the WebGPU spec fixes for them. The
// browser's globals (GPUBufferUsage, GPUMapMode, GPUShaderStage) hold the same numbers, but Node
// has no such globals: reading them from here lets `init({ gpu })` work with Dawn's GPU object
// alone, without asking users to copy Dawn's globals onto globalThis.

/** GPUBufferUsage (https://www.w3.org/TR/webgpu/#buffer-usage). */
export const BufferUsage = {
  MAP_READ: 0x0001,
  COPY_SRC: 0x0004,
  COPY_DST: 0x0008,
  UNIFORM: 0x0040,
  STORAGE: 0x0080,
  QUERY_RESOLVE: 0x0200,
} as const;

/** GPUMapMode (https://www.w3.org/TR/webgpu/#buffer-mapping). */
export const MapMode = {
  READ: 0x0001,
} as const;

/** GPUShaderStage (https://www.w3.org/TR/webgpu/#typedefdef-gpushaderstageflags). */
export const ShaderStage = {
  COMPUTE: 0x0004,
} as const;
