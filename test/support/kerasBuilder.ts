/**
 * Builds Keras 3 functional-model configs (the `model.to_json()` layout) in tests and benchmarks,
 * the way Keras code builds models: `const y = b.add('Dense', {units: 8}, x)`.
 */
export type Tensor = { layer: string; shape?: (number | null)[] };

export class KerasBuilder {
  private layers: Record<string, unknown>[] = [];
  private counters = new Map<string, number>();
  private inputsList: string[] = [];

  constructor(private readonly name = 'model') {}

  private autoName(cls: string): string {
    const base = cls.replace(/(.)([A-Z][a-z]+)/g, '$1_$2').replace(/([a-z])([A-Z])/g, '$1_$2').toLowerCase();
    const k = this.counters.get(base) ?? 0;
    this.counters.set(base, k + 1);
    return k === 0 ? base : `${base}_${k}`;
  }

  input(batchShape: (number | null)[], name?: string): Tensor {
    const n = name ?? this.autoName('InputLayer');
    this.layers.push({ module: 'keras.layers', class_name: 'InputLayer', config: { batch_shape: batchShape, dtype: 'float32', name: n }, name: n, inbound_nodes: [] });
    this.inputsList.push(n);
    return { layer: n };
  }

  /** A layer called on one tensor, or on a list (merge layers). */
  add(cls: string, config: Record<string, unknown>, input: Tensor | Tensor[], name?: string): Tensor {
    const n = name ?? (config.name as string | undefined) ?? this.autoName(cls);
    const kt = (t: Tensor) => ({ class_name: '__keras_tensor__', config: { shape: t.shape ?? null, dtype: 'float32', keras_history: [t.layer, 0, 0] } });
    const args = Array.isArray(input) ? [input.map(kt)] : [kt(input)];
    this.layers.push({ module: 'keras.layers', class_name: cls, config: { ...config, name: n, trainable: true }, name: n, inbound_nodes: [{ args, kwargs: {} }] });
    return { layer: n };
  }

  /** A Keras 3 functional op such as `x + 3.0` (module keras.src.ops.numpy). */
  op(cls: 'Add' | 'Multiply' | 'Subtract' | 'TrueDivide', input: Tensor, scalar: number, name?: string): Tensor {
    const n = name ?? this.autoName(cls);
    const kt = { class_name: '__keras_tensor__', config: { shape: null, dtype: 'float32', keras_history: [input.layer, 0, 0] } };
    this.layers.push({ module: 'keras.src.ops.numpy', class_name: cls, config: { name: n }, name: n, inbound_nodes: [{ args: [kt, scalar], kwargs: {} }] });
    return { layer: n };
  }

  toJSON(outputs: Tensor | Tensor[]): Record<string, unknown> {
    const outs = (Array.isArray(outputs) ? outputs : [outputs]).map((t) => [t.layer, 0, 0]);
    return {
      module: 'keras.src.models.functional',
      class_name: 'Functional',
      config: { name: this.name, trainable: true, layers: this.layers, input_layers: this.inputsList.map((n) => [n, 0, 0]), output_layers: outs.length === 1 ? outs[0] : outs },
      registered_name: 'Functional',
    };
  }
}

/** The sketch of se-reference.md: GAP -> Dense(C/r, relu) -> Dense(C, sigmoid) -> Multiply. */
export function seBlock(b: KerasBuilder, x: Tensor, channels: number, r: number, opts: { reshape?: boolean; useBias?: boolean; prefix?: string } = {}): Tensor {
  const p = opts.prefix;
  const nm = (s: string) => (p ? `${p}_${s}` : undefined);
  let s = b.add('GlobalAveragePooling2D', {}, x, nm('squeeze'));
  if (opts.reshape) s = b.add('Reshape', { target_shape: [1, 1, channels] }, s, nm('reshape'));
  s = b.add('Dense', { units: Math.floor(channels / r), activation: 'relu', use_bias: opts.useBias ?? true }, s, nm('reduce'));
  s = b.add('Dense', { units: channels, activation: 'sigmoid', use_bias: opts.useBias ?? true }, s, nm('expand'));
  return b.add('Multiply', {}, [x, s], nm('scale'));
}
