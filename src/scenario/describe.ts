import { formatAlertCode } from './alerts.ts';
import { formatDuration } from './duration.ts';
import { formatExpr } from './expression.ts';
import { SERVICE_REQUESTS } from './service-requests.ts';
import type { Check, HanAction, StepDraft } from './types.ts';

function srvTitle(code: string): string {
  const spec = SERVICE_REQUESTS.get(code);
  return spec === undefined ? code : `${code} ${spec.title}`;
}

function describeCheck(field: string, check: Check): string {
  const since = check.since === undefined ? '' : ` since ${formatExpr(check.since)}`;
  return `${field} ${check.op} ${formatExpr(check.value)}${since}`;
}

function describeHan(han: HanAction): string {
  if (han.action === 'fault') {
    const fault = han.fault;
    const detail =
      fault.kind === 'clock-drift'
        ? `${fault.drift >= 0 ? '+' : ''}${formatDuration(fault.drift)}`
        : `${fault.direction}${fault.rate < 1 ? ` ${Math.round(fault.rate * 1000) / 10}%` : ''}${fault.kind === 'delay' ? ` by ${formatDuration(fault.delay)}` : ''}`;
    return `fault ${fault.kind} on ${han.device} (${detail})`;
  }
  if (han.action === 'enter-utrn') return `enter UTRN ${formatExpr(han.utrn)} on ${han.device}`;
  if (han.action === 'fault-clear') return `clear ${han.kind ?? 'all'} faults on ${han.device}`;
  return `${han.action} ${han.device}`;
}

/** A one-line account of what a step does, used as its name when the file gives none. */
export function describeStep(step: StepDraft): string {
  switch (step.kind) {
    case 'srv':
      return `${srvTitle(step.srv)} → ${step.to}${step.expect === 'success' ? '' : `, expecting ${step.expect}`}`;
    case 'han':
      return describeHan(step.han);
    case 'wait':
      return `wait ${formatDuration(step.duration)}`;
    case 'expect-alert':
      return `alert ${formatAlertCode(step.alert)} from ${step.from}${step.within === undefined ? '' : ` within ${formatDuration(step.within)}`}`;
    case 'expect-state':
      return `${step.device} ${describeCheck(step.field, step.check)}${step.within === undefined ? '' : ` within ${formatDuration(step.within)}`}`;
    case 'expect-read':
      return `${srvTitle(step.srv)} → ${step.to}: ${describeCheck(step.field, step.check)}`;
    case 'make-utrn':
      return `make UTRN for ${step.for}: ${formatExpr(step.amount)}`;
  }
}
