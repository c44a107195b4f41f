import onnxProto from 'onnx-proto';
import { MOVES, featureSet } from '../core/index.ts';
import type { Standardizer } from './standardize.ts';

const { onnx } = onnxProto;
type AttributeProto = onnxProto.onnx.IAttributeProto;
type NodeProto = onnxProto.onnx.INodeProto;
type TensorProto = onnxProto.onnx.ITensorProto;

/** Graph input and output names fixed by the artifact contract. */
export const INPUT_NAME = 'features';
export const OUTPUT_NAME = 'probabilities';
const OPSET = 13;
const ML_OPSET = 3;

/** One dense layer, `y = x · weights + bias`; weights row-major [inputs, outputs]. */
export interface DenseLayer {
  inputs: number;
  outputs: number;
  weights: Float32Array;
  bias: Float32Array;
}

/** A regression tree for one class margin; node 0 is the root, `x < threshold` goes left. */
export type TreeNode =
  | { leaf: false; feature: number; threshold: number; left: number; right: number }
  | { leaf: true; value: number };
export interface ClassTree {
  classIndex: number;
  nodes: TreeNode[];
}

export interface ModelInfo {
  model: string;
  version: string;
  algorithm: string;
  featureSet: string;
}

function floatTensor(name: string, dims: number[], values: Float32Array): TensorProto {
  return {
    name,
    dims,
    dataType: onnx.TensorProto.DataType.FLOAT,
    rawData: new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength)),
  };
}

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

function attrInt(name: string, i: number): AttributeProto {
  return { name, type: onnx.AttributeProto.AttributeType.INT, i };
}
function attrString(name: string, s: string): AttributeProto {
  return { name, type: onnx.AttributeProto.AttributeType.STRING, s: utf8(s) };
}
function attrInts(name: string, ints: number[]): AttributeProto {
  return { name, type: onnx.AttributeProto.AttributeType.INTS, ints };
}
function attrFloats(name: string, floats: number[]): AttributeProto {
  return { name, type: onnx.AttributeProto.AttributeType.FLOATS, floats };
}
function attrStrings(name: string, strings: string[]): AttributeProto {
  return { name, type: onnx.AttributeProto.AttributeType.STRINGS, strings: strings.map(utf8) };
}

function tensorValueInfo(name: string, width: number): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: { dim: [{ dimParam: 'N' }, { dimValue: width }] },
      },
    },
  };
}

