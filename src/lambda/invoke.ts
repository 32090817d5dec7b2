import { InvokeCommand } from '@aws-sdk/client-lambda';
import { lambda } from '../aws/clients';

/**
 * Starts a run of another function (or this one) without waiting for it: InvocationType Event,
 * so Lambda queues the payload, answers 202, and the run has its own timeout and concurrency.
 */
export async function invokeAsync(functionName: string, payload: unknown): Promise<void> {
  await lambda().send(new InvokeCommand({ FunctionName: functionName, InvocationType: 'Event', Payload: new TextEncoder().encode(JSON.stringify(payload)) }), {
    abortSignal: AbortSignal.timeout(5000),
  });
}
