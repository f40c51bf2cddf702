/** Business metrics an order event contributes: plain TypeScript, no AWS shapes. */
import type { HandledBy } from '../consumers';
import type { KnownEvent } from '../shared/envelope';

export interface MetricPoint {
  readonly name: 'OrdersPlaced' | 'OrderRevenueCents' | 'OrdersShipped';
  readonly value: number;
  readonly unit: 'Count' | 'None';
  readonly dimensions: Readonly<Record<string, string>>;
}

export function metricsFor(event: KnownEvent<HandledBy<'analytics'>>): MetricPoint[] {
  switch (event.type) {
    case 'OrderPlaced':
      return [
        { name: 'OrdersPlaced', value: 1, unit: 'Count', dimensions: {} },
        // Revenue is only summable within a currency, hence the dimension.
        { name: 'OrderRevenueCents', value: event.data.totalCents, unit: 'None', dimensions: { currency: event.data.currency } },
      ];
    case 'OrderShipped':
      return [{ name: 'OrdersShipped', value: 1, unit: 'Count', dimensions: {} }];
  }
}
