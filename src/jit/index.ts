// wg.jit: trace a function once, fuse its elementwise chains, plan its memory, replay it.
export { jit, type JitFunction, type JitOptions, type JitStats } from './jit';
