/**
 * deploy/kubernetes/ agrees with the connector: every flag and env name a manifest gives the
 * connector's container is one the built CLI accepts (read from its own --help), credentials come
 * from a Secret, the probes run the Dockerfile's HEALTHCHECK command within their timeout, the drain
 * grace fits the pod's termination grace, and the Service and NetworkPolicy select the pod and name
 * its port. Needs dist/ (npm test builds it first).
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import { ROOT, execForm, parseDockerfile, parseHealthcheck, single } from './dockerfile';

const MAIN = join(ROOT, 'dist', 'src', 'cli', 'main.js');
const DIR = join(ROOT, 'deploy', 'kubernetes');
const IMAGE = /^jira-identity-connector(:|$)/;

type Obj = Record<string, any>;

function cli(args: string[]): string {
  const r = spawnSync(process.execPath, [MAIN, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '' }, timeout: 30_000 });
  if (r.status !== 0) throw new Error(`jira-connector ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return r.stdout;
}

/** The flags and [env NAME]s a command's --help lists. */
function helpOf(command: string): { flags: Set<string>; envs: Set<string> } {
  const text = cli([command, '--help']).replace(/\n\s+/g, ' ');
  return { flags: new Set([...text.matchAll(/(?:^|\s)(--[a-z][a-z0-9-]*)/g)].map((m) => m[1])), envs: new Set([...text.matchAll(/\bBATON_[A-Z0-9_]+/g)].map((m) => m[0])) };
}

const docs: { file: string; doc: Obj }[] = readdirSync(DIR)
  .filter((f) => /\.ya?ml$/.test(f))
  .sort()
  .flatMap((file) =>
    YAML.parseAllDocuments(readFileSync(join(DIR, file), 'utf8')).map((d) => {
      if (d.errors.length) throw new Error(`${file}: ${d.errors[0].message}`);
      return { file, doc: d.toJSON() as Obj };
    }),
  )
  .filter((d) => d.doc);

const ofKind = (kind: string) => docs.filter((d) => d.doc.kind === kind).map((d) => d.doc);
const workloads = () => ofKind('Deployment');
const connectorContainers = () => workloads().flatMap((w) => (w.spec.template.spec.containers as Obj[]).filter((c) => IMAGE.test(c.image) && !c.command).map((c) => ({ workload: w, container: c })));

const runtime = parseDockerfile().slice(-1)[0];
const healthcheck = parseHealthcheck(runtime);
const entrypoint = execForm(single(runtime, 'ENTRYPOINT'));

test('the folder has the Deployment, Service, Secret and NetworkPolicy', () => {
  expect(new Set(docs.map((d) => d.doc.kind))).toEqual(new Set(['Deployment', 'Service', 'Secret', 'NetworkPolicy']));
  for (const { file, doc } of docs) {
    expect(doc.apiVersion).toBeTruthy();
    expect(`${file}: ${doc.metadata?.name}`).toMatch(/: [a-z0-9-]+$/);
  }
  expect(connectorContainers().length).toBeGreaterThan(0);
});

test("the connector's container uses only the CLI's commands, flags and env names", () => {
  const commands = new Set([...cli(['--help']).matchAll(/^\s{2}([a-z-]+)\b/gm)].map((m) => m[1]));
  const secrets = new Map(ofKind('Secret').map((s) => [s.metadata.name as string, s]));
  const configFields = JSON.parse(cli(['config'])).fields as { envVar: string; isSecret: boolean }[];
  const secretEnvs = new Set(configFields.filter((f) => f.isSecret).map((f) => f.envVar));
  for (const { container } of connectorContainers()) {
    const args: string[] = container.args ?? execForm(single(runtime, 'CMD'));
    expect(commands).toContain(args[0]);
    const help = helpOf(args[0]);
    for (const a of args.slice(1).filter((x) => x.startsWith('--'))) expect(help.flags).toContain(a.split('=')[0]);
    const names: string[] = (container.env ?? []).map((e: Obj) => e.name);
    for (const ref of container.envFrom ?? []) {
      const secret = secrets.get(ref.secretRef?.name);
      expect(secret).toBeDefined(); // a Secret of this folder
      names.push(...Object.keys({ ...secret!.stringData, ...secret!.data }));
    }
    for (const n of names) expect(help.envs).toContain(n);
    // secrets never as literal values in the Deployment
    for (const e of container.env ?? []) if (secretEnvs.has(e.name)) expect(e.value).toBeUndefined();
    // the Secret holds the API token (the credential every setup needs)
    expect(names).toContain('BATON_JIRA_API_TOKEN');
    expect((container.env as Obj[]).find((e) => e.name === 'BATON_JIRA_API_TOKEN')).toBeUndefined();
  }
});

