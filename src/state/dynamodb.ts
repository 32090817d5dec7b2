import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { AlertState, AlertWrite } from '../alerting/alert';
import type { Silence } from '../alerting/silence';
import { alertStateSchema, StateStoreError, stateProblem, storedSilenceSchema } from './schema';
import { lockTakeable, takenLock, type Lock, type StateSnapshot, type StateStore } from './store';

const TIMEOUT_MS = 3000;
const DAY_S = 86_400;

/**
 * Lambda's state: one DynamoDB table (pk string), items `alert#<key>` with a `version` that
 * conditional writes check, `silence#<id>` that expire through TTL a day after they end, and
 * `lock#<name>`. A lock's lease end is `leaseUntil` (ms), not the TTL attribute `expiresAt`: a
 * dead rebuild's lock holds its checkpoint until someone resumes or restarts it, however long.
 * An item that is not what replwatch writes (a hand edit in the console) is left in the table and
 * skipped, and `warn` names it once per container; the others are used as usual.
 */
export class DynamoStore implements StateStore {
  private readonly doc: Pick<DynamoDBDocumentClient, 'send'>;
  private readonly warned = new Set<string>();
  /** The top-level version of each alert item skipped as invalid: a new alert of that key replaces it. */
  private readonly invalidVersions = new Map<string, number>();

  constructor(
    client: DynamoDBClient,
    private readonly table: string,
    private readonly warn: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
  ) {
    const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
    // Every call: DynamoDB refusing it or not answering is one line naming the table (a failed
    // condition is an answer, and stays what callers test for).
    const send = async (command: never, options: never) => {
      try {
        return await doc.send(command, options);
      } catch (e) {
        if ((e as Error).name === 'ConditionalCheckFailedException') throw e;
        throw new StateStoreError(`DynamoDB table ${table}: ${(e as Error).name}: ${(e as Error).message}`);
      }
    };
    this.doc = { send } as Pick<DynamoDBDocumentClient, 'send'>;
  }

  /** `value` (the item's `field`) when it is valid; else undefined, said once per item. */
  private valid<T>(item: Record<string, unknown>, field: 'state' | 'silence', schema: typeof alertStateSchema | typeof storedSilenceSchema): T | undefined {
    const value = item[field];
    const problem =
      stateProblem(schema, value, [field]) ??
      (field === 'state' && (value as { key?: unknown }).key !== item.key ? "state.key: not the item's key" : undefined);
    if (!problem) return value as T;
    const pk = String(item.pk);
    if (field === 'state' && typeof item.version === 'number') this.invalidVersions.set(pk, item.version);
    if (!this.warned.has(pk)) {
      this.warned.add(pk);
      const shown = JSON.stringify(item);
      this.warn(
        `replwatch: DynamoDB table ${this.table}: item ${pk} is not a valid ${field === 'state' ? 'alert' : 'silence'} (${problem}): skipped${field === 'state' ? ' until a new alert of its key replaces it' : ''}; it held ${shown.length > 2000 ? `${shown.slice(0, 2000)}...` : shown}`,
      );
    }
    return undefined;
  }

  private opts() {
    return { abortSignal: AbortSignal.timeout(TIMEOUT_MS) };
  }

  /** The items of `kind`, or of every kind (one Scan for all a sample reads). */
  private async scan(kind?: 'alert' | 'silence' | 'lock'): Promise<Array<Record<string, unknown>>> {
    const items: Array<Record<string, unknown>> = [];
    let start: Record<string, unknown> | undefined;
    const filter = kind ? { FilterExpression: 'kind = :k', ExpressionAttributeValues: { ':k': kind } } : {};
    do {
      const out = await this.doc.send(new ScanCommand({ TableName: this.table, ...filter, ExclusiveStartKey: start, ConsistentRead: true }), this.opts());
      items.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
    } while (start);
    return items;
  }

  async loadAlerts(): Promise<Map<string, AlertState>> {
    return this.alertsOf(await this.scan('alert'));
  }

  private alertsOf(items: Array<Record<string, unknown>>): Map<string, AlertState> {
    return new Map(
      items.flatMap((i) => {
        const state = this.valid<AlertState>(i, 'state', alertStateSchema);
        return state ? [[state.key, state] as const] : [];
      }),
    );
  }

