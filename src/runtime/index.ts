/** The runtime: TensorFlow.js backends, model execution, excitation capture. The only code that imports @tensorflow/*. */
export { BACKEND_REQUESTS, currentBackend, findWasmDirectory, initBackend, isBackendRequest, setWasmDirectory, type BackendInfo, type BackendName, type BackendRequest } from './backend.js';
export { blockStats, excite, exciteOnce, imageInput, type BlockExcitation, type BlockStats, type ExciteInput, type ExciteOptions, type ExciteResult } from './excite.js';
export { kerasGeneration } from './executor.js';
export { RUNNABLE_OPS } from './kernels/index.js';
export { chooseEngine, LoadedModel, loadModel, runtimeMemory, type Feeds, type HostTensor, type InputTensor, type LoadOptions, type LoadTimings, type RunOptions, type RunResult } from './model.js';
export { ENGINE_NAMES, type ComputeInfo, type EngineName } from './engine.js';
export { completeShapesByExecution, type ExecutionShapeOptions } from './executionShapes.js';
export { type InputUse, type InputValues } from './inputs.js';
export { TFJS_OPS_BY_CATEGORY, tfjsOpCategory } from '../graph/tfjsOps.js';
