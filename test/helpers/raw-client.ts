/** A gRPC client that sends raw bytes to any method path: for requests our typed clients cannot encode. */
import { makeGenericClientConstructor, credentials, Metadata, Client, ServiceError } from '@grpc/grpc-js';

export interface RawClient {
  /** the status error, or the raw answer bytes on OK */
  call(bytes: Buffer): Promise<ServiceError | Buffer>;
  close(): void;
}

export function rawClient(address: string, path: string): RawClient {
  const same = (x: Buffer) => x;
  const def = { m: { path, requestStream: false, responseStream: false, requestSerialize: same, requestDeserialize: same, responseSerialize: same, responseDeserialize: same } };
  const C = makeGenericClientConstructor(def, 'Raw');
  const c = new C(address, credentials.createInsecure(), { 'grpc.max_send_message_length': -1 }) as unknown as Client & {
    m(b: Buffer, md: Metadata, cb: (e: ServiceError | null, r: Buffer) => void): void;
  };
  return {
    call: (bytes) => new Promise((resolve) => c.m(bytes, new Metadata(), (e, r) => resolve(e ?? r))),
    close: () => c.close(),
  };
}
