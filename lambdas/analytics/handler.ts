/** Analytics consumer: order events → CloudWatch metrics (EMF) OrdersPlaced, OrderRevenueCents, OrdersShipped. */
import { streamConsumerHandler } from '../shared/stream-consumer';
import { metricsFor } from './analytics';

export const handler = streamConsumerHandler('analytics', {
  onEvent: (event, { counters }) => {
    for (const point of metricsFor(event)) counters.add(point.name, point.value, point.dimensions, point.unit);
  },
});
