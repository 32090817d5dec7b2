import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';

type Item = Record<string, unknown>;

function conditionHolds(existing: Item | undefined, input: { ConditionExpression?: string; ExpressionAttributeValues?: Record<string, unknown> }): boolean {
  const c = input.ConditionExpression;
  if (!c) return true;
  if (c === 'attribute_not_exists(pk)') return existing === undefined;
  const v = input.ExpressionAttributeValues ?? {};
  if (c === 'version = :expected') return existing !== undefined && existing.version === v[':expected'];
  if (c === '#o = :owner') return existing !== undefined && existing.owner === v[':owner'];
  if (c === 'attribute_not_exists(pk) OR #o = :owner OR expiresAt <= :now') {
    return existing === undefined || existing.owner === v[':owner'] || Number(existing.expiresAt) <= Number(v[':now']);
  }
  throw new Error(`fake DynamoDB does not know the condition ${c}`);
}

/**
 * AWS is the one thing replaced in tests: a DynamoDB table in memory behind aws-sdk-client-mock,
 * with the Scan, Put and Delete semantics (conditions included) that DynamoStore relies on.
 */
export function fakeDynamoTable() {
  const items = new Map<string, Item>();
  const mock = mockClient(DynamoDBDocumentClient);
  const failCondition = () => new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
  mock.on(ScanCommand).callsFake((input: { FilterExpression?: string; ExpressionAttributeValues?: Record<string, unknown> }) => ({
    Items: [...items.values()].filter((i) => !input.FilterExpression || i.kind === input.ExpressionAttributeValues?.[':k']).map((i) => structuredClone(i)),
  }));
  mock.on(PutCommand).callsFake((input: { Item: Item; ConditionExpression?: string; ExpressionAttributeValues?: Record<string, unknown> }) => {
    const pk = String(input.Item.pk);
    if (!conditionHolds(items.get(pk), input)) throw failCondition();
    items.set(pk, structuredClone(input.Item));
    return {};
  });
  mock.on(DeleteCommand).callsFake((input: { Key: { pk: string }; ConditionExpression?: string; ExpressionAttributeValues?: Record<string, unknown>; ReturnValues?: string }) => {
    const old = items.get(input.Key.pk);
    if (!conditionHolds(old, input)) throw failCondition();
    items.delete(input.Key.pk);
    return input.ReturnValues === 'ALL_OLD' && old ? { Attributes: old } : {};
  });
  mock.on(GetCommand).callsFake((input: { Key: { pk: string } }) => {
    const item = items.get(input.Key.pk);
    return item ? { Item: structuredClone(item) } : {};
  });
  mock.on(UpdateCommand).callsFake((input: { Key: { pk: string }; UpdateExpression: string; ConditionExpression?: string; ExpressionAttributeValues?: Record<string, unknown> }) => {
    const existing = items.get(input.Key.pk);
    if (!conditionHolds(existing, input)) throw failCondition();
    if (input.UpdateExpression !== 'SET checkpoint = :c') throw new Error(`fake DynamoDB does not know the update ${input.UpdateExpression}`);
    items.set(input.Key.pk, { ...existing, checkpoint: structuredClone(input.ExpressionAttributeValues?.[':c']) });
    return {};
  });
  return { items, mock };
}
