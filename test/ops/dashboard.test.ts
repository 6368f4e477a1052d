// deploy/grafana/beacon-ingest.json: importable as it is, and every query is valid PromQL.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { stringify } from 'yaml';
import { dashboard, dashboardQueries } from '../helpers/prometheus-files.js';
import { PROMTOOL_MISSING, promtool } from '../helpers/promtool.js';

const board = dashboard();

t.test('the dashboard has a data source and instance variable, unique panel ids, and a query on every panel', async (t) => {
  t.equal(board.uid, 'beacon-ingest');
  t.same(board.templating.list.map((v) => v.name), ['datasource', 'instance']);
  const ids = board.panels.map((p) => p.id);
  t.equal(new Set(ids).size, ids.length, 'unique ids');
  for (const p of board.panels.filter((p) => p.type !== 'row')) {
    t.ok((p.targets ?? []).length > 0, `${p.title}: has a query`);
    t.ok(p.gridPos.x + p.gridPos.w <= 24, `${p.title}: fits the 24-column grid`);
  }
});

t.test('every dashboard query parses (promtool check rules on them as recording rules)', async (t) => {
  const rules = dashboardQueries().map((expr, i) => ({ record: `dashboard:query_${i}`, expr }));
  const file = join(mkdtempSync(join(tmpdir(), 'bi-dash-')), 'queries.yml');
  writeFileSync(file, stringify({ groups: [{ name: 'dashboard', rules }] }));
  const r = promtool(['check', 'rules', file]);
  if (r === null) return t.fail(PROMTOOL_MISSING);
  t.equal(r.status, 0, r.output);
  t.match(r.output, `SUCCESS: ${rules.length} rules found`);
});
