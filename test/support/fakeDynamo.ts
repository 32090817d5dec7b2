import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';

type Item = Record<string, unknown>;
interface Expression {
  ConditionExpression?: string;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: Record<string, unknown>;
}

/** The tokens of a condition or update expression: names, #names, :values, operators, brackets. */
const tokens = (text: string) => text.match(/attribute_not_exists|if_not_exists|AND|OR|<=|>=|<>|[=<>(),+]|[#:]?\w+/g) ?? [];

/**
 * DynamoDB's condition expressions, as far as DynamoStore uses them: comparisons of an attribute
 * with a value, attribute_not_exists, AND, OR and brackets. An attribute that does not exist
 * compares false, as in DynamoDB.
 */
function conditionHolds(existing: Item | undefined, input: Expression): boolean {
  if (!input.ConditionExpression) return true;
  const t = tokens(input.ConditionExpression);
  let i = 0;
  const name = (tok: string) => (tok.startsWith('#') ? input.ExpressionAttributeNames![tok]! : tok);
  const operand = (tok: string) => (tok.startsWith(':') ? input.ExpressionAttributeValues![tok] : existing?.[name(tok)]);
  const primary = (): boolean => {
    const tok = t[i++]!;
    if (tok === '(') {
      const v = or();
      i++; // )
      return v;
    }
    if (tok === 'attribute_not_exists') {
      const attr = name(t[i + 1]!);
      i += 3;
      return existing === undefined || existing[attr] === undefined;
    }
    const op = t[i++]!;
    const [a, b] = [operand(tok), operand(t[i++]!)];
    if (a === undefined || b === undefined) return false;
    const cmp = {
      '=': a === b,
      '<>': a !== b,
      '<': Number(a) < Number(b),
      '<=': Number(a) <= Number(b),
      '>': Number(a) > Number(b),
      '>=': Number(a) >= Number(b),
    }[op];
    if (cmp === undefined) throw new Error(`fake DynamoDB does not know the operator ${op}`);
    return cmp;
  };
  const and = (): boolean => {
    let v = primary();
    while (t[i] === 'AND') {
      i++;
      v = primary() && v;
    }
    return v;
  };
  const or = (): boolean => {
    let v = and();
    while (t[i] === 'OR') {
      i++;
      v = and() || v;
    }
    return v;
  };
  const held = or();
  if (i !== t.length) throw new Error(`fake DynamoDB could not read the condition ${input.ConditionExpression}`);
  return held;
}

/** `SET a = :x, b = if_not_exists(b, :zero) + :one` on `item`. */
function applyUpdate(item: Item, update: string, input: Expression): Item {
  if (!update.startsWith('SET ')) throw new Error(`fake DynamoDB does not know the update ${update}`);
  const out = { ...item };
  const name = (tok: string) => (tok.startsWith('#') ? input.ExpressionAttributeNames![tok]! : tok);
  const value = (tok: string) => structuredClone(input.ExpressionAttributeValues![tok]);
  for (const assignment of update.slice(4).split(/,(?![^(]*\))/)) {
    const [target, expr] = assignment.split('=').map((s) => s.trim()) as [string, string];
    const t = tokens(expr);
    if (t[0] === 'if_not_exists') {
      // if_not_exists ( attr , :default ) + :increment
      const current = item[name(t[2]!)] ?? value(t[4]!);
      out[name(target)] = t[6] === '+' ? Number(current) + Number(value(t[7]!)) : current;
    } else out[name(target)] = value(t[0]!);
  }
  return out;
}

/**
 * AWS is the one thing replaced in tests: a DynamoDB table in memory behind aws-sdk-client-mock,
 * with the Scan, Put, Update and Delete semantics (conditions included) that DynamoStore relies on.
 */
export function fakeDynamoTable() {
  const items = new Map<string, Item>();
  const mock = mockClient(DynamoDBDocumentClient);
  const failCondition = () => new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
  mock.on(ScanCommand).callsFake((input: { FilterExpression?: string; ExpressionAttributeValues?: Record<string, unknown> }) => ({
    Items: [...items.values()].filter((i) => !input.FilterExpression || i.kind === input.ExpressionAttributeValues?.[':k']).map((i) => structuredClone(i)),
  }));
  mock.on(PutCommand).callsFake((input: Expression & { Item: Item }) => {
    const pk = String(input.Item.pk);
    if (!conditionHolds(items.get(pk), input)) throw failCondition();
    items.set(pk, structuredClone(input.Item));
    return {};
  });
  mock.on(DeleteCommand).callsFake((input: Expression & { Key: { pk: string }; ReturnValues?: string }) => {
    const old = items.get(input.Key.pk);
    if (!conditionHolds(old, input)) throw failCondition();
    items.delete(input.Key.pk);
    return input.ReturnValues === 'ALL_OLD' && old ? { Attributes: old } : {};
  });
  mock.on(GetCommand).callsFake((input: { Key: { pk: string } }) => {
    const item = items.get(input.Key.pk);
    return item ? { Item: structuredClone(item) } : {};
  });
  mock.on(UpdateCommand).callsFake((input: Expression & { Key: { pk: string }; UpdateExpression: string }) => {
    const existing = items.get(input.Key.pk);
    if (!conditionHolds(existing, input)) throw failCondition();
    items.set(input.Key.pk, applyUpdate(existing ?? { pk: input.Key.pk }, input.UpdateExpression, input));
    return {};
  });
  return { items, mock };
}
