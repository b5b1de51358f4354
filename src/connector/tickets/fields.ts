/**
 * Jira create metadata ↔ the contract's ticket custom fields, and text ↔ Atlassian Document Format.
 *
 * | Jira field (schema.type / items / custom type)          | contract kind                 | sent as                      |
 * |---------------------------------------------------------|-------------------------------|------------------------------|
 * | string (text field; multi-line text fields)              | string_value                  | text; ADF for multi-line     |
 * | number                                                   | number_value                  | number                       |
 * | date, datetime                                           | timestamp_value               | YYYY-MM-DD / ISO date-time   |
 * | user (user pickers, assignee)                            | string_value (account id)     | {accountId}                  |
 * | array of user                                            | string_values (account ids)   | [{accountId}]                |
 * | array of string (labels-like)                            | string_values                 | [text]                       |
 * | option (select list, radio buttons)                      | pick_string_value             | {value}                      |
 * | array of option (multi-select, checkboxes)               | pick_multiple_string_values   | [{value}]                    |
 * | array of option with one option (a single checkbox)      | bool_value                    | [{value}] or []              |
 * | priority, version                                        | pick_object_value {id, name}  | {id}                         |
 * | array of component / version                             | pick_multiple_object_values   | [{id}]                       |
 *
 * Summary, description, labels, project, issue type and reporter are the request's own fields (or the
 * schema id, or the credential), never custom fields. Other Jira field types are not offered.
 */
import { invalidInput } from '../../errors';
import { checkId } from '../../id-shapes';
import type { JiraFieldMeta } from '../jira-api';
import type { TicketCustomField, TicketCustomFieldObjectValue } from '../../gen/c1/connector/v2/ticket';

export type FieldKind = NonNullable<TicketCustomField['value']>['$case'];

/** Jira fields that are the request's own (or not settable through the contract) */
const NOT_CUSTOM = new Set(['summary', 'description', 'labels', 'project', 'issuetype', 'reporter', 'parent', 'attachment', 'issuelinks']);

const MAX_TEXT = 32_767;
const MAX_SHORT_TEXT = 255;
const MAX_VALUES = 100;

export interface MappedField {
  meta: JiraFieldMeta;
  kind: FieldKind;
  /** the field of a schema: kind, required and allowed values */
  schema: TicketCustomField;
}

function objects(meta: JiraFieldMeta): TicketCustomFieldObjectValue[] {
  return (meta.allowedValues ?? []).flatMap((v) => {
    const o = v as { id?: unknown; name?: unknown; value?: unknown };
    return o && o.id !== undefined ? [{ id: String(o.id), displayName: String(o.name ?? o.value ?? o.id) }] : [];
  });
}

function optionValues(meta: JiraFieldMeta): string[] {
  return (meta.allowedValues ?? []).flatMap((v) => {
    const o = v as { value?: unknown; disabled?: unknown };
    return o && typeof o.value === 'string' && o.disabled !== true ? [o.value] : [];
  });
}

function kindOf(meta: JiraFieldMeta): FieldKind | undefined {
  const { type, items } = meta.schema;
  switch (type) {
    case 'string':
      return 'stringValue';
    case 'number':
      return 'numberValue';
    case 'date':
    case 'datetime':
      return 'timestampValue';
    case 'user':
      return 'stringValue';
    case 'option':
      return 'pickStringValue';
    case 'priority':
    case 'version':
      return 'pickObjectValue';
    case 'array':
      if (items === 'string' || items === 'user') return 'stringValues';
      if (items === 'option') return optionValues(meta).length === 1 ? 'boolValue' : 'pickMultipleStringValues';
      if (items === 'component' || items === 'version') return 'pickMultipleObjectValues';
      return undefined;
    default:
      return undefined;
  }
}

/** A required Jira field without a default that the contract cannot carry: creating needs it, so the schema says so. */
export function unsupportedRequired(metas: JiraFieldMeta[]): JiraFieldMeta[] {
  return metas.filter((m) => m.required && !m.hasDefaultValue && !NOT_CUSTOM.has(m.fieldId) && !kindOf(m));
}

