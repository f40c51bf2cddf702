/** Analytics consumer: order events → CloudWatch metrics (EMF) OrdersPlaced, OrderRevenueCents, OrdersShipped. */
import { streamConsumerHandler } from '../shared/stream-consumer';
import { createTelemetry } from '../shared/telemetry';
import { ANALYTICS_EVENTS, metricsFor } from './analytics';

export const handler = streamConsumerHandler(
  {
    handles: ANALYTICS_EVENTS,
    onEvent: async (event, { counters }) => {
      for (const point of metricsFor(event)) counters.add(point.name, point.value, point.dimensions, point.unit);
    },
  },
  createTelemetry(),
);
