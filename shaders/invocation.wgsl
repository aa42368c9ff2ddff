// The flat index of an invocation in a 1-D launch. src/runtime/launch.ts splits a thread count into
// an (x, y) grid of WORKGROUP_SIZE-wide workgroups, at most 65,535 along x, and the runtime sets
// WORKGROUP_SIZE from its one TypeScript constant (src/runtime/kernel.ts) when it builds the pipeline.
// The runtime prepends this file to every kernel that calls flatIndex.
override WORKGROUP_SIZE: u32;

fn flatIndex(gid: vec3<u32>, groups: vec3<u32>) -> u32 {
  return gid.x + gid.y * groups.x * WORKGROUP_SIZE;
}