/** The contract's view of the create metadata: one custom field per Jira field it can carry. */
export function mapFields(metas: JiraFieldMeta[]): MappedField[] {
  const out: MappedField[] = [];
  for (const meta of metas) {
    if (NOT_CUSTOM.has(meta.fieldId)) continue;
    const kind = kindOf(meta);
    if (!kind) continue;
    const required = meta.required && !meta.hasDefaultValue;
    const base = { id: meta.key ?? meta.fieldId, displayName: meta.name, required, annotations: [] };
    let value: TicketCustomField['value'];
    const dflt = meta.defaultValue as { id?: unknown; name?: unknown; value?: unknown } | undefined;
    switch (kind) {
      case 'stringValue':
        value = { $case: kind, value: { value: '', defaultValue: '' } };
        break;
      case 'stringValues':
        value = { $case: kind, value: { values: [], defaultValues: [] } };
        break;
      case 'numberValue':
        value = { $case: kind, value: { value: undefined, defaultValue: undefined } };
        break;
      case 'timestampValue':
        value = { $case: kind, value: { value: undefined, defaultValue: undefined } };
        break;
      case 'boolValue':
        value = { $case: kind, value: { value: false } };
        break;
      case 'pickStringValue':
        value = { $case: kind, value: { value: '', allowedValues: optionValues(meta), defaultValue: typeof dflt?.value === 'string' ? dflt.value : '' } };
        break;
      case 'pickMultipleStringValues':
        value = { $case: kind, value: { values: [], allowedValues: optionValues(meta), defaultValues: [] } };
        break;
      case 'pickObjectValue':
        value = {
          $case: kind,
          value: {
            value: undefined,
            allowedValues: objects(meta),
            defaultValue: dflt?.id !== undefined ? { id: String(dflt.id), displayName: String(dflt.name ?? dflt.value ?? dflt.id) } : undefined,
          },
        };
        break;
      case 'pickMultipleObjectValues':
        value = { $case: kind, value: { values: [], allowedValues: objects(meta), defaultValues: [] } };
        break;
    }
    out.push({ meta, kind, schema: { ...base, value } });
  }
  return out;
}

const KIND_NAME: Record<FieldKind, string> = {
  stringValue: 'string_value',
  stringValues: 'string_values',
  boolValue: 'bool_value',
  timestampValue: 'timestamp_value',
  pickStringValue: 'pick_string_value',
  pickMultipleStringValues: 'pick_multiple_string_values',
  pickObjectValue: 'pick_object_value',
  pickMultipleObjectValues: 'pick_multiple_object_values',
  numberValue: 'number_value',
};

function bounded(field: string, values: string[], what = 'values'): string[] {
  if (values.length > MAX_VALUES) throw invalidInput(`${field} has ${values.length} ${what}; at most ${MAX_VALUES}`);
  return values;
}

function text(field: string, v: string, max: number): string {
  if (v.length > max) throw invalidInput(`${field} is longer than ${max} characters`);
  return v;
}

/**
 * The Jira value of one request field, checked against the schema field (kind, allowed values, shapes).
 * Undefined when the request leaves it empty (and it has no default).
 */
