import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

/** The serving contract: input `features` float32 [N,49], output `probabilities` float32 [N,3]. */
export const TINY_INPUTS = 49;
const CLASSES = 3;

export interface TinyModelOptions {
  /** logits added to every row (rock, paper, scissors); with zero weights the model predicts softmax(bias) */
  bias?: readonly [number, number, number];
  /** weight matrix [49][3]; zero when omitted */
  weights?: readonly (readonly number[])[];
  /** hidden ReLU layer width (0 = plain logistic regression); weights drawn from `seed` */
  hidden?: number;
  seed?: number;
  /** written into the graph name so two otherwise equal models differ in bytes (and sha256) */
  tag?: string;
  /** features per row (default 49, rps-features/v1; 91 for rps-features/v2) */
  inputs?: number;
}

function tensor(name: string, dims: number[], values: Float32Array | number[]): onnxProto.onnx.ITensorProto {
  return { name, dims, dataType: onnx.TensorProto.DataType.FLOAT, floatData: Array.from(values) };
}

function valueInfo(name: string, dims: (number | string)[]): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function lcg(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}

/**
 * A tiny ONNX classifier (Gemm [+ Relu + Gemm] + Softmax) written with onnx-proto, for tests and
 * benchmarks of the serving path. The trainer's exporter produces the real models.
 */
export function tinyOnnxModel(options: TinyModelOptions = {}): Buffer {
  const bias = options.bias ?? [0, 0, 0];
  const hidden = options.hidden ?? 0;
  const inputs = options.inputs ?? TINY_INPUTS;
  const rand = lcg(options.seed ?? 1);
  const initializer: onnxProto.onnx.ITensorProto[] = [];
  const node: onnxProto.onnx.INodeProto[] = [];
  if (hidden > 0) {
    const w1 = new Float32Array(inputs * hidden).map(() => rand() * 0.2);
    const w2 = new Float32Array(hidden * CLASSES).map(() => rand() * 0.2);
    initializer.push(
      tensor('W1', [inputs, hidden], w1),
      tensor('B1', [hidden], new Float32Array(hidden)),
      tensor('W2', [hidden, CLASSES], w2),
      tensor('B2', [CLASSES], [...bias]),
    );
    node.push(
      { opType: 'Gemm', input: ['features', 'W1', 'B1'], output: ['h'], name: 'dense1' },
      { opType: 'Relu', input: ['h'], output: ['a'], name: 'relu1' },
      { opType: 'Gemm', input: ['a', 'W2', 'B2'], output: ['logits'], name: 'dense2' },
    );
  } else {
    const w = new Float32Array(inputs * CLASSES);
    options.weights?.forEach((row, i) => row.forEach((v, j) => (w[i * CLASSES + j] = v)));
    initializer.push(tensor('W', [inputs, CLASSES], w), tensor('B', [CLASSES], [...bias]));
    node.push({ opType: 'Gemm', input: ['features', 'W', 'B'], output: ['logits'], name: 'dense' });
  }
  node.push({
    opType: 'Softmax',
    input: ['logits'],
    output: ['probabilities'],
    name: 'softmax',
    attribute: [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 1 }],
  });
  const model = onnx.ModelProto.create({
    irVersion: 7,
    producerName: 'rps-quest-tests',
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: `tiny${options.tag ? `-${options.tag}` : ''}`,
      node,
      initializer,
      input: [valueInfo('features', ['N', inputs])],
      output: [valueInfo('probabilities', ['N', CLASSES])],
    },
  });
  return Buffer.from(onnx.ModelProto.encode(model).finish());
}
