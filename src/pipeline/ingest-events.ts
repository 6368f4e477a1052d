export const REJECT_REASONS = [
  'invalid_json', 'invalid_schema', 'invalid_url', 'unsupported_type', 'too_large', 'origin', 'bot', 'dnt',
  'excluded_ip', 'rate_limited', 'overflow', 'error',
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

/** What the collector reports; the metrics plugin turns it into counters and log lines. */
export interface IngestEvents {
  received(count: number): void;
  accepted(count: number): void;
  rejected(reason: RejectReason, count: number, detail: string): void;
  fieldDropped(field: string): void;
}
