// The library entry of the package (`import { compileSource } from 'handwire'`): the pipeline's
// stages as functions over typed data, in pipeline order. The CLI is built on these same calls.
export { parse, type ParseResult } from './syntax/parse.ts';
export { checkSource, compileSource, compileDecodeGraph, type CheckOutput, type CompileOutput } from './compile.ts';
export { hasErrors, type Diagnostic, type Severity } from './diagnostics.ts';
export type { CheckedModel, TaskContract } from './check/model.ts';
export type { FloatDType, IrGraph } from './ir/types.ts';
export { modelToIr } from './ir/model-to-ir.ts';
export { parameterManifest } from './ir/metadata.ts';
export { irToOnnx } from './onnx/ir-to-onnx.ts';
export { openSession, runLogits, type Device, type OpenedSession } from './runtime/session.ts';
export { greedyDecode, type GreedyResult } from './runtime/greedy.ts';
export { incrementalDecode } from './runtime/incremental.ts';
export { promptFor, readAnswer, expectedAnswer, type Operands } from './runtime/task.ts';
export type { Task, Domain, TaskReadout } from './runtime/tasks/task.ts';
export { taskOf } from './runtime/tasks/model-task.ts';
export { stringTaskOf } from './runtime/tasks/strings.ts';
export { digitTaskOf, type DigitTask, type DigitCaseOptions } from './runtime/tasks/digits.ts';
export { datasetTaskOf, type DatasetCase } from './runtime/tasks/dataset.ts';
export { openTaskRunner, judge, type CaseAnswer, type TaskRunner } from './runtime/tasks/runner.ts';
export { protocolCaseSet, taskRandomCaseSet, exhaustiveCaseSet, carryChainCaseSet, type CaseSet } from './runtime/tasks/protocol.ts';
export { runCases, type Decoder } from './verify/run.ts';
export { buildReport, type VerifyReport } from './verify/report.ts';
export { verify, verifyOptionsProblem, type Verification, type VerifyOptions } from './verify/verify.ts';
export { verifyModel, verifyTask, VerifyError, type ModelVerification, type VerifyModelOptions } from './verify/verify-model.ts';
export { digitCaseSet, verifyDigits, type DigitVerification } from './verify/verify-digits.ts';
export { proveByEnumeration, type EnumerationProof } from './prove/search/enumerate.ts';
export { prove, proofProblem, proofSpecFor, type ProofResult, type ProofStatus } from './prove/prove.ts';
export { irToNumpy } from './python/ir-to-numpy.ts';