  async snapshot(lockPrefix?: string): Promise<StateSnapshot> {
    const items = await this.scan();
    const of = (kind: string) => items.filter((i) => i.kind === kind);
    return {
      alerts: this.alertsOf(of('alert')),
      silences: this.silencesOf(of('silence')),
      locks: lockPrefix === undefined ? [] : locksUnder(of('lock'), lockPrefix),
    };
  }

  async loadAlert(key: string): Promise<AlertState | undefined> {
    const out = await this.doc.send(new GetCommand({ TableName: this.table, Key: { pk: `alert#${key}` }, ConsistentRead: true }), this.opts());
    return out.Item && this.valid<AlertState>(out.Item, 'state', alertStateSchema);
  }

  async write(w: Pick<AlertWrite, 'key' | 'alert' | 'expectedVersion'>): Promise<boolean> {
    const pk = `alert#${w.key}`;
    // An item skipped as invalid is what a new alert of its key replaces (else none ever could).
    const expected = w.expectedVersion ?? this.invalidVersions.get(pk) ?? null;
    const condition =
      expected === null
        ? { ConditionExpression: 'attribute_not_exists(pk)' }
        : { ConditionExpression: 'version = :expected', ExpressionAttributeValues: { ':expected': expected } };
    try {
      if (w.alert) {
        await this.doc.send(
          new PutCommand({ TableName: this.table, Item: { pk, kind: 'alert', key: w.key, version: w.alert.version, state: w.alert }, ...condition }),
          this.opts(),
        );
      } else {
        await this.doc.send(new DeleteCommand({ TableName: this.table, Key: { pk }, ...condition }), this.opts());
      }
      this.invalidVersions.delete(pk);
      return true;
    } catch (e) {
      if (e instanceof ConditionalCheckFailedException || (e as Error).name === 'ConditionalCheckFailedException') return false;
      throw e;
    }
  }

  async listSilences(): Promise<Silence[]> {
    return this.silencesOf(await this.scan('silence'));
  }

  private silencesOf(items: Array<Record<string, unknown>>): Silence[] {
    return items.flatMap((i) => this.valid<Silence>(i, 'silence', storedSilenceSchema) ?? []);
  }

  async addSilence(s: Silence): Promise<void> {
    await this.doc.send(
      new PutCommand({
        TableName: this.table,
        Item: { pk: `silence#${s.id}`, kind: 'silence', silence: s, expiresAt: Math.floor(Date.parse(s.to) / 1000) + DAY_S },
      }),
      this.opts(),
    );
  }

  async removeSilence(id: string): Promise<boolean> {
    const out = await this.doc.send(new DeleteCommand({ TableName: this.table, Key: { pk: `silence#${id}` }, ReturnValues: 'ALL_OLD' }), this.opts());
    return out.Attributes !== undefined;
  }

  /** A conditional write on a lock item: true if it landed, false if its condition did not hold. */
  private async conditional(command: PutCommand | UpdateCommand | DeleteCommand): Promise<boolean> {
    try {
      await this.doc.send(command as PutCommand, this.opts());
      return true;
    } catch (e) {
      if ((e as Error).name === 'ConditionalCheckFailedException') return false;
      throw e;
    }
  }

  async acquireLock(name: string, owner: string, expiresAt: Date, now: Date, o: { keepCheckpoint?: boolean } = {}): Promise<Lock | undefined> {
    const out = await this.doc.send(new GetCommand({ TableName: this.table, Key: { pk: `lock#${name}` }, ConsistentRead: true }), this.opts());
    const held = out.Item ? lockOf(out.Item) : undefined;
    if (!lockTakeable(held, now)) return undefined;
    const taken = takenLock(held, owner, expiresAt, now, o.keepCheckpoint);
    // Taken only if the lock is still the one judged takeable: its version unchanged.
    const version = Number(out.Item?.version ?? 0);
    const put = new PutCommand({
      TableName: this.table,
      Item: { pk: `lock#${name}`, kind: 'lock', name, ...itemOf(taken), version: version + 1 },
      ...(out.Item
        ? {
            ConditionExpression: out.Item.version === undefined ? 'attribute_not_exists(version)' : 'version = :v',
            ...(out.Item.version === undefined ? {} : { ExpressionAttributeValues: { ':v': version } }),
          }
        : { ConditionExpression: 'attribute_not_exists(pk)' }),
    });
    return (await this.conditional(put)) ? taken : undefined;
  }

