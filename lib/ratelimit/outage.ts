import type { ErrorLogger } from '../middleware/errors';

/**
 * Logs a store outage once when it starts and once when it ends, however many requests hit it in
 * between, so an outage is visible without flooding the log.
 */
export class OutageLog {
  private down = false;

  constructor(
    private readonly logger: ErrorLogger,
    private readonly what: string,
  ) {}

  failed(error: unknown, policy: string): void {
    if (this.down) return;
    this.down = true;
    this.logger.error(`${this.what}: the store failed, ${policy} until it answers again`, error);
  }

  succeeded(): void {
    if (!this.down) return;
    this.down = false;
    this.logger.error(`${this.what}: the store answers again`);
  }
}
