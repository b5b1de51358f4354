/**
 * Commander options generated from the field list, and the one place where a bad configuration
 * becomes exit code 2 with one line on stderr (no stack trace, no secret).
 */
import { Command, Option } from 'commander';
import { FIELDS, FieldGroup, CONSTRAINTS } from '../config/fields';
import { collectRaw, RawConfig, secretValues } from '../config/schema';
import { registerSecret } from '../log';

export function addConfigOptions(cmd: Command, groups: FieldGroup[]): Command {
  for (const f of FIELDS.filter((x) => groups.includes(x.group))) {
    const names = [f.name, ...(f.aliases ?? [])];
    names.forEach((name, i) => {
      const flag = f.type === 'boolean' ? `--${name} [bool]` : `--${name} <${f.type === 'string-list' ? 'list' : 'value'}>`;
      const opt = new Option(flag, i === 0 ? `${f.description} [env ${f.env}]` : `alias of --${f.name}`);
      if (i > 0) opt.hideHelp();
      if (f.type === 'boolean') opt.preset('true');
      cmd.addOption(opt);
    });
  }
  return cmd;
}

/** Raw config from the command's flags and the environment; secrets registered for redaction. */
export function rawFrom(cmd: Command): RawConfig {
  const raw = collectRaw(cmd.opts());
  for (const s of secretValues(raw)) registerSecret(s);
  return raw;
}

export function configJson(): unknown {
  return {
    displayName: 'Jira Cloud',
    fields: FIELDS.map((f) => ({
      name: f.name,
      envVar: f.env,
      displayName: f.displayName,
      description: f.description,
      type: f.type,
      group: f.group,
      isRequired: !!f.required,
      isSecret: !!f.secret,
      ...(f.default !== undefined ? { defaultValue: f.default } : {}),
      ...(f.choices ? { choices: f.choices } : {}),
      ...(f.placeholder ? { placeholder: f.placeholder } : {}),
      ...(f.aliases ? { aliases: f.aliases } : {}),
    })),
    constraints: CONSTRAINTS,
  };
}

/** Runs a command body; configuration errors exit 2 with one line, anything else exits 1 without a stack trace. */
export async function guarded(fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (e) {
    const { describeFailure } = await import('./failure');
    const { line, code } = describeFailure(e);
    process.stderr.write(line + '\n');
    process.exitCode = code;
  }
}