test('probes run the HEALTHCHECK command on the served port, within their timeout', () => {
  const healthHelp = helpOf('health');
  const deadline = (cmd: string[]) => Number(cmd[cmd.indexOf('--timeout') + 1] ?? 3000);
  for (const { container } of connectorContainers()) {
    const env = Object.fromEntries((container.env as Obj[]).map((e) => [e.name, e.value]));
    const port = Number(env.BATON_PORT ?? 50051);
    expect(container.ports.map((p: Obj) => p.containerPort)).toContain(port);
    for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
      const p = container[probe];
      expect(p).toBeDefined();
      const cmd: string[] = p.exec.command;
      expect(cmd).toEqual(healthcheck.cmd);
      expect(cmd.slice(0, entrypoint.length)).toEqual(entrypoint);
      expect(cmd[entrypoint.length]).toBe('health');
      for (const a of cmd.filter((x) => x.startsWith('--'))) expect(healthHelp.flags).toContain(a);
      // no --address: health dials 127.0.0.1:$BATON_PORT, the port above
      expect(cmd).not.toContain('--address');
      expect(p.timeoutSeconds * 1000).toBeGreaterThan(deadline(cmd));
    }
  }
});

test('the drain grace ends before the pod is killed', () => {
  for (const { workload, container } of connectorContainers()) {
    const spec = workload.spec.template.spec;
    const env = Object.fromEntries((container.env as Obj[]).map((e) => [e.name, e.value]));
    expect(spec.terminationGracePeriodSeconds).toBe(30);
    expect(Number(env.BATON_SHUTDOWN_GRACE_SECONDS)).toBe(25);
    // ... and 25 is the CLI's default, so the image without the env var fits too
    const field = (JSON.parse(cli(['config'])).fields as { envVar: string; defaultValue?: unknown }[]).find((f) => f.envVar === 'BATON_SHUTDOWN_GRACE_SECONDS');
    expect(field?.defaultValue).toBe(25);
    expect(spec.securityContext.runAsNonRoot).toBe(true);
    expect(container.securityContext.allowPrivilegeEscalation).toBe(false);
  }
});

test('each Service and NetworkPolicy selects a pod of the folder and names its ports', () => {
  const pods = workloads().map((w) => ({
    labels: w.spec.template.metadata.labels as Obj,
    ports: new Set((w.spec.template.spec.containers as Obj[]).flatMap((c) => (c.ports ?? []).map((p: Obj) => p.name))),
  }));
  const podOf = (sel: Obj) => pods.find((p) => Object.entries(sel).every(([k, v]) => p.labels[k] === v));
  for (const svc of ofKind('Service')) {
    const pod = podOf(svc.spec.selector);
    expect(pod).toBeDefined();
    for (const p of svc.spec.ports) expect(pod!.ports).toContain(p.targetPort);
  }
  const policies = ofKind('NetworkPolicy');
  expect(policies.length).toBe(workloads().length); // every pod is covered
  for (const policy of policies) {
    const pod = podOf(policy.spec.podSelector.matchLabels);
    expect(pod).toBeDefined();
    expect(policy.spec.policyTypes).toEqual(expect.arrayContaining(['Ingress', 'Egress']));
    for (const rule of policy.spec.ingress ?? []) for (const p of rule.ports) expect(pod!.ports).toContain(p.port);
    // egress: DNS and HTTPS only
    expect(new Set(policy.spec.egress.flatMap((r: Obj) => r.ports.map((p: Obj) => p.port)))).toEqual(new Set([53, 443]));
  }
});
