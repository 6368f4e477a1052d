import fp from 'fastify-plugin';
import { RetentionJob } from '../maintenance/retention.js';

/** RETENTION_DAYS: the daily deletion job, when set. Stopped before the sink closes. */
export default fp(
  async (app) => {
    const days = app.config.retentionDays;
    if (days === null) return;
    const job = new RetentionJob({
      repo: app.sink,
      days,
      clock: app.config.clock,
      onError: (err) => app.log.error({ err }, 'retention: deleting old rows failed; next try in 24 hours'),
      onDone: (deleted) => app.log.info({ ...deleted, days }, 'retention: old rows deleted'),
    });
    app.addHook('onReady', async () => job.start());
    app.addHook('onClose', async () => job.stop());
  },
  { name: 'retention', dependencies: ['config', 'sink'] },
);
