/** Job worker: SQS batch → parse each job envelope → run it once per job id → partial batch response (queue-worker.ts). */
import { createIdempotency } from '../shared/idempotency';
import { queueWorkerHandler } from '../shared/queue-worker';
import { runJob } from './jobs';
import { PermanentJobError } from './ports';
import { createPorts } from './wiring';

const ports = createPorts(); // fakes until a fork wires real adapters in wiring.ts

export const handler = queueWorkerHandler(
  {
    run: (job) => runJob(job, ports),
    failureFields: (error) => ({ permanent: error instanceof PermanentJobError }),
  },
  { idempotency: createIdempotency() }, // throws at cold start if IDEMPOTENCY_* is not set
);
