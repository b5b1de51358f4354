/**
 * The fake Atlassian tenant in its own process for benchmarks: configured by argv, reports its
 * URLs, credentials and the request minimum over IPC, answers 'stats' and 'stop' messages.
 */
import { startFakeAtlassian, Tier } from '../src/fake-atlassian';
import { minimumRequests, MinimumOptions } from './minimum';

/** The organization's APIs (admin, user management): with --org they take the bench's latency and have their own bucket at the same rate. */
const isOrgArea = (r: { area: string }) => r.area === 'admin' || r.area === 'user-management';

async function main(): Promise<void> {
  const [tier = 'L', seed = '1', latencyMs = '50', rps = '100', validate = 'all', optionsJson = '{}'] = process.argv.slice(2);
  const options = JSON.parse(optionsJson) as MinimumOptions;
  const t0 = Date.now();
  const fake = await startFakeAtlassian({ tier: tier as Tier, seed: Number(seed), validate: validate as 'all' });
  const genMs = Date.now() - t0;
  if (Number(latencyMs) > 0) fake.faults.latency(Number(latencyMs), 'jira');
  if (Number(rps) > 0) fake.faults.rateLimit({ capacity: Number(rps), refillPerSec: Number(rps), perOperation: false }, 'jira');
  if (options.org && Number(latencyMs) > 0) fake.faults.latency(Number(latencyMs), isOrgArea);
  if (options.org && Number(rps) > 0) fake.faults.rateLimit({ capacity: Number(rps), refillPerSec: Number(rps), perOperation: false }, isOrgArea);
  fake.stats.reset();
  process.send!({
    type: 'ready',
    genMs,
    siteUrl: fake.siteUrl,
    apiUrl: fake.apiUrl,
    authUrl: fake.authUrl,
    email: fake.credentials.adminEmail,
    token: fake.credentials.classicToken,
    orgId: fake.orgId,
    orgKey: fake.credentials.orgApiKey.key,
    counts: fake.groundTruthCounts(),
    minimum: minimumRequests(fake.tenant, options),
  });
  process.on('message', (m: { type: string }) => {
    if (m.type === 'stats') process.send!({ type: 'stats', stats: { ...fake.stats.snapshot(), byOperationStatus: fake.stats.byOperationStatus }, validationErrors: fake.validationErrors.length });
    if (m.type === 'stop') fake.stop().then(() => process.exit(0));
  });
}

main().catch((e) => {
  process.stderr.write(String(e instanceof Error ? e.stack : e) + '\n');
  process.exit(1);
});
