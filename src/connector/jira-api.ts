/**
 * What the resource types need from the client layer, in one place: the Jira client's typed
 * methods (one upstream page or one write per call), the organization's admin API, and the shapes
 * they answer with, as src/atlassian/schemas.ts infers them from its zod schemas (nothing here
 * re-declares a shape). Resource types import from this module only, never from src/atlassian,
 * so a new resource type touches its own file, the registry (jira.ts) and the client method it
 * calls.
 */
import type { JiraClient, AdminClient, RequestContext } from '../atlassian';

export type { RequestContext, WriteResult, PageBean, CursorPage } from '../atlassian';
export type { JiraUser, JiraUserDetails, JiraGroup, JiraGroupName, JiraProject, JiraProjectRole, JiraProjectRoleDetails, JiraRoleActor, JiraApplicationRole, JiraPermissionScheme } from '../atlassian';
export type { JiraAuditRecord } from '../atlassian';
export type { AdminApiToken, AdminDirectoryGroup, AdminDirectoryUser, AdminOrgUser } from '../atlassian';
export type { ActivityClient as ActivityApi, JiraHistory, JiraSearchIssue } from '../atlassian';
export type { IssuesClient as IssuesApi, JiraIssue, JiraFieldMeta, JiraIssueType, JiraStatus } from '../atlassian';

/** The Jira client (src/atlassian/jira.ts) as the resource types, the account manager and the provisioners use it. */
export type JiraApi = Omit<JiraClient, 'baseUrl'>;

/** The Atlassian organization (admin API), when BATON_ATLASSIAN_ORGID and BATON_ATLASSIAN_API_TOKEN are set. */
export interface OrgApi {
  orgId: string;
  admin: AdminClient;
  /** ARIs of the Jira site, for the admin API's resourceIds filter */
  siteResourceIds(ctx?: RequestContext): Promise<string[]>;
}
