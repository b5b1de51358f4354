/**
 * Remediation of an access review (issue 18): the `revoke` decisions of a worksheet become the
 * contract's Revoke calls, one per row, through any ConnectorClient (the in-process server or a
 * running one). Each row's outcome is appended to a results file as soon as it is known (and
 * flushed), so a rerun after a crash does only what is left: rows already `revoked` or
 * `already-absent` there are not sent again, and a Revoke of a grant that is gone is answered
 * GrantAlreadyRevoked by the connector anyway (idempotent by upstream state).
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import { status } from '@grpc/grpc-js';
import type { ConnectorClient } from '../client/connector-client';
import { Grant, GrantManagerServiceRevokeRequest } from '../gen/c1/connector/v2/grant';
import { typeName } from '../connector/annotations';
import { csvCell, parseCsv } from './csv';
import type { PlanStep } from './decisions';

export const RESULT_COLUMNS = ['row_id', 'principal_type', 'principal_id', 'access', 'decision', 'reviewer', 'result', 'detail', 'at'] as const;

export type RowResult = 'revoked' | 'already-absent' | 'done-earlier' | 'refused' | 'failed' | 'would-revoke' | 'kept';

export interface RemediationOutcome {
  rowId: string;
  result: RowResult;
  detail: string;
}

export interface RemediationSummary {
  outcomes: RemediationOutcome[];
  counts: Record<RowResult, number>;
}

const DONE: RowResult[] = ['revoked', 'already-absent'];

/** Rows the results file says are done (revoked, or found absent). */
export function doneRows(resultsFile: string): Set<string> {
  const done = new Set<string>();
  if (!existsSync(resultsFile)) return done;
  const rows = parseCsv(readFileSync(resultsFile, 'utf8'));
  const h = rows[0] ?? [];
  const id = h.indexOf('row_id');
  const res = h.indexOf('result');
  if (id < 0 || res < 0) return done;
  for (const r of rows.slice(1)) if (DONE.includes(r[res] as RowResult)) done.add(r[id]);
  return done;
}

function grpcDetail(e: unknown): string {
  const err = e as { code?: number; details?: string; message?: string };
  const code = err.code !== undefined ? (status[err.code] ?? `code ${err.code}`) : 'error';
  return `${code}: ${(err.details ?? err.message ?? String(e)).slice(0, 500)}`;
}

export interface RemediateOptions {
  /** where each row's outcome is appended (created with a header when missing) */
  resultsFile: string;
  /** print the plan, send nothing */
  dryRun: boolean;
  /** the connector to revoke through; not needed for a dry run */
  client?: ConnectorClient;
  now?: () => Date;
  onRow?: (o: RemediationOutcome) => void;
}

export async function remediate(plan: PlanStep[], o: RemediateOptions): Promise<RemediationSummary> {
  const now = o.now ?? (() => new Date());
  const counts: Record<RowResult, number> = { revoked: 0, 'already-absent': 0, 'done-earlier': 0, refused: 0, failed: 0, 'would-revoke': 0, kept: 0 };
  const outcomes: RemediationOutcome[] = [];
  const done = o.dryRun ? new Set<string>() : doneRows(o.resultsFile);
  let fd: number | undefined;
  if (!o.dryRun) {
    const fresh = !existsSync(o.resultsFile);
    fd = openSync(o.resultsFile, 'a');
    if (fresh) writeSync(fd, '\ufeff' + RESULT_COLUMNS.join(',') + '\r\n');
  }
  const record = (step: PlanStep, result: RowResult, detail: string) => {
    const out = { rowId: step.row.rowId, result, detail };
    outcomes.push(out);
    counts[result]++;
    o.onRow?.(out);
    if (fd !== undefined && result !== 'kept' && result !== 'done-earlier') {
      const r = step.row;
      writeSync(fd, [r.rowId, r.principalType, r.principalId, r.access, r.decision, r.reviewer, result, detail, now().toISOString()].map(csvCell).join(',') + '\r\n');
      fsyncSync(fd);
    }
  };
  try {
    for (const step of plan) {
      if (step.action === 'keep') {
        counts.kept++;
        continue;
      }
      if (step.action === 'refuse') {
        record(step, 'refused', step.reason);
        continue;
      }
      if (done.has(step.row.rowId)) {
        record(step, 'done-earlier', 'the results file records it as done');
        continue;
      }
      if (o.dryRun) {
        record(step, 'would-revoke', `Revoke ${step.row.rowId}`);
        continue;
      }
      if (!o.client) throw new Error('remediate: no connector to revoke through');
      try {
        const r = await o.client.grantManager.revoke(GrantManagerServiceRevokeRequest.fromPartial({ grant: Grant.decode(step.grantData) }));
        const already = r.annotations.some((a) => typeName(a) === 'c1.connector.v2.GrantAlreadyRevoked');
        record(step, already ? 'already-absent' : 'revoked', already ? 'the connector found it already gone' : 'revoked through the connector');
      } catch (e) {
        record(step, 'failed', grpcDetail(e));
      }
    }
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  return { outcomes, counts };
}
