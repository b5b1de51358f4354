/**
 * Display names for the audit lines of grants and revokes (the group or the project role a write changed), read
 * from Jira after the write, best effort: a name that cannot be read leaves the field out and never fails the write.
 * Requests carry ids only, so the name comes from upstream, never from the caller.
 */
import type { CallContext } from '../types';
import type { JiraApi } from '../jira-api';

export async function groupName(api: JiraApi, groupId: string, ctx: CallContext): Promise<string | undefined> {
  try {
    return (await api.getGroup(groupId, ctx))?.name || undefined;
  } catch {
    return undefined;
  }
}

export async function roleName(api: JiraApi, projectId: string, roleId: number | string, ctx: CallContext): Promise<string | undefined> {
  try {
    return (await api.projectRole(projectId, roleId, ctx)).name || undefined;
  } catch {
    return undefined;
  }
}
