// The service's metrics carry one prefix, and what alerts.yml and the dashboard query is what /metrics serves.
import t from 'tap';
import { buildTestApp } from '../helpers/app.js';
import { alertExpressions, dashboardQueries, metricNames } from '../helpers/prometheus-files.js';

t.test('every metric of the service is named beacon_*; process ones are prom-client\'s', async (t) => {
  const h = await buildTestApp(t);
  const text = (await h.app.inject('/metrics')).body;
  const families = [...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1] as string);
  const ours = families.filter((n) => !/^(process|nodejs)_/.test(n));
  t.ok(ours.length >= 15, `${ours.length} service metrics`);
  t.same(ours.filter((n) => !n.startsWith('beacon_')), [], 'no service metric without the prefix');
});

t.test('every metric alerts.yml and the Grafana dashboard read is served by /metrics', async (t) => {
  const h = await buildTestApp(t);
  const text = (await h.app.inject('/metrics')).body;
  const families = new Set([...text.matchAll(/^# TYPE (\S+) (\w+)/gm)].flatMap((m) => {
    const name = m[1] as string;
    return m[2] === 'histogram' ? [name, `${name}_bucket`, `${name}_sum`, `${name}_count`] : [name];
  }));
  for (const [source, exprs] of [['alerts.yml', alertExpressions()], ['dashboard', dashboardQueries()]] as const) {
    const names = [...new Set(exprs.flatMap(metricNames))];
    t.ok(names.length > 5, `${source}: ${names.length} metrics read`);
    t.same(names.filter((n) => !families.has(n)), [], `${source}: every one served`);
  }
});
