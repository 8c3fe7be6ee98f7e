/**
 * Builds TF.js graph models (GraphDef nodes + constants) in tests, the way the converter writes
 * them: `g.op('Relu6', [g.op('AddV2', [x, g.scalar(3)])])`. Written by tfjsWriter.writeGraphModel.
 */
import { join } from 'node:path';
import { attr, writeGraphModel, type GraphConst } from './tfjsWriter.js';

export class GraphBuilder {
  nodes: any[] = [];
  consts: GraphConst[] = [];
  private n = 0;

  /** A Placeholder; `shape` null = unknown rank. */
  input(name: string, shape: number[] | null, dtype = 'DT_FLOAT'): string {
    this.nodes.push({ name, op: 'Placeholder', attr: { dtype: { type: dtype }, shape: shape ? attr.shape(shape) : { shape: { unknownRank: true } } } });
    return name;
  }
  fresh(base: string): string {
    return `${base}_${this.n++}`;
  }
  op(op: string, inputs: string[], extra: Record<string, unknown> = {}, name = this.fresh(op)): string {
    this.nodes.push({ name, op, input: inputs, attr: extra });
    return name;
  }
  const(shape: number[], values?: number[], opts: Partial<GraphConst> = {}): string {
    const name = this.fresh('c');
    this.consts.push({ name, shape, values, ...opts });
    return name;
  }
  ints(values: number[], shape = [values.length]): string {
    return this.const(shape, values, { dtype: 'int32' });
  }
  scalar(v: number, float16 = false): string {
    return this.const([], [v], { float16 });
  }
  /** A _FusedConv2D with filter and bias; `extra`: further constant operands (a Prelu's alpha). */
  conv(x: string, kh: number, cin: number, cout: number, opts: { fused?: string[]; stride?: number; padding?: 'SAME' | 'VALID'; extra?: string[] } = {}, name?: string): string {
    const s = opts.stride ?? 1;
    return this.op('_FusedConv2D', [x, this.const([kh, kh, cin, cout]), this.const([cout]), ...(opts.extra ?? [])], { strides: attr.ints([1, s, s, 1]), padding: attr.s(opts.padding ?? 'VALID'), fused_ops: attr.strs(opts.fused ?? ['BiasAdd']) }, name);
  }
  write(dir: string, outputs: string[]): string {
    outputs.forEach((o, i) => this.op('Identity', [o], {}, i === 0 ? 'Identity' : `Identity_${i}`));
    return writeGraphModel(join(dir), this.nodes, this.consts);
  }
}