export function jiraValue(f: MappedField, given: TicketCustomField, field: string): unknown {
  const v = given.value;
  if (!v || v.$case !== f.kind) throw invalidInput(`${field} must be a ${KIND_NAME[f.kind]} (the schema's kind for ${JSON.stringify(f.meta.name)}), got ${v ? KIND_NAME[v.$case] : 'no value'}`);
  const { type, custom } = f.meta.schema;
  const isUser = type === 'user' || (type === 'array' && f.meta.schema.items === 'user');
  switch (v.$case) {
    case 'stringValue': {
      const s = v.value.value || v.value.defaultValue;
      if (!s) return undefined;
      if (isUser) return { accountId: checkId('accountId', s, `${field}.string_value.value`) };
      if (custom?.endsWith(':textarea')) return toAdf(text(`${field}.string_value.value`, s, MAX_TEXT));
      return text(`${field}.string_value.value`, s, custom?.endsWith(':textfield') ? MAX_SHORT_TEXT : MAX_TEXT);
    }
    case 'stringValues': {
      const vs = bounded(field, v.value.values.length ? v.value.values : v.value.defaultValues);
      if (vs.length === 0) return undefined;
      if (isUser) return vs.map((s, i) => ({ accountId: checkId('accountId', s, `${field}.string_values.values[${i}]`) }));
      return vs.map((s, i) => {
        const t = text(`${field}.string_values.values[${i}]`, s, MAX_SHORT_TEXT);
        if (!t || /\s/.test(t)) throw invalidInput(`${field}.string_values.values[${i}] must be a non-empty word without spaces (a Jira label)`);
        return t;
      });
    }
    case 'numberValue': {
      const n = v.value.value ?? v.value.defaultValue;
      if (n === undefined) return undefined;
      if (!Number.isFinite(n)) throw invalidInput(`${field}.number_value.value must be a finite number`);
      return n;
    }
    case 'timestampValue': {
      const t = v.value.value ?? v.value.defaultValue;
      if (!t) return undefined;
      if (Number.isNaN(t.getTime()) || t.getUTCFullYear() < 1900 || t.getUTCFullYear() > 9999) throw invalidInput(`${field}.timestamp_value.value is not a usable date`);
      return type === 'date' ? t.toISOString().slice(0, 10) : t.toISOString().replace('Z', '+0000');
    }
    case 'boolValue': {
      const only = optionValues(f.meta)[0];
      return v.value.value ? [{ value: only }] : [];
    }
    case 'pickStringValue': {
      const s = v.value.value || v.value.defaultValue;
      if (!s) return undefined;
      const allowed = optionValues(f.meta);
      if (!allowed.includes(s))
        throw invalidInput(`${field}.pick_string_value.value ${JSON.stringify(s.slice(0, 64))} is not one of the allowed values of ${JSON.stringify(f.meta.name)}: ${allowed.join(', ')}`);
      return { value: s };
    }
    case 'pickMultipleStringValues': {
      const vs = bounded(field, v.value.values.length ? v.value.values : v.value.defaultValues);
      if (vs.length === 0) return undefined;
      const allowed = optionValues(f.meta);
      vs.forEach((s, i) => {
        if (!allowed.includes(s))
          throw invalidInput(
            `${field}.pick_multiple_string_values.values[${i}] ${JSON.stringify(s.slice(0, 64))} is not one of the allowed values of ${JSON.stringify(f.meta.name)}: ${allowed.join(', ')}`,
          );
      });
      return [...new Set(vs)].map((value) => ({ value }));
    }
    case 'pickObjectValue': {
      const o = v.value.value?.id ? v.value.value : v.value.defaultValue;
      if (!o?.id) return undefined;
      const allowed = objects(f.meta);
      if (!allowed.some((a) => a.id === o.id))
        throw invalidInput(`${field}.pick_object_value.value.id ${JSON.stringify(o.id.slice(0, 64))} is not one of the allowed values of ${JSON.stringify(f.meta.name)}`);
      return { id: o.id };
    }
    case 'pickMultipleObjectValues': {
      const os = v.value.values.length ? v.value.values : v.value.defaultValues;
      bounded(
        field,
        os.map((o) => o.id),
      );
      if (os.length === 0) return undefined;
      const allowed = objects(f.meta);
      os.forEach((o, i) => {
        if (!allowed.some((a) => a.id === o.id))
          throw invalidInput(`${field}.pick_multiple_object_values.values[${i}].id ${JSON.stringify(String(o.id).slice(0, 64))} is not one of the allowed values of ${JSON.stringify(f.meta.name)}`);
      });
      return [...new Set(os.map((o) => o.id))].map((id) => ({ id }));
    }
  }
}

