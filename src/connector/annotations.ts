/**
 * Annotations are google.protobuf.Any values with type URL "type.googleapis.com/<full name>".
 * Receivers match on the name after the last '/', as the Baton SDK does.
 */
import type { Any } from '../gen/google/protobuf/any';

const PREFIX = 'type.googleapis.com/';

interface Codec<T> {
  encode(message: T): { finish(): Uint8Array };
  decode(input: Uint8Array): T;
  fromPartial(object: any): T;
}

export function packAny<T>(codec: Codec<T>, fullName: string, value: Partial<T> | object): Any {
  return { typeUrl: PREFIX + fullName, value: Buffer.from(codec.encode(codec.fromPartial(value)).finish()) };
}

export function typeName(a: Any): string {
  const i = a.typeUrl.lastIndexOf('/');
  return i >= 0 ? a.typeUrl.slice(i + 1) : a.typeUrl;
}

export function hasAnnotation(list: Any[] | undefined, fullName: string): boolean {
  return !!list?.some((a) => typeName(a) === fullName);
}

export function pickAnnotation<T>(list: Any[] | undefined, codec: Codec<T>, fullName: string): T | undefined {
  const a = list?.find((x) => typeName(x) === fullName);
  return a ? codec.decode(a.value) : undefined;
}
