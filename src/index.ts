// simdnet, the universal core: no Node built-ins, so it runs in browsers, workers and Node alike.
// File and folder helpers for Node live in "simdnet/node".
export { Model, type CreateOptions, type ModelFitOptions } from "./model/model.js";
export { Network, INIT_SCHEMES, type InitScheme, type EvalResult, type BatchResult } from "./model/network.js";
export { type ModelSpec, type Activation, type Task, type InputKind, HIDDEN_ACTIVATIONS, layerSizes, parseHidden } from "./model/spec.js";
export { paramCount } from "./model/arena.js";
export { encodeModel, decodeModel, crc32, MODEL_FORMAT_VERSION, type ModelFile, type ModelHeader } from "./model/format.js";
export { argmaxRows, confusionMatrix, perClassMetrics, type ClassMetrics } from "./model/metrics.js";
export { WasmBackend, JsBackend, createBackend, type Backend, type BackendName } from "./backend/index.js";
export { parseIdx, idxToDataset, encodeIdx, type IdxArray } from "./data/idx.js";
export { parseDigitsCsv, DigitsCsvParser, encodeDigitsCsv, type CsvOptions } from "./data/csv.js";
export { parseTable, toTableSet, isTableSet, fitPreprocessing, applyPreprocessing, transformFeatures, untransformTargets, TableParser, CsvRecords, type Table, type TableSet, type TableOptions, type TableSetOptions, type DataMeta, type NormalizeKind, type MissingPolicy } from "./data/table.js";
export { regressionMetrics, type RegressionMetrics, type TargetMetrics } from "./data/regression-metrics.js";
export { allOf, splitTrainVal, type Dataset, type Subset } from "./data/dataset.js";
export { AUGMENT_KINDS, DEFAULT_AUGMENT, type AugmentKind, type AugmentOptions } from "./data/augment.js";
export { SimdnetError, type ErrorPlace } from "./errors.js";
export { fit, epochOrder, stepSeed, type FitOptions, type FitResult, type EpochStats, type BatchInfo, type EarlyStopping } from "./train/trainer.js";
export { Sgd, Adam, createOptimizer, clipGradNorm, OPTIMIZER_NAMES, type Optimizer, type OptimizerConfig, type OptimizerName } from "./train/optimizers.js";
export { LrSchedule, constantSchedule, SCHEDULE_NAMES, type ScheduleConfig, type ScheduleName } from "./train/schedules.js";
export { gradCheck, type GradCheckOptions, type GradCheckResult } from "./train/gradcheck.js";
export { toTfjsLayers, TFJS_WEIGHTS_FILE, type TfjsModelJson, type TfjsWeightSpec } from "./export/tfjs.js";
export { renderReport, scoreSubset, confidentMistakes, type ReportInput, type ScoredSet, type Mistake } from "./report/report.js";
export { toOnnx, toOnnxModel, ONNX_OPSET, ONNX_IR_VERSION, ONNX_INPUT, ONNX_PROBABILITIES, ONNX_LOGITS, type OnnxExportOptions, type OnnxSource } from "./export/onnx.js";
export { fromOnnx, importOnnx, ONNX_IMPORT_OPSETS, type OnnxImported } from "./export/onnx-import.js";
export { encodeOnnx, decodeOnnx, type OnnxModel, type OnnxGraph, type OnnxNode, type OnnxTensor, type OnnxAttribute, type OnnxValueInfo } from "./export/onnx-proto.js";
