/**
 * The fake Atlassian tenant in its own process for benchmarks: configured by argv, reports its
 * URLs, credentials and the request minimum over IPC, answers 'stats' and 'stop' messages.
 */
import { startFakeAtlassian, Tier } from '../src/fake-atlassian';
import { minimumRequests, MinimumOptions } from './minimum';

/** The areas a bench's latency and shared rate limit apply to: Jira, and with the organization its admin and user management APIs. */
const JIRA_ONLY = ['jira'];
const WITH_ORG = ['jira', 'admin', 'user-management'];

async function main(): Promise<void> {
  const [tier = 'L', seed = '1', latencyMs = '50', rps = '100', validate = 'all', optionsJson = '{}'] = process.argv.slice(2);
  const options = JSON.parse(optionsJson) as MinimumOptions;
  const areas = options.org ? WITH_ORG : JIRA_ONLY;
  const match = (r: { area: string }) => areas.includes(r.area);
  const t0 = Date.now();
  const fake = await startFakeAtlassian({ tier: tier as Tier, seed: Number(seed), validate: validate as 'all' });
  const genMs = Date.now() - t0;
  // with the organization, its APIs take the same latency and share Jira's bucket (so the floor stays requests ÷ rate limit)
  if (Number(latencyMs) > 0) fake.faults.latency(Number(latencyMs), options.org ? match : 'jira');
  if (Number(rps) > 0) fake.faults.rateLimit({ capacity: Number(rps), refillPerSec: Number(rps), perOperation: false }, options.org ? match : 'jira');
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
