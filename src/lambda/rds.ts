/*
 * The rds strategy of rebuildReplica, imported on its first use: most fleets never take it, and
 * the RDS SDK is a tenth of that function's bundle, parsed at every cold start otherwise.
 */
export { rebuildRdsReplica } from '../runbooks/rds';
export { RdsRebuildTimeout } from '../runbooks/errors';
