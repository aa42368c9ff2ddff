// webgrad's WebGPU flag constants (src/runtime/gpuFlags.ts, used instead of the browser's globals so
// that Node needs none) against the values an implementation exports: Dawn's GPUBufferUsage,
// GPUMapMode and GPUShaderStage, from the `webgpu` package. Needs no adapter.
import { describe, expect, it } from 'vitest';
import { globals } from 'webgpu';
import { BufferUsage, MapMode, ShaderStage } from '../../src/runtime/gpuFlags';

type FlagTable = Record<string, number>;

describe('WebGPU flag constants', () => {
  it("equal Dawn's for every flag webgrad uses", () => {
    const dawn = globals as { GPUBufferUsage: FlagTable; GPUMapMode: FlagTable; GPUShaderStage: FlagTable };
    const pick = (table: FlagTable, names: string[]): FlagTable => Object.fromEntries(names.map((name) => [name, table[name]]));
    expect(BufferUsage).toEqual(pick(dawn.GPUBufferUsage, Object.keys(BufferUsage)));
    expect(MapMode).toEqual(pick(dawn.GPUMapMode, Object.keys(MapMode)));
    expect(ShaderStage).toEqual(pick(dawn.GPUShaderStage, Object.keys(ShaderStage)));
  });
});
