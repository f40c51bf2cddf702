/**
 * The adapters the job worker runs with: the one place a fork wires real ones (SES, S3 + sharp, a payment
 * provider) in place of fakes.ts. FAKE_PORTS says which ports are still fakes, and synth reads it
 * (lib/compute-stack.ts): a stage that does not allow fake side effects (prod, unless deployed with
 * `-c allowFakeSideEffects=true`) fails to synthesize while the list is not empty, so a prod deploy never
 * "sends" e-mails or "charges" cards that nobody receives or pays by accident.
 */
import { createFakePorts } from './fakes';
import type { Ports } from './ports';

/** Ports served by fakes.ts. Remove a port here in the same change that wires its real adapter below. */
export const FAKE_PORTS: readonly (keyof Ports)[] = ['email', 'images', 'payments'];

/** Called once per execution environment by the handler. */
export function createPorts(): Ports {
  return createFakePorts();
}
