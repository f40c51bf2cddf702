import { expect, it } from 'vitest';
import { defaultStage } from './app-fixture';

/** Asset hashes change with every handler edit and toolchain; the rest of the template must not change silently. */
function normalised(template: unknown): unknown {
  return JSON.parse(JSON.stringify(template).replace(/[0-9a-f]{64}/g, '<ASSET_HASH>'));
}

it('the dev templates change only on purpose (asset hashes normalised)', () => {
  const dev = defaultStage('dev');
  expect(normalised(dev.statefulTemplate.toJSON())).toMatchSnapshot('QueueAndStream-Dev-Stateful');
  expect(normalised(dev.computeTemplate.toJSON())).toMatchSnapshot('QueueAndStream-Dev-Compute');
});
