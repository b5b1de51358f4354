/** grpc.health.v1 client for the container HEALTHCHECK and for tests. */
import { readFileSync } from 'node:fs';
import { credentials, makeGenericClientConstructor, Metadata, ServiceError } from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';

const HealthClient = makeGenericClientConstructor(healthService as never, 'Health');

export async function checkHealth(address: string, timeoutMs = 3000, tlsCaFile?: string, service = ''): Promise<string> {
  const creds = tlsCaFile ? credentials.createSsl(readFileSync(tlsCaFile)) : credentials.createInsecure();
  const client = new HealthClient(address, creds) as unknown as {
    check(req: { service: string }, md: Metadata, opts: { deadline: Date }, cb: (e: ServiceError | null, r: { status: string | number }) => void): void;
    close(): void;
  };
  try {
    return await new Promise<string>((resolve, reject) =>
      client.check({ service }, new Metadata(), { deadline: new Date(Date.now() + timeoutMs) }, (e, r) =>
        e
          ? reject(new Error(`health check of ${address} failed: ${e.details || e.message}`))
          : resolve(typeof r.status === 'number' ? (['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'][r.status] ?? String(r.status)) : String(r.status)),
      ),
    );
  } finally {
    client.close();
  }
}
