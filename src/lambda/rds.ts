import { RDSClient } from '@aws-sdk/client-rds';

/*
 * The rds strategy of rebuildReplica, imported on its first use: most fleets never take it, and
 * the RDS client is a tenth of that function's bundle, parsed at every cold start otherwise.
 */
export { rebuildRdsReplica, RdsRebuildTimeout } from '../runbooks/rds';

let rds: RDSClient | undefined;
export const rdsClient = (): RDSClient => (rds ??= new RDSClient({ maxAttempts: 3 }));
