// The project's parts in a running local cloud, found by their roles: the job queue and its worker, the event
// stream and its consumers (with what each one's filter lets through), the archive and the failure bucket.
// The e2e and fault suites both count against these.
import type { LocalCloud } from '../../local/index';
import { compileKinesisFilter, deliveredThroughFilter } from '../../local/lambda/event-filter';
import type { TopologyRoles } from '../../local/project';
import type { LocalDeliveryStream, LocalFunction, LocalKinesisMapping, LocalSqsMapping } from '../../local/types';

export interface StreamConsumer {
  name: string;
  fn: LocalFunction;
  mapping: LocalKinesisMapping;
  /** The events its mapping delivers to it (its filter criteria, as the local pollers and Lambda apply them). */
  receives<T extends object>(events: readonly T[]): T[];
  /** Whether its mapping delivers a record with this raw data (data that is not JSON passes no filter). */
  receivesData(data: Buffer | string): boolean;
}

/** The roles the cloud identified (LocalCloud.roles), every one of them present, and what hangs off them. */
export interface ProjectParts extends Required<Pick<TopologyRoles, 'jobs' | 'jobsDlq' | 'events' | 'archive' | 'failures'>> {
  /** the Firehose stream that archives the event stream */
  archiveDelivery: LocalDeliveryStream;
  worker: LocalFunction;
  workerMapping: LocalSqsMapping;
  consumers: StreamConsumer[];
}

/** Finds the project's parts by role; throws naming the first one the synthesized app lacks. */
export function projectParts(cloud: Pick<LocalCloud, 'topology' | 'roles'>): ProjectParts {
  const { topology: t, roles } = cloud;
  const need = <T>(v: T | undefined, what: string): T => {
    if (v === undefined) throw new Error(`the synthesized app has no ${what}`);
    return v;
  };
  const fnOf = (id: string): LocalFunction =>
    need(
      t.functions.find((f) => f.logicalId === id),
      `function ${id}`,
    );
  const jobs = need(roles.jobs, 'job queue');
  const events = need(roles.events, 'event stream');
  const workerMapping = need(
    t.sqsMappings.find((m) => m.queue.arn === jobs.arn),
    'event source mapping on the job queue',
  );
  const consumers = t.kinesisMappings
    .filter((m) => m.stream.arn === events.arn)
    .map((mapping): StreamConsumer => {
      const fn = fnOf(mapping.functionLogicalId);
      const matches = compileKinesisFilter(mapping.filterCriteria);
      return {
        name: fn.name,
        fn,
        mapping,
        receives: (items) => deliveredThroughFilter(mapping.filterCriteria, items),
        receivesData: (data) => matches === undefined || matches(Buffer.from(data)),
      };
    });
  return {
    jobs,
    jobsDlq: need(roles.jobsDlq, 'dead-letter queue'),
    events,
    archive: need(roles.archive, 'archive bucket'),
    failures: need(roles.failures, 'failure bucket'),
    archiveDelivery: need(
      t.deliveryStreams.find((d) => d.sourceStream.arn === events.arn),
      'delivery stream (archive)',
    ),
    worker: fnOf(workerMapping.functionLogicalId),
    workerMapping,
    consumers,
  };
}
