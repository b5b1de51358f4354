/**
 * When a grant was added, as the connector said it (a GrantMetadata annotation {added_at,
 * added_source}, e.g. from Jira's audit log with BATON_JIRA_AUDIT_DAYS), read back from a
 * snapshot's stored grant bytes. Values are checked (an ISO date, a short source name) and
 * anything else is ignored: a snapshot is data, not trusted input for the report.
 */
import { Grant } from '../gen/c1/connector/v2/grant';
import { GrantMetadata } from '../gen/c1/connector/v2/annotation_grant';
import { pickAnnotation } from '../connector/annotations';

const MARK = Buffer.from('GrantMetadata');
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;
const SOURCE = /^[a-z0-9][a-z0-9._-]{0,63}$/i;

export function addedOf(data: Buffer | null | undefined): { addedAt: string; addedSource?: string } | undefined {
  // most grants carry no metadata: skip the decoding for them
  if (!data || !data.includes(MARK)) return undefined;
  let m: Record<string, unknown> | undefined;
  try {
    m = pickAnnotation(Grant.decode(data).annotations, GrantMetadata, 'c1.connector.v2.GrantMetadata')?.metadata as Record<string, unknown> | undefined;
  } catch {
    return undefined;
  }
  const at = m?.added_at;
  if (typeof at !== 'string' || !ISO.test(at) || !Number.isFinite(Date.parse(at))) return undefined;
  const src = m?.added_source;
  return { addedAt: at, addedSource: typeof src === 'string' && SOURCE.test(src) ? src : undefined };
}
