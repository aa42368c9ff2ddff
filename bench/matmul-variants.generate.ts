// Generates register-tiled matmul kernels of other tile and workgroup shapes than the library's
// (shaders/matmul.wgsl: 32×16 per invocation, 4×2 invocations), for the variant benchmark to try side
// by side. They use the library's helpers (matmulCommon.wgsl) and its two ways of loading A
// (matmulOwnRows.wgsl, matmulSharedRows.wgsl), so only the tile shape differs.
import stableMathSource from '../shaders/stableMath.wgsl';
import matmulCommonSource from '../shaders/matmulCommon.wgsl';
import matmulOwnRowsSource from '../shaders/matmulOwnRows.wgsl';
import matmulSharedRowsSource from '../shaders/matmulSharedRows.wgsl';

export interface TileShape {
  /** 4×4 blocks per invocation along M and along N. */
  blocksM: number;
  blocksN: number;
  /** Workgroup size: x along N (a multiple of 4 when sharing), y along M. */
  groupX: number;
  groupY: number;
  /** Whether the 4 lanes of a subgroup share the loads of A (matmulSharedRows.wgsl). */
  shared: boolean;
}

export function tiledSource(shape: TileShape): string {
  const { blocksM, blocksN, groupX, groupY, shared } = shape;
  const accs: [number, number][] = [];
  for (let p = 0; p < blocksM; p++) for (let q = 0; q < blocksN; q++) accs.push([p, q]);
  const main = `
@compute @workgroup_size(${groupX}, ${groupY})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let group = wid.x + wid.y * groups.x;
  let blocksPerMatrix = params.blocksAlongN * params.blocksAlongM;
  let batch = group / blocksPerMatrix;
  if (batch >= params.batchCount) { return; }
  let inMatrix = group % blocksPerMatrix;
  let i0 = (inMatrix / params.blocksAlongN) * ${groupY * 4 * blocksM}u + lid.y * ${4 * blocksM}u;
  let j0 = (inMatrix % params.blocksAlongN) * ${groupX * 4 * blocksN}u + lid.x * ${4 * blocksN}u;
  let lane = lid.x % 4u;
  let bases = batchBases(batch);
${accs.map(([p, q]) => `  var acc${p}_${q}: mat4x4<f32>;`).join('\n')}
  for (var k0 = 0u; k0 < params.K; k0 += 4u) {
${Array.from({ length: blocksM }, (_, p) => `    let a${p} = rowsOfA(bases.x, i0 + ${4 * p}u, k0, lane);`).join('\n')}
${Array.from({ length: blocksN }, (_, q) => `    let b${q} = blockB(bases.y, k0, j0 + ${4 * q}u);`).join('\n')}
${accs.map(([p, q]) => `    acc${p}_${q} += b${q} * a${p};`).join('\n')}
  }
  let baseOut = batch * params.M * params.N;
${accs.map(([p, q]) => `  storeTile(acc${p}_${q}, baseOut, i0 + ${4 * p}u, j0 + ${4 * q}u);`).join('\n')}
}
`;
  const source = stableMathSource + matmulCommonSource + main + (shared ? matmulSharedRowsSource : matmulOwnRowsSource);
  return shared ? `enable subgroups;\ndiagnostic(off, subgroup_uniformity);\n${source}` : source;
}

/** Output rows and columns one workgroup covers. */
export function tileBlock(shape: TileShape): { blockRows: number; blockCols: number } {
  return { blockRows: shape.groupY * 4 * shape.blocksM, blockCols: shape.groupX * 4 * shape.blocksN };
}
