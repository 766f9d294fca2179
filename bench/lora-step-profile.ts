// Where one LoRA SFT step's time goes at configs C and D (issue 20): the bench's own step
// (src/cli/bench/real/tasks.ts sftStep: r 16, alpha 32 on q,k,v,o,gate,up,down, one 512-token
// sequence, AdamW), split into forward, backward, optimizer and zero-fill by wall clock, and by
// kernel (KernelProfiler, matmul split by shape) over the whole step.
//   ALIGNKIT_THREADS=1 node dist/bench/lora-step-profile.js C|D exact|bf16 [--cpu]
// --cpu times kernels by this process's CPU time (run with ALIGNKIT_THREADS=1), which leaves out
// what other processes took on a busy machine. The random checkpoint is written to the temporary
// directory when missing and left there.
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeRandomCheckpoint } from '../src/model/index.js';
import { KernelProfiler } from '../src/cli/bench/profile.js';
import { REAL_SHAPES, type RealConfig } from '../src/cli/bench/real/shapes.js';
import { sftStep } from '../src/cli/bench/real/tasks.js';

const config = (process.argv[2] ?? 'D') as RealConfig, mode = process.argv[3] ?? 'exact', cpu = process.argv.includes('--cpu');
if (!(config in REAL_SHAPES) || !['exact', 'bf16'].includes(mode)) throw new Error(`lora-step-profile: got ${config} ${mode}, expected C|D exact|bf16`);
const dir = join(tmpdir(), `alignkit-lora-profile-${config}`);
if (!existsSync(join(dir, 'model.safetensors'))) writeRandomCheckpoint(dir, REAL_SHAPES[config]);

const s = sftStep(dir, 'lora', 512, 16, 32);
s.model.bf16Compute = mode === 'bf16';
s.step(); // untimed: first-touch of the pools and the optimizer's moments

const prof = new KernelProfiler(true, cpu);
const cpuMs = (): number => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const t0 = performance.now(), c0 = cpuMs();
s.step();
const wall = performance.now() - t0, stepCpu = cpuMs() - c0;
const kernels = prof.report();
prof.stop();
const inKernels = kernels.reduce((a, k) => a + k.ms, 0);
const total = cpu ? stepCpu : wall;
console.log(`LoRA step ${config} ${mode}: ${wall.toFixed(0)} ms wall, ${stepCpu.toFixed(0)} ms CPU; by the ${cpu ? 'CPU' : 'wall'} clock ${inKernels.toFixed(0)} ms in kernels, ${(total - inKernels).toFixed(0)} ms else (JS, autograd, allocation, GC)`);
console.log(Object.entries(s.phases()).map(([k, v]) => `${k} ${v.toFixed(0)} ms`).join(', '));
for (const k of kernels.slice(0, 40)) console.log(`${k.ms.toFixed(1).padStart(9)} ms ${String(k.calls).padStart(5)}×  ${k.name}`);
