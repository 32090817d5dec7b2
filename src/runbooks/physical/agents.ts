import { lambdaEnvironment } from '../../lambda/environment';
import type { ServerConfig } from '../../config/schema';
import { LocalAgent, type HostAgent } from './agent';
import { SsmAgent } from './ssm';

/**
 * The agent a server's config names, or why it has none the physical strategy can use. In a
 * Lambda, `local` would run the steps in the function, which is no database host.
 */
export function agentFor(s: ServerConfig, env: NodeJS.ProcessEnv = process.env): HostAgent | string {
  if (s.agent === 'local') {
    if (lambdaEnvironment.isLambda(env))
      return `${s.name}'s agent is local, which runs the steps where replwatch runs, and this is a Lambda: give it agent: { ssm: INSTANCE_ID }, or run the rebuild with the CLI on its host`;
    return new LocalAgent();
  }
  if (s.agent) return new SsmAgent(s.agent.ssm, s.agent.document, s.agent.streamPort);
  return `${s.name} has no agent (add agent: local, or agent: { ssm: INSTANCE_ID }, to its entry in the config)`;
}