/** The ticket's view of a Jira value (for GetTicket); undefined when the issue has none. */
export function ticketField(f: MappedField, raw: unknown): TicketCustomField | undefined {
  if (raw === null || raw === undefined || (Array.isArray(raw) && raw.length === 0 && f.kind !== 'boolValue')) return undefined;
  const base = { id: f.schema.id, displayName: f.schema.displayName, required: f.schema.required, annotations: [] };
  const obj = (x: unknown) => x as { id?: unknown; name?: unknown; value?: unknown; accountId?: unknown };
  const arr = (x: unknown): unknown[] => (Array.isArray(x) ? x : []);
  let value: TicketCustomField['value'];
  switch (f.kind) {
    case 'stringValue':
      value = { $case: f.kind, value: { value: typeof raw === 'string' ? raw : typeof obj(raw).accountId === 'string' ? String(obj(raw).accountId) : fromAdf(raw), defaultValue: '' } };
      break;
    case 'stringValues':
      value = { $case: f.kind, value: { values: arr(raw).map((x) => (typeof x === 'string' ? x : String(obj(x).accountId ?? ''))), defaultValues: [] } };
      break;
    case 'numberValue':
      value = { $case: f.kind, value: { value: typeof raw === 'number' ? raw : undefined, defaultValue: undefined } };
      break;
    case 'timestampValue': {
      const d = typeof raw === 'string' ? new Date(raw.replace(/([+-]\d{2})(\d{2})$/, '$1:$2')) : undefined;
      value = { $case: f.kind, value: { value: d && !Number.isNaN(d.getTime()) ? d : undefined, defaultValue: undefined } };
      break;
    }
    case 'boolValue':
      value = { $case: f.kind, value: { value: arr(raw).length > 0 } };
      break;
    case 'pickStringValue':
      value = { $case: f.kind, value: { value: String(obj(raw).value ?? ''), allowedValues: [], defaultValue: '' } };
      break;
    case 'pickMultipleStringValues':
      value = { $case: f.kind, value: { values: arr(raw).map((x) => String(obj(x).value ?? '')), allowedValues: [], defaultValues: [] } };
      break;
    case 'pickObjectValue':
      value = { $case: f.kind, value: { value: { id: String(obj(raw).id ?? ''), displayName: String(obj(raw).name ?? obj(raw).value ?? '') }, allowedValues: [], defaultValue: undefined } };
      break;
    case 'pickMultipleObjectValues':
      value = { $case: f.kind, value: { values: arr(raw).map((x) => ({ id: String(obj(x).id ?? ''), displayName: String(obj(x).name ?? '') })), allowedValues: [], defaultValues: [] } };
      break;
  }
  return { ...base, value };
}

// ---------------------------------------------------------------- Atlassian Document Format

interface AdfNode {
  type: string;
  text?: string;
  content?: AdfNode[];
}

/** Plain text as an ADF document: paragraphs at blank lines, hard breaks at single newlines. */
export function toAdf(s: string): { type: 'doc'; version: 1; content: AdfNode[] } {
  const paragraphs = s
    .replace(/\r\n?/g, '\n')
    .split(/\n{2,}/)
    .filter((p) => p.trim() !== '');
  return {
    type: 'doc',
    version: 1,
    content: paragraphs.map((p) => ({
      type: 'paragraph',
      content: p.split('\n').flatMap((line, i): AdfNode[] => [...(i > 0 ? [{ type: 'hardBreak' }] : []), ...(line ? [{ type: 'text', text: line }] : [])]),
    })),
  };
}

/** The text of an ADF document (or a v2 string): blocks separated by blank lines. */
export function fromAdf(doc: unknown): string {
  if (typeof doc === 'string') return doc;
  const walk = (n: AdfNode | undefined): string => {
    if (!n || typeof n !== 'object') return '';
    if (n.type === 'text') return n.text ?? '';
    if (n.type === 'hardBreak') return '\n';
    const inner = (n.content ?? []).map(walk);
    return n.type === 'doc' ? inner.join('\n\n') : inner.join('');
  };
  return walk(doc as AdfNode);
}
