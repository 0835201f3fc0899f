export * from './schema.ts';
export { parseScenario, loadScenarioFile, loadScenarios, findYamlFiles, type ScenarioError, type ScenarioParse } from './loader.ts';
export { selectScenarios, parseTagExpression, matchesTags, SelectionError, type ScenarioFilter, type Selectable, type TagExpression } from './selection.ts';
export { parseDuration, parseSignedDuration, formatDuration, DURATION_EXAMPLES } from './duration.ts';
export { parseQuantity, formatQuantity, convert, compareQuantities, addQuantities, dimensionOf, isQuantity, UNITS, type Dimension } from './quantity.ts';
export { parseExpr, evaluate, variablesOf, formatValue, formatExpr, describeValue, ExpressionError, type Variables } from './expression.ts';
export { compareValues, COMPARE_OPS, type ComparisonResult } from './compare.ts';
export { SERVICE_REQUESTS, SRV_OUTCOMES, checkParam, resolveParams, ParamError, type ServiceRequestSpec, type ParamSpec, type ParamKind } from './service-requests.ts';
export { resolveAlertCode, formatAlertCode, alertSlug } from './alerts.ts';
export { describeStep } from './describe.ts';
export { ROLE_TITLES, PAYMENT_MODES } from './roles.ts';
export { formatSourceError, type SourceError, type SourceLocation } from './yaml-source.ts';
export {
  parseRig,
  loadRigFile,
  mqttPassword,
  DEFAULT_RIG_PATH,
  type Rig,
  type RoleBinding,
  type BusSpec,
  type ClockKind,
  type MqttEndpoint,
  type SerialEndpoint,
  type RigParse,
} from './rig.ts';
export { parseMatrix, loadMatrixFile, selectSets, type ConfigurationMatrix, type ConfigurationSet, type DeviceIdentity, type MatrixParse } from './matrix.ts';
export {
  parseExitCriteria,
  evaluateExitCriteria,
  ExitCriteriaError,
  DEFAULT_EXIT_CRITERIA,
  EXIT_METRICS,
  type Criterion,
  type CriterionVerdict,
  type ExitVerdict,
  type ExitCriteriaInput,
  type ExitMetric,
} from './exit-criteria.ts';
