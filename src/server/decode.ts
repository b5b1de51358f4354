/**
 * Request decoding that never answers INTERNAL and never materialises an oversized field.
 *
 * grpc-js answers INTERNAL ("Error deserializing request") when a deserializer throws, which the
 * platform reads as a connector bug. Every registered method's deserializer is wrapped: it first
 * walks the protobuf wire format of the request (linear in its size, nesting bounded) using the
 * field table of the contract's .proto files, refusing id-like strings longer than 1,024 bytes,
 * page tokens longer than 1 MiB and email addresses longer than 254 bytes before any string is
 * built; then it decodes. A request that fails either step becomes an Undecodable value carrying an
 * invalid-input ConnectorError, which the handler (services.ts `unary`) answers as INVALID_ARGUMENT.
 */
import type { PackageDefinition } from '@grpc/proto-loader';
import { ConnectorError, invalidInput } from '../errors';
import { MAX_TOKEN_CHARS } from '../connector/pagetoken';
import { MAX_EMAIL_BYTES } from '../connector/accounts';

/** Ids, resource types, sync ids: the contract's ids are short; 1,024 bytes is far above any Jira or Atlassian id. */
export const MAX_ID_BYTES = 1024;
/** Deeper nesting than this is not produced by any client of the contract (a Struct of a few levels at most). */
const MAX_DEPTH = 64;

const LIMITS: Record<string, { bytes: number; unit: string }> = {
  active_sync_id: { bytes: MAX_ID_BYTES, unit: `${MAX_ID_BYTES} bytes` },
  resource_type_id: { bytes: MAX_ID_BYTES, unit: `${MAX_ID_BYTES} bytes` },
  resource_type: { bytes: MAX_ID_BYTES, unit: `${MAX_ID_BYTES} bytes` },
  resource: { bytes: MAX_ID_BYTES, unit: `${MAX_ID_BYTES} bytes` },
  id: { bytes: MAX_ID_BYTES, unit: `${MAX_ID_BYTES} bytes` },
  slug: { bytes: MAX_ID_BYTES, unit: `${MAX_ID_BYTES} bytes` },
  name: { bytes: MAX_ID_BYTES, unit: `${MAX_ID_BYTES} bytes` },
  page_token: { bytes: MAX_TOKEN_CHARS, unit: '8 KiB' },
  address: { bytes: MAX_EMAIL_BYTES, unit: `${MAX_EMAIL_BYTES} bytes` },
  login: { bytes: MAX_EMAIL_BYTES, unit: `${MAX_EMAIL_BYTES} bytes` },
};

interface FieldInfo {
  name: string;
  /** full name of the message type, for message fields */
  message?: string;
  limit?: { bytes: number; unit: string };
}

/** message full name → field number → what the scanner needs to know */
export type WireSchema = Map<string, Map<number, FieldInfo>>;

interface DescriptorField {
  name: string;
  number: number;
  type: string;
  typeName: string;
}
interface Descriptor {
  name: string;
  field?: DescriptorField[];
  nestedType?: Descriptor[];
}

/** Builds the field table from proto-loader's package definition (the same load that serves reflection). */
export function wireSchema(pkg: PackageDefinition): WireSchema {
  const types = new Map<string, Descriptor>();
  const add = (full: string, d: Descriptor) => {
    types.set(full, d);
    for (const n of d.nestedType ?? []) add(`${full}.${n.name}`, n);
  };
  for (const [name, def] of Object.entries(pkg)) {
    const d = def as { format?: string; type?: Descriptor };
    if (d.format === 'Protocol Buffer 3 DescriptorProto' && d.type) add(name, d.type);
  }
  const schema: WireSchema = new Map();
  for (const [full, d] of types) {
    const fields = new Map<number, FieldInfo>();
    for (const f of d.field ?? []) {
      if (f.type === 'TYPE_MESSAGE') fields.set(f.number, { name: f.name, message: resolveType(types, full, f.typeName) });
      else if (f.type === 'TYPE_STRING') fields.set(f.number, { name: f.name, limit: LIMITS[f.name] });
    }
    schema.set(full, fields);
  }
  return schema;
}

