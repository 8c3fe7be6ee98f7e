/** Runs the independent walk (test/reference/independent_walk.py, no product code) on model files. */
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const PYTHON = process.env.SE_INSPECTOR_PYTHON ?? '/usr/bin/python3';
const WALK = resolve(import.meta.dirname, '../reference/independent_walk.py');

export interface WalkedBlock {
  mul: string;
  x: string;
  gate: string;
  squeeze: string;
  C: number;
  width: number | null;
  firstLinear: string[];
}
export interface Walked {
  model: string;
  params: number;
  /** Parameters by why they count. */
  paramsByRole: { kernel: number; channel: number; oneUnitBias: number };
  /** Float weights that are not parameters, by why. */
  floatsNotCounted: { scalar: number; notPerChannel: number; data: number };
  unusedWeights: string[];
  seBlocks: WalkedBlock[];
}

export async function runIndependentWalk(paths: string[]): Promise<Walked[]> {
  let stdout: string;
  try {
    ({ stdout } = await run(PYTHON, [WALK, ...paths], { maxBuffer: 64 << 20, timeout: 300_000 }));
  } catch (e) {
    const err = e as { code?: string; stderr?: string; message: string };
    if (err.code === 'ENOENT') throw new Error(`${PYTHON} not found: the independent walk needs python3 with numpy (apt-get install -y python3-numpy)`);
    throw new Error(`independent walk failed: ${(err.stderr || err.message).trim().split('\n').slice(-1)[0]}`);
  }
  return stdout.trim().split('\n').map((l) => JSON.parse(l) as Walked);
}
