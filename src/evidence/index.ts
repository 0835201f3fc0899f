export type {
  EventTime,
  EventScope,
  RunEvent,
  RunEventType,
  RunStartEvent,
  RunEndEvent,
  ScenarioStartEvent,
  ScenarioEndEvent,
  StepStartEvent,
  StepEndEvent,
  FrameEvent,
  FrameDirection,
  LogEvent,
  LogLevel,
} from './events.ts';
export { eventTime } from './events.ts';
export { OUTCOMES, combineOutcomes, countOutcomes, outcomeOverAttempts, type Outcome, type OutcomeCounts } from './outcome.ts';
export { EventStream, type Reporter } from './reporter.ts';
export { canonicalJson } from './canonical-json.ts';
export { GENESIS_HASH, recordHash, type EvidenceRecord } from './hash-chain.ts';
export { JsonlEvidenceWriter, type JsonlEvidenceWriterOptions } from './jsonl-writer.ts';
export { verifyEvidenceChain, type ChainVerdict } from './verify-chain.ts';
export { ResultsCollector, CRITICAL_TAG, type RunResults, type SetResult, type ScenarioResult, type StepResult } from './results.ts';
export { JunitReporter, renderJunit } from './junit.ts';
export { ConsoleReporter, type ConsoleReporterOptions } from './console-reporter.ts';
export { formatSummaryTable } from './summary-table.ts';
export { escapeXmlText, escapeXmlAttribute } from './xml.ts';
