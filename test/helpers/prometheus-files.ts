// The shipped Prometheus and Grafana files (deploy/), read the way the tests need them.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

export interface DashboardPanel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  targets?: { expr: string; refId: string }[];
}

export interface Dashboard {
  uid: string;
  title: string;
  templating: { list: { name: string }[] };
  panels: DashboardPanel[];
}

export function dashboard(): Dashboard {
  return JSON.parse(readFileSync(new URL('../../deploy/grafana/beacon-ingest.json', import.meta.url), 'utf8')) as Dashboard;
}

/** Every query of the dashboard, with Grafana's variables as Prometheus would see them. */
export function dashboardQueries(): string[] {
  return dashboard().panels.flatMap((p) => (p.targets ?? []).map((q) => q.expr.replaceAll('$__rate_interval', '5m').replaceAll('$instance', '.*')));
}

/** Every alert expression of deploy/prometheus/alerts.yml. */
export function alertExpressions(): string[] {
  const rules = parse(readFileSync(new URL('../../deploy/prometheus/alerts.yml', import.meta.url), 'utf8')) as { groups: { rules: { expr: string }[] }[] };
  return rules.groups.flatMap((g) => g.rules.map((r) => r.expr));
}

/** The metric names a PromQL expression reads (ours and prom-client's process ones). */
export function metricNames(expr: string): string[] {
  return [...expr.matchAll(/\b(?:beacon|nodejs|process)_[a-z0-9_]+/g)].map((m) => m[0]);
}
