// `npm start -- --persist`: where the local cloud keeps its state on disk, and the positions the emulators do not
// hold themselves. The emulators keep queues and messages (fauxqs, SQLite), streams and records (kinesalite or
// kinesis-local), buckets and objects (fauxqs) and the idempotency table (dynalite, LevelDB) under
// <state dir>/state; what reads the stream keeps its place here too: each event source mapping's checkpoint per
// shard (Lambda keeps it on AWS) and the Firehose stand-in's last archived record per shard. Without them a restart
// would deliver the whole retained stream to every consumer again and archive it twice.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { LocalCloudError } from './assembly';

/** <state dir>/state */
export function persistDirOf(stateDir: string): string {
  return path.join(stateDir, 'state');
}

export interface SavedPositions {
  version: 1;
  savedAt: string;
  /** event source mapping logical id → shard id → last checkpointed sequence number */
  mappings: Record<string, Record<string, string>>;
  /** delivery stream name → shard id → last sequence number written to S3 */
  firehose: Record<string, Record<string, string>>;
}

const FILE = 'positions.json';

function positionsFile(persistDir: string): string {
  return path.join(persistDir, FILE);
}

/** The positions a previous run saved, or undefined (none yet, or unreadable: then the starting positions apply). */
export function loadPositions(persistDir: string): SavedPositions | undefined {
  try {
    const doc = JSON.parse(fs.readFileSync(positionsFile(persistDir), 'utf8')) as Partial<SavedPositions>;
    if (doc.version !== 1 || typeof doc.mappings !== 'object' || typeof doc.firehose !== 'object') return undefined;
    return { version: 1, savedAt: String(doc.savedAt ?? ''), mappings: clean(doc.mappings), firehose: clean(doc.firehose) };
  } catch {
    return undefined;
  }
}

function clean(x: unknown): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  if (!x || typeof x !== 'object') return out;
  for (const [k, v] of Object.entries(x as Record<string, unknown>)) {
    if (!v || typeof v !== 'object') continue;
    const shards: Record<string, string> = {};
    for (const [shard, seq] of Object.entries(v as Record<string, unknown>))
      if (typeof seq === 'string' && /^\d+$/.test(seq)) shards[shard] = seq;
    out[k] = shards;
  }
  return out;
}

/**
 * Merges what is known now over what was loaded (a mapping or shard with no progress this run keeps its old
 * position) and writes it atomically. Returns the merged positions.
 */
export function savePositions(
  persistDir: string,
  previous: SavedPositions | undefined,
  now: { mappings: Record<string, Record<string, string | undefined>>; firehose: Record<string, Record<string, string>> },
): SavedPositions {
  const merge = (
    old: Record<string, Record<string, string>> | undefined,
    cur: Record<string, Record<string, string | undefined>>,
  ): Record<string, Record<string, string>> => {
    const out: Record<string, Record<string, string>> = {};
    for (const [k, v] of Object.entries(old ?? {})) out[k] = { ...v };
    for (const [k, v] of Object.entries(cur)) {
      out[k] ??= {};
      const shards = out[k];
      for (const [shard, seq] of Object.entries(v)) if (seq !== undefined) shards[shard] = seq;
    }
    return out;
  };
  const doc: SavedPositions = {
    version: 1,
    savedAt: new Date().toISOString(),
    mappings: merge(previous?.mappings, now.mappings),
    firehose: merge(previous?.firehose, now.firehose),
  };
  fs.mkdirSync(persistDir, { recursive: true });
  const file = positionsFile(persistDir);
  fs.writeFileSync(`${file}.tmp`, `${JSON.stringify(doc, null, 2)}\n`);
  fs.renameSync(`${file}.tmp`, file);
  return doc;
}

/** Whether a persist directory holds state from an earlier run (any emulator's files). */
export function hasSavedState(persistDir: string): boolean {
  try {
    return fs.readdirSync(persistDir).length > 0;
  } catch {
    return false;
  }
}

/** fauxqs's dist directory: its persistence is wired only by startFauxqs(), which we cannot use (below). */
function fauxqsDist(): string {
  for (const dir of require.resolve.paths('fauxqs') ?? []) {
    const dist = path.join(dir, 'fauxqs', 'dist');
    if (fs.existsSync(path.join(dist, 'persistence.js'))) return dist;
  }
  throw new LocalCloudError('fauxqs is not installed (node_modules/fauxqs/dist/persistence.js not found): run npm install');
}

type FauxqsStores = NonNullable<import('fauxqs').BuildAppOptions['stores']>;

/**
 * fauxqs stores loaded from, and written through to, `<dataDir>/fauxqs.db` (SQLite through node:sqlite), wired
 * as fauxqs 2.x's own startFauxqs({ dataDir }) wires them: state loaded first, then persistence attached.
 */
export async function persistentFauxqsStores(dataDir: string): Promise<{ stores: FauxqsStores; close(): void }> {
  const dist = fauxqsDist();
  const load = (rel: string): Promise<Record<string, unknown>> =>
    import(pathToFileURL(path.join(dist, rel)).href) as Promise<Record<string, unknown>>;
  type Persistent = { persistence?: unknown };
  const [{ SqsStore }, { SnsStore }, { S3Store }, { PersistenceManager }] = (await Promise.all([
    load('sqs/sqsStore.js'),
    load('sns/snsStore.js'),
    load('s3/s3Store.js'),
    load('persistence.js'),
  ])) as unknown as [
    { SqsStore: new () => Persistent & { allQueues(): Iterable<Persistent> } },
    { SnsStore: new () => Persistent },
    { S3Store: new () => Persistent },
    { PersistenceManager: new (dir: string) => { load(sqs: unknown, sns: unknown, s3: unknown): void; close(): void } },
  ];
  const sqsStore = new SqsStore();
  const snsStore = new SnsStore();
  const s3Store = new S3Store();
  const pm = new PersistenceManager(dataDir);
  pm.load(sqsStore, snsStore, s3Store);
  sqsStore.persistence = pm;
  snsStore.persistence = pm;
  s3Store.persistence = pm;
  for (const q of sqsStore.allQueues()) q.persistence = pm;
  return { stores: { sqsStore, snsStore, s3Store } as unknown as FauxqsStores, close: () => pm.close() };
}