function encodeModel(
  info: ModelInfo,
  nodes: NodeProto[],
  initializer: TensorProto[],
  domains: { domain: string; version: number }[],
): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'rps-quest-trainer',
    producerVersion: '1',
    domain: 'dev.rpsquest',
    modelVersion: Number(info.version.replace(/^v/, '')) || 0,
    docString: `${info.model} ${info.version} (${info.algorithm}): probabilities of the player's next move`,
    opsetImport: domains,
    metadataProps: [
      { key: 'model', value: info.model },
      { key: 'version', value: info.version },
      { key: 'algorithm', value: info.algorithm },
      { key: 'featureSet', value: info.featureSet },
      { key: 'classes', value: MOVES.join(',') },
    ],
    graph: {
      name: `${info.model}-${info.version}`,
      node: nodes,
      initializer,
      input: [tensorValueInfo(INPUT_NAME, featureSet(info.featureSet).count)],
      output: [tensorValueInfo(OUTPUT_NAME, MOVES.length)],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

/**
 * mlp / logistic: Sub(mean) → Mul(1/scale) → Gemm → Relu → … → Gemm → Softmax.
 * ReLU follows every layer but the last.
 */
export function denseToOnnx(
  info: ModelInfo,
  standardizer: Standardizer,
  layers: readonly DenseLayer[],
): Uint8Array {
  const initializer: TensorProto[] = [
    floatTensor('mean', [standardizer.mean.length], standardizer.mean),
    floatTensor('inv_scale', [standardizer.invScale.length], standardizer.invScale),
  ];
  const nodes: NodeProto[] = [
    { opType: 'Sub', input: [INPUT_NAME, 'mean'], output: ['centered'], name: 'center' },
    { opType: 'Mul', input: ['centered', 'inv_scale'], output: ['h0'], name: 'scale' },
  ];
  let current = 'h0';
  layers.forEach((layer, i) => {
    const last = i === layers.length - 1;
    initializer.push(floatTensor(`W${i}`, [layer.inputs, layer.outputs], layer.weights));
    initializer.push(floatTensor(`b${i}`, [layer.outputs], layer.bias));
    const z = last ? 'logits' : `z${i + 1}`;
    nodes.push({ opType: 'Gemm', input: [current, `W${i}`, `b${i}`], output: [z], name: `dense${i}` });
    if (!last) {
      nodes.push({ opType: 'Relu', input: [z], output: [`h${i + 1}`], name: `relu${i}` });
      current = `h${i + 1}`;
    }
  });
  nodes.push({
    opType: 'Softmax',
    input: ['logits'],
    output: [OUTPUT_NAME],
    name: 'softmax',
    attribute: [attrInt('axis', 1)],
  });
  return encodeModel(info, nodes, initializer, [{ domain: '', version: OPSET }]);
}

/**
 * gbdt: ai.onnx.ml TreeEnsembleRegressor summing per-class trees into three margins
 * (plus the base margins), then Softmax. Trees split on raw features.
 */
export function treesToOnnx(
  info: ModelInfo,
  baseMargins: readonly number[],
  trees: readonly ClassTree[],
): Uint8Array {
  const nodeTree: number[] = [];
  const nodeId: number[] = [];
  const nodeFeature: number[] = [];
  const nodeValue: number[] = [];
  const nodeMode: string[] = [];
  const nodeTrue: number[] = [];
  const nodeFalse: number[] = [];
  const missingTrue: number[] = [];
  const targetTree: number[] = [];
  const targetNode: number[] = [];
  const targetId: number[] = [];
  const targetWeight: number[] = [];
  trees.forEach((tree, t) => {
    tree.nodes.forEach((node, n) => {
      nodeTree.push(t);
      nodeId.push(n);
      missingTrue.push(0);
      if (node.leaf) {
        nodeFeature.push(0);
        nodeValue.push(0);
        nodeMode.push('LEAF');
        nodeTrue.push(0);
        nodeFalse.push(0);
        targetTree.push(t);
        targetNode.push(n);
        targetId.push(tree.classIndex);
        targetWeight.push(node.value);
      } else {
        nodeFeature.push(node.feature);
        nodeValue.push(node.threshold);
        nodeMode.push('BRANCH_LT');
        nodeTrue.push(node.left);
        nodeFalse.push(node.right);
      }
    });
  });
  const ensemble: NodeProto = {
    opType: 'TreeEnsembleRegressor',
    domain: 'ai.onnx.ml',
    input: [INPUT_NAME],
    output: ['margins'],
    name: 'trees',
    attribute: [
      attrInt('n_targets', MOVES.length),
      attrString('aggregate_function', 'SUM'),
      attrString('post_transform', 'NONE'),
      attrFloats('base_values', [...baseMargins]),
      attrInts('nodes_treeids', nodeTree),
      attrInts('nodes_nodeids', nodeId),
      attrInts('nodes_featureids', nodeFeature),
      attrFloats('nodes_values', nodeValue),
      attrStrings('nodes_modes', nodeMode),
      attrInts('nodes_truenodeids', nodeTrue),
      attrInts('nodes_falsenodeids', nodeFalse),
      attrInts('nodes_missing_value_tracks_true', missingTrue),
      attrInts('target_treeids', targetTree),
      attrInts('target_nodeids', targetNode),
      attrInts('target_ids', targetId),
      attrFloats('target_weights', targetWeight),
    ],
  };
  const softmax: NodeProto = {
    opType: 'Softmax',
    input: ['margins'],
    output: [OUTPUT_NAME],
    name: 'softmax',
    attribute: [attrInt('axis', 1)],
  };
  return encodeModel(
    info,
    [ensemble, softmax],
    [],
    [
      { domain: '', version: OPSET },
      { domain: 'ai.onnx.ml', version: ML_OPSET },
    ],
  );
}