/** Protobuf name resolution: a relative name is looked up from the innermost enclosing scope outwards. */
function resolveType(types: Map<string, unknown>, scope: string, name: string): string | undefined {
  if (name.startsWith('.')) return types.has(name.slice(1)) ? name.slice(1) : undefined;
  const parts = scope.split('.');
  while (parts.length) {
    const candidate = `${parts.join('.')}.${name}`;
    if (types.has(candidate)) return candidate;
    parts.pop();
  }
  return types.has(name) ? name : undefined;
}

/** The full name of a method's request type, as proto-loader describes the service. */
export function requestTypeName(pkg: PackageDefinition, schema: WireSchema, serviceName: string, methodPath: string): string | undefined {
  const svc = pkg[serviceName] as Record<string, { path?: string; requestType?: { type?: { name?: string } } }> | undefined;
  const method = svc && Object.values(svc).find((m) => m?.path === methodPath);
  const short = method?.requestType?.type?.name;
  if (!short) return undefined;
  return resolveType(schema, serviceName, short) ?? [...schema.keys()].find((k) => k.endsWith(`.${short}`));
}

class WireError extends Error {}

/** Walks one message's bytes [pos, end); throws WireError (malformed) or an invalid-input ConnectorError (too long). */
function scan(schema: WireSchema, type: string | undefined, buf: Uint8Array, pos: number, end: number, path: string, depth: number): void {
  if (depth > MAX_DEPTH) throw invalidInput(`the request is nested more than ${MAX_DEPTH} levels deep${path ? ` (at ${path})` : ''}`);
  const fields = type ? schema.get(type) : undefined;
  const varint = (): number => {
    let v = 0;
    for (let shift = 0; shift < 70; shift += 7) {
      if (pos >= end) throw new WireError('a number runs past the end of its message');
      const b = buf[pos++];
      v += (b & 0x7f) * 2 ** shift; // a float: exact up to 2^53, and past that far beyond any length or field number
      if (!(b & 0x80)) return v;
    }
    throw new WireError('a number is longer than 10 bytes');
  };
  while (pos < end) {
    const tag = varint();
    const wire = tag % 8;
    const num = Math.floor(tag / 8);
    if (num === 0 || num > 0x1fffffff) throw new WireError(`field number ${num} is out of range`);
    switch (wire) {
      case 0:
        varint();
        break;
      case 1:
        pos += 8;
        break;
      case 5:
        pos += 4;
        break;
      case 2: {
        const len = varint();
        if (len > end - pos) throw new WireError('a field runs past the end of its message');
        const f = fields?.get(num);
        if (f?.limit && len > f.limit.bytes) throw invalidInput(`${path ? `${path}.` : ''}${f.name} is longer than ${f.limit.unit}`);
        if (f?.message) scan(schema, f.message, buf, pos, pos + len, path ? `${path}.${f.name}` : f.name, depth + 1);
        pos += len;
        break;
      }
      default:
        throw new WireError(`wire type ${wire} (groups are not part of this contract)`);
    }
    if (pos > end) throw new WireError('a field runs past the end of its message');
  }
}

const UNDECODABLE = Symbol('undecodable request');

interface Undecodable {
  [UNDECODABLE]: ConnectorError;
}

/** The error of a request the wrapped deserializer could not accept, or undefined for a decoded request. */
export function undecodableError(req: unknown): ConnectorError | undefined {
  return req && typeof req === 'object' && UNDECODABLE in req ? (req as Undecodable)[UNDECODABLE] : undefined;
}

/** Wraps a generated deserializer: bounds and structure checked on the bytes, then decoded; it never throws. */
export function guardDeserializer<T>(schema: WireSchema | undefined, typeName: string | undefined, decode: (b: Buffer) => T): (b: Buffer) => T | Undecodable {
  const what = typeName ?? 'the request message';
  return (bytes: Buffer) => {
    try {
      if (schema && typeName) scan(schema, typeName, bytes, 0, bytes.length, '', 0);
      return decode(bytes);
    } catch (e) {
      if (e instanceof ConnectorError) return { [UNDECODABLE]: e };
      const reason = e instanceof WireError ? e.message : e instanceof RangeError ? 'nested too deeply' : 'malformed protobuf';
      return { [UNDECODABLE]: invalidInput(`the request could not be decoded as ${what}: ${reason}`) };
    }
  };
}