  /** SET `fields` on a lock `owner` holds; with `now`, only while its lease is live and not handed over. */
  private update(name: string, owner: string, fields: Record<string, unknown>, now?: Date): UpdateCommand {
    const names = Object.keys(fields);
    return new UpdateCommand({
      TableName: this.table,
      Key: { pk: `lock#${name}` },
      UpdateExpression: `SET ${names.map((_, i) => `#f${i} = :f${i}`).join(', ')}, version = if_not_exists(version, :zero) + :one`,
      ConditionExpression: now ? '#o = :owner AND leaseUntil > :now AND (attribute_not_exists(handover) OR handover = :false)' : '#o = :owner',
      ExpressionAttributeNames: { '#o': 'owner', ...Object.fromEntries(names.map((n, i) => [`#f${i}`, n])) },
      ExpressionAttributeValues: {
        ':owner': owner,
        ':zero': 0,
        ':one': 1,
        ...Object.fromEntries(names.map((n, i) => [`:f${i}`, fields[n]])),
        ...(now ? { ':now': now.getTime(), ':false': false } : {}),
      },
    });
  }

  renewLock(name: string, owner: string, expiresAt: Date, now: Date): Promise<boolean> {
    return this.conditional(this.update(name, owner, { leaseUntil: expiresAt.getTime(), renewedAt: now.toISOString() }, now));
  }

  updateLock(name: string, owner: string, checkpoint: unknown, now: Date): Promise<boolean> {
    return this.conditional(this.update(name, owner, { checkpoint }, now));
  }

  parkLock(name: string, owner: string, expiresAt: Date, handover: boolean): Promise<boolean> {
    return this.conditional(this.update(name, owner, { leaseUntil: expiresAt.getTime(), handover }));
  }

  async releaseLock(name: string, owner: string): Promise<void> {
    // Someone else's lock (or none): nothing of ours to release.
    await this.conditional(
      new DeleteCommand({
        TableName: this.table,
        Key: { pk: `lock#${name}` },
        ConditionExpression: '#o = :owner',
        ExpressionAttributeNames: { '#o': 'owner' },
        ExpressionAttributeValues: { ':owner': owner },
      }),
    );
  }

  async readLock(name: string): Promise<Lock | undefined> {
    const out = await this.doc.send(new GetCommand({ TableName: this.table, Key: { pk: `lock#${name}` }, ConsistentRead: true }), this.opts());
    return out.Item ? lockOf(out.Item) : undefined;
  }

  async listLocks(prefix: string): Promise<Array<{ name: string; lock: Lock }>> {
    return locksUnder(await this.scan('lock'), prefix);
  }
}

const locksUnder = (items: Array<Record<string, unknown>>, prefix: string) =>
  items.map((i) => ({ name: String(i.pk).slice('lock#'.length), lock: lockOf(i) })).filter((l) => l.name.startsWith(prefix));

/** A lock item's attributes. */
function itemOf(l: Lock): Record<string, unknown> {
  return {
    owner: l.owner,
    leaseUntil: Date.parse(l.expiresAt),
    startedAt: l.startedAt,
    renewedAt: l.renewedAt,
    handover: l.handover,
    checkpoint: l.checkpoint,
  };
}

/** A lock item as a Lock; one written before leases (its end in the TTL attribute, in seconds) still reads. */
function lockOf(i: Record<string, unknown>): Lock {
  const until = i.leaseUntil !== undefined ? Number(i.leaseUntil) : Number(i.expiresAt) * 1000;
  return {
    owner: String(i.owner),
    expiresAt: new Date(until).toISOString(),
    ...(typeof i.startedAt === 'string' ? { startedAt: i.startedAt } : {}),
    ...(typeof i.renewedAt === 'string' ? { renewedAt: i.renewedAt } : {}),
    ...(i.handover === true ? { handover: true } : {}),
    ...(i.checkpoint === undefined ? {} : { checkpoint: i.checkpoint }),
  };
}
