// The contract every long-running part of the daemon follows (zigbee2mqtt's controller,
// fastify's onClose order): started in order by app/gateway.ts, stopped in reverse, each stop
// bounded by a deadline so one stuck part cannot hold the whole shutdown.

export interface Service {
  /** A short name for logs: `publisher`, `port livingroom`, `embedded broker`. */
  readonly name: string;
  /** Starts the service. `signal` aborts a start that is still under way (shutdown during start-up). */
  start(signal: AbortSignal): Promise<void>;
  /** Stops the service and releases everything it holds. Must be safe to call twice. */
  stop(): Promise<void>;
}
