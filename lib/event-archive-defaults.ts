import { AppendDelimiterToRecordProcessor, Compression, type IDataProcessor } from 'aws-cdk-lib/aws-kinesisfirehose';
import type { Documented } from './documented';

const DATE_PARTITIONS = 'year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/hour=!{timestamp:HH}/';

export const EVENT_ARCHIVE_DEFAULTS = {
  dataOutputPrefix: {
    value: `events/${DATE_PARTITIONS}`,
    why: 'Hive-style UTC date partitions: a replay or query reads only the hours it needs',
  },
  errorOutputPrefix: {
    value: `errors/!{firehose:error-output-type}/${DATE_PARTITIONS}`,
    why: 'records Firehose could not deliver are kept apart, by failure type, never mixed into the archive',
  },
  compression: {
    value: Compression.GZIP,
    show: (compression: Compression) => compression.value,
    why: 'JSON events compress ~10×; GZIP is readable by every tool (zcat, Athena, the replay tool)',
  },
  recordDelimiter: {
    value: new AppendDelimiterToRecordProcessor() as IDataProcessor,
    show: (processor: IDataProcessor) => `newline (${processor.constructor.name.replace(/Processor$/, '')} processor)`,
    why: 'one envelope per line (NDJSON): objects can be streamed and split without a JSON parser',
  },
} as const satisfies Record<string, Documented<unknown>>;
